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
	case '[':
		var want []json.RawMessage
		require.NoError(t, json.Unmarshal(text, &want))
		var got []string
		rawjson.Items(text, func(item []byte) { got = append(got, compact(t, item)) })
		require.Len(t, got, len(want))
		for i := range want {
			assert.Equal(t, compact(t, want[i]), got[i], "item %d", i)
		}
	}
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
