package billbee

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/oapi-codegen/nullable"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/internal/rawjson"
	gen "github.com/custsync/custsync/gen/billbee"
)

// jsonNames returns the json names of t's fields whose type is of (all of
// them for of nil).
func jsonNames(t, of reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		if of != nil && f.Type != of {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// The write strips and overlays members by name; a name the generated
// types do not use would strip nothing (a read-only field sent back) or
// overlay a field Billbee does not have.
func TestTheNamesTheWriteStripsAreTheGeneratedOnes(t *testing.T) {
	customer := jsonNames(reflect.TypeFor[gen.Customer](), nil)
	sent := jsonNames(reflect.TypeFor[gen.CustomerUpdate](), nil)
	for _, name := range []string{fieldID, fieldArchivedAt, fieldRestoredAt, fieldMetaData} {
		assert.Contains(t, customer, name, "a field of the customer as read")
		assert.Contains(t, sent, name, "a field of the write")
	}
	assert.Contains(t, jsonNames(reflect.TypeFor[gen.CustomerMetaData](), nil), entryTypeName)

	entries := slices.Clone(contactEntryFields[:])
	slices.Sort(entries)
	assert.Equal(t, jsonNames(reflect.TypeFor[gen.Customer](), reflect.TypeFor[nullable.Nullable[gen.CustomerMetaData]]()), entries,
		"every field that holds one contact entry, and only those")
	assert.Equal(t, []string{fieldMetaData}, jsonNames(reflect.TypeFor[gen.Customer](), reflect.TypeFor[nullable.Nullable[[]gen.CustomerMetaData]]()),
		"the one list of contact entries")
}

// Every portable field Billbee stores is written under the name the
// mapping (and so a dry run's Change.VendorField) gives it.
func TestTheUpdateIsEncodedUnderTheMappedNames(t *testing.T) {
	u := &adapter.CustomerUpdate{ID: "42", Name: adapter.Set("n"), Email: adapter.Set("e"), Phone: adapter.Set("p"), VATID: adapter.Clear[string](),
		Billbee: &adapter.BillbeeFields{PriceGroupID: adapter.Set[int64](1), LanguageID: adapter.Set[int32](2), Type: adapter.Set[int32](1), Number: adapter.Clear[int32]()}}
	update, err := updateFields(42, u)
	require.NoError(t, err)
	var want []string
	for _, f := range fields {
		if f.Field == "id" {
			want = append(want, fieldID)
			continue
		}
		want = append(want, f.VendorField)
	}
	slices.Sort(want)
	assert.Equal(t, want, slices.Sorted(func(yield func(string) bool) {
		for k := range update {
			if !yield(k) {
				return
			}
		}
	}))
	assert.Equal(t, "42", string(update[fieldID]))
	assert.Equal(t, "null", string(update["VatId"]), "a cleared field is sent as null")
	assert.Equal(t, `"n"`, string(update["Name"]))

	changes, err := changesFrom(customer{data: map[string]json.RawMessage{}}, u, update)
	require.NoError(t, err)
	assert.Len(t, changes, 8, "against an empty record every field is a change")
}

// The write is the record as read with the update over it.
func TestTheWriteIsTheReadWithTheUpdateOverIt(t *testing.T) {
	u := &adapter.CustomerUpdate{ID: "42", Name: adapter.Set("Moritz"), VATID: adapter.Clear[string]()}
	tests := []struct {
		name, data, want string
	}{
		{"fields the spec does not know go back as read, byte for byte",
			`{"Id":42,"CreditLimit":12345678901234567890,"Tags":["a",{"b":null}],"Note":"<b>&amp;</b>","Ratio":1.50e+3,"Name":"Max"}`,
			`{"CreditLimit":12345678901234567890,"Id":42,"Name":"Moritz","Note":"<b>&amp;</b>","Ratio":1.50e+3,"Tags":["a",{"b":null}],"VatId":null}`},
		{"entry fields the spec does not know go back, TypeName in any letter case does not",
			`{"Id":42,"DefaultPhone1":{"Id":1,"typeName":"Phone","Value":"1","Verified":true},"DefaultFax":{"Id":2,"TYPENAME":"Fax","TypeName":"Fax"}}`,
			`{"DefaultFax":{"Id":2},"DefaultPhone1":{"Id":1,"Value":"1","Verified":true},"Id":42,"Name":"Moritz","VatId":null}`},
		{"a TypeName spelled with an escape is left out too",
			`{"Id":42,"DefaultMailAddress":{"Id":1,"Type\u004eame":"EMail","Value":"a@b.example"}}`,
			`{"DefaultMailAddress":{"Id":1,"Value":"a@b.example"},"Id":42,"Name":"Moritz","VatId":null}`},
		{"an entry that only mentions typename in a value is kept as is",
			`{"Id":42,"DefaultMailAddress":{"Id":1,"Value":"typename@b.example"}}`,
			`{"DefaultMailAddress":{"Id":1,"Value":"typename@b.example"},"Id":42,"Name":"Moritz","VatId":null}`},
		{"null items of MetaData stay null, in the order read",
			`{"Id":42,"MetaData":[null,{"Id":1,"TypeName":"EMail","Value":"x"},{"Id":2}]}`,
			`{"Id":42,"MetaData":[null,{"Id":1,"Value":"x"},{"Id":2}],"Name":"Moritz","VatId":null}`},
		{"ArchivedAt and RestoredAt are never sent, in any letter case",
			`{"Id":42,"ArchivedAt":null,"restoredAt":"2024-01-01T00:00:00","RESTOREDAT":null}`,
			`{"Id":42,"Name":"Moritz","VatId":null}`},
		{"a field read in other letter cases is sent once, as the update sets it",
			`{"id":42,"name":"Old","NAME":"Older","vatid":"DE1"}`,
			`{"Id":42,"Name":"Moritz","VatId":null}`},
		{"a field the update does not touch keeps an odd value",
			`{"Id":42,"Number":"12","Type":7,"Email":{"odd":true}}`,
			`{"Email":{"odd":true},"Id":42,"Name":"Moritz","Number":"12","Type":7,"VatId":null}`},
		{"contact entries that are not objects are kept as read",
			`{"Id":42,"DefaultFax":"TypeName","DefaultPhone2":null,"MetaData":"TypeName"}`,
			`{"DefaultFax":"TypeName","DefaultPhone2":null,"Id":42,"MetaData":"TypeName","Name":"Moritz","VatId":null}`},
		{"space between tokens goes, space inside strings stays",
			"{ \"Id\" : 42 ,\n\t\"Tags\" : [ \"a  b\" , { \"c\" : \" d \" } ] ,\r\n \"DefaultFax\" : { \"Id\" : 1 , \"TypeName\" : \"Fax\" } }",
			`{"DefaultFax":{"Id":1},"Id":42,"Name":"Moritz","Tags":["a  b",{"c":" d "}],"VatId":null}`},
		{"names that need escapes are written escaped",
			`{"Id":42,"Quote\"d":1,"Tab\t":2,"Ünïcode":3}`,
			`{"Id":42,"Name":"Moritz","Quote\"d":1,"Tab\t":2,"VatId":null,"Ünïcode":3}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.True(t, json.Valid([]byte(tt.data)))
			update, err := updateFields(42, u)
			require.NoError(t, err)
			body := putBody(customer{data: splitObject([]byte(tt.data))}, update)
			assert.Equal(t, tt.want, string(body))
			assert.True(t, json.Valid(body), "the write is JSON")
		})
	}
}

// splitObject is encoding/json's decode into map[string]json.RawMessage,
// without copies, for any valid object.
func TestSplitObjectAgreesWithEncodingJSON(t *testing.T) {
	for _, obj := range []string{
		`{}`, ` { } `, `{"a":1}`, `{"a":"x\"}{[","b":[1,[2,{"c":"]"}]],"d":{"e":{}}}`,
		`{"a":-1.5e-3,"b":true,"c":false,"d":null,"e":"\\","f":"\u00e9\ud83d\ude00"}`,
		"{\n \"a\" :\t[ 1 , 2 ] ,\r\n\"b\":{ \"c\" : null } }", `{"a":1,"a":2,"A":3}`, `{"\u0041":1,"":2}`,
	} {
		t.Run(obj, func(t *testing.T) { checkSplitObject(t, []byte(obj)) })
	}
}

func FuzzSplitObject(f *testing.F) {
	f.Add(`{"a":"x\"}{[","b":[1,[2,{"c":"]"}]]}`)
	f.Add(`{"Id":1,"TypeName":"EMail","MetaData":[null,{"TypeName":1}]}`)
	f.Fuzz(func(t *testing.T, obj string) {
		if !json.Valid([]byte(obj)) || !isObject(bytes.TrimLeft([]byte(obj), " \t\r\n")) {
			return
		}
		checkSplitObject(t, []byte(obj))
		entry := entryWithoutTypeName(json.RawMessage(bytes.TrimSpace([]byte(obj))))
		require.True(t, json.Valid(entry), "%s", entry)
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(entry, &m))
		for k := range m {
			assert.False(t, strings.EqualFold(k, entryTypeName), "%s", entry)
		}
	})
}

// checkSplitObject compares splitObject with encoding/json's decoding of
// the members in order, keeping of the names that are one in any letter
// case the last written, as Billbee's binder does.
func checkSplitObject(t *testing.T, obj []byte) {
	t.Helper()
	want := map[string]json.RawMessage{}
	dec := json.NewDecoder(bytes.NewReader(obj))
	_, err := dec.Token()
	require.NoError(t, err)
	for dec.More() {
		tok, err := dec.Token()
		require.NoError(t, err)
		var v json.RawMessage
		require.NoError(t, dec.Decode(&v))
		for k := range want {
			if strings.EqualFold(k, tok.(string)) {
				delete(want, k)
			}
		}
		want[tok.(string)] = v
	}
	got := splitObject(bytes.TrimLeft(obj, " \t\r\n"))
	require.Len(t, got, len(want))
	for k, v := range want {
		require.Contains(t, got, k)
		var a, b bytes.Buffer
		require.NoError(t, json.Compact(&a, v))
		require.NoError(t, json.Compact(&b, got[k]))
		assert.Equal(t, a.String(), b.String(), "member %q", k)
		assert.Equal(t, a.String(), string(rawjson.AppendCompact(nil, got[k])), "appendCompact is json.Compact")
	}
}
