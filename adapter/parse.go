package adapter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/custsync/custsync/adapter/internal/fieldname"
	"github.com/custsync/custsync/adapter/internal/rawjson"
)

// ParseCustomerUpdate reads one update in the canonical JSON form. Unknown
// or duplicate keys, wrong types, text that is not valid UTF-8 and
// trailing data are InvalidArgument errors naming the key.
func ParseCustomerUpdate(data []byte) (*CustomerUpdate, error) {
	var u CustomerUpdate
	var err error
	if json.Valid(data) {
		// What json.Unmarshal would do with valid text, without its
		// reflection: hand UnmarshalJSON the value, spaces trimmed.
		err = u.parse(bytes.TrimSpace(data))
	} else {
		err = json.Unmarshal(data, &u)
	}
	if err != nil {
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

// fieldIndex gives the index in updateFields of each top-level field, and
// sectionFieldIndex that of each field of a vendor section by section and
// name, so a member finds its field without building "section.name".
var fieldIndex, sectionFieldIndex = fieldIndexes()

func canonicalKeys() (map[string]bool, map[string]map[string]bool) {
	top := map[string]bool{fieldname.ID: true}
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

func fieldIndexes() (map[string]int, map[string]map[string]int) {
	top := map[string]int{}
	sections := map[string]map[string]int{}
	for i, f := range updateFields {
		section, name, ok := strings.Cut(f.name, ".")
		if !ok {
			top[f.name] = i
			continue
		}
		if sections[section] == nil {
			sections[section] = map[string]int{}
		}
		sections[section][name] = i
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
	var out CustomerUpdate
	if err := out.parse(data); err != nil {
		return err
	}
	*u = out
	return nil
}

// parse is UnmarshalJSON into a zero u, which it leaves half set on an
// error: ParseCustomerUpdate then drops u, and saves a copy.
//
// A batch parses every input line, so the text is checked once with
// json.Valid and then walked in place (rawjson) rather than decoded into
// raw members and walked again for duplicate keys. Where something is
// wrong, the error comes from the same code as the decoder-based parser's
// (notOneObject, duplicateKey, invalidUTF8, checkKeys, the field table), so
// its wording does not depend on this walk; FuzzParseIsTheReference holds
// the two together.
func (u *CustomerUpdate) parse(data []byte) error {
	obj := bytes.TrimLeft(data, " \t\r\n")
	if !json.Valid(data) || obj[0] != '{' {
		if err := notOneObject(data); err != nil {
			return err
		}
	}
	if hasDuplicateKey(obj) {
		key, _ := duplicateKey(data)
		return invalidArgument(key, "is given more than once; each key may appear once")
	}
	if !validText(data) {
		return invalidUTF8(rawMembers(obj))
	}
	// The value of each field (by its index in updateFields) and of the id;
	// nil where the key is absent. The keys are known to be unique.
	var values [32][]byte
	var id []byte
	unknown := false
	rawjson.Walk(obj, func(quoted, rest []byte) int {
		name := memberName(quoted)
		if string(name) == fieldname.ID {
			id = rest[:rawjson.ValueLen(rest)]
			return len(id)
		}
		if i, ok := fieldIndex[string(name)]; ok {
			values[i] = rest[:rawjson.ValueLen(rest)]
			return len(values[i])
		}
		if vendorKeys[string(name)] == nil {
			unknown = true
		}
		return 0
	})
	if unknown {
		return checkKeys("", rawMembers(obj), topLevelKeys)
	}
	var err error
	rawjson.Walk(obj, func(quoted, rest []byte) int {
		name := memberName(quoted)
		if err != nil || vendorKeys[string(name)] == nil {
			return 0
		}
		section := string(name)
		raw := rest[:rawjson.ValueLen(rest)]
		switch {
		case string(raw) == "null":
		case raw[0] != '{':
			err = invalidArgument(section, "want a JSON object")
		default:
			index := sectionFieldIndex[section]
			rawjson.Walk(raw, func(quoted, rest []byte) int {
				if err != nil {
					return 0
				}
				i, ok := index[string(memberName(quoted))]
				if !ok {
					err = checkKeys(section+".", rawMembers(raw), vendorKeys[section])
					return 0
				}
				values[i] = rest[:rawjson.ValueLen(rest)]
				return len(values[i])
			})
		}
		return len(raw)
	})
	if err != nil {
		return err
	}
	if id != nil {
		if s, ok := plainString(id); ok {
			u.ID = s
		} else if err := json.Unmarshal(id, &u.ID); err != nil {
			return invalidArgument(fieldname.ID, "want a string (write a Billbee id as \"100000150176895\"), got %s", excerpt(id, 40))
		}
	}
	for i, f := range updateFields {
		raw := values[i]
		if raw == nil {
			continue
		}
		if decodeCommon(u, f.name, raw) {
			continue
		}
		if err := f.decode(u, raw); err != nil {
			var e *Error
			if errors.As(err, &e) {
				return e
			}
			return invalidArgument(f.name, "%s", jsonErrorMessage(err))
		}
	}
	return nil
}

// notOneObject says, in encoding/json's words, why data is not one JSON
// object, or returns nil if it is one after all.
func notOneObject(data []byte) error {
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
	return nil
}

// rawMembers decodes the valid JSON object obj into its members, for the
// errors that list or sort them.
func rawMembers(obj []byte) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(obj, &m) // valid JSON: an object decodes
	return m
}

// memberName is a member name as encoding/json decodes it, as bytes: a
// name without escapes (nearly every name) is its bytes between the
// quotes, and string(name) in a comparison or a map index then copies
// nothing.
func memberName(quoted []byte) []byte {
	if rawjson.Plain(quoted) {
		return quoted[1 : len(quoted)-1]
	}
	return []byte(rawjson.Name(quoted))
}

// plainString returns the value of a JSON string written without escapes
// (and checked to be UTF-8 before), and whether raw is one.
func plainString(raw []byte) (string, bool) {
	if raw[0] != '"' || bytes.IndexByte(raw, '\\') >= 0 {
		return "", false
	}
	return string(raw[1 : len(raw)-1]), true
}

// decodeCommon sets the field named name from raw, which is valid JSON
// holding valid UTF-8, when raw is what nearly every line holds: null, a
// string without escapes, an integer, a metadata object, a list of plain
// addresses. It reports false, having changed nothing, for anything else,
// which the field table's decoder then reads and, where it must, refuses
// with encoding/json's words. Fields not named here always take that way.
func decodeCommon(u *CustomerUpdate, name string, raw []byte) bool {
	switch name {
	case fieldname.SourceSystem:
		s, ok := plainString(raw)
		if ok && s != "" {
			u.SourceSystem = s
		}
		return ok && s != ""
	case fieldname.Name:
		return decodeString(&u.Name, raw)
	case fieldname.FirstName:
		return decodeString(&u.FirstName, raw)
	case fieldname.LastName:
		return decodeString(&u.LastName, raw)
	case fieldname.Email:
		return decodeString(&u.Email, raw)
	case fieldname.Phone:
		return decodeString(&u.Phone, raw)
	case fieldname.VATID:
		return decodeString(&u.VATID, raw)
	case fieldname.CCEmails:
		return decodeStrings(&u.CCEmails, raw)
	case fieldname.Metadata:
		return decodeObject(&u.Metadata, raw)
	case fieldname.UpwellBillToCustomerID:
		return decodeString(&upwellSection(u).BillToCustomerID, raw)
	case fieldname.UpwellDueOption:
		return decodeInt(&upwellSection(u).DueOption, raw)
	case fieldname.BillbeePriceGroupID:
		return decodeInt(&billbeeSection(u).PriceGroupID, raw)
	case fieldname.BillbeeLanguageID:
		return decodeInt(&billbeeSection(u).LanguageID, raw)
	case fieldname.BillbeeType:
		return decodeInt(&billbeeSection(u).Type, raw)
	case fieldname.BillbeeNumber:
		return decodeInt(&billbeeSection(u).Number, raw)
	}
	return false
}

// upwellSection and billbeeSection return u's vendor section, creating it:
// setting a field of one, or clearing it, creates it in the field table too.
func upwellSection(u *CustomerUpdate) *UpwellFields {
	if u.Upwell == nil {
		u.Upwell = &UpwellFields{}
	}
	return u.Upwell
}

func billbeeSection(u *CustomerUpdate) *BillbeeFields {
	if u.Billbee == nil {
		u.Billbee = &BillbeeFields{}
	}
	return u.Billbee
}

func decodeString(f *Field[string], raw []byte) bool {
	if string(raw) == "null" {
		*f = Clear[string]()
		return true
	}
	s, ok := plainString(raw)
	if ok {
		*f = Set(s)
	}
	return ok
}

func decodeInt[T int32 | int64](f *Field[T], raw []byte) bool {
	if string(raw) == "null" {
		*f = Clear[T]()
		return true
	}
	bits := 64
	if _, ok := any(*new(T)).(int32); ok {
		bits = 32
	}
	n, err := strconv.ParseInt(string(raw), 10, bits)
	if err != nil {
		return false
	}
	*f = Set(T(n))
	return true
}

func decodeStrings(f *Field[[]string], raw []byte) bool {
	if string(raw) == "null" {
		*f = Clear[[]string]()
		return true
	}
	if raw[0] != '[' {
		return false
	}
	n, plain := 0, true
	rawjson.Items(raw, func(item []byte) {
		_, ok := plainString(item)
		plain = plain && ok
		n++
	})
	if !plain {
		return false
	}
	list := make([]string, 0, n)
	rawjson.Items(raw, func(item []byte) {
		s, _ := plainString(item)
		list = append(list, s)
	})
	*f = Set(list)
	return true
}

func decodeObject(f *Field[JSONObject], raw []byte) bool {
	switch raw[0] {
	case 'n':
		*f = Clear[JSONObject]()
		return true
	case '{':
		m, _ := readValue(raw)
		*f = Set(JSONObject(m.(map[string]any)))
		return true
	}
	return false
}

// readValue decodes the valid JSON value at the start of text (valid
// UTF-8, no lone surrogate, no key given twice) as JSONObject's decoder
// does (numbers as json.Number), and returns its length.
func readValue(text []byte) (any, int) {
	switch text[0] {
	case '{':
		m := map[string]any{}
		n := rawjson.Walk(text, func(quoted, rest []byte) int {
			v, n := readValue(rest)
			m[rawjson.Name(quoted)] = v
			return n
		})
		return m, n
	case '[':
		list := []any{}
		n := rawjson.WalkItems(text, func(rest []byte) int {
			v, n := readValue(rest)
			list = append(list, v)
			return n
		})
		return list, n
	case '"':
		n := rawjson.StringEnd(text, 0)
		return rawjson.Name(text[:n]), n
	case 't':
		return true, len("true")
	case 'f':
		return false, len("false")
	case 'n':
		return nil, len("null")
	}
	n := rawjson.ValueLen(text)
	return json.Number(text[:n]), n
}

// hasDuplicateKey reports whether some object in the valid JSON value at
// the start of text, at any depth, gives a key twice (compared as
// encoding/json decodes keys). It names none: duplicateKey does that for
// the error, at a cost only a refused line pays.
func hasDuplicateKey(text []byte) bool {
	var d dupFinder
	d.keys = d.buf[:0]
	d.value(text)
	return d.dup
}

// dupFinder holds the keys of the objects being walked, innermost last.
type dupFinder struct {
	keys [][]byte
	buf  [16][]byte
	dup  bool
}

// value walks the value at the start of text and returns its length, or
// 0 for a scalar (which Walk and WalkItems then skip themselves).
func (d *dupFinder) value(text []byte) int {
	switch text[0] {
	case '{':
		return d.object(text)
	case '[':
		return rawjson.WalkItems(text, d.value)
	}
	return 0
}

func (d *dupFinder) object(text []byte) int {
	base := len(d.keys)
	var seen map[string]bool // for objects too big to compare key by key
	n := rawjson.Walk(text, func(quoted, rest []byte) int {
		if d.dup {
			return 0
		}
		key := memberName(quoted)
		level := d.keys[base:]
		switch {
		case seen != nil:
			d.dup = seen[string(key)]
			seen[string(key)] = true
		case len(level) >= 32:
			seen = make(map[string]bool, 2*len(level))
			for _, k := range level {
				seen[string(k)] = true
			}
			d.dup = seen[string(key)]
			seen[string(key)] = true
		default:
			for _, k := range level {
				if bytes.Equal(k, key) {
					d.dup = true
				}
			}
		}
		if d.dup {
			return 0
		}
		if seen == nil {
			d.keys = append(d.keys, key)
		}
		return d.value(rest)
	})
	d.keys = d.keys[:base]
	return n
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
