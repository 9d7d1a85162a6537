package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
)

func failureOf(t *testing.T, line string) (*adapter.CustomerUpdate, string, error) {
	t.Helper()
	u, p, err := decodeLine([]byte(line))
	info := failureInfo{Line: 7, Vendor: "upwell", errorInfo: errorInfo{Code: adapter.NotFound, Message: "gone"}}
	out := string(appendFailure(nil, p, info))
	require.True(t, strings.HasSuffix(out, "}\n"))
	require.True(t, json.Valid([]byte(out)), "a failures line is JSON: %s", out)
	return u, strings.TrimSuffix(out, "\n"), err
}

func TestFailuresFileFormat(t *testing.T) {
	t.Parallel()
	const errJSON = `"_error":{"line":7,"vendor":"upwell","code":"NotFound","message":"gone","httpStatus":0,"vendorCode":"","retryable":false}`

	t.Run("an object keeps its members as written and gains _error", func(t *testing.T) {
		t.Parallel()
		u, out, err := failureOf(t, `{ "id": "C-1", "metadata": {"n": 12345678901234567890, "b": "<&>"}, "name":"Ä" }`)
		require.NoError(t, err)
		assert.Equal(t, "C-1", u.ID)
		assert.Equal(t, `{"id":"C-1","metadata":{"n": 12345678901234567890, "b": "<&>"},"name":"Ä",`+errJSON+`}`, out)
	})

	t.Run("an earlier _error is replaced, not repeated", func(t *testing.T) {
		t.Parallel()
		u, out, err := failureOf(t, `{"_error": {"code": "Unavailable"}, "id": "C-1", "name": "Acme"}`)
		require.NoError(t, err, "_error is not a field of the customer")
		assert.Equal(t, "Acme", mustValue(u.Name))
		assert.Equal(t, `{"id":"C-1","name":"Acme",`+errJSON+`}`, out)
	})

	t.Run("a line that is not an object is kept under _raw", func(t *testing.T) {
		t.Parallel()
		u, out, err := failureOf(t, `id=C-1, name="Acme"`)
		assert.Nil(t, u)
		assert.Equal(t, adapter.InvalidArgument, adapter.CodeOf(err))
		assert.Equal(t, `{"_raw":"id=C-1, name=\"Acme\"",`+errJSON+`}`, out)
	})

	t.Run("a _raw line fails again the same way, and goes through once fixed", func(t *testing.T) {
		t.Parallel()
		_, first, err1 := failureOf(t, `[1, 2]`)
		_, again, err2 := failureOf(t, first)
		assert.Equal(t, first, again)
		assert.Equal(t, err1.Error(), err2.Error())

		u, _, err := failureOf(t, `{"_raw": "{\"id\": \"C-1\", \"email\": \"a@b.example\"}", "_error": {"code": "InvalidArgument"}}`)
		require.NoError(t, err)
		assert.Equal(t, "a@b.example", mustValue(u.Email))
	})

	t.Run("an invalid customer keeps its object form", func(t *testing.T) {
		t.Parallel()
		_, out, err := failureOf(t, `{"id": "C-1", "nmae": "x"}`)
		assert.Equal(t, adapter.InvalidArgument, adapter.CodeOf(err))
		assert.Contains(t, err.Error(), "nmae")
		assert.Equal(t, `{"id":"C-1","nmae":"x",`+errJSON+`}`, out)
	})

	t.Run("an empty object gains _error alone", func(t *testing.T) {
		t.Parallel()
		_, out, _ := failureOf(t, `{}`)
		assert.Equal(t, `{`+errJSON+`}`, out)
	})

	t.Run("an overlong line keeps its start", func(t *testing.T) {
		t.Parallel()
		p := tooLongPayload([]byte(strings.Repeat("é", 1000)))
		assert.True(t, strings.HasSuffix(string(p.raw), "…"))
		assert.LessOrEqual(t, len(p.raw), 256+len("…"))
		assert.True(t, json.Valid(appendFailure(nil, p, failureInfo{})))
	})
}

func mustValue[T any](f adapter.Field[T]) T {
	v, _ := f.Value()
	return v
}
