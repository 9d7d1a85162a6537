package adapter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Mismatch is a field the vendor confirmed but did not store as sent: what
// the update sent and what the vendor's answer says it stored, both as
// JSON. Drivers whose vendor answers with the stored record (Upwell's
// returning, Billbee's PUT answer) compare every field they sent with it;
// BlueTape answers with an id only, so its updates carry no mismatches.
//
// Vendors normalise some values, and those differences do not count:
//
//   - email and ccEmails: letter case and surrounding spaces
//     ("Ap@Acme.example" stored as "ap@acme.example");
//   - phone: everything but the digits, and "+" written as "00"
//     ("+49 30 1234-56" stored as "0049301234 56");
//   - vatId: spaces, dots and dashes, and letter case ("de 123.456.789"
//     stored as "DE123456789");
//   - a cleared field stored as "" or [] instead of null.
//
// Every other difference counts: another text, another number (compared
// exactly, 1e400 included), a field set but stored empty, a field cleared
// but still stored. A field the answer does not show is not checked. With
// WithStrict a mismatch fails the update (it was applied all the same).
type Mismatch struct {
	Field  string          `json:"field"`  // portable field name
	Sent   json.RawMessage `json:"sent"`   // the value sent; null for a clear
	Stored json.RawMessage `json:"stored"` // the value the vendor says it stored
}

func (m Mismatch) String() string {
	return fmt.Sprintf("%s: sent %s, stored %s", m.Field, m.Sent, m.Stored)
}

// Verifier collects the mismatches between an update and a stored record;
// drivers use it with VerifyField. The zero value is ready to use.
type Verifier struct{ list []Mismatch }

// Mismatches returns what was collected, nil when everything matched.
func (v *Verifier) Mismatches() []Mismatch { return v.list }

// VerifyField compares one field of an update with column of the stored
// record (raw JSON by column name) and records a mismatch. Absent fields
// and columns the record does not show are not checked.
func VerifyField[T any](v *Verifier, field string, f Field[T], stored map[string]json.RawMessage, column string) {
	if f.IsAbsent() {
		return
	}
	if got, ok := stored[column]; ok {
		VerifyStored(v, field, f, got)
	}
}

// VerifyStored compares one field of an update with its stored value
// (raw JSON; nil when the record does not show it) and records a
// mismatch, for drivers that decode the stored record into a struct
// rather than a map. Absent fields and nil values are not checked.
func VerifyStored[T any](v *Verifier, field string, f Field[T], stored json.RawMessage) {
	if f.IsAbsent() || stored == nil {
		return
	}
	sent := json.RawMessage("null")
	if value, set := f.Value(); set {
		if encodedAs(value, bytes.TrimSpace(stored)) {
			return // stored exactly as encoding/json writes value
		}
		b, err := json.Marshal(value)
		if err != nil {
			return // not a value we could have sent
		}
		sent = b
	}
	v.Compare(field, sent, stored)
}

// encodedAs reports, without allocating, whether raw is exactly what
// json.Marshal writes for value, for the common kinds of fields (text and
// integers). false means only "not known here": the caller then encodes
// value and compares as usual, so no mismatch is missed or invented.
func encodedAs(value any, raw []byte) bool {
	switch x := value.(type) {
	case string:
		return len(raw) == len(x)+2 && raw[0] == '"' && raw[len(raw)-1] == '"' &&
			string(raw[1:len(raw)-1]) == x && plainJSONText(x)
	case int32:
		var buf [24]byte
		return bytes.Equal(strconv.AppendInt(buf[:0], int64(x), 10), raw)
	case int64:
		var buf [24]byte
		return bytes.Equal(strconv.AppendInt(buf[:0], x, 10), raw)
	}
	return false
}

// plainJSONText reports whether encoding/json writes s as itself between
// quotes: printable ASCII, without the characters it escapes (the quote,
// the backslash, and <, >, & for HTML safety).
func plainJSONText[S ~string | ~[]byte](s S) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// Compare compares one field as it was sent (its JSON on the wire; nil
// when not sent) with the stored column (nil when the record has none),
// for drivers that keep the bytes they sent and so need not encode the
// value again. Either nil: nothing to compare.
func (v *Verifier) Compare(field string, sent, stored json.RawMessage) {
	if sent == nil || stored == nil {
		return
	}
	if !storedAsSent(field, sent, stored) {
		v.list = append(v.list, Mismatch{Field: field, Sent: sent, Stored: bytes.TrimSpace(stored)})
	}
}

// storedAsSent reports whether stored is sent, up to the normalisations
// Mismatch documents for the field.
func storedAsSent(field string, sent, stored json.RawMessage) bool {
	stored = bytes.TrimSpace(stored)
	if bytes.Equal(sent, stored) {
		return true // the common case, without decoding anything
	}
	if len(sent) > 0 && sent[0] == '"' && len(stored) > 0 && stored[0] == '"' {
		var a, b string
		if json.Unmarshal(sent, &a) == nil && json.Unmarshal(stored, &b) == nil {
			if norm := normaliserFor(field); norm != nil {
				return norm(a) == norm(b)
			}
			return a == b
		}
	}
	s, errS := decodeExact(sent)
	g, errG := decodeExact(stored)
	if errS != nil || errG != nil {
		return bytes.Equal(bytes.TrimSpace(sent), bytes.TrimSpace(stored))
	}
	if s == nil {
		return g == nil || g == "" || isEmptyList(g)
	}
	return equalJSON(s, g, normaliserFor(field))
}

func isEmptyList(v any) bool {
	l, ok := v.([]any)
	return ok && len(l) == 0
}

func normaliserFor(field string) func(string) string {
	switch field {
	case FieldEmail, FieldCCEmails:
		return func(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
	case FieldPhone:
		return normalPhone
	case FieldVATID:
		return func(s string) string {
			return strings.ToUpper(strings.Map(func(r rune) rune {
				if unicode.IsSpace(r) || r == '.' || r == '-' {
					return -1
				}
				return r
			}, s))
		}
	}
	return nil
}

// normalPhone keeps the digits, with a leading "+" written as "00".
func normalPhone(s string) string {
	s = strings.TrimSpace(s)
	var b strings.Builder
	if strings.HasPrefix(s, "+") {
		b.WriteString("00")
	}
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// decodeExact decodes JSON keeping numbers as json.Number.
func decodeExact(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// equalJSON compares decoded JSON values: numbers by value, exactly;
// strings through norm when given.
func equalJSON(a, b any, norm func(string) string) bool {
	switch a := a.(type) {
	case string:
		b, ok := b.(string)
		if !ok {
			return false
		}
		if norm != nil {
			return norm(a) == norm(b)
		}
		return a == b
	case json.Number:
		b, ok := b.(json.Number)
		return ok && equalNumbers(a, b)
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, va := range a {
			vb, ok := b[k]
			if !ok || !equalJSON(va, vb, norm) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !equalJSON(a[i], b[i], norm) {
				return false
			}
		}
		return true
	default: // bool, nil
		return a == b
	}
}

// equalNumbers compares two JSON numbers by value, exactly: 1e400 equals
// 10e399, 1.0 equals 1, and no float64 rounding is involved. It compares
// their canonical forms (the digest's, canonicalNumber), which work on
// the digits and so stay cheap for any exponent.
func equalNumbers(a, b json.Number) bool {
	if a == b {
		return true
	}
	ca, errA := canonicalNumber(string(a))
	cb, errB := canonicalNumber(string(b))
	return errA == nil && errB == nil && ca == cb
}

// StoredString returns the text of a JSON string, and false for anything
// else (null, a number, an object, nothing): drivers read the few values
// they need from vendor answers with it, never failing on another shape.
func StoredString(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	if n := len(raw); n >= 2 && raw[n-1] == '"' && plainJSONText(raw[1:n-1]) {
		return string(raw[1 : n-1]), true // nothing to unescape
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}
