// Package wiretime holds the date-time type for vendors that write
// timestamps loosely: with or without a UTC offset and with 0 to 7 fraction
// digits, as Billbee does ("2021-08-21T13:00:33.23"). Go's time.Time JSON
// decoding (RFC 3339) and kin-openapi's date-time check both reject such
// values; the OpenAPI specs name them with the custom string format
// "billbee-date-time" and map them to Time.
//
// A Time remembers how it was written, so a value read from a vendor and
// sent back is byte-for-byte what the vendor sent. Values without an offset
// are read as UTC: no vendor documents their zone, and HasOffset reports
// that it was missing.
package wiretime

import (
	"fmt"
	"strings"
	"time"
)

// Format is the OpenAPI string format name for this type.
const Format = "billbee-date-time"

// MaxFractionDigits is the most fraction digits accepted (.NET's DateTime
// writes up to seven: ticks of 100ns).
const MaxFractionDigits = 7

// Time is a point in time plus the shape it was written in.
// The zero value is the zero time and marshals as an RFC 3339 string.
type Time struct {
	time.Time
	offsetMissing bool
	numericUTC    bool // "+00:00" rather than "Z"
	digits        int8 // fraction digits as written
	parsed        bool
}

// From wraps t; it marshals as RFC 3339 with an offset and as many fraction
// digits as it needs.
func From(t time.Time) Time { return Time{Time: t} }

// HasOffset reports whether the text the value came from carried a UTC
// offset. Values built with From always have one.
func (t Time) HasOffset() bool { return !t.offsetMissing }

// Parse reads s as YYYY-MM-DDThh:mm:ss, then optionally a dot and 1 to 7
// digits, then optionally "Z" or ±hh:mm.
func Parse(s string) (Time, error) {
	const base = "2006-01-02T15:04:05"
	if len(s) < len(base) {
		return Time{}, fmt.Errorf("wiretime: %q is not a date-time: too short", s)
	}
	rest := s[len(base):]
	digits := 0
	if strings.HasPrefix(rest, ".") {
		rest = rest[1:]
		for digits < len(rest) && rest[digits] >= '0' && rest[digits] <= '9' {
			digits++
		}
		if digits == 0 || digits > MaxFractionDigits {
			return Time{}, fmt.Errorf("wiretime: %q has %d fraction digits, want 1 to %d", s, digits, MaxFractionDigits)
		}
		rest = rest[digits:]
	}
	layout := base
	if digits > 0 {
		layout += "." + strings.Repeat("0", digits)
	}
	offsetMissing := rest == ""
	if !offsetMissing {
		layout += "Z07:00"
	}
	var (
		parsed time.Time
		err    error
	)
	if offsetMissing {
		parsed, err = time.ParseInLocation(layout, s, time.UTC)
	} else {
		parsed, err = time.Parse(layout, s)
	}
	if err != nil {
		return Time{}, fmt.Errorf("wiretime: %q is not a date-time: %w", s, err)
	}
	return Time{
		Time:          parsed,
		offsetMissing: offsetMissing,
		numericUTC:    !offsetMissing && rest != "Z",
		digits:        int8(digits),
		parsed:        true,
	}, nil
}

// String formats t the way it was written, or as RFC 3339 for values built
// with From or the zero value.
func (t Time) String() string {
	if !t.parsed {
		return t.Time.Format(time.RFC3339Nano)
	}
	layout := "2006-01-02T15:04:05"
	if t.digits > 0 {
		layout += "." + strings.Repeat("0", int(t.digits))
	}
	switch {
	case t.offsetMissing:
	case t.numericUTC:
		layout += "-07:00"
	default:
		layout += "Z07:00"
	}
	return t.Time.Format(layout)
}

// MarshalText implements encoding.TextMarshaler.
func (t Time) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *Time) UnmarshalText(b []byte) error {
	parsed, err := Parse(string(b))
	if err != nil {
		return err
	}
	*t = parsed
	return nil
}

// MarshalJSON writes t as a JSON string.
func (t Time) MarshalJSON() ([]byte, error) { return []byte(`"` + t.String() + `"`), nil }

// UnmarshalJSON reads a JSON string; null leaves t unchanged, as
// encoding/json does for time.Time.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("wiretime: %s is not a JSON string", b)
	}
	return t.UnmarshalText(b[1 : len(b)-1])
}

// Validate reports whether s is in the format; it is the kin-openapi format
// validator for Format.
func Validate(s string) error {
	_, err := Parse(s)
	return err
}
