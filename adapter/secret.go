package adapter

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
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

// scrubber replaces with [REDACTED] whatever a vendor may echo back of a
// known secret. A vendor that echoes a credential rarely echoes it whole
// and plain: it cuts it ("key abc…xyz is invalid"), reverses it, encodes
// it, escapes it. So the scrubber hides every run of minRun or more
// consecutive characters of a secret (a secret shorter than that only
// whole), in any letter case (a gateway that upper-cases), found
//
//   - as is, or reversed;
//   - in hex (a run of 2*minRun hex digits of the secret's bytes, or of
//     the reversed secret's);
//   - in base64 (standard or URL alphabet, padded or not), also inside a
//     longer base64 text such as a Basic token, at any alignment: a run
//     of minRun characters of the secret's base64 at one of the three
//     byte alignments, which any base64 of minRun bytes of it holds;
//
// with each character written as is or escaped, in any mix: JSON \u
// escapes (\u0073, surrogate pairs), HTML numeric entities (&#115;
// &#x73;) and named ones (&amp;), URL percent-encoding (%73, one rune's
// UTF-8 bytes), JSON's \" \\ \/, and '+' for a space.
//
// It indexes every gramLen-character window of every form, then reads a
// text once, trying each window the text holds at each position and
// extending a hit as far as the secret goes. Text without an escape takes
// one lookup per position; a text with no secret in it is returned as
// it is, without a copy.
type scrubber struct {
	needles []needle
	grams   map[gram][]gramHit
	filter  *[1 << filterBits / 64]uint64 // gramHash of every indexed window
}

// minSecretLen is the shortest value scrubbed: shorter ones would redact
// ordinary words, and credentials are longer.
const minSecretLen = 4

// minRun is the shortest part of a secret that is scrubbed wherever it
// appears: long enough that ordinary text never matches it by chance,
// short enough that what an echo leaves visible cannot be much help.
const minRun = 8

// gramLen is the length of the windows indexed; no needle is shorter.
const gramLen = minSecretLen

type gram [gramLen]rune

// needle is one form of a secret, folded to lower case; a run of min or
// more of its consecutive characters is scrubbed.
type needle struct {
	runes []rune
	min   int
}

// gramHit says where a window occurs: in which needle, at which rune.
type gramHit struct{ needle, offset int32 }

func newScrubber(secrets []string) scrubber {
	s := scrubber{grams: map[gram][]gramHit{}, filter: new([1 << filterBits / 64]uint64)}
	seen := map[string]bool{}
	add := func(form string, minLen int) {
		runes := []rune(strings.ToLower(form))
		if len(runes) < gramLen || seen[string(runes)] {
			return
		}
		seen[string(runes)] = true
		n := needle{runes: runes, min: max(gramLen, min(minLen, len(runes)))}
		id := int32(len(s.needles))
		s.needles = append(s.needles, n)
		// Only windows a long enough run can start at.
		for o := 0; o+n.min <= len(runes); o++ {
			g := gram(runes[o : o+gramLen])
			s.grams[g] = append(s.grams[g], gramHit{needle: id, offset: int32(o)})
			h := gramHash(g)
			s.filter[h/64] |= 1 << (h % 64)
		}
	}
	for _, secret := range secrets {
		if len(secret) < minSecretLen {
			continue
		}
		reversed := reverse(secret)
		for _, form := range []string{secret, reversed} {
			add(form, minRun)
			add(hex.EncodeToString([]byte(form)), 2*minRun)
		}
		for _, b64 := range base64Forms(secret) {
			add(b64, minRun)
		}
	}
	if len(s.needles) == 0 {
		return scrubber{}
	}
	return s
}

func reverse(s string) string {
	r := []rune(s)
	slices.Reverse(r)
	return string(r)
}

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
	if s.grams == nil {
		return text
	}
	var b strings.Builder
	copied := 0        // text[:copied] is in b
	from, to := -1, -1 // the run being scrubbed, not yet written
	// The plain reading of the window of gramLen characters at a, which
	// slides one character at a time, so each is decoded once.
	var w window
	a, p := 0, 0
	for w.n < gramLen && p < len(text) {
		p = w.push(text, p)
	}
	for w.n == gramLen {
		if end := s.matchAt(text, a, &w); end >= 0 {
			switch {
			case a < to:
				to = max(to, end)
			default:
				if from >= 0 {
					b.WriteString(text[copied:from])
					b.WriteString(redacted)
					copied = to
				}
				from, to = a, end
			}
		}
		a = w.pop()
		if p < len(text) {
			p = w.push(text, p)
		}
	}
	if from < 0 {
		return text
	}
	b.WriteString(text[copied:from])
	b.WriteString(redacted)
	b.WriteString(text[to:])
	return b.String()
}

// window is the plain reading of up to gramLen characters of a text.
type window struct {
	g       gram
	ends    [gramLen]int // where each character ends
	escapes int          // how many start where an escape may
	escape  [gramLen]bool
	n       int
}

// push appends the character at text[p] and returns where it ends.
func (w *window) push(text string, p int) int {
	w.escape[w.n] = isEscapeStart(text[p])
	if w.escape[w.n] {
		w.escapes++
	}
	w.g[w.n], w.ends[w.n] = decodePlain(text, p)
	w.n++
	return w.ends[w.n-1]
}

// pop drops the first character and returns where the window now starts.
func (w *window) pop() int {
	start := w.ends[0]
	if w.escape[0] {
		w.escapes--
	}
	copy(w.g[:], w.g[1:w.n])
	copy(w.ends[:], w.ends[1:w.n])
	copy(w.escape[:], w.escape[1:w.n])
	w.n--
	return start
}

// matchAt is the end of the longest run of a secret's form that starts at
// text[a], whose plain reading w holds, or -1 when none does.
func (s scrubber) matchAt(text string, a int, w *window) int {
	best := s.extendHits(text, w.g, w.ends[gramLen-1])
	if w.escapes == 0 {
		return best // the plain reading is the only one
	}
	// Each of the other readings: bit i of choice reads character i
	// escaped. A choice that asks for an escape where there is none is
	// the plain one again, or another choice, so it is skipped.
	var g gram
	for choice := 1; choice < 1<<gramLen; choice++ {
		p, ok := a, true
		for i := 0; i < gramLen && ok; i++ {
			if p >= len(text) {
				ok = false
				break
			}
			if choice&(1<<i) == 0 {
				g[i], p = decodePlain(text, p)
				continue
			}
			var next int
			g[i], next = decodeEscaped(text, p)
			ok = next > 0
			p = next
		}
		if ok {
			best = max(best, s.extendHits(text, g, p))
		}
	}
	return best
}

// extendHits extends every occurrence of window g, which text holds up to
// p, as far as its needle goes, and returns the furthest end of a run
// long enough to scrub, or -1.
func (s scrubber) extendHits(text string, g gram, p int) int {
	h := gramHash(g)
	if s.filter[h/64]&(1<<(h%64)) == 0 {
		return -1 // the common case, answered without a map lookup
	}
	best := -1
	for _, hit := range s.grams[g] {
		n := s.needles[hit.needle]
		if end := extend(text, n, int(hit.offset), p); end > best {
			best = end
		}
	}
	return best
}

// gramHash hashes a window to a bit of the filter: Fibonacci hashing of
// its four bytes when each rune fits one (nearly always), FNV-1a over its
// runes otherwise.
func gramHash(g gram) uint32 {
	if g[0]|g[1]|g[2]|g[3] < 0x100 {
		k := uint32(g[0]) | uint32(g[1])<<8 | uint32(g[2])<<16 | uint32(g[3])<<24
		return (k * 0x9E3779B1) >> (32 - filterBits)
	}
	h := uint32(2166136261)
	for _, r := range g {
		h = (h ^ uint32(r)) * 16777619
	}
	return h >> (32 - filterBits)
}

// filterBits is the log2 of the filter's size in bits: 8 KiB, in which the
// windows of a client's secrets (a few hundred) set about 1% of the bits.
const filterBits = 16

// extend follows needle n from rune offset+gramLen on, in text from p on,
// through every reading of each character (the plain one and an escaped
// one may both fit, as & and &amp; both read "&"), and returns the
// furthest end of a run of at least n.min runes, or -1.
func extend(text string, n needle, offset, p int) int {
	best := -1
	if gramLen >= n.min {
		best = p
	}
	// Readings that fit so far, by where they end; two slices of fixed
	// arrays, swapped, keep the walk off the heap.
	var bufA, bufB [4]int
	frontier, next := append(bufA[:0], p), bufB[:0]
	for j := offset + gramLen; j < len(n.runes) && len(frontier) > 0; j++ {
		want := n.runes[j]
		next = next[:0]
		for _, q := range frontier {
			if q >= len(text) {
				continue
			}
			if r, e := decodePlain(text, q); r == want {
				next = appendUnique(next, e)
			}
			if isEscapeStart(text[q]) {
				if r, e := decodeEscaped(text, q); e > 0 && r == want {
					next = appendUnique(next, e)
				}
			}
		}
		frontier, next = next, frontier
		if len(frontier) > 0 && j+1-offset >= n.min {
			best = max(best, slices.Max(frontier))
		}
	}
	return best
}

func appendUnique(s []int, v int) []int {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// isEscapeStart reports whether an escaped character may start with c.
func isEscapeStart(c byte) bool { return c == '&' || c == '\\' || c == '%' || c == '+' }

// decodePlain reads the character at text[p] as it stands, folded to
// lower case, and returns it with the position after it.
func decodePlain(text string, p int) (rune, int) {
	if c := text[p]; c < utf8.RuneSelf {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		return rune(c), p + 1
	}
	r, size := utf8.DecodeRuneInString(text[p:])
	return unicode.ToLower(r), p + size
}

// decodeEscaped reads an escaped character at text[p], folded to lower
// case, and returns it with the position after it; the position is 0
// when no escape starts there.
func decodeEscaped(text string, p int) (rune, int) {
	var r rune
	end := 0
	switch text[p] {
	case '+':
		r, end = ' ', p+1
	case '&':
		r, end = decodeEntity(text, p)
	case '\\':
		r, end = decodeBackslash(text, p)
	case '%':
		r, end = decodePercent(text, p)
	}
	if end == 0 {
		return 0, 0
	}
	return unicode.ToLower(r), end
}

// htmlNames are the named entities an escaping echo uses.
var htmlNames = map[string]rune{"amp": '&', "lt": '<', "gt": '>', "quot": '"', "apos": '\''}

// maxEntityLen bounds an entity's length (leading zeros included).
const maxEntityLen = 32

// decodeEntity reads &#115; &#x73; (leading zeros allowed) or a named
// entity at text[p].
func decodeEntity(text string, p int) (rune, int) {
	semi := strings.IndexByte(text[p:min(len(text), p+maxEntityLen)], ';')
	if semi < 2 {
		return 0, 0
	}
	body := text[p+1 : p+semi]
	end := p + semi + 1
	if body[0] != '#' {
		r, ok := htmlNames[strings.ToLower(body)]
		if !ok {
			return 0, 0
		}
		return r, end
	}
	digits, base := body[1:], 10
	if digits != "" && (digits[0] == 'x' || digits[0] == 'X') {
		digits, base = digits[1:], 16
	}
	v, err := strconv.ParseUint(digits, base, 32)
	if err != nil || digits == "" || v > unicode.MaxRune {
		return 0, 0
	}
	return rune(v), end
}

// decodeBackslash reads a JSON escape at text[p]: \uXXXX (a surrogate
// pair as one character), \" \\ or \/.
func decodeBackslash(text string, p int) (rune, int) {
	if p+1 >= len(text) {
		return 0, 0
	}
	switch c := text[p+1]; c {
	case '"', '\\', '/':
		return rune(c), p + 2
	case 'u', 'U':
	default:
		return 0, 0
	}
	r1, ok := hex4(text, p+2)
	if !ok {
		return 0, 0
	}
	if !utf16.IsSurrogate(r1) {
		return r1, p + 6
	}
	if p+12 > len(text) || text[p+6] != '\\' || (text[p+7] != 'u' && text[p+7] != 'U') {
		return 0, 0
	}
	r2, ok := hex4(text, p+8)
	if r := utf16.DecodeRune(r1, r2); ok && r != utf8.RuneError {
		return r, p + 12
	}
	return 0, 0
}

func hex4(text string, p int) (rune, bool) {
	if p+4 > len(text) {
		return 0, false
	}
	v, err := strconv.ParseUint(text[p:p+4], 16, 16)
	return rune(v), err == nil
}

// decodePercent reads one character's UTF-8 bytes, each as %XX, at
// text[p].
func decodePercent(text string, p int) (rune, int) {
	var buf [utf8.UTFMax]byte
	n := 0
	for q := p; n < len(buf) && q+3 <= len(text) && text[q] == '%'; q += 3 {
		v, err := strconv.ParseUint(text[q+1:q+3], 16, 8)
		if err != nil {
			break
		}
		buf[n] = byte(v)
		n++
		// An incomplete sequence decodes as RuneError of size 1; U+FFFD
		// itself is three bytes.
		if r, size := utf8.DecodeRune(buf[:n]); r != utf8.RuneError || size > 1 {
			return r, q + 3
		}
	}
	return 0, 0
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
