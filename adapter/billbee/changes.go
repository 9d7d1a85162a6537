package billbee

import (
	"bytes"
	"encoding/json"
	"sort"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/driver"
)

// portableNames maps the Billbee fields an update can write to their
// portable names; Fields() lists the same pairs.
var portableNames = map[string]string{
	"Name":         driver.FieldName,
	"Email":        driver.FieldEmail,
	"Tel1":         driver.FieldPhone,
	"VatId":        driver.FieldVATID,
	"PriceGroupId": driver.FieldBillbeePriceGroupID,
	"LanguageId":   driver.FieldBillbeeLanguageID,
	"Type":         driver.FieldBillbeeType,
	"Number":       driver.FieldBillbeeNumber,
}

// changesFrom compares body, the write an update would send, with the
// customer as read written back untouched, field by field. Both are
// built by putBody, so a field the update leaves alone is byte for byte
// the same in both and only what the update changes can differ. Changes
// come in the order of Fields().
func changesFrom(read customer, id int64, body []byte) ([]adapter.Change, error) {
	unchanged, err := putBody(read, id, &adapter.CustomerUpdate{})
	if err != nil {
		return nil, err
	}
	var before, after map[string]json.RawMessage
	if err := json.Unmarshal(unchanged, &before); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(body, &after); err != nil {
		return nil, err
	}
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	var changes []adapter.Change
	for k := range keys {
		old, hadOld := before[k]
		cur, hasNew := after[k]
		if hadOld == hasNew && bytes.Equal(old, cur) {
			continue
		}
		changes = append(changes, adapter.Change{Field: portableNames[k], VendorField: k, Current: orNull(old), New: orNull(cur)})
	}
	order := map[string]int{}
	for i, f := range fields {
		order[f.Field] = i
	}
	sort.Slice(changes, func(i, j int) bool {
		if order[changes[i].Field] != order[changes[j].Field] {
			return order[changes[i].Field] < order[changes[j].Field]
		}
		return changes[i].VendorField < changes[j].VendorField
	})
	return changes, nil
}

func orNull(raw json.RawMessage) json.RawMessage {
	if raw == nil {
		return json.RawMessage("null")
	}
	return raw
}
