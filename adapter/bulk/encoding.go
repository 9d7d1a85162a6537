package bulk

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Encoding is the text encoding of a CSV input, which its failures file
// is written in too. The zero Encoding is UTF-8.
type Encoding struct {
	name string
	// single is the table of a single-byte encoding; nil for UTF-8 and
	// UTF-16.
	single *charmap.Charmap
	utf16  bool
	// order is UTF-16's byte order without a byte order mark; fixed says
	// that a mark of the other order is refused (utf-16le, utf-16be).
	bigEndian, fixed bool
}

// The encodings a CSV input may be in, by the names ParseEncoding takes.
var (
	UTF8        = Encoding{name: "utf-8"}
	Windows1252 = Encoding{name: "windows-1252", single: charmap.Windows1252}
	ISO88591    = Encoding{name: "iso-8859-1", single: charmap.ISO8859_1}
	ISO885915   = Encoding{name: "iso-8859-15", single: charmap.ISO8859_15}
	// UTF16 takes its byte order from the byte order mark, and is little
	// endian without one, as Windows writes it ("Unicode text").
	UTF16   = Encoding{name: "utf-16", utf16: true}
	UTF16LE = Encoding{name: "utf-16le", utf16: true, fixed: true}
	UTF16BE = Encoding{name: "utf-16be", utf16: true, bigEndian: true, fixed: true}
)

var encodingNames = map[string]Encoding{
	"utf-8": UTF8, "utf8": UTF8,
	"windows-1252": Windows1252, "cp1252": Windows1252,
	"iso-8859-1": ISO88591, "latin1": ISO88591, "latin-1": ISO88591,
	"iso-8859-15": ISO885915, "latin9": ISO885915, "latin-9": ISO885915,
	"utf-16": UTF16, "utf16": UTF16,
	"utf-16le": UTF16LE, "utf-16be": UTF16BE,
}

// EncodingNames lists the names ParseEncoding takes, one per encoding.
func EncodingNames() []string {
	return []string{UTF8.name, Windows1252.name, ISO88591.name, ISO885915.name, UTF16.name, UTF16LE.name, UTF16BE.name}
}

// ParseEncoding returns the encoding named name, in any case: utf-8,
// windows-1252 (cp1252), iso-8859-1 (latin1), iso-8859-15 (latin9),
// utf-16, utf-16le, utf-16be.
func ParseEncoding(name string) (Encoding, error) {
	if e, ok := encodingNames[strings.ToLower(strings.TrimSpace(name))]; ok {
		return e, nil
	}
	return Encoding{}, fmt.Errorf("no encoding %q: want one of %s", name, strings.Join(EncodingNames(), ", "))
}

// String returns the encoding's name, as ParseEncoding takes it.
func (e Encoding) String() string {
	if e.name == "" {
		return UTF8.name
	}
	return e.name
}

// EncodingError is input that is not text in its encoding: a byte
// sequence the encoding does not define, or a character no customer data
// holds (NUL, and the C1 control characters U+0080 to U+009F), which is
// what an input read in the wrong encoding shows. The input cannot be
// read past it.
type EncodingError struct {
	Encoding string
	Line     int    // the line the bytes are on, from 1
	Offset   int64  // the offset of their first byte in the input, from 0
	Bytes    []byte // the bytes at fault
	// Reason says what is wrong with them, and, where it shows, which
	// encoding the input is likely in.
	Reason string
}

func (e *EncodingError) Error() string {
	return fmt.Sprintf("line %d: %s %s", e.Line, hexBytes(e.Bytes), e.Reason)
}

func hexBytes(b []byte) string {
	parts := make([]string, len(b))
	for i, c := range b {
		parts[i] = fmt.Sprintf("0x%02X", c)
	}
	if len(b) == 1 {
		return "byte " + parts[0]
	}
	return "bytes " + strings.Join(parts, " ")
}

// Byte order marks.
var (
	utf8BOM    = []byte{0xEF, 0xBB, 0xBF}
	utf16LEBOM = []byte{0xFF, 0xFE}
	utf16BEBOM = []byte{0xFE, 0xFF}
)

// decodeBufferBytes is how much of the input a decoder reads at a time.
const decodeBufferBytes = 64 << 10

// decoder reads an input in its encoding as UTF-8, without a byte order
// mark, and stops with an *EncodingError at the first byte that is not
// text in it.
type decoder struct {
	src io.Reader
	enc Encoding

	raw       []byte // read from src; raw[start:] not yet decoded
	start     int
	out       []byte // decoded; out[served:] not yet returned
	served    int
	began     bool // the byte order mark, if any, was dealt with
	bom       []byte
	bigEndian bool  // UTF-16's byte order, once began
	line      int   // line endings decoded so far
	offset    int64 // input bytes decoded so far, the mark included
	srcErr    error // src's error (io.EOF at its end), once it gave one
	err       error // what Read returns once out is served
}

func newDecoder(src io.Reader, enc Encoding) *decoder {
	return &decoder{src: src, enc: enc, raw: make([]byte, 0, decodeBufferBytes), bigEndian: enc.bigEndian}
}

func (d *decoder) Read(p []byte) (int, error) {
	for d.served == len(d.out) {
		if d.err != nil {
			return 0, d.err
		}
		d.fill()
	}
	n := copy(p, d.out[d.served:])
	d.served += n
	return n, nil
}

// fill reads more of the input and decodes what it can of it.
func (d *decoder) fill() {
	d.out, d.served = d.out[:0], 0
	if d.start > 0 {
		d.raw = d.raw[:copy(d.raw, d.raw[d.start:])]
		d.start = 0
	}
	if d.srcErr == nil {
		n, err := d.src.Read(d.raw[len(d.raw):cap(d.raw)])
		d.raw = d.raw[:len(d.raw)+n]
		d.srcErr = err
	}
	final := d.srcErr != nil
	if !d.began {
		if len(d.raw) < 3 && !final {
			return // too little to tell a byte order mark yet
		}
		if err := d.begin(); err != nil {
			d.err = err
			return
		}
	}
	if err := d.decode(final); err != nil {
		d.err = err
		return
	}
	if final && d.start == len(d.raw) {
		d.err = d.srcErr
	}
}

// begin skips the input's byte order mark, and refuses one of another
// encoding than the input's.
func (d *decoder) begin() error {
	d.began = true
	b := d.raw
	other := func(mark []byte, what string) error {
		return &EncodingError{Encoding: d.enc.String(), Line: 1, Bytes: bytes.Clone(mark),
			Reason: fmt.Sprintf("are a %s byte order mark: the input is %s, not %s", what, what, d.enc)}
	}
	switch {
	case bytes.HasPrefix(b, utf8BOM):
		if d.enc.single != nil || d.enc.utf16 {
			return other(utf8BOM, "UTF-8")
		}
		d.bom = utf8BOM
	case bytes.HasPrefix(b, utf16LEBOM), bytes.HasPrefix(b, utf16BEBOM):
		big := b[0] == 0xFE
		mark := b[:2]
		switch {
		case !d.enc.utf16:
			return other(mark, "UTF-16")
		case d.enc.fixed && big != d.enc.bigEndian:
			actual := UTF16LE
			if big {
				actual = UTF16BE
			}
			return &EncodingError{Encoding: d.enc.String(), Line: 1, Bytes: bytes.Clone(mark),
				Reason: fmt.Sprintf("are the byte order mark of %s, not %s", actual, d.enc)}
		}
		d.bom, d.bigEndian = mark, big
	}
	d.start = len(d.bom)
	d.offset = int64(len(d.bom))
	return nil
}

// decode decodes d.raw[d.start:] into d.out, all of it when final, else
// up to the last whole character.
func (d *decoder) decode(final bool) error {
	switch {
	case d.enc.single != nil:
		return d.decodeSingle()
	case d.enc.utf16:
		return d.decodeUTF16(final)
	}
	return d.decodeUTF8(final)
}

func (d *decoder) fault(at int, n int, reason string) error {
	line := d.line + bytes.Count(d.out, []byte("\n")) + 1
	return &EncodingError{Encoding: d.enc.String(), Line: line, Offset: d.offset + int64(at-d.start),
		Bytes: bytes.Clone(d.raw[at : at+n]), Reason: reason}
}

// done notes that d.raw[d.start:end] was decoded into d.out.
func (d *decoder) done(end int) {
	d.offset += int64(end - d.start)
	d.start = end
	d.line += bytes.Count(d.out, []byte("\n"))
}

func (d *decoder) decodeUTF8(final bool) error {
	chunk := d.raw[d.start:]
	n := len(chunk)
	if !final {
		n = wholeRunes(chunk)
	}
	text := chunk[:n]
	if i, size, reason := firstNonText(text); i >= 0 {
		d.out = append(d.out, text[:i]...)
		return d.fault(d.start+i, size, reason)
	}
	d.out = append(d.out, text...)
	d.done(d.start + n)
	return nil
}

// wholeRunes is the length of b's longest prefix that does not end in a
// character cut short.
func wholeRunes(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return i
			}
			break
		}
	}
	return len(b)
}

// firstNonText finds in UTF-8 text the first bytes that are not UTF-8 or
// that are NUL or a C1 control character: their index and length and
// why, or -1.
func firstNonText(b []byte) (at, size int, reason string) {
	if utf8.Valid(b) && bytes.IndexByte(b, 0) < 0 && !hasC1(b) {
		return -1, 0, ""
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			return i, 1, "is not UTF-8 (is the input in another encoding, such as windows-1252?)"
		case r == 0:
			return i, 1, "is NUL, which no text holds (is the input UTF-16?)"
		case isC1(r):
			return i, n, fmt.Sprintf("are %U, a control character no customer data holds", r)
		}
		i += n
	}
	return -1, 0, ""
}

// hasC1 reports whether UTF-8 text b holds a C1 control character: 0xC2
// followed by 0x80 to 0x9F.
func hasC1(b []byte) bool {
	for {
		i := bytes.IndexByte(b, 0xC2)
		if i < 0 || i+1 >= len(b) {
			return false
		}
		if b[i+1] >= 0x80 && b[i+1] <= 0x9F {
			return true
		}
		b = b[i+1:]
	}
}

func isC1(r rune) bool { return r >= 0x80 && r <= 0x9F }

func (d *decoder) decodeSingle() error {
	chunk := d.raw[d.start:]
	for i := 0; i < len(chunk); i++ {
		// ASCII is itself in UTF-8, and most of an export: copy it by runs.
		if run := asciiRun(chunk[i:]); run > 0 {
			d.out = append(d.out, chunk[i:i+run]...)
			i += run - 1
			continue
		}
		c := chunk[i]
		r := d.enc.single.DecodeByte(c)
		switch {
		case c == 0:
			return d.fault(d.start+i, 1, "is NUL, which no text holds (is the input UTF-16?)")
		case r == utf8.RuneError:
			return d.fault(d.start+i, 1, fmt.Sprintf("is no character in %s", d.enc))
		case isC1(r):
			return d.fault(d.start+i, 1, fmt.Sprintf("is %U in %s, a control character no customer data holds (is the input windows-1252?)", r, d.enc))
		}
		d.out = utf8.AppendRune(d.out, r)
	}
	d.done(len(d.raw))
	return nil
}

func (d *decoder) decodeUTF16(final bool) error {
	b := d.raw
	unit := func(i int) uint16 {
		if d.bigEndian {
			return uint16(b[i])<<8 | uint16(b[i+1])
		}
		return uint16(b[i+1])<<8 | uint16(b[i])
	}
	i := d.start
	for ; i+1 < len(b); i += 2 {
		u := unit(i)
		var r rune
		switch {
		case utf16.IsSurrogate(rune(u)) && u < 0xDC00:
			if i+3 >= len(b) {
				if !final {
					d.done(i)
					return nil
				}
				return d.fault(i, len(b)-i, "are half of a UTF-16 surrogate pair")
			}
			low := unit(i + 2)
			if low < 0xDC00 || low > 0xDFFF {
				return d.fault(i, 2, "are half of a UTF-16 surrogate pair")
			}
			r = utf16.DecodeRune(rune(u), rune(low))
			i += 2
		case utf16.IsSurrogate(rune(u)):
			return d.fault(i, 2, "are half of a UTF-16 surrogate pair")
		default:
			r = rune(u)
		}
		switch {
		case r == 0:
			return d.fault(i, 2, "are U+0000 (NUL), which no text holds")
		case isC1(r):
			return d.fault(i, 2, fmt.Sprintf("are %U, a control character no customer data holds", r))
		}
		d.out = utf8.AppendRune(d.out, r)
	}
	if i < len(b) && final {
		return d.fault(i, len(b)-i, "end the input in half a UTF-16 character")
	}
	d.done(i)
	return nil
}

// asciiRun is the length of the run of ASCII bytes but NUL that b starts
// with.
func asciiRun(b []byte) int {
	for i, c := range b {
		if c >= utf8.RuneSelf || c == 0 {
			return i
		}
	}
	return len(b)
}

// rawSize is how many bytes of the input in encoding e the decoded text
// took.
func (e Encoding) rawSize(text []byte) int64 {
	switch {
	case e.single != nil:
		return int64(utf8.RuneCount(text))
	case e.utf16:
		n := 0
		for _, r := range string(text) {
			n += 2 * utf16.RuneLen(r)
		}
		return int64(n)
	}
	return int64(len(text))
}

// appendEncoded appends UTF-8 text in encoding e, UTF-16 in the byte
// order bigEndian says. A character e cannot write (it can only come
// from an error message: text read from the input is always in it)
// becomes "?".
func (e Encoding) appendEncoded(dst, text []byte, bigEndian bool) []byte {
	switch {
	case e.single != nil:
		for _, r := range string(text) {
			c, ok := e.single.EncodeRune(r)
			if !ok {
				c = '?'
			}
			dst = append(dst, c)
		}
		return dst
	case e.utf16:
		for _, r := range string(text) {
			var units [2]uint16
			n := 1
			if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
				units[0], units[1], n = uint16(r1), uint16(r2), 2
			} else {
				units[0] = uint16(r)
			}
			for _, u := range units[:n] {
				if bigEndian {
					dst = append(dst, byte(u>>8), byte(u))
				} else {
					dst = append(dst, byte(u), byte(u>>8))
				}
			}
		}
		return dst
	}
	return append(dst, text...)
}
