package drivertest

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/driver"
)

// sampleValues holds a valid value for every portable field, in canonical
// JSON, for cases that need "some value" of a field.
var sampleValues = map[string]string{
	driver.FieldName:                   `"Sample Name"`,
	driver.FieldFirstName:              `"Sam"`,
	driver.FieldLastName:               `"Ple"`,
	driver.FieldEmail:                  `"sample@example.com"`,
	driver.FieldCCEmails:               `["cc@example.com"]`,
	driver.FieldPhone:                  `"+15550100"`,
	driver.FieldVATID:                  `"DE123456789"`,
	driver.FieldMetadata:               `{"k":"v"}`,
	driver.FieldModifiedAt:             `"2024-01-02T03:04:05.678Z"`,
	driver.FieldUpwellBillToCustomerID: `"P-1"`,
	driver.FieldUpwellDueOption:        `30`,
	driver.FieldBillbeePriceGroupID:    `7`,
	driver.FieldBillbeeLanguageID:      `2`,
	driver.FieldBillbeeType:            `1`,
	driver.FieldBillbeeNumber:          `42`,
}

// setField sets field (a portable name) in u to its sample value, through
// the canonical JSON form so the suite needs no knowledge of the struct.
func setField(u *adapter.CustomerUpdate, field string) {
	doc := canonical(u)
	value := json.RawMessage(sampleValues[field])
	if section, name, ok := strings.Cut(field, "."); ok {
		inner, _ := doc[section].(map[string]any)
		if inner == nil {
			inner = map[string]any{}
		}
		inner[name] = value
		doc[section] = inner
	} else {
		doc[field] = value
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	parsed, err := adapter.ParseCustomerUpdate(b)
	if err != nil {
		panic(err)
	}
	*u = *parsed
}

// canonicalValue returns the value u gives field in the canonical JSON form
// (json.Number for numbers, nil for a cleared field).
func canonicalValue(t *testing.T, u *adapter.CustomerUpdate, field string) any {
	t.Helper()
	doc := canonical(u)
	if section, name, ok := strings.Cut(field, "."); ok {
		inner, _ := doc[section].(map[string]any)
		require.NotNil(t, inner, "section %s", section)
		return inner[name]
	}
	return doc[field]
}

func canonical(u *adapter.CustomerUpdate) map[string]any {
	b, err := json.Marshal(u)
	if err != nil {
		panic(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		panic(err)
	}
	return doc
}
