package billbee

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/driver"
	"github.com/custsync/custsync/adapter/internal/rawjson"
)

// changesFrom lists what the write an update would send changes in the
// customer as read, field by field, in the order of Fields(). putBody
// builds the write from the record as read, so only the fields the
// update sets or clears can differ from writing the record back
// untouched. update is what updateFields encoded: the value each change
// reports as new.
func changesFrom(read customer, u *adapter.CustomerUpdate, update map[string]json.RawMessage) ([]adapter.Change, error) {
	var changes []adapter.Change
	if n := len(update) - 1; n > 0 { // every field but Id may change
		changes = make([]adapter.Change, 0, n)
	}
	var err error
	note := func(e error) {
		if err == nil {
			err = e
		}
	}
	note(fieldChange(&changes, read.data, update, driver.FieldName, "Name", u.Name))
	note(fieldChange(&changes, read.data, update, driver.FieldEmail, "Email", u.Email))
	note(fieldChange(&changes, read.data, update, driver.FieldPhone, "Tel1", u.Phone))
	note(fieldChange(&changes, read.data, update, driver.FieldVATID, "VatId", u.VATID))
	if b := u.Billbee; b != nil {
		note(fieldChange(&changes, read.data, update, driver.FieldBillbeePriceGroupID, "PriceGroupId", b.PriceGroupID))
		note(fieldChange(&changes, read.data, update, driver.FieldBillbeeLanguageID, "LanguageId", b.LanguageID))
		note(fieldChange(&changes, read.data, update, driver.FieldBillbeeType, "Type", b.Type))
		note(fieldChange(&changes, read.data, update, driver.FieldBillbeeNumber, "Number", b.Number))
	}
	if len(changes) == 0 {
		return nil, err
	}
	return changes, err
}

// fieldChange adds the change f makes to the value read, if any. The
// value read is decoded into f's type and compared; one that does not
// decode (another type, a number out of range), or a field Billbee holds
// under several spellings with different values, is a change: the write
// then sets it.
func fieldChange[T comparable](changes *[]adapter.Change, read, update map[string]json.RawMessage, portable, vendorField string, f adapter.Field[T]) error {
	if f.IsAbsent() {
		return nil
	}
	after, ok := update[vendorField]
	if !ok {
		return fmt.Errorf("the generated request type does not encode %s as %q", portable, vendorField)
	}
	before, found, consistent := readValue(read, vendorField)
	if found && consistent {
		value, set := f.Value()
		if (set && decodesTo(before, value)) || (!set && isNull(before)) {
			return nil
		}
	}
	*changes = append(*changes, adapter.Change{Field: portable, VendorField: vendorField, Current: orNull(before), New: after})
	return nil
}

// readValue returns the value read for name, in any letter case (the
// exact spelling first), and whether every spelling Billbee sent holds
// the same JSON.
func readValue(read map[string]json.RawMessage, name string) (value json.RawMessage, found, consistent bool) {
	value, found = read[name]
	consistent = true
	for k, v := range read {
		if k == name || !rawjson.FoldsTo(k, name) {
			continue
		}
		if !found {
			value, found = v, true
		} else if !bytes.Equal(v, value) {
			consistent = false
		}
	}
	return value, found, consistent
}

// decodesTo reports whether raw decodes into T as want. Strings without
// escapes and integers as encoding/json writes them are compared without
// decoding.
func decodesTo[T comparable](raw json.RawMessage, want T) bool {
	switch w := any(want).(type) {
	case string:
		if n := len(raw); n >= 2 && raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
			return string(raw[1:n-1]) == w // decoding gives these very bytes
		}
	case int32:
		if plainInteger(raw, int64(w)) {
			return true
		}
	case int64:
		if plainInteger(raw, w) {
			return true
		}
	}
	var got T
	return json.Unmarshal(raw, &got) == nil && got == want
}

// plainInteger reports whether raw is n as encoding/json writes it.
func plainInteger(raw json.RawMessage, n int64) bool {
	var buf [24]byte
	return bytes.Equal(strconv.AppendInt(buf[:0], n, 10), raw)
}

func orNull(raw json.RawMessage) json.RawMessage {
	if raw == nil {
		return json.RawMessage("null")
	}
	return raw
}
