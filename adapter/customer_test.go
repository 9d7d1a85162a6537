package adapter_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
)

func TestFieldKeepsAbsentNullAndValueApart(t *testing.T) {
	type doc struct {
		Name adapter.Field[string] `json:"name,omitzero"`
	}
	tests := []struct {
		name   string
		in     string
		absent bool
		null   bool
		value  string
	}{
		{"a missing key is absent", `{}`, true, false, ""},
		{"null clears", `{"name":null}`, false, true, ""},
		{"a value sets", `{"name":"Acme"}`, false, false, "Acme"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d doc
			require.NoError(t, json.Unmarshal([]byte(tt.in), &d))
			assert.Equal(t, tt.absent, d.Name.IsAbsent())
			assert.Equal(t, tt.null, d.Name.IsNull())
			v, ok := d.Name.Value()
			assert.Equal(t, tt.value != "", ok)
			assert.Equal(t, tt.value, v)

			out, err := json.Marshal(d)
			require.NoError(t, err)
			assert.JSONEq(t, tt.in, string(out), "the JSON form round-trips")
		})
	}
}

func TestParseCustomerUpdateReadsTheCanonicalForm(t *testing.T) {
	u, err := adapter.ParseCustomerUpdate([]byte(`{
		"id": "100000150176895", "sourceSystem": "ACME",
		"name": "Max", "firstName": "Max", "lastName": "Mustermann",
		"email": "max@mustermann.tld", "ccEmails": ["a@b.example"], "phone": "+491234",
		"vatId": null, "metadata": {"big": 12345678901234567890, "nested": {"x": [1, 2]}},
		"modifiedAt": "2023-01-04T09:47:57.477Z",
		"upwell": {"billToCustomerId": null, "dueOption": 30},
		"billbee": {"priceGroupId": 1818, "languageId": 3, "type": 0, "number": null}
	}`))
	require.NoError(t, err)
	assert.Equal(t, "100000150176895", u.ID)
	assert.Equal(t, "ACME", u.SourceSystem)
	assert.True(t, u.VATID.IsNull())
	at, ok := u.ModifiedAt.Value()
	require.True(t, ok)
	assert.True(t, at.Equal(time.Date(2023, 1, 4, 9, 47, 57, 477_000_000, time.UTC)))
	md, _ := u.Metadata.Value()
	assert.Equal(t, json.Number("12345678901234567890"), md["big"], "metadata numbers keep every digit")
	typ, ok := u.Billbee.Type.Value()
	assert.True(t, ok, "type 0 is a value, not absent")
	assert.Equal(t, int32(0), typ)
	assert.True(t, u.Billbee.Number.IsNull())
	assert.True(t, u.Upwell.BillToCustomerID.IsNull())
	assert.Equal(t, []string{
		"sourceSystem", "name", "firstName", "lastName", "email", "ccEmails", "phone", "vatId", "metadata", "modifiedAt",
		"upwell.billToCustomerId", "upwell.dueOption",
		"billbee.priceGroupId", "billbee.languageId", "billbee.type", "billbee.number",
	}, u.SetFields())

	out, err := json.Marshal(u)
	require.NoError(t, err)
	again, err := adapter.ParseCustomerUpdate(out)
	require.NoError(t, err)
	assert.Equal(t, u, again, "marshal and parse round-trip")
}

func TestParseCustomerUpdateRefusesBadInputNamingTheField(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantField string
	}{
		{"an unknown top-level key", `{"id":"1","nmae":"typo"}`, "nmae"},
		{"an unknown vendor key", `{"id":"1","billbee":{"priceGroup":1}}`, "billbee.priceGroup"},
		{"an unknown vendor section", `{"id":"1","hubspot":{}}`, "hubspot"},
		{"a numeric id", `{"id":100000150176895,"name":"x"}`, "id"},
		{"a wrong type", `{"id":"1","name":42}`, "name"},
		{"a wrong nested type", `{"id":"1","billbee":{"priceGroupId":"1818"}}`, "billbee.priceGroupId"},
		{"a non-object metadata", `{"id":"1","metadata":[1,2]}`, "metadata"},
		{"a bad date", `{"id":"1","modifiedAt":"04.01.2023"}`, "modifiedAt"},
		{"a vendor section that is not an object", `{"id":"1","upwell":5}`, "upwell"},
		{"not an object at all", `["id"]`, ""},
		{"trailing data", `{"id":"1","name":"x"} {"id":"2"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := adapter.ParseCustomerUpdate([]byte(tt.in))
			require.Error(t, err)
			var e *adapter.Error
			require.True(t, errors.As(err, &e), "an *adapter.Error: %v", err)
			assert.Equal(t, adapter.InvalidArgument, e.Code)
			assert.Equal(t, tt.wantField, e.Field)
			if tt.wantField != "" {
				assert.Contains(t, e.Error(), tt.wantField)
			}
		})
	}
}

func TestClearedFieldsListsNullsAndEmptyValues(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		want     []string
	}{
		{"null clears", `{"id": "1", "email": null, "billbee": {"number": null}}`, []string{"email", "billbee.number"}},
		{"empty and blank text clear", `{"id": "1", "name": "", "phone": "  ", "upwell": {"billToCustomerId": ""}}`, []string{"name", "phone", "upwell.billToCustomerId"}},
		{"an empty list and an empty object clear", `{"id": "1", "ccEmails": [], "metadata": {}}`, []string{"ccEmails", "metadata"}},
		{"values clear nothing, zero numbers included", `{"id": "1", "sourceSystem": "ACME", "name": "Acme", "ccEmails": ["a@b.example"], "metadata": {"k": 0}, "billbee": {"type": 0}}`, nil},
		{"absent fields clear nothing", `{"id": "1", "name": "Acme"}`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u, err := adapter.ParseCustomerUpdate([]byte(tt.in))
			require.NoError(t, err)
			assert.Equal(t, tt.want, u.ClearedFields())
			assert.Subset(t, u.SetFields(), u.ClearedFields(), "every field cleared is a field set")
		})
	}
}

func TestFieldKindOfNamesTheKindOfEveryField(t *testing.T) {
	t.Parallel()
	want := map[string]adapter.FieldKind{
		"id": adapter.KindText, "sourceSystem": adapter.KindText, "name": adapter.KindText,
		"firstName": adapter.KindText, "lastName": adapter.KindText, "email": adapter.KindText,
		"ccEmails": adapter.KindTextList, "phone": adapter.KindText, "vatId": adapter.KindText,
		"metadata": adapter.KindObject, "modifiedAt": adapter.KindTime,
		"upwell.billToCustomerId": adapter.KindText, "upwell.dueOption": adapter.KindInt32,
		"billbee.priceGroupId": adapter.KindInt64, "billbee.languageId": adapter.KindInt32,
		"billbee.type": adapter.KindInt32, "billbee.number": adapter.KindInt32,
	}
	got := map[string]adapter.FieldKind{}
	for _, name := range adapter.FieldNames() {
		got[name] = adapter.FieldKindOf(name)
	}
	assert.Equal(t, want, got, "every field has its kind, and FieldNames lists them all")
	assert.Zero(t, adapter.FieldKindOf("upwell"), "a vendor section is no field")
	assert.Zero(t, adapter.FieldKindOf("Email"), "names are exact")
}
