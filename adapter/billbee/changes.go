package billbee

import (
	"bytes"
	"encoding/json"

	"github.com/oapi-codegen/nullable"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/driver"
)

// changesFrom lists what the write an update would send changes in the
// customer as read, field by field, in the order of Fields(). putBody
// builds the write from the record as read, so only the fields the
// update sets or clears can differ from writing the record back
// untouched: each is compared as putBody would encode it, before (the
// value read, absent when the read had none) and after (the update's).
func changesFrom(read customer, u *adapter.CustomerUpdate) ([]adapter.Change, error) {
	c := &read.typed
	var changes []adapter.Change
	var err error
	note := func(e error) {
		if err == nil {
			err = e
		}
	}
	note(fieldChange(&changes, driver.FieldName, "Name", c.Name, u.Name))
	note(fieldChange(&changes, driver.FieldEmail, "Email", c.Email, u.Email))
	note(fieldChange(&changes, driver.FieldPhone, "Tel1", c.Tel1, u.Phone))
	note(fieldChange(&changes, driver.FieldVATID, "VatId", c.VatId, u.VATID))
	if b := u.Billbee; b != nil {
		note(fieldChange(&changes, driver.FieldBillbeePriceGroupID, "PriceGroupId", c.PriceGroupId, b.PriceGroupID))
		note(fieldChange(&changes, driver.FieldBillbeeLanguageID, "LanguageId", c.LanguageId, b.LanguageID))
		note(fieldChange(&changes, driver.FieldBillbeeType, "Type", c.Type, b.Type))
		note(fieldChange(&changes, driver.FieldBillbeeNumber, "Number", c.Number, b.Number))
	}
	return changes, err
}

// fieldChange adds the change f makes to the value read, if any. Equal
// values are equal on the wire, so they are told apart without encoding
// anything; otherwise both are encoded as the write would carry them and
// compared byte for byte.
func fieldChange[T comparable](changes *[]adapter.Change, portable, vendorField string, read nullable.Nullable[T], f adapter.Field[T]) error {
	if f.IsAbsent() {
		return nil
	}
	value, set := f.Value()
	if read.IsSpecified() {
		if old, err := read.Get(); (err == nil && set && old == value) || (read.IsNull() && !set) {
			return nil
		}
	}
	var before json.RawMessage // nil: the read had no such field
	if read.IsSpecified() {
		b, err := json.Marshal(read)
		if err != nil {
			return err
		}
		before = b
	}
	after := json.RawMessage("null")
	if set {
		b, err := json.Marshal(value)
		if err != nil {
			return err
		}
		after = b
	}
	if before != nil && bytes.Equal(before, after) {
		return nil
	}
	*changes = append(*changes, adapter.Change{Field: portable, VendorField: vendorField, Current: orNull(before), New: after})
	return nil
}

func orNull(raw json.RawMessage) json.RawMessage {
	if raw == nil {
		return json.RawMessage("null")
	}
	return raw
}
