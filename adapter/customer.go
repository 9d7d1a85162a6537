package adapter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"net/mail"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// CustomerUpdate is a change to one customer, in the portable model every
// driver accepts. ID says which customer; every other field is a [Field]:
// absent fields are left alone, cleared fields are emptied, set fields are
// written. A field a vendor cannot store fails the update with
// InvalidArgument naming it, unless the call is lenient (see [WithLenient]).
//
// Its JSON form (the canonical form the CLI reads) uses the json names
// below; vendor-only fields sit in an object named after the vendor:
//
//	{"id": "C-1001", "name": "Acme Corp", "vatId": null, "upwell": {"dueOption": 30}}
type CustomerUpdate struct {
	// ID is the key the vendor addresses the customer by: Upwell's
	// sourceSystemId, BlueTape's integrator id, Billbee's numeric id written
	// as a string ("100000150176895").
	ID string `json:"id"`
	// SourceSystem completes Upwell's key; when empty the client's default
	// (upwell.Config.SourceSystem, UPWELL_SOURCE_SYSTEM) is used.
	SourceSystem string `json:"sourceSystem,omitempty"`

	Name       Field[string]     `json:"name,omitzero"`
	FirstName  Field[string]     `json:"firstName,omitzero"`
	LastName   Field[string]     `json:"lastName,omitzero"`
	Email      Field[string]     `json:"email,omitzero"`
	CCEmails   Field[[]string]   `json:"ccEmails,omitzero"`
	Phone      Field[string]     `json:"phone,omitzero"`
	VATID      Field[string]     `json:"vatId,omitzero"`
	Metadata   Field[JSONObject] `json:"metadata,omitzero"`
	ModifiedAt Field[time.Time]  `json:"modifiedAt,omitzero"` // RFC 3339 in JSON

	Upwell  *UpwellFields  `json:"upwell,omitempty"`
	Billbee *BillbeeFields `json:"billbee,omitempty"`
}

// UpwellFields are fields only Upwell stores.
type UpwellFields struct {
	BillToCustomerID Field[string] `json:"billToCustomerId,omitzero"`
	DueOption        Field[int32]  `json:"dueOption,omitzero"` // customerRulesInput.dueOption
}

// BillbeeFields are fields only Billbee stores.
type BillbeeFields struct {
	PriceGroupID Field[int64] `json:"priceGroupId,omitzero"`
	LanguageID   Field[int32] `json:"languageId,omitzero"`
	Type         Field[int32] `json:"type,omitzero"` // 0 = end customer, 1 = business customer
	Number       Field[int32] `json:"number,omitzero"`
}

// JSONObject is a JSON object whose numbers keep every digit (they decode
// as json.Number, not float64), so metadata passes through unchanged.
type JSONObject map[string]any

// UnmarshalJSON decodes an object, keeping numbers exact.
func (o *JSONObject) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return err
	}
	if m == nil {
		return errors.New("want a JSON object")
	}
	if hasLoneSurrogate(b) {
		return errors.New(`holds an unpaired surrogate escape (\uD800 to \uDFFF), which is no character and would be stored as U+FFFD`)
	}
	*o = m
	return nil
}

// Portable field names: the canonical JSON names, with vendor-only fields
// written "<vendor>.<field>". Errors, results and the support matrix use them.
const (
	FieldID                     = "id"
	FieldSourceSystem           = "sourceSystem"
	FieldName                   = "name"
	FieldFirstName              = "firstName"
	FieldLastName               = "lastName"
	FieldEmail                  = "email"
	FieldCCEmails               = "ccEmails"
	FieldPhone                  = "phone"
	FieldVATID                  = "vatId"
	FieldMetadata               = "metadata"
	FieldModifiedAt             = "modifiedAt"
	FieldUpwellBillToCustomerID = "upwell.billToCustomerId"
	FieldUpwellDueOption        = "upwell.dueOption"
	FieldBillbeePriceGroupID    = "billbee.priceGroupId"
	FieldBillbeeLanguageID      = "billbee.languageId"
	FieldBillbeeType            = "billbee.type"
	FieldBillbeeNumber          = "billbee.number"
)

// updateField gives table-driven access to one field of a CustomerUpdate,
// so listing, dropping and validating fields need no reflection.
type updateField struct {
	name   string
	isSet  func(*CustomerUpdate) bool
	drop   func(*CustomerUpdate)
	decode func(*CustomerUpdate, json.RawMessage) error
}

// field describes a Field of CustomerUpdate. get returns nil when the field
// lives in a vendor section u does not have; alloc creates that section.
func field[T any](name string, get func(u *CustomerUpdate, alloc bool) *Field[T]) updateField {
	return updateField{
		name:  name,
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
		name:   FieldSourceSystem,
		isSet:  func(u *CustomerUpdate) bool { return u.SourceSystem != "" },
		drop:   func(u *CustomerUpdate) { u.SourceSystem = "" },
		decode: decodeIdentifier(func(u *CustomerUpdate) *string { return &u.SourceSystem }),
	},
	topField(FieldName, func(u *CustomerUpdate) *Field[string] { return &u.Name }),
	topField(FieldFirstName, func(u *CustomerUpdate) *Field[string] { return &u.FirstName }),
	topField(FieldLastName, func(u *CustomerUpdate) *Field[string] { return &u.LastName }),
	topField(FieldEmail, func(u *CustomerUpdate) *Field[string] { return &u.Email }),
	{
		name:   FieldCCEmails,
		isSet:  func(u *CustomerUpdate) bool { return !u.CCEmails.IsAbsent() },
		drop:   func(u *CustomerUpdate) { u.CCEmails = Field[[]string]{} },
		decode: decodeEmailList,
	},
	topField(FieldPhone, func(u *CustomerUpdate) *Field[string] { return &u.Phone }),
	topField(FieldVATID, func(u *CustomerUpdate) *Field[string] { return &u.VATID }),
	topField(FieldMetadata, func(u *CustomerUpdate) *Field[JSONObject] { return &u.Metadata }),
	topField(FieldModifiedAt, func(u *CustomerUpdate) *Field[time.Time] { return &u.ModifiedAt }),
	upwellField(FieldUpwellBillToCustomerID, func(f *UpwellFields) *Field[string] { return &f.BillToCustomerID }),
	upwellField(FieldUpwellDueOption, func(f *UpwellFields) *Field[int32] { return &f.DueOption }),
	billbeeField(FieldBillbeePriceGroupID, func(f *BillbeeFields) *Field[int64] { return &f.PriceGroupID }),
	billbeeField(FieldBillbeeLanguageID, func(f *BillbeeFields) *Field[int32] { return &f.LanguageID }),
	billbeeField(FieldBillbeeType, func(f *BillbeeFields) *Field[int32] { return &f.Type }),
	billbeeField(FieldBillbeeNumber, func(f *BillbeeFields) *Field[int32] { return &f.Number }),
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
			return &Error{Code: InvalidArgument, Field: fmt.Sprintf("%s[%d]", FieldCCEmails, i),
				Message: fmt.Sprintf("%s[%d]: is null; the list holds e-mail addresses (null for the whole list clears it)", FieldCCEmails, i)}
		}
		if err := json.Unmarshal(item, &list[i]); err != nil {
			return &Error{Code: InvalidArgument, Field: fmt.Sprintf("%s[%d]", FieldCCEmails, i),
				Message: fmt.Sprintf("%s[%d]: %s", FieldCCEmails, i, jsonErrorMessage(err))}
		}
	}
	u.CCEmails = Set(list)
	return nil
}

// FieldNames lists every portable field name, "id" first, in documentation order.
func FieldNames() []string {
	names := []string{FieldID}
	for _, f := range updateFields {
		names = append(names, f.name)
	}
	return names
}

// SetFields lists the fields u sets or clears (not "id"), in documentation order.
func (u *CustomerUpdate) SetFields() []string { return fieldNames(u.setMask()) }

// fieldMask is a set of fields: bit i stands for updateFields[i].
type fieldMask uint32

// sourceSystemBit is FieldSourceSystem's bit: updateFields starts with it
// (TestAFieldMaskHoldsEveryField).
const sourceSystemBit fieldMask = 1

// setMask is the set of fields u sets or clears, in one pass.
func (u *CustomerUpdate) setMask() fieldMask {
	var m fieldMask
	for i, f := range updateFields {
		if f.isSet(u) {
			m |= 1 << i
		}
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

// ParseCustomerUpdate reads one update in the canonical JSON form. Unknown
// or duplicate keys, wrong types, text that is not valid UTF-8 and
// trailing data are InvalidArgument errors naming the key.
func ParseCustomerUpdate(data []byte) (*CustomerUpdate, error) {
	var u CustomerUpdate
	if err := json.Unmarshal(data, &u); err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, e
		}
		return nil, invalidArgument("", "%s", jsonErrorMessage(err))
	}
	return &u, nil
}

// The keys the canonical form accepts, derived from the field table so the
// two cannot disagree: top-level keys, and the keys of each vendor section.
var topLevelKeys, vendorKeys = canonicalKeys()

func canonicalKeys() (map[string]bool, map[string]map[string]bool) {
	top := map[string]bool{FieldID: true}
	sections := map[string]map[string]bool{}
	for _, f := range updateFields {
		section, name, ok := strings.Cut(f.name, ".")
		if !ok {
			top[f.name] = true
			continue
		}
		if sections[section] == nil {
			sections[section] = map[string]bool{}
		}
		top[section] = true
		sections[section][name] = true
	}
	return top, sections
}

// UnmarshalJSON reads the canonical form key by key, so every error names
// its field, and refuses unknown keys (at the top and in the vendor
// sections) so a typo never silently updates nothing. It also refuses
// what encoding/json would change without a word: a key given twice
// (the last would win, even for "id") and text that is not valid UTF-8
// (it would be stored with U+FFFD in place of the bad bytes).
func (u *CustomerUpdate) UnmarshalJSON(data []byte) error {
	var top map[string]json.RawMessage
	if err := strictUnmarshal(data, &top); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field == "" {
			return invalidArgument("", "want one JSON object (one customer update), got a JSON %s", te.Value)
		}
		return invalidArgument("", "want one JSON object: %s", jsonErrorMessage(err))
	}
	if top == nil {
		return invalidArgument("", "want one JSON object (one customer update), got null")
	}
	if key, dup := duplicateKey(data); dup {
		return invalidArgument(key, "is given more than once; each key may appear once")
	}
	if !validText(data) {
		return invalidUTF8(top)
	}
	if err := checkKeys("", top, topLevelKeys); err != nil {
		return err
	}
	values := map[string]json.RawMessage{}
	for key, raw := range top {
		if vendorKeys[key] == nil {
			values[key] = raw
			continue
		}
		if string(raw) == "null" {
			continue
		}
		var section map[string]json.RawMessage
		if err := json.Unmarshal(raw, &section); err != nil {
			return invalidArgument(key, "want a JSON object")
		}
		if err := checkKeys(key+".", section, vendorKeys[key]); err != nil {
			return err
		}
		for name, v := range section {
			values[key+"."+name] = v
		}
	}
	var out CustomerUpdate
	if raw, ok := values[FieldID]; ok {
		if err := json.Unmarshal(raw, &out.ID); err != nil {
			return invalidArgument(FieldID, "want a string (write a Billbee id as \"100000150176895\"), got %s", excerpt(raw, 40))
		}
	}
	for _, f := range updateFields {
		raw, ok := values[f.name]
		if !ok {
			continue
		}
		if err := f.decode(&out, raw); err != nil {
			var e *Error
			if errors.As(err, &e) {
				return e
			}
			return invalidArgument(f.name, "%s", jsonErrorMessage(err))
		}
	}
	*u = out
	return nil
}

// duplicateKey finds the first key that appears twice in one object, at
// any depth, and names it as the errors do ("id", "upwell.dueOption",
// "metadata.limits.max"). Malformed JSON finds none: the decoder that runs
// next reports it.
func duplicateKey(data []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var walk func(path string) (string, bool, error)
	walk = func(path string) (string, bool, error) {
		tok, err := dec.Token()
		if err != nil {
			return "", false, err
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return "", false, err
				}
				key, _ := k.(string)
				name := key
				if path != "" {
					name = path + "." + key
				}
				if seen[key] {
					return name, true, nil
				}
				seen[key] = true
				if name, dup, err := walk(name); dup || err != nil {
					return name, dup, err
				}
			}
			_, err = dec.Token()
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if name, dup, err := walk(fmt.Sprintf("%s[%d]", path, i)); dup || err != nil {
					return name, dup, err
				}
			}
			_, err = dec.Token()
		}
		return "", false, err
	}
	name, dup, _ := walk("")
	return name, dup
}

// invalidUTF8 names the field whose raw value holds bytes that are not
// UTF-8 (json.RawMessage keeps them as sent), or says a key does.
func invalidUTF8(top map[string]json.RawMessage) error {
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		raw := top[k]
		if validText(raw) {
			continue
		}
		if vendorKeys[k] != nil {
			var section map[string]json.RawMessage
			if json.Unmarshal(raw, &section) == nil {
				names := make([]string, 0, len(section))
				for n := range section {
					names = append(names, n)
				}
				sort.Strings(names)
				for _, n := range names {
					if !validText(section[n]) {
						return invalidArgument(k+"."+n, "is not valid UTF-8; fix the file's encoding (nothing was sent)")
					}
				}
			}
		}
		return invalidArgument(k, "is not valid UTF-8; fix the file's encoding (nothing was sent)")
	}
	return invalidArgument("", "a key is not valid UTF-8; fix the file's encoding (nothing was sent)")
}

// validText reports whether raw JSON is UTF-8 and escapes no lone
// surrogate: encoding/json turns both into U+FFFD without an error, and
// the vendor would store that in place of what the file meant.
func validText(raw []byte) bool {
	return utf8.Valid(raw) && !hasLoneSurrogate(raw)
}

// hasLoneSurrogate reports whether raw JSON holds a \u escape of a UTF-16
// surrogate (U+D800 to U+DFFF) that is not a high one followed by a low
// one. Backslashes occur only inside strings in JSON, so no tokenizing is
// needed.
func hasLoneSurrogate(raw []byte) bool {
	hex4 := func(i int) (rune, bool) {
		if i+6 > len(raw) || raw[i] != '\\' || raw[i+1] != 'u' {
			return 0, false
		}
		v, err := strconv.ParseUint(string(raw[i+2:i+6]), 16, 16)
		return rune(v), err == nil
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		r, ok := hex4(i)
		if !ok {
			i++ // an escape such as \\ or \n: skip its second byte
			continue
		}
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return true // a low surrogate with no high one before it
		case r >= 0xD800 && r <= 0xDBFF:
			low, ok := hex4(i + 6)
			if !ok || low < 0xDC00 || low > 0xDFFF {
				return true
			}
			i += 11
		default:
			i += 5
		}
	}
	return false
}

// strictUnmarshal is json.Unmarshal that also refuses data after the value.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

func checkKeys(prefix string, got map[string]json.RawMessage, allowed map[string]bool) error {
	var unknown []string
	for k := range got {
		if !allowed[k] {
			unknown = append(unknown, prefix+k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return invalidArgument(unknown[0], "unknown field (known: %s)", strings.Join(knownKeys(prefix, allowed), ", "))
}

func knownKeys(prefix string, allowed map[string]bool) []string {
	var out []string
	for k := range allowed {
		out = append(out, prefix+k)
	}
	sort.Strings(out)
	return out
}

func jsonErrorMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("want %s, got JSON %s", goTypeName(te.Type.String()), te.Value)
	}
	var pe *time.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("want an RFC 3339 date-time, got %q", pe.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func goTypeName(t string) string {
	switch t {
	case "string":
		return "a string"
	case "int32", "int64":
		return "an integer (" + t + ")"
	case "[]string":
		return "an array of strings"
	case "adapter.JSONObject", "map[string]interface {}":
		return "a JSON object"
	case "time.Time":
		return "an RFC 3339 date-time string"
	}
	return t
}

// validate checks what holds for every vendor. Drivers check the rest.
func (u *CustomerUpdate) validate() error {
	if strings.TrimSpace(u.ID) == "" {
		return invalidArgument(FieldID, "is empty; it names the customer to update")
	}
	if err := checkText(FieldID, u.ID); err != nil {
		return err
	}
	if u.ID != strings.TrimSpace(u.ID) {
		// Refused rather than trimmed: "C-1001 " may be another key at the
		// vendor, and nothing is changed silently.
		return invalidArgument(FieldID, "%q has leading or trailing spaces", u.ID)
	}
	if id := strings.TrimSpace(u.ID); id == "." || id == ".." {
		// Ids go into URL paths, where "." and ".." are dot-segments that
		// URL resolution removes: the request would go to another resource.
		return invalidArgument(FieldID, "%q cannot be a customer id", id)
	}
	if u.SourceSystem != "" {
		if err := checkIdentifier(FieldSourceSystem, u.SourceSystem); err != nil {
			return err
		}
	}
	for _, s := range []struct {
		name string
		f    Field[string]
	}{
		{FieldName, u.Name}, {FieldFirstName, u.FirstName}, {FieldLastName, u.LastName},
		{FieldEmail, u.Email}, {FieldPhone, u.Phone}, {FieldVATID, u.VATID},
	} {
		if v, ok := s.f.Value(); ok {
			if err := checkText(s.name, v); err != nil {
				return err
			}
		}
	}
	if v, ok := u.Email.Value(); ok {
		if err := checkEmail(FieldEmail, v); err != nil {
			return err
		}
	}
	if list, ok := u.CCEmails.Value(); ok {
		if list == nil {
			// A nil slice would go out as null and clear the list unasked.
			return invalidArgument(FieldCCEmails, "is a nil list; set an empty list, or use null to clear")
		}
		for i, v := range list {
			name := fmt.Sprintf("%s[%d]", FieldCCEmails, i)
			if err := checkText(name, v); err != nil {
				return err
			}
			if err := checkEmail(name, v); err != nil {
				return err
			}
		}
	}
	if m, ok := u.Metadata.Value(); ok {
		if m == nil {
			return invalidArgument(FieldMetadata, "want a JSON object; use null to clear")
		}
		if path, bad := invalidUTF8Value(FieldMetadata, map[string]any(m)); bad {
			return invalidArgument(path, "is not valid UTF-8")
		}
	}
	if t, ok := u.ModifiedAt.Value(); ok {
		if t.IsZero() {
			return invalidArgument(FieldModifiedAt, "is the zero time")
		}
		// Vendors take UTC, and RFC 3339 has four-digit years:
		// 9999-12-31T23:59:59-10:00 is in year 10000 there.
		if y := t.UTC().Year(); y < 1 || y > 9999 {
			return invalidArgument(FieldModifiedAt, "%s is in year %d in UTC; RFC 3339 allows years 0001 to 9999", t.Format(time.RFC3339Nano), y)
		}
	}
	if u.Upwell != nil {
		if v, ok := u.Upwell.BillToCustomerID.Value(); ok {
			if err := checkIdentifier(FieldUpwellBillToCustomerID, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkIdentifier is the rule for every identifier (id, sourceSystem,
// upwell.billToCustomerId): not empty, valid text, and no surrounding
// whitespace, which is refused rather than trimmed since "ACME " may be
// another key at the vendor.
func checkIdentifier(name, v string) error {
	if err := checkText(name, v); err != nil {
		return err
	}
	if v != strings.TrimSpace(v) {
		return invalidArgument(name, "%q has leading or trailing spaces", v)
	}
	return nil
}

// invalidUTF8Value finds a string or key in a decoded JSON value that is
// not valid UTF-8 (possible in values built in Go, not read from JSON).
func invalidUTF8Value(path string, v any) (string, bool) {
	if validUTF8Value(v) {
		return "", false // the common case, without building a path per key
	}
	switch v := v.(type) {
	case string:
		return path, !utf8.ValidString(v)
	case map[string]any:
		for k, e := range v {
			if !utf8.ValidString(k) {
				return path, true
			}
			if p, bad := invalidUTF8Value(path+"."+k, e); bad {
				return p, true
			}
		}
	case []any:
		for i, e := range v {
			if p, bad := invalidUTF8Value(fmt.Sprintf("%s[%d]", path, i), e); bad {
				return p, true
			}
		}
	}
	return "", false
}

// validUTF8Value reports whether every string and key in v is valid UTF-8.
func validUTF8Value(v any) bool {
	switch v := v.(type) {
	case string:
		return utf8.ValidString(v)
	case map[string]any:
		for k, e := range v {
			if !utf8.ValidString(k) || !validUTF8Value(e) {
				return false
			}
		}
	case []any:
		for _, e := range v {
			if !validUTF8Value(e) {
				return false
			}
		}
	}
	return true
}

// checkText refuses empty and control-character strings: an empty string
// is how spreadsheets say "unknown", and sending it would blank the
// vendor's value. Clearing is explicit: null.
func checkText(name, v string) error {
	if strings.TrimSpace(v) == "" {
		return invalidArgument(name, "is an empty string; use null to clear the field")
	}
	if !utf8.ValidString(v) {
		// encoding/json would send U+FFFD in place of the bad bytes.
		return invalidArgument(name, "is not valid UTF-8")
	}
	for _, r := range v {
		if unicode.IsControl(r) && r != '\t' {
			return invalidArgument(name, "contains a control character (%U)", r)
		}
	}
	return nil
}

func checkEmail(name, v string) error {
	if plainAddress(v) {
		return nil // what mail.ParseAddress accepts as it is, without parsing
	}
	addr, err := mail.ParseAddress(v)
	if err != nil || addr.Address != v {
		return invalidArgument(name, "%q is not a plain e-mail address", v)
	}
	return nil
}

// plainAddress reports whether v is local@domain, each a dot-atom of
// letters, digits and "+-_" (no leading, trailing or double dot): a subset
// of RFC 5322's addr-spec that mail.ParseAddress accepts with Address ==
// v, so checkEmail need not parse it. Anything else is parsed.
func plainAddress(v string) bool {
	local, domain, ok := strings.Cut(v, "@")
	return ok && plainDotAtom(local) && plainDotAtom(domain)
}

func plainDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '.', c == '+', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// excerpt returns at most n bytes of b as a printable string.
func excerpt(b []byte, n int) string {
	s := strings.ToValidUTF8(string(b), "?")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if len(s) > n {
		cut := n
		for cut > 0 && !utf8RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
