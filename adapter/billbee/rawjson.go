package billbee

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"unicode/utf8"

	gen "github.com/custsync/custsync/gen/billbee"
)

// Billbee's write is the record as read with the update over it, so the
// driver handles Data as its members, each value exactly as read. These
// helpers split a JSON object into members without decoding the values.
// They walk text that encoding/json has already validated (it read or
// wrote it), so they need not check it again.

// splitObject returns the members of the valid JSON object obj; the
// values are slices of obj.
func splitObject(obj []byte) map[string]json.RawMessage {
	type member struct{ name, value []byte }
	var buf [32]member
	members := buf[:0]
	eachMember(obj, func(name, value []byte, _, _ int) { members = append(members, member{name, value}) })
	fields := make(map[string]json.RawMessage, len(members))
	for _, m := range members {
		fields[memberName(m.name)] = m.value // the last of duplicates wins, as in encoding/json
	}
	return fields
}

// knownNames holds the member names of the generated customer types,
// each for itself: a name Billbee writes as the spec does is then
// decoded without a new string.
var knownNames = func() map[string]string {
	names := map[string]string{}
	for _, t := range []reflect.Type{reflect.TypeFor[gen.Customer](), reflect.TypeFor[gen.CustomerUpdate]()} {
		for f := range t.Fields() {
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
				names[name] = name
			}
		}
	}
	return names
}()

// eachMember calls yield with each member of the valid JSON object obj:
// its name as written (quotes included), its value, and the offsets
// where the member starts (at the name) and ends (after the value).
func eachMember(obj []byte, yield func(name, value []byte, start, end int)) {
	i := skipSpace(obj, 0) + 1 // past '{'
	for {
		i = skipSpace(obj, i)
		if i >= len(obj) || obj[i] == '}' {
			return
		}
		start := i
		nameEnd := stringEnd(obj, i)
		i = skipSpace(obj, nameEnd) + 1 // past ':'
		i = skipSpace(obj, i)
		valueStart := i
		i = valueEnd(obj, i)
		yield(obj[start:nameEnd], obj[valueStart:i], start, i)
		i = skipSpace(obj, i)
		if i < len(obj) && obj[i] == ',' {
			i++
		}
	}
}

// eachItem calls yield with each item of the valid JSON array list.
func eachItem(list []byte, yield func(item []byte)) {
	i := skipSpace(list, 0) + 1 // past '['
	for {
		i = skipSpace(list, i)
		if i >= len(list) || list[i] == ']' {
			return
		}
		start := i
		i = valueEnd(list, i)
		yield(list[start:i])
		i = skipSpace(list, i)
		if i < len(list) && list[i] == ',' {
			i++
		}
	}
}

// memberName decodes a member name as written, quotes included.
func memberName(quoted []byte) string {
	if bytes.IndexByte(quoted, '\\') < 0 && utf8.Valid(quoted) {
		if name, ok := knownNames[string(quoted[1:len(quoted)-1])]; ok {
			return name
		}
		return string(quoted[1 : len(quoted)-1])
	}
	var name string
	_ = json.Unmarshal(quoted, &name) // valid JSON: a string decodes
	return name
}

// nameFolds reports whether the member name as written (quotes
// included) is want in any letter case.
func nameFolds(quoted []byte, want string) bool { return foldIndex(quoted, want) == 0 }

// foldIndex returns the index of the first of wants that the member name
// as written (quotes included) is in any letter case, or -1; a name that
// holds no escape is compared without allocating.
func foldIndex(quoted []byte, wants ...string) int {
	if bytes.IndexByte(quoted, '\\') >= 0 || !utf8.Valid(quoted) {
		name := memberName(quoted)
		for i, want := range wants {
			if foldsTo(name, want) {
				return i
			}
		}
		return -1
	}
	name := quoted[1 : len(quoted)-1]
	for i, want := range wants {
		if len(name) >= len(want) && strings.EqualFold(string(name), want) {
			return i
		}
	}
	return -1
}

// foldsTo is strings.EqualFold(name, want) for want in ASCII. A name
// shorter than want never folds to it: every letter that folds to an
// ASCII one is at least one byte long (K, the Kelvin sign, is three).
func foldsTo(name, want string) bool {
	return len(name) >= len(want) && strings.EqualFold(name, want)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// stringEnd returns the offset after the string that starts at b[i].
func stringEnd(b []byte, i int) int {
	for i++; ; {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return len(b)
		}
		i += q
		// The quote ends the string unless an odd number of
		// backslashes escapes it.
		escaped := false
		for j := i - 1; j >= 0 && b[j] == '\\'; j-- {
			escaped = !escaped
		}
		if !escaped {
			return i + 1
		}
		i++
	}
}

// valueEnd returns the offset after the value that starts at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && !isSpace(b[i]) {
		i++ // a number, true, false or null
	}
	return i
}
