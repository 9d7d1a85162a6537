package adapter

import (
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"strings"
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

// scrubber replaces every known secret in a string with [REDACTED]; it
// guards error messages and body excerpts against a vendor that echoes a
// credential back.
type scrubber struct{ secrets []string }

func newScrubber(secrets []string) scrubber {
	var keep []string
	for _, s := range secrets {
		// Very short values would redact ordinary words; credentials are longer.
		if len(s) >= 4 {
			keep = append(keep, s)
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
