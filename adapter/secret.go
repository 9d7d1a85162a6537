package adapter

import (
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"unicode/utf16"
)

const redacted = "[REDACTED]"

// Secret is a credential. It prints, logs and marshals as [REDACTED] in
// every form (%v, %+v, %#v, %s, %q, JSON, slog), so a config struct holding
// one can be printed safely. Reveal returns the real value.
type Secret string

// Reveal returns the credential itself, for the one place that sends it.
func (s Secret) Reveal() string { return string(s) }

// String returns [REDACTED].
func (s Secret) String() string { return redacted }

// GoString makes %#v print adapter.Secret("[REDACTED]").
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

// scrubber replaces every known secret in a string with [REDACTED]; it
// guards error messages and body excerpts against a vendor that echoes a
// credential back, in whatever form an echo may take:
//
//   - as is, or in another letter case (a gateway that upper-cases);
//   - character by character escaped, in any mix: JSON \u escapes
//     (\u0073), HTML numeric entities (&#115; &#x73;) and named ones
//     (&amp;), URL percent-encoding (%73), JSON's \" and \\;
//   - base64 (standard or URL alphabet, padded or not), also inside a
//     longer base64 text such as a Basic token, at any alignment.
//
// One regular expression per client matches them all, so scrubbing a
// body is one linear pass whatever the number of secrets.
type scrubber struct{ re *regexp.Regexp }

// minSecretLen is the shortest value scrubbed: shorter ones would redact
// ordinary words, and credentials are longer.
const minSecretLen = 4

func newScrubber(secrets []string) scrubber {
	var alts []string
	seen := map[string]bool{}
	add := func(p string) {
		if p != "" && !seen[p] {
			seen[p] = true
			alts = append(alts, p)
		}
	}
	for _, s := range secrets {
		if len(s) < minSecretLen {
			continue
		}
		add(charPattern(s))
		for _, b64 := range base64Forms(s) {
			add(regexp.QuoteMeta(b64))
		}
	}
	if len(alts) == 0 {
		return scrubber{}
	}
	// Longest first, so a longer form wins over a prefix of it.
	sort.Slice(alts, func(i, j int) bool { return len(alts[i]) > len(alts[j]) })
	return scrubber{re: regexp.MustCompile("(?i:" + strings.Join(alts, "|") + ")")}
}

// charPattern matches s with each character in any of the forms an echo
// may write it in.
func charPattern(s string) string {
	var b strings.Builder
	for _, r := range s {
		forms := []string{
			regexp.QuoteMeta(string(r)),
			fmt.Sprintf(`&#0*%d;`, r),
			fmt.Sprintf(`&#x0*%x;`, r),
		}
		if r < 0x10000 {
			forms = append(forms, fmt.Sprintf(`\\u%04x`, r))
		} else {
			// JSON writes it as a surrogate pair.
			r1, r2 := utf16.EncodeRune(r)
			forms = append(forms, fmt.Sprintf(`\\u%04x\\u%04x`, r1, r2))
		}
		var pct strings.Builder
		for _, c := range []byte(string(r)) {
			fmt.Fprintf(&pct, "%%%02x", c)
		}
		forms = append(forms, pct.String())
		switch r {
		case '"', '\\', '/':
			forms = append(forms, `\\`+regexp.QuoteMeta(string(r)))
		case ' ':
			forms = append(forms, `\+`)
		}
		if named, ok := htmlNames[r]; ok {
			forms = append(forms, named)
		}
		b.WriteString("(?:" + strings.Join(forms, "|") + ")")
	}
	return b.String()
}

var htmlNames = map[rune]string{'&': "&amp;", '<': "&lt;", '>': "&gt;", '"': "&quot;", '\'': "&apos;"}

// base64Forms are the base64 texts that contain s whatever surrounds it:
// for each of the three byte alignments, the characters that encode only
// bytes of s, in both alphabets. Padding never falls inside them, so the
// padded and unpadded encodings are both covered.
func base64Forms(s string) []string {
	var out []string
	for k := 0; k < 3; k++ {
		buf := append(make([]byte, k), s...)
		first := (k + 2) / 3 * 3     // first group of s's bytes only
		last := (k + len(s)) / 3 * 3 // end of the last full group
		if last-first < 6 {          // too little left to be distinctive
			continue
		}
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			text := enc.EncodeToString(buf)
			out = append(out, text[first/3*4:last/3*4])
		}
	}
	return out
}

func (s scrubber) scrub(text string) string {
	if s.re == nil {
		return text
	}
	return s.re.ReplaceAllLiteralString(text, redacted)
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
	e.Body = excerpt([]byte(s.scrub(e.Body)), bodyExcerptBytes)
	e.Message = excerpt([]byte(s.scrub(e.Message)), maxMessageBytes)
	e.RequestID = excerpt([]byte(s.scrub(e.RequestID)), maxCodeBytes)
	e.VendorCode = excerpt([]byte(s.scrub(e.VendorCode)), maxCodeBytes)
	if e.Err != nil {
		// This node only: a scrubbed error wrapped in another is not
		// enough, the outer one's message may hold the secret.
		if _, done := e.Err.(*scrubbedError); !done { //nolint:errorlint // see above
			e.Err = &scrubbedError{msg: s.scrub(e.Err.Error()), cause: e.Err}
		}
	}
}
