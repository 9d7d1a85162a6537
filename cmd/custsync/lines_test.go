package main

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readAll returns every line's text, size and whether it was too long.
func readAll(t *testing.T, input string) []inputLine {
	t.Helper()
	r := newLineReader(strings.NewReader(input))
	var out []inputLine
	for {
		l, err := r.next()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		l.text = []byte(string(l.text)) // next reuses the buffer
		out = append(out, l)
	}
}

func texts(lines []inputLine) []string {
	var out []string
	for _, l := range lines {
		out = append(out, string(l.text))
	}
	return out
}

func TestLineReader(t *testing.T) {
	t.Parallel()

	t.Run("splits on \\n and \\r\\n and keeps a last line without an ending", func(t *testing.T) {
		t.Parallel()
		lines := readAll(t, "a\nb\r\n\nc")
		assert.Equal(t, []string{"a", "b", "", "c"}, texts(lines))
		assert.Equal(t, []int64{2, 3, 1, 1}, []int64{lines[0].size, lines[1].size, lines[2].size, lines[3].size})
		assert.Equal(t, 4, lines[3].number)
	})

	t.Run("an empty input has no lines", func(t *testing.T) {
		t.Parallel()
		assert.Empty(t, readAll(t, ""))
	})

	t.Run("a byte order mark at the start is dropped", func(t *testing.T) {
		t.Parallel()
		assert.Equal(t, []string{`{"id":"1"}`, "x"}, texts(readAll(t, "\xef\xbb\xbf{\"id\":\"1\"}\nx\n")))
	})

	t.Run("a line at the limit is whole, one byte more is too long", func(t *testing.T) {
		t.Parallel()
		atLimit := strings.Repeat("a", maxLineBytes)
		over := strings.Repeat("b", maxLineBytes+1)
		lines := readAll(t, atLimit+"\r\n"+over+"\nnext\n")
		require.Len(t, lines, 3)
		assert.False(t, lines[0].tooLong())
		assert.Equal(t, atLimit, string(lines[0].text))
		assert.True(t, lines[1].tooLong())
		assert.EqualValues(t, maxLineBytes+1, lines[1].length)
		assert.Equal(t, "next", string(lines[2].text), "reading goes on after a long line")
	})

	t.Run("a very long line is skipped in constant memory", func(t *testing.T) {
		t.Parallel()
		huge := strings.Repeat("x", 8*maxLineBytes)
		lines := readAll(t, huge+"\nok\n")
		require.Len(t, lines, 2)
		assert.True(t, lines[0].tooLong())
		assert.LessOrEqual(t, len(lines[0].text), maxLineBytes+2, "only the start is kept")
		assert.EqualValues(t, 8*maxLineBytes+1, lines[0].size)
	})

	t.Run("blank lines hold only white space", func(t *testing.T) {
		t.Parallel()
		assert.True(t, blank([]byte("  \t")))
		assert.False(t, blank([]byte(" {} ")))
	})
}
