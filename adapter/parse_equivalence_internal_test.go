package adapter

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parseSeeds are FuzzParseCustomerUpdate's seeds and the inputs where a
// walk of the text in place could part from encoding/json's decoder.
var parseSeeds = []string{
	// FuzzParseCustomerUpdate's seeds.
	`{"id":"C-1","name":"Acme","email":null}`,
	`{"id":"100000150176895","billbee":{"priceGroupId":1818,"type":0},"vatId":null}`,
	`{"id":"C-1","upwell":{"dueOption":30,"billToCustomerId":null},"metadata":{"n":1e400}}`,
	`{"id":"x","modifiedAt":"2023-01-04T09:47:57.477Z","ccEmails":["a@b.c"]}`,
	`{"id":1}`, `{"nmae":"x"}`, `[]`, `null`, `{"id":"C-1","upwell":null}`, `{"id":"\u0000"}`,
	`{"id":"C-1","metadata":{"a":{"b":[1,2,{"c":null}]}}} `,
	// A nightly line.
	`{"id":"S-00001","name":"Customer 1","email":"c1@example.com","metadata":{"erp":"E-0000001"}}`,
	// Keys given twice, at the top, in a vendor section, in metadata,
	// inside arrays, and spelled differently.
	`{"id":"a","id":"b"}`,
	`{"name":"a","id":"x","name":null}`,
	`{"upwell":{"dueOption":1,"dueOption":2}}`,
	`{"billbee":{"type":1},"billbee":null}`,
	`{"metadata":{"a":1,"b":{"c":1,"c":2}}}`,
	`{"metadata":{"a":[{"x":1},{"x":1,"x":2}]}}`,
	`{"name":"a","na\u006de":"b"}`,
	`{"\u0069d":"a","id":"b"}`,
	`{"metadata":{"\u00e9":1,"é":2}}`,
	`{"metadata":{"\ud800":1,"\udc00":2}}`,
	"{\"metadata\":{\"\xff\":1,\"\xfe\":2}}",
	`{"metadata":{"a":1},"metadata":{"a":1},"x":1}`,
	`{"zz":1,"zz":2,"aa":3}`,
	// Keys written with escapes, unknown keys.
	`{"na\u006de":"a","\u0069d":"b","upw\u0065ll":{"du\u0065Option":3}}`,
	`{"nmae":"x","aaa":1}`, `{"upwell":{"dueOptoin":1}}`, `{"billbee":{"x":1,"a":2},"upwell":{"y":1}}`,
	`{"upwell":[],"billbee":"x"}`, `{"upwell":1}`, `{"billbee":{"type":1},"upwell":{}}`,
	// Text that is not UTF-8 and lone surrogates.
	"{\"name\":\"\xff\"}", "{\"upwell\":{\"billToCustomerId\":\"\xc3\"}}", "{\"\xff\":1}",
	`{"name":"\ud800"}`, `{"name":"\udc00\ud800"}`, `{"name":"\ud83d\ude00"}`,
	`{"metadata":{"a":"\ud800x"}}`, `{"id":"\\ud800"}`,
	// Strings with escapes, numbers, nulls, wrong types.
	`{"id":"a\"b","name":"\n\t\\\/","email":"\u00e9"}`,
	`{"id":null,"name":null,"firstName":null,"lastName":null,"email":null,"phone":null,"vatId":null,"ccEmails":null,"metadata":null,"modifiedAt":null}`,
	`{"sourceSystem":null}`, `{"sourceSystem":""}`, `{"sourceSystem":"erp"}`, `{"sourceSystem":"e\u0072p"}`,
	`{"ccEmails":[]}`, `{"ccEmails":["a",null]}`, `{"ccEmails":["a",1]}`, `{"ccEmails":["\u0061"]}`, `{"ccEmails":{}}`,
	`{"upwell":{"dueOption":2147483647}}`, `{"upwell":{"dueOption":2147483648}}`, `{"upwell":{"dueOption":-0}}`,
	`{"upwell":{"dueOption":1.0}}`, `{"upwell":{"dueOption":1e2}}`, `{"upwell":{"dueOption":"1"}}`,
	`{"billbee":{"priceGroupId":9223372036854775807,"languageId":-2147483648,"number":null}}`,
	`{"billbee":{"priceGroupId":9223372036854775808}}`,
	`{"metadata":{"n":-0.5e-7,"t":true,"f":false,"z":null,"s":"","e":{},"l":[],"d":[[[[{"x":[{}]}]]]]}}`,
	`{"metadata":[]}`, `{"metadata":"x"}`, `{"metadata":1}`,
	`{"modifiedAt":"2023-01-04T09:47:57+02:00"}`, `{"modifiedAt":"yesterday"}`,
	`{"id":1.5}`, `{"id":true}`, `{"id":{"a":1}}`, `{"name":1}`, `{"email":[]}`,
	// Space where the decoder allows it, data around the object, other values.
	" \t\r\n{ \"id\" : \"a\" , \"upwell\" : { \"dueOption\" : 7 } , \"metadata\" : { \"a\" : [ 1 , 2 ] } } \n",
	`{"id":"a"} {"id":"b"}`, `{"id":"a"}}`, `{"id":"a"`, `{"id":}`, `{"id"`, ``, ` `, `"x"`, `1`, `true`,
	`{}`, `{} `, `[{"a":1,"a":2}]`, `{"id":"a",}`, `{"id":"a"}x`,
	// Objects too big to compare key by key, with and without a key twice.
	manyKeys(40, ""), manyKeys(40, "k3"), manyKeys(40, "k39"), manyKeys(33, "k32"),
}

// manyKeys is a metadata object of n keys, then again if given.
func manyKeys(n int, again string) string {
	var b strings.Builder
	b.WriteString(`{"id":"m","metadata":{`)
	for i := range n {
		fmt.Fprintf(&b, `"k%d":%d,`, i, i)
	}
	if again != "" {
		fmt.Fprintf(&b, `"%s":{"x":[{"y":1}]},`, again)
	}
	b.WriteString(`"last":{"y":1}}}`)
	return b.String()
}

// FuzzParseIsTheReference: ParseCustomerUpdate and UnmarshalJSON give
// what the implementation first written over encoding/json's decoder
// (unmarshalReference) gives, update for update and error for error.
func FuzzParseIsTheReference(f *testing.F) {
	for _, seed := range parseSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, wantErr := parseReference(data)
		got, gotErr := ParseCustomerUpdate(data)
		requireSameOutcome(t, data, want, wantErr, got, gotErr)

		// UnmarshalJSON is also called on its own, and inside other values.
		var u CustomerUpdate
		err := u.UnmarshalJSON(data)
		if err == nil {
			got, gotErr = &u, nil
		} else {
			got, gotErr = nil, err
		}
		var r CustomerUpdate
		if err := unmarshalReference(&r, data); err == nil {
			want, wantErr = &r, nil
		} else {
			want, wantErr = nil, err
		}
		requireSameOutcome(t, data, want, wantErr, got, gotErr)
	})
}

// requireSameOutcome checks that got and gotErr are what the reference
// gave. The reference visits the vendor sections in map order, so when
// both are at fault it names either; then one of its answers must match.
func requireSameOutcome(t *testing.T, data []byte, want *CustomerUpdate, wantErr error, got *CustomerUpdate, gotErr error) {
	t.Helper()
	if wantErr != nil && gotErr != nil && wantErr.Error() != gotErr.Error() {
		for range 200 {
			if _, err := parseReference(data); err != nil && err.Error() == gotErr.Error() {
				wantErr = err
				break
			}
		}
	}
	if wantErr != nil {
		require.Error(t, gotErr, "input %q", data)
		require.IsType(t, wantErr, gotErr)
		assert.Equal(t, wantErr, gotErr, "input %q", data)
		return
	}
	require.NoError(t, gotErr, "input %q", data)
	assert.True(t, reflect.DeepEqual(want, got), "input %q:\nwant %#v\ngot  %#v", data, want, got)
}

func TestParseMatchesTheReferenceOnEverySeed(t *testing.T) {
	for _, seed := range parseSeeds {
		t.Run(seed, func(t *testing.T) {
			want, wantErr := parseReference([]byte(seed))
			got, gotErr := ParseCustomerUpdate([]byte(seed))
			requireSameOutcome(t, []byte(seed), want, wantErr, got, gotErr)
		})
	}
}
