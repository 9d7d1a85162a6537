// Package rawjson walks JSON text that encoding/json has already
// validated, member by member and item by item, handing out each value as
// a slice of the text: no value is decoded or copied. Drivers use it to
// read the few members of a vendor's answer they need, and to send a
// record back exactly as read (Billbee's read-modify-write), at a fraction
// of the cost of json.Unmarshal into json.RawMessage, which copies every
// value.
//
// Every function here assumes valid JSON (checked with json.Valid, or
// written by encoding/json) and does not check it again: on anything else
// it may return nonsense or panic.
package rawjson

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// Members calls yield with each member of the valid JSON object obj (no
// leading space): its name as written (quotes included), its value, and
// the offsets where the member starts (at the name) and ends (after the
// value).
func Members(obj []byte, yield func(name, value []byte, start, end int)) {
	Walk(obj, func(name, rest []byte) int {
		n := ValueLen(rest)
		// name and rest are slices of obj: their offsets in it follow
		// from what is left of obj after each.
		start, end := cap(obj)-cap(name), len(obj)-len(rest)+n
		yield(name, rest[:n], start, end)
		return n
	})
}

// Walk calls yield with each member of the valid JSON object at the
// start of text (no leading space): its name as written (quotes
// included) and the text from its value on. yield returns the length of
// the value when it has walked it itself (an object or array it reads
// with Walk or WalkItems, whose lengths they return), or 0 to have Walk
// skip it. Walk returns the length of the object. Unlike Members, it
// scans each byte of a value once however deep the reading goes.
func Walk(text []byte, yield func(name, rest []byte) int) int {
	i := 1 // past '{'
	for {
		i = skipSpace(text, i)
		if i >= len(text) {
			return len(text)
		}
		if text[i] == '}' {
			return i + 1
		}
		nameEnd := StringEnd(text, i)
		name := text[i:nameEnd]
		i = skipSpace(text, skipSpace(text, nameEnd)+1) // past ':'
		if n := yield(name, text[i:]); n > 0 {
			i += n
		} else {
			i = valueEnd(text, i)
		}
		i = skipSpace(text, i)
		if i < len(text) && text[i] == ',' {
			i++
		}
	}
}

// WalkItems is Walk for the items of the valid JSON array at the start of
// text.
func WalkItems(text []byte, yield func(rest []byte) int) int {
	i := 1 // past '['
	for {
		i = skipSpace(text, i)
		if i >= len(text) {
			return len(text)
		}
		if text[i] == ']' {
			return i + 1
		}
		if n := yield(text[i:]); n > 0 {
			i += n
		} else {
			i = valueEnd(text, i)
		}
		i = skipSpace(text, i)
		if i < len(text) && text[i] == ',' {
			i++
		}
	}
}

// ValueLen returns the length of the valid JSON value at the start of
// text.
func ValueLen(text []byte) int { return valueEnd(text, 0) }

// Items calls yield with each item of the valid JSON array list.
func Items(list []byte, yield func(item []byte)) {
	WalkItems(list, func(rest []byte) int {
		n := ValueLen(rest)
		yield(rest[:n])
		return n
	})
}

// Name decodes a member name as written, quotes included, as
// encoding/json decodes it (invalid UTF-8 becomes U+FFFD).
func Name(quoted []byte) string {
	if Plain(quoted) {
		return string(quoted[1 : len(quoted)-1])
	}
	var name string
	_ = json.Unmarshal(quoted, &name) // valid JSON: a string decodes
	return name
}

// Plain reports whether the string as written (quotes included) holds no
// escape and only valid UTF-8: its bytes between the quotes are its value.
func Plain(quoted []byte) bool {
	return bytes.IndexByte(quoted, '\\') < 0 && utf8.Valid(quoted)
}

// NameFolds reports whether the member name as written (quotes included)
// is want in any letter case.
func NameFolds(quoted []byte, want string) bool { return FoldIndex(quoted, want) == 0 }

// FoldIndex returns the index of the first of wants that the member name
// as written (quotes included) is in any letter case, or -1. wants are
// ASCII; a name in plain ASCII, as names nearly always are, is compared
// byte by byte without decoding it.
func FoldIndex(quoted []byte, wants ...string) int {
	name := quoted[1 : len(quoted)-1]
	if !plainASCII(name) {
		decoded := Name(quoted)
		for i, want := range wants {
			if FoldsTo(decoded, want) {
				return i
			}
		}
		return -1
	}
	for i, want := range wants {
		if len(name) == len(want) && equalFoldASCII(name, want) {
			return i
		}
	}
	return -1
}

// plainASCII reports whether s is ASCII without a backslash: a string's
// bytes that are its value, and that fold only to ASCII letters.
func plainASCII(s []byte) bool {
	for _, c := range s {
		if c >= utf8.RuneSelf || c == '\\' {
			return false
		}
	}
	return true
}

// equalFoldASCII is strings.EqualFold for ASCII a and b of one length.
func equalFoldASCII(a []byte, b string) bool {
	for i := range len(a) {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// FoldsTo is strings.EqualFold(name, want) for want in ASCII. A name
// shorter than want never folds to it: every letter that folds to an
// ASCII one is at least one byte long (K, the Kelvin sign, is three).
func FoldsTo(name, want string) bool {
	return len(name) >= len(want) && strings.EqualFold(name, want)
}

// AppendCompact appends the valid JSON value v to dst without the
// whitespace between its tokens. Only objects and arrays can hold any.
func AppendCompact(dst, v []byte) []byte {
	if len(v) == 0 || v[0] != '{' && v[0] != '[' {
		return append(dst, v...)
	}
	for i := 0; i < len(v); {
		switch c := v[i]; {
		case c == '"':
			end := StringEnd(v, i)
			dst = append(dst, v[i:end]...)
			i = end
		case isSpace(c):
			i++
		default:
			dst = append(dst, c)
			i++
		}
	}
	return dst
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// StringEnd returns the offset after the string that starts at b[i].
// Byte by byte: the strings of a record are short, and a backslash
// escapes exactly the byte after it (the hex digits of a \uXXXX escape
// are never a quote).
func StringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '"':
			return i + 1
		case '\\':
			i++
		}
	}
	return len(b)
}

// valueEnd returns the offset after the value that starts at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return StringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = StringEnd(b, i) - 1
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

const lowerHex = "0123456789abcdef"

// AppendString appends s as a JSON string the way encoding/json writes it
// without HTML escaping, and after a round trip through it: a byte that
// is not UTF-8 becomes U+FFFD itself (encoding/json escapes it as \ufffd,
// which reads back as the character), U+2028 and U+2029 are escaped.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', lowerHex[c>>4], lowerHex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = utf8.AppendRune(b, utf8.RuneError)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', lowerHex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
