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
)

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
	if raw, ok := values[fieldname.ID]; ok {
		if err := json.Unmarshal(raw, &out.ID); err != nil {
			return invalidArgument(fieldname.ID, "want a string (write a Billbee id as \"100000150176895\"), got %s", excerpt(raw, 40))
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
