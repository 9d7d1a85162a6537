package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// maxLineBytes caps one input line. A customer is a few KiB; a longer
// line is a failed record (its start goes to the failures file), so one
// runaway line can neither stop a batch nor blow up memory.
const maxLineBytes = 1 << 20

// readBufferBytes is the bufio buffer under the line reader; lines longer
// than it are assembled from several reads.
const readBufferBytes = 64 << 10

// inputLine is one line of a JSONL input.
type inputLine struct {
	number int    // 1-based
	text   []byte // the line without its ending; reused by the next call to next
	size   int64  // bytes the line took in the input, ending included
	// length is the line's full length when it is longer than
	// maxLineBytes; text then holds only its start.
	length int64
}

func (l inputLine) tooLong() bool { return l.length > maxLineBytes }

// lineReader reads a JSONL stream line by line in constant memory. It
// accepts \n and \r\n endings, a last line without an ending and a UTF-8
// byte order mark at the start (spreadsheet exports write one).
type lineReader struct {
	r   *bufio.Reader
	n   int
	buf []byte
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, readBufferBytes)}
}

// next returns the next line, or io.EOF after the last one.
func (l *lineReader) next() (inputLine, error) {
	l.buf = l.buf[:0]
	var size int64
	var chunk []byte
	for {
		var err error
		chunk, err = l.r.ReadSlice('\n')
		size += int64(len(chunk))
		// Keep at most the limit plus a \r\n: enough to tell a line at the
		// limit from one over it, and to quote the start of an overlong one.
		if room := maxLineBytes + 2 - len(l.buf); room > 0 {
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
	line := inputLine{number: l.n, size: size}
	length := size - int64(len(chunk)-len(trimEnding(chunk)))
	text := trimEnding(l.buf)
	if l.n == 1 && bytes.HasPrefix(text, []byte("\xef\xbb\xbf")) {
		text, length = text[3:], length-3
	}
	line.text = text
	if length > maxLineBytes {
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

// blank reports whether a line holds only white space: blank lines are
// not records.
func blank(text []byte) bool { return len(bytes.TrimSpace(text)) == 0 }
