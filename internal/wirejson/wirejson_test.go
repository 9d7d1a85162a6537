package wirejson_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/internal/wirejson"
)

func FuzzStringIsWhatEncodingJSONWrites(f *testing.F) {
	for _, s := range []string{"", "Acme Corp", `a"b\c`, "<script>&</script>", "tab\tnl\nbs\bff\f\r\x00\x1f\x7f",
		"Grüße", "\u2028\u2029", "\xff\xfe", "a\xc3", "😀", "\U0010ffff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(wirejson.String(nil, s)))
	})
}

func TestStringsAndKeysMakeTheObjectEncodingJSONWrites(t *testing.T) {
	v := struct {
		A []string `json:"a"`
		B int64    `json:"b"`
		C string   `json:"c"`
	}{[]string{"x", "<y>"}, -42, "z"}
	want, err := json.Marshal(v)
	require.NoError(t, err)

	n := 0
	b := []byte{'{'}
	b = wirejson.Strings(wirejson.Key(b, &n, "a"), v.A)
	b = wirejson.Int(wirejson.Key(b, &n, "b"), v.B)
	b = wirejson.String(wirejson.Key(b, &n, "c"), v.C)
	b = append(b, '}')
	assert.Equal(t, string(want), string(b))
	assert.Equal(t, 3, n)

	assert.Equal(t, "null", string(wirejson.Strings(nil, nil)), "nil is null, as encoding/json writes it")
	assert.Equal(t, "[]", string(wirejson.Strings(nil, []string{})))

	got, err := wirejson.Value(nil, map[string]any{"b": 1, "a": []any{true, nil}})
	require.NoError(t, err)
	assert.Equal(t, `{"a":[true,null],"b":1}`, string(got))
	_, err = wirejson.Value(nil, map[string]any{"x": func() {}})
	assert.Error(t, err)
}
