package driver_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/driver"
)

func TestVerifyFieldCountsOnlyRealDifferences(t *testing.T) {
	str := adapter.Set[string]
	tests := []struct {
		name     string
		field    string
		sent     adapter.Field[string]
		stored   string // raw JSON; "" leaves the column out
		mismatch bool
	}{
		{"an equal name matches", driver.FieldName, str("Acme"), `"Acme"`, false},
		{"another case in a name counts", driver.FieldName, str("Acme"), `"ACME"`, true},
		{"an e-mail in another case matches", driver.FieldEmail, str("Ap@Acme.example"), `"ap@acme.example"`, false},
		{"another e-mail counts", driver.FieldEmail, str("ap@acme.example"), `"ar@acme.example"`, true},
		{"a phone in another format matches", driver.FieldPhone, str("+49 (30) 1234-56"), `"0049301234 56"`, false},
		{"another phone counts", driver.FieldPhone, str("+49 30 123456"), `"+49 30 123457"`, true},
		{"a VAT id with spaces and dots matches", driver.FieldVATID, str("de 123.456.789"), `"DE123456789"`, false},
		{"a value stored as null counts", driver.FieldName, str("Acme"), `null`, true},
		{"a value stored as a number counts", driver.FieldName, str("7"), `7`, true},
		{"a clear stored as null matches", driver.FieldVATID, adapter.Clear[string](), `null`, false},
		{"a clear stored as an empty string matches", driver.FieldVATID, adapter.Clear[string](), `""`, false},
		{"a clear that kept the value counts", driver.FieldVATID, adapter.Clear[string](), `"DE1"`, true},
		{"a column the answer leaves out is not checked", driver.FieldName, str("Acme"), "", false},
		{"an absent field is not checked", driver.FieldName, adapter.Field[string]{}, `"other"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored := map[string]json.RawMessage{}
			if tt.stored != "" {
				stored["col"] = json.RawMessage(tt.stored)
			}
			var v driver.Verifier
			driver.VerifyField(&v, tt.field, tt.sent, stored, "col")
			if !tt.mismatch {
				assert.Empty(t, v.Mismatches())
				return
			}
			if assert.Len(t, v.Mismatches(), 1) {
				m := v.Mismatches()[0]
				assert.Equal(t, tt.field, m.Field)
				assert.JSONEq(t, tt.stored, string(m.Stored))
			}
		})
	}
}

func TestVerifyFieldComparesNumbersExactly(t *testing.T) {
	tests := []struct {
		name, sent, stored string
		mismatch           bool
	}{
		{"1e400 equals 1e400", `{"a":1e400}`, `{"a":1e400}`, false},
		{"1e400 equals 10e399", `{"a":1e400}`, `{"a":10e399}`, false},
		{"1.0 equals 1", `{"a":1.0}`, `{"a":1}`, false},
		{"digits beyond float64 count", `{"a":12345678901234567890}`, `{"a":12345678901234567891}`, true},
		{"1e400 is not 1e401", `{"a":1e400}`, `{"a":1e401}`, true},
		{"a key the vendor dropped counts", `{"a":1,"b":2}`, `{"a":1}`, true},
		{"key order does not count", `{"a":1,"b":[1,"x"]}`, `{"b":[1,"x"],"a":1}`, false},
		{"a huge exponent is compared as written, not expanded", `{"a":1e999999999}`, `{"a":1e999999999}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sent adapter.JSONObject
			if err := json.Unmarshal([]byte(tt.sent), &sent); err != nil {
				t.Fatal(err)
			}
			var v driver.Verifier
			driver.VerifyField(&v, driver.FieldMetadata, adapter.Set(sent), map[string]json.RawMessage{"metadata": json.RawMessage(tt.stored)}, "metadata")
			assert.Equal(t, tt.mismatch, len(v.Mismatches()) == 1, "%v", v.Mismatches())
		})
	}
}
