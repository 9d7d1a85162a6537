package adapter

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/custsync/custsync/adapter/internal/canonical"
	"github.com/custsync/custsync/adapter/internal/rawjson"
)

// canonicalWriter writes the canonical form (see CanonicalJSON) straight
// from an update's fields, with no reflection and no intermediate tree:
// the bulk engine digests every input record, most of which did not
// change. Its output must equal canonicalJSONByEncodingJSON's byte for
// byte, for stored digests to keep matching (the tests hold both to a
// frozen copy of that path); where proving that would be hard (metadata
// values of other Go types, very deep nesting, keys that are not UTF-8,
// values encoding/json refuses) it gives up, and the caller takes that
// path instead.
type canonicalWriter struct {
	buf []byte
	// keys is a stack of metadata keys being written: each object pushes
	// and sorts its own above those of the objects it is inside of.
	keys []string
}

var canonicalWriters = sync.Pool{New: func() any { return new(canonicalWriter) }}

// Writers that grew past these sizes for an unusual update are dropped
// rather than kept in the pool for every later one.
const (
	maxPooledCanonicalBytes = 64 << 10
	maxPooledCanonicalKeys  = 1 << 10
)

// maxCanonicalDepth bounds the nesting of metadata the writer follows,
// which also stops it on a map that holds itself; deeper metadata (real
// metadata is a few levels deep) takes the encoding/json path.
const maxCanonicalDepth = 100

func newCanonicalWriter() *canonicalWriter {
	w := canonicalWriters.Get().(*canonicalWriter)
	w.buf = w.buf[:0]
	return w
}

// release returns w to the pool; nothing it wrote may be used after.
func (w *canonicalWriter) release() {
	if cap(w.buf) > maxPooledCanonicalBytes || cap(w.keys) > maxPooledCanonicalKeys {
		return
	}
	clear(w.keys[:cap(w.keys)]) // do not keep the caller's strings alive
	w.keys = w.keys[:0]
	canonicalWriters.Put(w)
}

// update writes u's canonical form into w.buf and returns it, or returns
// nil when u holds something only the encoding/json path writes.
func (w *canonicalWriter) update(u *CustomerUpdate) []byte {
	// Members in the byte order of their keys, each followed by a comma
	// that closeObject replaces with the closing brace.
	b := w.buf[:0]
	b = append(b, '{')
	if s := u.Billbee; s != nil && *s != (BillbeeFields{}) {
		b = appendKey(b, "billbee")
		b = append(b, '{')
		b = appendIntMember(b, "languageId", s.LanguageID)
		b = appendIntMember(b, "number", s.Number)
		b = appendIntMember(b, "priceGroupId", s.PriceGroupID)
		b = appendIntMember(b, "type", s.Type)
		b = append(closeObject(b), ',')
	}
	if f := u.CCEmails; !f.IsAbsent() {
		b = appendKey(b, "ccEmails")
		if list, ok := f.Value(); ok && list != nil {
			b = append(b, '[')
			for i, s := range list {
				if i > 0 {
					b = append(b, ',')
				}
				b = rawjson.AppendString(b, s)
			}
			b = append(b, ']')
		} else {
			b = append(b, "null"...)
		}
		b = append(b, ',')
	}
	b = appendStringMember(b, "email", u.Email)
	b = appendStringMember(b, "firstName", u.FirstName)
	b = appendKey(b, "id")
	b = append(rawjson.AppendString(b, u.ID), ',')
	b = appendStringMember(b, "lastName", u.LastName)
	if f := u.Metadata; !f.IsAbsent() {
		b = appendKey(b, "metadata")
		obj, _ := f.Value()
		var ok bool
		if b, ok = w.appendObject(b, obj, 1); !ok {
			w.buf = b
			return nil
		}
		b = append(b, ',')
	}
	if f := u.ModifiedAt; !f.IsAbsent() {
		b = appendKey(b, "modifiedAt")
		if t, ok := f.Value(); ok {
			var valid bool
			if b, valid = appendInstant(b, t); !valid {
				w.buf = b
				return nil
			}
		} else {
			b = append(b, "null"...)
		}
		b = append(b, ',')
	}
	b = appendStringMember(b, "name", u.Name)
	b = appendStringMember(b, "phone", u.Phone)
	if u.SourceSystem != "" {
		b = appendKey(b, "sourceSystem")
		b = append(rawjson.AppendString(b, u.SourceSystem), ',')
	}
	if s := u.Upwell; s != nil && *s != (UpwellFields{}) {
		b = appendKey(b, "upwell")
		b = append(b, '{')
		b = appendStringMember(b, "billToCustomerId", s.BillToCustomerID)
		b = appendIntMember(b, "dueOption", s.DueOption)
		b = append(closeObject(b), ',')
	}
	b = appendStringMember(b, "vatId", u.VATID)
	w.buf = closeObject(b)
	return w.buf
}

// closeObject ends an object whose members are each followed by a comma.
func closeObject(b []byte) []byte {
	if b[len(b)-1] == ',' {
		b[len(b)-1] = '}'
		return b
	}
	return append(b, '}')
}

// appendKey writes a member's name and colon; key is one of the update's
// own names, which JSON writes as they are.
func appendKey(b []byte, key string) []byte {
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

func appendStringMember(b []byte, key string, f Field[string]) []byte {
	if f.IsAbsent() {
		return b
	}
	b = appendKey(b, key)
	if v, ok := f.Value(); ok {
		b = rawjson.AppendString(b, v)
	} else {
		b = append(b, "null"...)
	}
	return append(b, ',')
}

func appendIntMember[T int32 | int64](b []byte, key string, f Field[T]) []byte {
	if f.IsAbsent() {
		return b
	}
	b = appendKey(b, key)
	if v, ok := f.Value(); ok {
		b = strconv.AppendInt(b, int64(v), 10)
	} else {
		b = append(b, "null"...)
	}
	return append(b, ',')
}

// appendInstant writes t as time.Time's MarshalJSON writes it in UTC, and
// reports false where that refuses it (a year outside 0 to 9999).
func appendInstant(b []byte, t time.Time) ([]byte, bool) {
	b = append(b, '"')
	n := len(b)
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	if len(b) < n+5 || b[n+4] != '-' { // the year, four digits wide
		return b, false
	}
	return append(b, '"'), true
}

// appendObject writes a metadata object, keys sorted, and reports false
// when it holds something only the encoding/json path writes.
func (w *canonicalWriter) appendObject(b []byte, m map[string]any, depth int) ([]byte, bool) {
	if m == nil {
		return append(b, "null"...), true
	}
	if depth > maxCanonicalDepth {
		return b, false
	}
	base := len(w.keys)
	for k := range m {
		// encoding/json writes each bad byte as U+FFFD, which can make
		// two keys one; which of them wins is its business.
		if !utf8.ValidString(k) {
			w.keys = w.keys[:base]
			return b, false
		}
		w.keys = append(w.keys, k)
	}
	// Nested objects push their keys above these, and may move w.keys to
	// a larger array; keys stays valid, the old array is not reused.
	keys := w.keys[base:]
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(rawjson.AppendString(b, k), ':')
		var ok bool
		if b, ok = w.appendValue(b, m[k], depth); !ok {
			w.keys = w.keys[:base]
			return b, false
		}
	}
	w.keys = w.keys[:base]
	return append(b, '}'), true
}

// appendValue writes one metadata value, numbers in their canonical
// spelling. It takes the types ParseCustomerUpdate produces and the
// numbers Go code most often puts in metadata.
func (w *canonicalWriter) appendValue(b []byte, v any, depth int) ([]byte, bool) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), true
	case bool:
		return strconv.AppendBool(b, v), true
	case string:
		return rawjson.AppendString(b, v), true
	case json.Number:
		s := string(v)
		if s == "" {
			s = "0" // as encoding/json writes the zero Number
		}
		if !isValidNumber(s) {
			return b, false
		}
		return appendCanonicalNumber(b, s)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return b, false
		}
		// encoding/json writes the shortest digits that read back as v
		// ('f' or 'e' by magnitude); 'e' gives the same digits, and so the
		// same canonical number.
		var digits [32]byte
		return appendCanonicalNumber(b, strconv.AppendFloat(digits[:0], v, 'e', -1, 64))
	case int:
		var digits [24]byte
		return appendCanonicalNumber(b, strconv.AppendInt(digits[:0], int64(v), 10))
	case int64:
		var digits [24]byte
		return appendCanonicalNumber(b, strconv.AppendInt(digits[:0], v, 10))
	case map[string]any:
		return w.appendObject(b, v, depth+1)
	case JSONObject:
		return w.appendObject(b, v, depth+1)
	case []any:
		if v == nil {
			return append(b, "null"...), true
		}
		if depth+1 > maxCanonicalDepth {
			return b, false
		}
		b = append(b, '[')
		for i, x := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = w.appendValue(b, x, depth+1); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	}
	return b, false
}

// isValidNumber reports whether s is a JSON number, as encoding/json
// checks a json.Number before writing it (no space, no leading zeros).
func isValidNumber(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '-' {
		s = s[1:]
		if s == "" {
			return false
		}
	}
	switch {
	case s[0] == '0':
		s = s[1:]
	case '1' <= s[0] && s[0] <= '9':
		s = skipDigits(s[1:])
	default:
		return false
	}
	if len(s) >= 2 && s[0] == '.' && '0' <= s[1] && s[1] <= '9' {
		s = skipDigits(s[2:])
	}
	if len(s) >= 2 && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s[0] == '+' || s[0] == '-' {
			s = s[1:]
			if s == "" {
				return false
			}
		}
		s = skipDigits(s)
	}
	return s == ""
}

func skipDigits(s string) string {
	for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
		s = s[1:]
	}
	return s
}

// maxFastExponentDigits bounds the exponents appendCanonicalNumber adds
// up in an int64; longer ones (1e99999999999999999999) go to
// canonical.Number, which uses big integers.
const maxFastExponentDigits = 15

// appendCanonicalNumber writes canonical.Number(s) for a valid JSON number
// s (isValidNumber), without allocating when its exponent is of a sane
// size. It reports false on what is no number.
func appendCanonicalNumber[S string | []byte](b []byte, s S) ([]byte, bool) {
	in := s
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	mant, exp := s, s[len(s):]
	for i := 0; i < len(s); i++ {
		if s[i] == 'e' || s[i] == 'E' {
			mant, exp = s[:i], s[i+1:]
			break
		}
	}
	intPart, frac := mant, mant[len(mant):]
	for i := 0; i < len(mant); i++ {
		if mant[i] == '.' {
			intPart, frac = mant[:i], mant[i+1:]
			break
		}
	}
	var e int64
	if len(exp) > 0 {
		expNeg := exp[0] == '-'
		if exp[0] == '+' || exp[0] == '-' {
			exp = exp[1:]
		}
		for len(exp) > 0 && exp[0] == '0' {
			exp = exp[1:]
		}
		if len(exp) > maxFastExponentDigits {
			return appendBigCanonicalNumber(b, string(in))
		}
		for i := 0; i < len(exp); i++ {
			c := exp[i]
			if c < '0' || c > '9' {
				return b, false
			}
			e = e*10 + int64(c-'0')
		}
		if expNeg {
			e = -e
		}
	}
	// The significant digits are intPart followed by frac, without the
	// zeros they start and end with.
	n := len(intPart) + len(frac)
	digit := func(i int) byte {
		if i < len(intPart) {
			return intPart[i]
		}
		return frac[i-len(intPart)]
	}
	for i := 0; i < n; i++ {
		if c := digit(i); c < '0' || c > '9' {
			return b, false
		}
	}
	if n == 0 {
		return b, false
	}
	first := 0
	for first < n && digit(first) == '0' {
		first++
	}
	if first == n {
		return append(b, '0'), true
	}
	end := n
	for digit(end-1) == '0' {
		end--
	}
	e += int64(n-end) - int64(len(frac))
	if neg {
		b = append(b, '-')
	}
	if first < len(intPart) {
		b = append(b, intPart[first:min(end, len(intPart))]...)
	}
	if end > len(intPart) {
		b = append(b, frac[max(first-len(intPart), 0):end-len(intPart)]...)
	}
	if e != 0 {
		b = append(b, 'e')
		b = strconv.AppendInt(b, e, 10)
	}
	return b, true
}

// appendBigCanonicalNumber is canonical.Number, for exponents too long to
// add up in an int64.
func appendBigCanonicalNumber(b []byte, s string) ([]byte, bool) {
	c, err := canonical.Number(s)
	if err != nil {
		return b, false
	}
	return append(b, c...), true
}
