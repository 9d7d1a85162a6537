package adapter

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"unicode"
)

const redacted = "[REDACTED]"

// Secret is a credential. It prints, logs and marshals as [REDACTED] in
// every form (%v, %+v, %#v, %s, %q, JSON, slog), so a config struct holding
// one can be printed safely. Reveal returns the real value.
type Secret string

// Reveal returns the credential itself, for the one place that sends it.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) String() string   { return redacted }
func (s Secret) GoString() string { return `adapter.Secret("` + redacted + `")` }

// Format makes every fmt verb print [REDACTED].
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = io.WriteString(f, `"`+redacted+`"`)
		return
	}
	_, _ = io.WriteString(f, redacted)
}

// MarshalText implements encoding.TextMarshaler (and so JSON).
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// BasicAuthSecret returns the forms in which HTTP Basic credentials travel
// (the base64 "user:password" token), for scrubbing.
func BasicAuthSecret(user string, password Secret) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password.Reveal()))
}

// CheckCredential refuses a credential that is empty, or that net/http
// would refuse to send as a header (a trailing newline read from a file,
// say), so the mistake surfaces at construction and not as a "network
// error" on every call. field names the config field; the error never
// holds the value.
func CheckCredential(vendor, field, value string) error {
	switch {
	case strings.TrimSpace(value) == "":
		return &Error{Vendor: vendor, Code: InvalidArgument, Field: field, Message: field + " is empty"}
	case value != strings.TrimSpace(value) || strings.IndexFunc(value, unicode.IsControl) >= 0:
		return &Error{Vendor: vendor, Code: InvalidArgument, Field: field,
			Message: field + " has surrounding whitespace or a control character; it cannot be sent in a header"}
	}
	return nil
}

// scrubber replaces every known secret in a string with [REDACTED]; it
// guards error messages and body excerpts against a vendor that echoes a
// credential back, also in the escaped forms an echo may use (JSON, HTML,
// URL).
type scrubber struct{ secrets []string }

func newScrubber(secrets []string) scrubber {
	var keep []string
	seen := map[string]bool{}
	for _, s := range secrets {
		quoted, _ := json.Marshal(s)
		for _, form := range []string{s, string(quoted[1 : len(quoted)-1]), html.EscapeString(s), url.QueryEscape(s), url.PathEscape(s)} {
			// Very short values would redact ordinary words; credentials are longer.
			if len(form) >= 4 && !seen[form] {
				seen[form] = true
				keep = append(keep, form)
			}
		}
	}
	return scrubber{secrets: keep}
}

func (s scrubber) scrub(text string) string {
	for _, secret := range s.secrets {
		text = strings.ReplaceAll(text, secret, redacted)
	}
	return text
}

// scrubbedError carries a cause whose message has been scrubbed. Unwrap
// keeps errors.Is working (io.ErrUnexpectedEOF, net errors).
type scrubbedError struct {
	msg   string
	cause error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.cause }

// Caps on the text an *Error carries, applied after scrubbing: cutting
// first could halve a credential so the scrubber no longer sees it.
const (
	maxMessageBytes = 1024
	maxCodeBytes    = 128
)

func (s scrubber) scrubError(e *Error) {
	if e.rawBody != nil {
		e.Body = string(e.rawBody)
		e.rawBody = nil
	}
	e.Body = excerpt([]byte(s.scrub(e.Body)), bodyExcerptBytes)
	e.Message = excerpt([]byte(s.scrub(e.Message)), maxMessageBytes)
	e.RequestID = excerpt([]byte(s.scrub(e.RequestID)), maxCodeBytes)
	e.VendorCode = excerpt([]byte(s.scrub(e.VendorCode)), maxCodeBytes)
	if e.Err != nil {
		if _, done := e.Err.(*scrubbedError); !done {
			e.Err = &scrubbedError{msg: s.scrub(e.Err.Error()), cause: e.Err}
		}
	}
}
