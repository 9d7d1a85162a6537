package bulk

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/custsync/custsync/adapter"
)

// MaxLineBytes caps one line of a JSONL input, its ending left out. A
// customer is a few KiB; a longer line is a failed record whose start
// alone is kept, so that one runaway line can neither stop a run nor
// make it hold the line in memory. It caps a row of a CSV input too
// (see [CSVReader]).
const MaxLineBytes = 1 << 20

// readBufferBytes is the read buffer under a JSONLReader; lines longer
// than it are assembled from several reads.
const readBufferBytes = 64 << 10

// keptOfLongLine is how much of a line over MaxLineBytes its record keeps:
// enough for a person to find it in the input, which its line number
// also points to.
const keptOfLongLine = 256

// The reserved keys of a JSONL failures file (see [FailuresFile]).
const (
	errorKey = "_error"
	rawKey   = "_raw"
)

// JSONLReader reads a JSONL input, one customer update per line in the
// JSON form [adapter.ParseCustomerUpdate] reads, and writes failed records
// back in the same form, so that a failures file is an input again.
//
// Lines end in \n or \r\n; the last one may have no ending, and a UTF-8
// byte order mark at the start of the input is dropped (spreadsheet
// exports write one). A line of white space only is no record: its bytes
// count in the next record's Size. Lines of any length up to
// [MaxLineBytes] are read whole, in memory bounded by that limit; a longer
// line is a record with an InvalidArgument Err naming its length and the
// limit, and its start, cut at a character boundary and followed by "…",
// is what its failures-file line keeps under "_raw".
//
// A line that is not a valid update is a record with Err set to
// [adapter.ParseCustomerUpdate]'s error; when the line is a JSON object
// whose "id" is a string (and whose "sourceSystem", if present, is a
// string too), Record.Customer addresses that customer, so that its
// failure can keep its place among that customer's records.
//
// Reading a failures file, the "_error" member of each line is dropped
// and a line kept as {"_raw": "<text>", "_error": {...}} is read as its
// text: a line fixed in the failures file goes through, one left as it
// was fails as it did.
//
// A JSONLReader is not safe for concurrent use.
type JSONLReader struct {
	lines    lineReader
	blank    int64 // bytes of blank lines read since the last record
	file     InputFile
	isFile   bool
	failures failureEncoder
}

var _ FileReader = (*JSONLReader)(nil)

// NewJSONLReader returns a reader of the JSONL input r. It reads r through
// a buffer of its own. When r is a regular file (an *os.File, or anything
// with its Name and Stat methods) outside /dev and /proc, the reader
// notes its absolute path, size and modification time (see
// [JSONLReader.File]).
func NewJSONLReader(r io.Reader) *JSONLReader {
	jr := &JSONLReader{lines: lineReader{r: bufio.NewReaderSize(r, readBufferBytes)}}
	jr.file, jr.isFile = inputFileOf(r)
	return jr
}

// inputFileOf describes r when it is a regular file that can be named:
// not one under /dev or /proc, such as /dev/stdin, which names whatever
// the descriptor is.
func inputFileOf(r io.Reader) (InputFile, bool) {
	f, ok := r.(interface {
		Name() string
		Stat() (fs.FileInfo, error)
	})
	if !ok || f.Name() == "" || systemPath(f.Name()) {
		return InputFile{}, false
	}
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		return InputFile{}, false
	}
	path, err := filepath.Abs(f.Name())
	if err != nil {
		return InputFile{}, false
	}
	return InputFile{Path: path, Size: info.Size(), ModTime: info.ModTime()}, true
}

// File describes the input file as it was when the reader was made; ok
// is false when the input is not a regular file it could name.
func (r *JSONLReader) File() (f InputFile, ok bool) { return r.file, r.isFile }

// Next returns the next record, or io.EOF after the last one. An error
// reading r is returned as it is; [JSONLReader.Line] says how far the
// input was read.
func (r *JSONLReader) Next() (Record, error) {
	for {
		line, err := r.lines.next()
		if err != nil {
			return Record{}, err
		}
		// An overlong line is a record even if its start is blank: what
		// follows is not known.
		if !line.tooLong() && len(bytes.TrimSpace(line.text)) == 0 {
			r.blank += line.size
			continue
		}
		rec := Record{Line: line.number, Size: r.blank + line.size}
		r.blank = 0
		if line.tooLong() {
			rec.Raw = rawObject(cutLongLine(line.text))
			rec.Err = &adapter.Error{
				Code:    adapter.InvalidArgument,
				Message: fmt.Sprintf("the line is %d bytes, over the limit of %d; only its start is kept in %s", line.length, MaxLineBytes, rawKey),
			}
			return rec, nil
		}
		rec.Update, rec.Raw, rec.Err = decodeLine(line.text)
		if rec.Err != nil {
			rec.Update = nil
			rec.Customer = customerNamed(rec.Raw)
		}
		return rec, nil
	}
}

// Line returns how many lines were read so far, blank ones included: the
// line of the last record returned, or past it when blank lines followed.
func (r *JSONLReader) Line() int { return r.lines.n }

// Offset returns how many bytes of the input were read so far: where the
// line after the last one read starts.
func (r *JSONLReader) Offset() int64 { return r.lines.offset }

// AppendFailure appends the failures-file line of rec: the record's JSON
// object as it was written, its members in their order and each value
// byte for byte (numbers keep every digit), without the white space
// between members and without an earlier "_error", followed by an
// "_error" member holding f; or, for a line that is not a JSON object,
// {"_raw": "<the line>", "_error": f}; then \n. Text is written without
// HTML escaping, and invalid UTF-8 in a "_raw" text becomes U+FFFD.
func (r *JSONLReader) AppendFailure(dst []byte, rec Record, f Failure) []byte {
	return r.failures.appendFailure(dst, rec.Raw, f)
}

// appendFailure appends the failures-file line of the record whose
// object (see decodeLine) is obj.
func appendFailure(b, obj []byte, f Failure) []byte {
	var enc failureEncoder
	return enc.appendFailure(b, obj, f)
}

// failureEncoder writes failures-file lines, reusing the JSON of the
// last failure when only its line differs: a stopped run writes the
// rest of its input as not sent, thousands of failures alike. It may be
// used from several goroutines, and while the reader reads.
type failureEncoder struct {
	mu   sync.Mutex
	last Failure // with Line 0
	tail []byte  // last's JSON after `{"line":0`; nil before the first
}

// lineKeyZero is how a Failure's JSON starts when its line is 0: Line is
// its first field.
const lineKeyZero = `{"line":0`

func (e *failureEncoder) appendFailure(b, obj []byte, f Failure) []byte {
	obj = failuresObject(obj)
	if len(obj) == 2 { // {}
		b = append(b, '{')
	} else {
		b = append(b, obj[:len(obj)-1]...)
		b = append(b, ',')
	}
	b = append(b, `"`+errorKey+`":`...)
	b = e.appendError(b, f)
	return append(b, '}', '\n')
}

// appendError appends f's JSON.
func (e *failureEncoder) appendError(b []byte, f Failure) []byte {
	key := f
	key.Line = 0
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.tail == nil || key != e.last {
		full := encodeFailure(key)
		tail, ok := bytes.CutPrefix(full, []byte(lineKeyZero))
		if !ok {
			e.tail = nil
			return append(b, encodeFailure(f)...)
		}
		e.last, e.tail = key, tail
	}
	b = append(b, lineKeyZero[:len(lineKeyZero)-1]...)
	b = strconv.AppendInt(b, int64(f.Line), 10)
	return append(b, e.tail...)
}

// encodeFailure is f's JSON, without HTML escaping.
func encodeFailure(f Failure) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(f); err != nil {
		panic(fmt.Sprintf("bulk: encoding a failure: %v", err)) // strings, ints and bools always encode
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// failuresObject returns the failures-file form of a record's object: its
// members as written, in order, without "_error" and without white space
// between them. Anything else is kept as text, under "_raw".
func failuresObject(obj []byte) []byte {
	if out, ok := compactObject(obj); ok {
		return out
	}
	return decodedFailuresObject(obj)
}

// decodedFailuresObject is failuresObject by way of the decoder alone:
// the general path, and what compactObject's shortcut must agree with.
func decodedFailuresObject(obj []byte) []byte {
	members, ok := objectMembers(obj)
	if !ok {
		return rawObject(obj)
	}
	kept := members[:0]
	for _, m := range members {
		if m.key != errorKey {
			kept = append(kept, m)
		}
	}
	return encodeMembers(kept)
}

// decodeLine reads one line: the update it holds, the record's object for
// the failures file, and the InvalidArgument error of a line that is no
// valid update. The object is the line itself when it is a valid update
// (appendFailure puts it in its failures-file form, which only a failure
// needs); otherwise it is the line's members without any "_error", or,
// for a line that is not a JSON object, {"_raw": "<the line>"}.
func decodeLine(text []byte) (*adapter.CustomerUpdate, []byte, error) {
	// A valid update holds no "_error" or "_raw" (it would be an unknown
	// key), so it reads the same as its failures-file form does.
	if t := bytes.TrimLeft(text, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		if u, err := adapter.ParseCustomerUpdate(text); err == nil {
			return u, bytes.Clone(text), nil
		}
	}
	members, ok := objectMembers(text)
	if !ok {
		_, err := adapter.ParseCustomerUpdate(text)
		if err == nil { // cannot happen: ParseCustomerUpdate wants an object too
			err = &adapter.Error{Code: adapter.InvalidArgument, Message: "want one JSON object"}
		}
		return nil, rawObject(text), err
	}
	if raw, ok := rawMember(members); ok {
		// A line a failures file kept as text: read the text again, so a
		// fixed "_raw" goes through and an unfixed one fails as before.
		return decodeLine(raw)
	}
	kept := members[:0]
	for _, m := range members {
		if m.key != errorKey {
			kept = append(kept, m)
		}
	}
	obj := encodeMembers(kept)
	u, err := adapter.ParseCustomerUpdate(obj)
	return u, obj, err
}

// compactObject is what failuresObject returns for obj, computed without
// decoding it, when obj is a valid JSON object whose keys are printable
// ASCII without escapes, as custsync's own inputs are: its members as
// written, in order, without "_error" and without white space between
// them. ok is false for anything else.
func compactObject(obj []byte) (out []byte, ok bool) {
	if !json.Valid(obj) {
		return nil, false
	}
	i := skipSpace(obj, 0)
	if obj[i] != '{' {
		return nil, false
	}
	out = make([]byte, 0, len(obj))
	out = append(out, '{')
	i++
	for {
		i = skipSpace(obj, i)
		switch obj[i] {
		case '}':
			return append(out, '}'), true
		case ',':
			i = skipSpace(obj, i+1)
		}
		keyStart := i
		i = skipString(obj, i)
		key := obj[keyStart:i]
		if !plainKey(key) {
			return nil, false
		}
		i = skipSpace(obj, i)
		i = skipSpace(obj, i+1) // the colon
		valueStart := i
		i = skipValue(obj, i)
		if string(key) == `"`+errorKey+`"` {
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, key...)
		out = append(out, ':')
		out = append(out, obj[valueStart:i]...)
	}
}

// plainKey reports whether key, a JSON string with its quotes, holds
// only printable ASCII and no escape: encoding it again gives it back.
func plainKey(key []byte) bool {
	for _, c := range key[1 : len(key)-1] {
		if c < 0x20 || c > 0x7e || c == '\\' {
			return false
		}
	}
	return true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the JSON string that starts at i,
// in valid JSON.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// skipValue returns the index after the JSON value that starts at i, in
// valid JSON.
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) && !strings.ContainsRune(",}] \t\r\n", rune(b[i])) {
		i++
	}
	return i
}

// rawObject returns {"_raw": "<text>"}.
func rawObject(text []byte) []byte {
	b := append([]byte(nil), `{"`+rawKey+`":`...)
	b = appendJSONString(b, string(text))
	return append(b, '}')
}

// cutLongLine returns the start of a line over MaxLineBytes, cut at a
// character boundary and marked as cut.
func cutLongLine(text []byte) []byte {
	if len(text) <= keptOfLongLine {
		return text
	}
	cut := keptOfLongLine
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return append(bytes.Clone(text[:cut]), "…"...)
}

type member struct {
	key   string
	value json.RawMessage
}

// objectMembers splits a line holding exactly one JSON object into its
// members; ok is false for anything else.
func objectMembers(text []byte) (members []member, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(text))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		key, isKey := tok.(string)
		if !isKey {
			return nil, false
		}
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, false
		}
		members = append(members, member{key: key, value: value})
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, false
	}
	return members, true
}

// rawMember returns the text of a {"_raw": "...", "_error": ...} line.
func rawMember(members []member) ([]byte, bool) {
	var raw []byte
	found := false
	for _, m := range members {
		switch m.key {
		case errorKey:
		case rawKey:
			var s string
			if json.Unmarshal(m.value, &s) != nil {
				return nil, false
			}
			raw, found = []byte(s), true
		default:
			return nil, false
		}
	}
	return raw, found
}

func encodeMembers(members []member) []byte {
	b := []byte{'{'}
	for i, m := range members {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, m.key)
		b = append(b, ':')
		b = append(b, m.value...)
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string without HTML escaping, so
// text comes back as it was written. Invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

// customerNamed returns, for the failures-file object of a line that is
// not a valid update but names a customer (its "id", and its
// "sourceSystem" if given, are strings), an update that addresses that
// customer and sets no field; nil otherwise.
func customerNamed(obj []byte) *adapter.CustomerUpdate {
	// Only these two keys are read; the line's other faults do not matter.
	members, ok := objectMembers(obj)
	if !ok {
		return nil
	}
	var id, sourceSystem *string
	for _, m := range members {
		var dst **string
		switch m.key {
		case "id":
			dst = &id
		case "sourceSystem":
			dst = &sourceSystem
		default:
			continue
		}
		var v string
		if json.Unmarshal(m.value, &v) != nil {
			return nil
		}
		*dst = &v
	}
	if id == nil || *id == "" {
		return nil
	}
	u := &adapter.CustomerUpdate{ID: *id}
	if sourceSystem != nil {
		u.SourceSystem = *sourceSystem
	}
	return u
}

// inputLine is one line of a JSONL input.
type inputLine struct {
	number int    // from 1
	text   []byte // the line without its ending; reused by the next call to next
	size   int64  // bytes the line took in the input, ending included
	// length is the line's length without its ending when it is longer
	// than MaxLineBytes; text then holds only its start.
	length int64
}

func (l inputLine) tooLong() bool { return l.length > MaxLineBytes }

// lineReader reads lines in memory bounded by MaxLineBytes.
type lineReader struct {
	r      *bufio.Reader
	n      int   // lines read
	offset int64 // bytes read
	buf    []byte
}

// next returns the next line, or io.EOF after the last one.
func (l *lineReader) next() (inputLine, error) {
	l.buf = l.buf[:0]
	var size int64
	var chunk []byte
	var beforeChunk byte // the byte read before chunk, for a \r\n split across reads
	for {
		if len(chunk) > 0 {
			beforeChunk = chunk[len(chunk)-1]
		}
		var err error
		chunk, err = l.r.ReadSlice('\n')
		size += int64(len(chunk))
		// Keep at most the limit plus a \r\n: enough to tell a line at the
		// limit from one over it, and to quote the start of an overlong one.
		if room := MaxLineBytes + 2 - len(l.buf); room > 0 {
			l.buf = append(l.buf, chunk[:min(len(chunk), room)]...)
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if size == 0 {
				return inputLine{}, io.EOF
			}
		case err != nil:
			return inputLine{}, err
		}
		break
	}
	l.n++
	l.offset += size
	line := inputLine{number: l.n, size: size}
	length := size
	if bytes.HasSuffix(chunk, []byte("\n")) {
		length--
		if (len(chunk) >= 2 && chunk[len(chunk)-2] == '\r') || (len(chunk) == 1 && beforeChunk == '\r') {
			length--
		}
	}
	text := trimEnding(l.buf)
	if l.n == 1 && bytes.HasPrefix(text, []byte("\xef\xbb\xbf")) {
		text, length = text[3:], length-3
	}
	line.text = text
	if length > MaxLineBytes {
		line.length = length
	}
	return line, nil
}

// trimEnding cuts a trailing \n or \r\n.
func trimEnding(b []byte) []byte {
	if b, ok := bytes.CutSuffix(b, []byte("\n")); ok {
		b, _ = bytes.CutSuffix(b, []byte("\r"))
		return b
	}
	return b
}
