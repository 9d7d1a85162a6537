package billbee

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	gen "github.com/custsync/custsync/gen/billbee"
)

func jsonNames(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// A field added to the spec must be added to knownCustomer too, or every
// read would take the slow path; one knownCustomer names that the
// generated types lack would keep a field unknown to them from being sent.
func TestKnownFieldsAreTheGeneratedOnes(t *testing.T) {
	assert.Equal(t, jsonNames(reflect.TypeFor[gen.Customer]()), jsonNames(reflect.TypeFor[knownCustomer]()))
	assert.Equal(t, jsonNames(reflect.TypeFor[gen.CustomerUpdate]()), jsonNames(reflect.TypeFor[knownCustomer]()))
	assert.Equal(t, jsonNames(reflect.TypeFor[gen.CustomerMetaData]()), jsonNames(reflect.TypeFor[knownEntry]()))
}

// The typed write alone is what merging the read into it gives, byte for
// byte, whenever the typed form carries the whole record.
func TestTheTypedWriteIsTheMergedWriteWhenNothingIsUnknown(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		carried    bool
	}{
		{"a record of known fields", `{"Id":42,"Name":"Max","Email":null,"Tel1":"030 1","ArchivedAt":null,"RestoredAt":"2024-01-01T00:00:00Z",` +
			`"DefaultMailAddress":{"Id":1,"TypeId":1,"TypeName":"EMail","Value":"a@b.example"},"DefaultFax":null,` +
			`"MetaData":[{"Id":2,"TypeId":2,"SubType":"x","Value":"<b>&"}],"PriceGroupId":7,"Type":1}`, true},
		{"a field the spec does not know", `{"Id":42,"Name":"Max","Loyalty":3}`, false},
		{"an entry field the spec does not know", `{"Id":42,"DefaultPhone1":{"Id":1,"Value":"1","Verified":true}}`, false},
		{"a null in MetaData", `{"Id":42,"MetaData":[null]}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var typed gen.Customer
			require.NoError(t, json.Unmarshal([]byte(tc.data), &typed))
			var raw map[string]json.RawMessage
			require.NoError(t, json.Unmarshal([]byte(tc.data), &raw))
			u := &adapter.CustomerUpdate{ID: "42", Name: adapter.Set("Moritz"), VATID: adapter.Clear[string]()}

			assert.Equal(t, tc.carried, carriedByTyped([]byte(tc.data)))
			fast, err := putBody(customer{typed: typed}, 42, u)
			require.NoError(t, err)
			merged, err := putBody(customer{typed: typed, raw: raw}, 42, u)
			require.NoError(t, err)
			if tc.carried {
				assert.Equal(t, string(merged), string(fast))
			} else {
				assert.NotEqual(t, string(merged), string(fast), "the merge carries what the typed write cannot")
			}
		})
	}
}
