package rawjson_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter/internal/rawjson"
)

var seeds = []string{
	`{}`, ` { } `, `{"a":1}`, `{"a":"x\"}{[","b":[1,[2,{"c":"]"}]],"d":{"e":{}}}`,
	`{"a":-1.5e-3,"b":true,"c":false,"d":null,"e":"\\","f":"\u00e9\ud83d\ude00"}`,
	"{\n \"a\" :\t[ 1 , 2 ] ,\r\n\"b\":{ \"c\" : null } }", `{"a":1,"a":2,"A":3}`, `{"\u0041":1,"":2}`,
	`[]`, ` [ 1 , "a\\\"" , {"b":[]} , null ] `, `[[],[[]],{}]`, "{\"\xff\":1}",
}

func TestMembersAndItemsAgreeWithEncodingJSON(t *testing.T) {
	for _, text := range seeds {
		t.Run(text, func(t *testing.T) { check(t, []byte(text)) })
	}
}

func FuzzMembersAndItems(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if !json.Valid([]byte(text)) {
			return
		}
		check(t, []byte(text))
	})
}

// check compares what Members or Items hand out with encoding/json's
// decode of the same text into json.RawMessage values.
func check(t *testing.T, text []byte) {
	t.Helper()
	text = bytes.TrimLeft(text, " \t\r\n")
	switch text[0] {
	case '{':
		var want []string // name, value, name, value... in order
		dec := json.NewDecoder(bytes.NewReader(text))
		_, err := dec.Token()
		require.NoError(t, err)
		for dec.More() {
			tok, err := dec.Token()
			require.NoError(t, err)
			var v json.RawMessage
			require.NoError(t, dec.Decode(&v))
			want = append(want, tok.(string), compact(t, v))
		}
		var got []string
		rawjson.Members(text, func(name, value []byte, start, end int) {
			assert.Equal(t, string(text[start:end]), string(bytes.TrimSpace(text[start:end])), "a member starts and ends at a token")
			got = append(got, rawjson.Name(name), compact(t, value))
			assert.Equal(t, compact(t, value), string(rawjson.AppendCompact(nil, value)), "AppendCompact is json.Compact")
			assert.True(t, rawjson.NameFolds(name, rawjson.Name(name)) || !isASCII(rawjson.Name(name)), "a name folds to itself")
		})
		assert.Equal(t, want, got)
		var walked []string
		n := rawjson.Walk(text, func(name, rest []byte) int {
			walked = append(walked, rawjson.Name(name), compact(t, rest[:rawjson.ValueLen(rest)]))
			return 0
		})
		assert.Equal(t, want, walked, "Walk skipping every value sees what Members sees")
		assert.Equal(t, len(bytes.TrimRight(text, " \t\r\n")), n, "Walk returns the object's length")
		assert.Equal(t, n, deepWalk(t, text), "walking every container itself ends where skipping it does")
	case '[':
		var want []json.RawMessage
		require.NoError(t, json.Unmarshal(text, &want))
		var got []string
		rawjson.Items(text, func(item []byte) { got = append(got, compact(t, item)) })
		require.Len(t, got, len(want))
		for i := range want {
			assert.Equal(t, compact(t, want[i]), got[i], "item %d", i)
		}
		assert.Equal(t, len(bytes.TrimRight(text, " \t\r\n")), deepWalk(t, text))
	}
}

// deepWalk walks the value at the start of text with Walk and WalkItems
// into every object and array, and returns its length as they report it,
// checking each against ValueLen.
func deepWalk(t *testing.T, text []byte) int {
	t.Helper()
	var n int
	switch text[0] {
	case '{':
		n = rawjson.Walk(text, func(_, rest []byte) int { return deepWalk(t, rest) })
	case '[':
		n = rawjson.WalkItems(text, func(rest []byte) int { return deepWalk(t, rest) })
	default:
		return rawjson.ValueLen(text)
	}
	assert.Equal(t, rawjson.ValueLen(text), n, "%s", text)
	return n
}

func compact(t *testing.T, v []byte) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, json.Compact(&b, v), "%q", v)
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func TestFoldIndexFindsANameInAnyLetterCase(t *testing.T) {
	for _, c := range []struct {
		quoted string
		want   int
	}{
		{`"errorcode"`, 1}, {`"ERRORMESSAGE"`, 0}, {`"Data"`, 2}, {`"\u0044ata"`, 2}, {`"Dat"`, -1}, {`"Datas"`, -1},
		{"\"\u212aey\"", 3}, // the Kelvin sign folds to k
	} {
		t.Run(c.quoted, func(t *testing.T) {
			assert.Equal(t, c.want, rawjson.FoldIndex([]byte(c.quoted), "ErrorMessage", "ErrorCode", "Data", "key"))
		})
	}
}
