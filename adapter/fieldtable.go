package adapter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"time"

	"github.com/custsync/custsync/adapter/internal/fieldname"
)

// updateField gives table-driven access to one field of a CustomerUpdate,
// so listing, dropping and validating fields need no reflection.
type updateField struct {
	name   string
	kind   FieldKind
	isSet  func(*CustomerUpdate) bool
	drop   func(*CustomerUpdate)
	decode func(*CustomerUpdate, json.RawMessage) error
}

// field describes a Field of CustomerUpdate. get returns nil when the field
// lives in a vendor section u does not have; alloc creates that section.
func field[T any](name string, get func(u *CustomerUpdate, alloc bool) *Field[T]) updateField {
	return updateField{
		name:  name,
		kind:  kindOf[T](),
		isSet: func(u *CustomerUpdate) bool { f := get(u, false); return f != nil && !f.IsAbsent() },
		drop: func(u *CustomerUpdate) {
			if f := get(u, false); f != nil {
				*f = Field[T]{}
			}
		},
		decode: func(u *CustomerUpdate, raw json.RawMessage) error { return json.Unmarshal(raw, get(u, true)) },
	}
}

func topField[T any](name string, get func(*CustomerUpdate) *Field[T]) updateField {
	return field(name, func(u *CustomerUpdate, _ bool) *Field[T] { return get(u) })
}

func upwellField[T any](name string, get func(*UpwellFields) *Field[T]) updateField {
	return field(name, func(u *CustomerUpdate, alloc bool) *Field[T] {
		if u.Upwell == nil {
			if !alloc {
				return nil
			}
			u.Upwell = &UpwellFields{}
		}
		return get(u.Upwell)
	})
}

func billbeeField[T any](name string, get func(*BillbeeFields) *Field[T]) updateField {
	return field(name, func(u *CustomerUpdate, alloc bool) *Field[T] {
		if u.Billbee == nil {
			if !alloc {
				return nil
			}
			u.Billbee = &BillbeeFields{}
		}
		return get(u.Billbee)
	})
}

// updateFields lists every field but the ID, in documentation order.
var updateFields = []updateField{
	{
		name:   fieldname.SourceSystem,
		kind:   KindText,
		isSet:  func(u *CustomerUpdate) bool { return u.SourceSystem != "" },
		drop:   func(u *CustomerUpdate) { u.SourceSystem = "" },
		decode: decodeIdentifier(func(u *CustomerUpdate) *string { return &u.SourceSystem }),
	},
	topField(fieldname.Name, func(u *CustomerUpdate) *Field[string] { return &u.Name }),
	topField(fieldname.FirstName, func(u *CustomerUpdate) *Field[string] { return &u.FirstName }),
	topField(fieldname.LastName, func(u *CustomerUpdate) *Field[string] { return &u.LastName }),
	topField(fieldname.Email, func(u *CustomerUpdate) *Field[string] { return &u.Email }),
	{
		name:   fieldname.CCEmails,
		kind:   KindTextList,
		isSet:  func(u *CustomerUpdate) bool { return !u.CCEmails.IsAbsent() },
		drop:   func(u *CustomerUpdate) { u.CCEmails = Field[[]string]{} },
		decode: decodeEmailList,
	},
	topField(fieldname.Phone, func(u *CustomerUpdate) *Field[string] { return &u.Phone }),
	topField(fieldname.VATID, func(u *CustomerUpdate) *Field[string] { return &u.VATID }),
	topField(fieldname.Metadata, func(u *CustomerUpdate) *Field[JSONObject] { return &u.Metadata }),
	topField(fieldname.ModifiedAt, func(u *CustomerUpdate) *Field[time.Time] { return &u.ModifiedAt }),
	upwellField(fieldname.UpwellBillToCustomerID, func(f *UpwellFields) *Field[string] { return &f.BillToCustomerID }),
	upwellField(fieldname.UpwellDueOption, func(f *UpwellFields) *Field[int32] { return &f.DueOption }),
	billbeeField(fieldname.BillbeePriceGroupID, func(f *BillbeeFields) *Field[int64] { return &f.PriceGroupID }),
	billbeeField(fieldname.BillbeeLanguageID, func(f *BillbeeFields) *Field[int32] { return &f.LanguageID }),
	billbeeField(fieldname.BillbeeType, func(f *BillbeeFields) *Field[int32] { return &f.Type }),
	billbeeField(fieldname.BillbeeNumber, func(f *BillbeeFields) *Field[int32] { return &f.Number }),
}

// decodeIdentifier reads an identifier other than the id: leaving the key
// out is how to say "the default"; an explicit null or "" is refused rather
// than silently read as the default.
func decodeIdentifier(get func(*CustomerUpdate) *string) func(*CustomerUpdate, json.RawMessage) error {
	return func(u *CustomerUpdate, raw json.RawMessage) error {
		if string(bytes.TrimSpace(raw)) == "null" {
			return errors.New("is null; leave the key out to use the default")
		}
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		if v == "" {
			return errors.New(`is ""; leave the key out to use the default`)
		}
		*get(u) = v
		return nil
	}
}

// decodeEmailList reads ccEmails item by item, so a null item is named as
// such instead of surfacing later as an empty string.
func decodeEmailList(u *CustomerUpdate, raw json.RawMessage) error {
	if string(bytes.TrimSpace(raw)) == "null" {
		u.CCEmails = Clear[[]string]()
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return err
	}
	list := make([]string, len(items))
	for i, item := range items {
		if string(bytes.TrimSpace(item)) == "null" {
			return &Error{Code: InvalidArgument, Field: fmt.Sprintf("%s[%d]", fieldname.CCEmails, i),
				Message: fmt.Sprintf("%s[%d]: is null; the list holds e-mail addresses (null for the whole list clears it)", fieldname.CCEmails, i)}
		}
		if err := json.Unmarshal(item, &list[i]); err != nil {
			return &Error{Code: InvalidArgument, Field: fmt.Sprintf("%s[%d]", fieldname.CCEmails, i),
				Message: fmt.Sprintf("%s[%d]: %s", fieldname.CCEmails, i, jsonErrorMessage(err))}
		}
	}
	u.CCEmails = Set(list)
	return nil
}

// FieldNames lists every portable field name, "id" first, in documentation order.
func FieldNames() []string {
	names := []string{fieldname.ID}
	for _, f := range updateFields {
		names = append(names, f.name)
	}
	return names
}

// FieldKind is the kind of value a field of a CustomerUpdate holds, for
// inputs that write each value as text (such as a CSV cell) and must
// convert it before it is an update.
type FieldKind uint8

// The kinds of fields.
const (
	KindText     FieldKind = iota + 1 // a string
	KindInt32                         // a whole number of 32 bits
	KindInt64                         // a whole number of 64 bits
	KindTime                          // an instant: RFC 3339 with its offset in JSON
	KindTextList                      // a list of strings (ccEmails)
	KindObject                        // a JSON object (metadata)
)

func (k FieldKind) String() string {
	switch k {
	case KindText:
		return "text"
	case KindInt32:
		return "int32"
	case KindInt64:
		return "int64"
	case KindTime:
		return "time"
	case KindTextList:
		return "text list"
	case KindObject:
		return "object"
	}
	return fmt.Sprintf("FieldKind(%d)", uint8(k))
}

// kindOf is the kind of a Field[T] of the update.
func kindOf[T any]() FieldKind {
	switch any(*new(T)).(type) {
	case string:
		return KindText
	case int32:
		return KindInt32
	case int64:
		return KindInt64
	case time.Time:
		return KindTime
	case []string:
		return KindTextList
	case JSONObject:
		return KindObject
	}
	panic(fmt.Sprintf("adapter: no field kind for %T", *new(T)))
}

// FieldKindOf returns the kind of the field named name, a portable field
// name as FieldNames lists them ("id" is KindText), or 0 when no field
// has that name.
func FieldKindOf(name string) FieldKind {
	if name == fieldname.ID {
		return KindText
	}
	for _, f := range updateFields {
		if f.name == name {
			return f.kind
		}
	}
	return 0
}

// SetFields lists the fields u sets or clears (not "id"), in documentation order.
func (u *CustomerUpdate) SetFields() []string { return fieldNames(u.setMask()) }

// ClearedFields lists the fields u clears, in documentation order: those
// it sets to null, and those it sets to an empty value (text that is ""
// or only spaces, an empty ccEmails list, an empty metadata object).
// Update refuses empty text (null is how to clear a field), but an input
// that holds it says the value is gone all the same. Every field listed
// is in SetFields too.
func (u *CustomerUpdate) ClearedFields() []string { return fieldNames(u.clearMask()) }

// clearMask is the set of fields u clears, as ClearedFields says, bit i
// for updateFields[i] (TestTheClearMaskFollowsTheFieldTable holds the two
// together).
func (u *CustomerUpdate) clearMask() fieldMask {
	var m fieldMask
	clears := func(i int, cleared bool) {
		if cleared {
			m |= 1 << i
		}
	}
	text := func(f Field[string]) bool {
		v, ok := f.Value()
		return f.IsNull() || ok && strings.TrimSpace(v) == ""
	}
	clears(1, text(u.Name))
	clears(2, text(u.FirstName))
	clears(3, text(u.LastName))
	clears(4, text(u.Email))
	list, ok := u.CCEmails.Value()
	clears(5, u.CCEmails.IsNull() || ok && len(list) == 0)
	clears(6, text(u.Phone))
	clears(7, text(u.VATID))
	obj, ok := u.Metadata.Value()
	clears(8, u.Metadata.IsNull() || ok && len(obj) == 0)
	clears(9, u.ModifiedAt.IsNull())
	if w := u.Upwell; w != nil {
		clears(10, text(w.BillToCustomerID))
		clears(11, w.DueOption.IsNull())
	}
	if b := u.Billbee; b != nil {
		clears(12, b.PriceGroupID.IsNull())
		clears(13, b.LanguageID.IsNull())
		clears(14, b.Type.IsNull())
		clears(15, b.Number.IsNull())
	}
	return m
}

// fieldMask is a set of fields: bit i stands for updateFields[i].
type fieldMask uint32

// sourceSystemBit is the sourceSystem field's bit: updateFields starts
// with it (TestAFieldMaskHoldsEveryField).
const sourceSystemBit fieldMask = 1

// setMask is the set of fields u sets or clears, read straight from the
// fields (this runs for every update; the table's closures cost more than
// the checks), bit i for updateFields[i]
// (TestTheFieldMaskFollowsTheFieldTable holds the two together).
func (u *CustomerUpdate) setMask() fieldMask {
	var m fieldMask
	set := func(i int, isSet bool) {
		if isSet {
			m |= 1 << i
		}
	}
	set(0, u.SourceSystem != "")
	set(1, !u.Name.IsAbsent())
	set(2, !u.FirstName.IsAbsent())
	set(3, !u.LastName.IsAbsent())
	set(4, !u.Email.IsAbsent())
	set(5, !u.CCEmails.IsAbsent())
	set(6, !u.Phone.IsAbsent())
	set(7, !u.VATID.IsAbsent())
	set(8, !u.Metadata.IsAbsent())
	set(9, !u.ModifiedAt.IsAbsent())
	if w := u.Upwell; w != nil {
		set(10, !w.BillToCustomerID.IsAbsent())
		set(11, !w.DueOption.IsAbsent())
	}
	if b := u.Billbee; b != nil {
		set(12, !b.PriceGroupID.IsAbsent())
		set(13, !b.LanguageID.IsAbsent())
		set(14, !b.Type.IsAbsent())
		set(15, !b.Number.IsAbsent())
	}
	return m
}

// fieldNames lists the fields of m in documentation order, in one
// allocation (none when m is empty): this runs for every update.
func fieldNames(m fieldMask) []string {
	n := bits.OnesCount32(uint32(m))
	if n == 0 {
		return nil
	}
	names := make([]string, 0, n)
	for i, f := range updateFields {
		if m&(1<<i) != 0 {
			names = append(names, f.name)
		}
	}
	return names
}

// without returns a copy of u with the named fields made absent.
func (u *CustomerUpdate) without(names []string) *CustomerUpdate {
	c := *u
	if u.Upwell != nil {
		up := *u.Upwell
		c.Upwell = &up
	}
	if u.Billbee != nil {
		bb := *u.Billbee
		c.Billbee = &bb
	}
	for _, f := range updateFields {
		for _, n := range names {
			if f.name == n {
				f.drop(&c)
			}
		}
	}
	return &c
}
