// Package wirejson appends JSON to a byte slice, for drivers that build a
// request body by hand on their hot path. Its output is byte for byte
// what encoding/json.Marshal writes for the same values (HTML characters,
// U+2028/U+2029 and invalid UTF-8 escaped alike), so a hand-built body
// equals the one the generated types would marshal; the tests hold it to
// that by comparison with encoding/json.
//
// encoding/json is not used directly because each Marshal of a small value
// costs an allocation or two (the interface conversion and the copy out
// of its buffer), and a request has a dozen of them; v2 of encoding/json,
// which appends, is still behind GOEXPERIMENT.
package wirejson

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// safe reports the ASCII bytes encoding/json writes as they are.
var safe = func() (s [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		s[b] = b != '"' && b != '\\' && b != '<' && b != '>' && b != '&'
	}
	return s
}()

// String appends s as a JSON string, escaped as encoding/json escapes it.
func String(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if safe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// Strings appends a JSON array of strings; a nil slice is null, as
// encoding/json writes it.
func Strings(dst []byte, list []string) []byte {
	if list == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, s := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = String(dst, s)
	}
	return append(dst, ']')
}

// Int appends an integer.
func Int(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }

// Value appends any value through encoding/json, for values whose shape
// is the caller's (a metadata object): their cost is theirs.
func Value(dst []byte, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// Key appends a member's key and colon, preceded by a comma unless it is
// the first member (*members counts them). key must need no escaping: the
// callers' keys are the spec's names.
func Key(dst []byte, members *int, key string) []byte {
	if *members > 0 {
		dst = append(dst, ',')
	}
	*members++
	dst = append(dst, '"')
	dst = append(dst, key...)
	return append(dst, '"', ':')
}
