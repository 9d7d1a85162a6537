package adapter

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/custsync/custsync/adapter/internal/fieldname"
)

// validate checks what holds for every vendor. Drivers check the rest.
func (u *CustomerUpdate) validate() error {
	if strings.TrimSpace(u.ID) == "" {
		return invalidArgument(fieldname.ID, "is empty; it names the customer to update")
	}
	if err := checkText(fieldname.ID, u.ID); err != nil {
		return err
	}
	if u.ID != strings.TrimSpace(u.ID) {
		// Refused rather than trimmed: "C-1001 " may be another key at the
		// vendor, and nothing is changed silently.
		return invalidArgument(fieldname.ID, "%q has leading or trailing spaces", u.ID)
	}
	if id := strings.TrimSpace(u.ID); id == "." || id == ".." {
		// Ids go into URL paths, where "." and ".." are dot-segments that
		// URL resolution removes: the request would go to another resource.
		return invalidArgument(fieldname.ID, "%q cannot be a customer id", id)
	}
	if u.SourceSystem != "" {
		if err := checkIdentifier(fieldname.SourceSystem, u.SourceSystem); err != nil {
			return err
		}
	}
	for _, s := range []struct {
		name string
		f    Field[string]
	}{
		{fieldname.Name, u.Name}, {fieldname.FirstName, u.FirstName}, {fieldname.LastName, u.LastName},
		{fieldname.Email, u.Email}, {fieldname.Phone, u.Phone}, {fieldname.VATID, u.VATID},
	} {
		if v, ok := s.f.Value(); ok {
			if err := checkText(s.name, v); err != nil {
				return err
			}
		}
	}
	if v, ok := u.Email.Value(); ok {
		if err := checkEmail(fieldname.Email, v); err != nil {
			return err
		}
	}
	if list, ok := u.CCEmails.Value(); ok {
		if list == nil {
			// A nil slice would go out as null and clear the list unasked.
			return invalidArgument(fieldname.CCEmails, "is a nil list; set an empty list, or use null to clear")
		}
		for i, v := range list {
			name := fmt.Sprintf("%s[%d]", fieldname.CCEmails, i)
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
			return invalidArgument(fieldname.Metadata, "want a JSON object; use null to clear")
		}
		if path, bad := invalidUTF8Value(fieldname.Metadata, map[string]any(m)); bad {
			return invalidArgument(path, "is not valid UTF-8")
		}
	}
	if t, ok := u.ModifiedAt.Value(); ok {
		if t.IsZero() {
			return invalidArgument(fieldname.ModifiedAt, "is the zero time")
		}
		// Vendors take UTC, and RFC 3339 has four-digit years:
		// 9999-12-31T23:59:59-10:00 is in year 10000 there.
		if y := t.UTC().Year(); y < 1 || y > 9999 {
			return invalidArgument(fieldname.ModifiedAt, "%s is in year %d in UTC; RFC 3339 allows years 0001 to 9999", t.Format(time.RFC3339Nano), y)
		}
	}
	if u.Upwell != nil {
		if v, ok := u.Upwell.BillToCustomerID.Value(); ok {
			if err := checkIdentifier(fieldname.UpwellBillToCustomerID, v); err != nil {
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

// checkText refuses empty and control-character strings: an empty string
// is how spreadsheets say "unknown", and sending it would blank the
// vendor's value. Clearing is explicit: null.
func checkText(name, v string) error {
	if plainASCIIText(v) {
		return nil // the common case, without decoding runes
	}
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

// plainASCIIText reports whether v is printable ASCII (tabs allowed) and
// not only spaces and tabs: what checkText accepts, decided without
// decoding runes. Anything else takes checkText's full path.
func plainASCIIText(v string) bool {
	blank := true
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == ' ' || c == '\t':
		case c > ' ' && c < 0x7f:
			blank = false
		default:
			return false
		}
	}
	return !blank
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
