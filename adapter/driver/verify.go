package driver

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/internal/canonical"
	"github.com/custsync/custsync/adapter/internal/fieldname"
)

// Verifier collects the mismatches between an update and a stored record;
// drivers use it with VerifyField. The zero value is ready to use.
type Verifier struct{ list []adapter.Mismatch }

// Mismatches returns what was collected, nil when everything matched.
func (v *Verifier) Mismatches() []adapter.Mismatch { return v.list }

// VerifyField compares one field of an update with column of the stored
// record (raw JSON by column name) and records a mismatch. Absent fields
// and columns the record does not show are not checked.
func VerifyField[T any](v *Verifier, field string, f adapter.Field[T], stored map[string]json.RawMessage, column string) {
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
func VerifyStored[T any](v *Verifier, field string, f adapter.Field[T], stored json.RawMessage) {
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
		v.list = append(v.list, adapter.Mismatch{Field: field, Sent: sent, Stored: bytes.TrimSpace(stored)})
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
	case fieldname.Email, fieldname.CCEmails:
		return func(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
	case fieldname.Phone:
		return normalPhone
	case fieldname.VATID:
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
// their canonical forms (canonical.Number, as the digest does), which
// work on the digits and so stay cheap for any exponent.
func equalNumbers(a, b json.Number) bool {
	if a == b {
		return true
	}
	ca, errA := canonical.Number(string(a))
	cb, errB := canonical.Number(string(b))
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
