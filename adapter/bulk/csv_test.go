package bulk

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
)

// readCSV reads every record of a CSV input.
func readCSV(t *testing.T, input string, cfg CSVConfig) []Record {
	t.Helper()
	r, err := NewCSVReader(strings.NewReader(input), cfg)
	require.NoError(t, err)
	var out []Record
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		out = append(out, rec)
	}
}

// updateJSON is the JSON of a record's update.
func updateJSON(t *testing.T, rec Record) string {
	t.Helper()
	require.NoError(t, rec.Err, "line %d", rec.Line)
	b, err := json.Marshal(rec.Update)
	require.NoError(t, err)
	return string(b)
}

func errorsOf(recs []Record) []string {
	var out []string
	for _, r := range recs {
		msg := ""
		if r.Err != nil {
			var e *adapter.Error
			if errors.As(r.Err, &e) {
				msg = e.Message
			} else {
				msg = r.Err.Error()
			}
		}
		out = append(out, msg)
	}
	return out
}

func TestCSVReaderSplitsRows(t *testing.T) {
	t.Parallel()

	t.Run("a header, then one record per row, each at the line it starts on", func(t *testing.T) {
		t.Parallel()
		recs := readCSV(t, "id,name\nC-1,Acme\r\nC-2,\"Two\nLines\"\nC-3,\"He said \"\"hi\"\"\"", CSVConfig{})
		require.Len(t, recs, 3)
		assert.Equal(t, []int{2, 3, 5}, linesOf(recs))
		assert.Equal(t, `{"id":"C-1","name":"Acme"}`, updateJSON(t, recs[0]))
		assert.Equal(t, `{"id":"C-2","name":"Two\nLines"}`, updateJSON(t, recs[1]), "an embedded line break is the cell's")
		assert.Equal(t, `{"id":"C-3","name":"He said \"hi\""}`, updateJSON(t, recs[2]))
		assert.Equal(t, []int64{10, 16, 20}, sizesOf(recs), "sizes are the input's bytes, endings included")
	})

	t.Run("empty lines and rows of empty cells are no records, and count in the next record's size", func(t *testing.T) {
		t.Parallel()
		recs := readCSV(t, "id;name\n\nC-1;A\n;\n  ; \t\n\r\nC-2;B\n;\n", CSVConfig{})
		assert.Equal(t, []int{3, 7}, linesOf(recs))
		assert.Equal(t, []int64{1 + 6, 2 + 6 + 2 + 6}, sizesOf(recs))
	})

	t.Run("an empty input, or a header alone, holds no record", func(t *testing.T) {
		t.Parallel()
		for _, in := range []string{"", "\xef\xbb\xbf", "\n\r\n", "id,name\n", "id,name"} {
			assert.Empty(t, readCSV(t, in, CSVConfig{}), "%q", in)
		}
	})

	t.Run("empty lines before the header are skipped", func(t *testing.T) {
		t.Parallel()
		recs := readCSV(t, "\r\n\nid;name\nC-1;Acme\n", CSVConfig{})
		require.Len(t, recs, 1)
		assert.Equal(t, 4, recs[0].Line)
		assert.Equal(t, `{"id":"C-1","name":"Acme"}`, updateJSON(t, recs[0]))
	})

	t.Run("Offset and Line say how far the input was read", func(t *testing.T) {
		t.Parallel()
		in := "\xef\xbb\xbfid,name\r\nC-1,\"a\nb\"\r\n\r\nC-2,c\r\n"
		r, err := NewCSVReader(strings.NewReader(in), CSVConfig{})
		require.NoError(t, err)
		assert.Equal(t, int64(3+9), r.Offset(), "the mark and the header")
		rec, err := r.Next()
		require.NoError(t, err)
		assert.Equal(t, int64(3+9+11), r.Offset())
		assert.Equal(t, 3, r.Line(), "the row's second line")
		assert.Equal(t, int64(11), rec.Size)
		rec, err = r.Next()
		require.NoError(t, err)
		assert.Equal(t, 5, rec.Line)
		assert.Equal(t, int64(len(in)), r.Offset())
		_, err = r.Next()
		assert.ErrorIs(t, err, io.EOF)
	})

	t.Run("a reader that returns a byte at a time reads the same", func(t *testing.T) {
		t.Parallel()
		in := "\xef\xbb\xbfid;name;ccEmails\r\nC-1;\"x\r\ny\";\"a@b.example,c@d.example\"\r\nC-2;Z;\n"
		want := readCSV(t, in, CSVConfig{})
		r, err := NewCSVReader(iotest.OneByteReader(strings.NewReader(in)), CSVConfig{})
		require.NoError(t, err)
		for _, w := range want {
			got, err := r.Next()
			require.NoError(t, err)
			assert.Equal(t, w, got)
		}
		_, err = r.Next()
		assert.ErrorIs(t, err, io.EOF)
	})
}

func TestCSVReaderDelimiter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, header string
		cfg          CSVConfig
		want         rune
		err          string
	}{
		{name: "commas are detected", header: "id,name,email", want: ','},
		{name: "semicolons are detected", header: "id;name;email", want: ';'},
		{name: "tabs are detected", header: "id\tname\temail", want: '\t'},
		{name: "the most frequent wins, quotes aside", header: `id;"name, full, first";email`, want: ';'},
		{name: "a given delimiter is taken", header: "id|name", cfg: CSVConfig{Delimiter: '|'}, want: '|'},
		{name: "a header without one is refused", header: "id", err: "holds none of , ; and tab"},
		{name: "a tie is refused", header: "id;name,email", err: "as many of two delimiters"},
		{name: "a quote cannot be one", header: "id,name", cfg: CSVConfig{Delimiter: '"'}, err: "cannot separate cells"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := &Mapping{Columns: map[string]Column{"id": {Field: "id"}}, Ignore: []string{"name", "email", "name, full, first"}}
			tc.cfg.Mapping = m
			r, err := NewCSVReader(strings.NewReader(tc.header+"\n"), tc.cfg)
			if tc.err != "" {
				require.Error(t, err)
				assert.Equal(t, adapter.InvalidArgument, adapter.CodeOf(err))
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, r.Delimiter())
		})
	}
}

func TestCSVReaderHeader(t *testing.T) {
	t.Parallel()
	mapping := &Mapping{
		Columns: map[string]Column{"Kundennummer": {Field: "id"}, "Firma": {Field: "name"}, "E-Mail": {Field: "email"}},
		Ignore:  []string{"Bemerkung"},
	}
	for _, tc := range []struct {
		name, header string
		mapping      *Mapping
		err          string
	}{
		{name: "without a mapping, a name that is no field is refused, with the field it may mean",
			header: "id;Email", err: `column "Email": "Email" is no field; did you mean email?`},
		{name: "without a mapping, every name that is no field is named",
			header: "Kundennummer;id;Firma", err: `columns "Kundennummer", "Firma" are no fields: without a mapping, each column's name is a field's path, one of id, sourceSystem, name,`},
		{name: "without a mapping, a column without a name is refused",
			header: "id;;name", err: "column 2 of the header has no name"},
		{name: "a header without the id is refused", header: "name;email", err: "the header has no column id"},
		{name: "a column named twice is refused", header: "id;name;name", err: `names column "name" twice (columns 2 and 3)`},
		{name: "unmapped columns are refused, every one named",
			header: "Kundennummer;Firma;E-Mail;Telefon;Fax", mapping: mapping,
			err: `columns "Telefon", "Fax" are in neither the mapping's columns nor its ignore list`},
		{name: "a mapped column the header lacks is refused",
			header: "Kundennummer;Firma", mapping: mapping, err: `the mapping names "E-Mail", which the header lacks`},
		{name: "a mapping without the id is refused",
			header: "Firma;Ort", mapping: &Mapping{Columns: map[string]Column{"Firma": {Field: "name"}}, Ignore: []string{"Ort"}}, err: "no column is mapped to id"},
		{name: "a mapping to no field is refused",
			header: "Nr;x", mapping: &Mapping{Columns: map[string]Column{"Nr": {Field: "id"}, "x": {Field: "upwell.due"}}}, err: `column "x": "upwell.due" is no field`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewCSVReader(strings.NewReader(tc.header+"\nC-1;x;y;z;w\n"), CSVConfig{Mapping: tc.mapping})
			require.Error(t, err)
			assert.Equal(t, adapter.InvalidArgument, adapter.CodeOf(err))
			assert.Contains(t, err.Error(), tc.err)
		})
	}

	t.Run("a mapping maps columns, names around spaces, and ignores what it lists", func(t *testing.T) {
		t.Parallel()
		recs := readCSV(t, " Kundennummer ;Firma;Bemerkung;E-Mail;_error\nC-1;Acme;call first;a@b.example;{}\n", CSVConfig{Mapping: mapping})
		require.Len(t, recs, 1)
		assert.Equal(t, `{"id":"C-1","name":"Acme","email":"a@b.example"}`, updateJSON(t, recs[0]), "_error is ignored too")
	})
}

func TestCSVReaderConvertsCells(t *testing.T) {
	t.Parallel()
	header := "id;name;ccEmails;metadata;modifiedAt;upwell.dueOption;billbee.priceGroupId;billbee.type\n"
	for _, tc := range []struct {
		name, row, want, err, field string
	}{
		{name: "every kind converts",
			row:  `C-1;Acme;a@x.example, b@x.example;"{""tier"":""gold"",""n"":1.50}";2026-12-01 10:03:27+01:00;30;9007199254740993;+1`,
			want: `{"id":"C-1","name":"Acme","ccEmails":["a@x.example","b@x.example"],"metadata":{"n":1.50,"tier":"gold"},"modifiedAt":"2026-12-01T10:03:27+01:00","upwell":{"dueOption":30},"billbee":{"priceGroupId":9007199254740993,"type":1}}`},
		{name: "cells are trimmed", row: "  C-1 ;  Acme  ; ; ; ;  30 ; ; ",
			want: `{"id":"C-1","name":"Acme","upwell":{"dueOption":30}}`},
		{name: "a number that is none is refused", row: "C-1;;;;;30 Tage;;",
			err: `column "upwell.dueOption": want a whole number, got "30 Tage"`, field: "upwell.dueOption"},
		{name: "a number out of its field's range is refused", row: "C-1;;;;;2147483648;;",
			err: `column "upwell.dueOption": 2147483648 is out of range for a whole number of 32 bits`, field: "upwell.dueOption"},
		{name: "a time without its offset is refused", row: "C-1;;;;2026-12-01 10:03:27;;;",
			err: `column "modifiedAt": want a date and time with its offset (RFC 3339)`, field: "modifiedAt"},
		{name: "an empty list item is refused", row: "C-1;;a@x.example,;;;;;",
			err: `column "ccEmails": item 2 of the list (separated by ",") is empty`, field: "ccEmails"},
		{name: "metadata that is no object is refused", row: "C-1;;;[1];;;;",
			err: `column "metadata": want a JSON object`, field: "metadata"},
		{name: "a row without an id is refused", row: ";Acme;;;;;;",
			err: `column "id": is empty: each row needs its customer's id`, field: "id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			recs := readCSV(t, header+tc.row+"\n", CSVConfig{})
			require.Len(t, recs, 1)
			if tc.err == "" {
				assert.JSONEq(t, tc.want, updateJSON(t, recs[0]))
				return
			}
			rec := recs[0]
			assert.Nil(t, rec.Update)
			var e *adapter.Error
			require.ErrorAs(t, rec.Err, &e)
			assert.Equal(t, adapter.InvalidArgument, e.Code)
			assert.Equal(t, tc.field, e.Field)
			assert.Contains(t, e.Message, tc.err)
			if tc.field != "id" {
				require.NotNil(t, rec.Customer, "the record keeps its customer's place")
				assert.Equal(t, "C-1", rec.Customer.ID)
			} else {
				assert.Nil(t, rec.Customer)
			}
		})
	}

	t.Run("a mapped column's error names the column and the field", func(t *testing.T) {
		t.Parallel()
		m := &Mapping{Columns: map[string]Column{"Nr": {Field: "id"}, "Zahlungsziel": {Field: "upwell.dueOption"}}}
		recs := readCSV(t, "Nr;Zahlungsziel\nC-1;bald\n", CSVConfig{Mapping: m})
		assert.Equal(t, []string{`column "Zahlungsziel" (upwell.dueOption): want a whole number, got "bald"`}, errorsOf(recs))
	})

	t.Run("an error of the update names the column too", func(t *testing.T) {
		t.Parallel()
		m := &Mapping{Columns: map[string]Column{"Nr": {Field: "id"}, "System": {Field: "sourceSystem"}}}
		recs := readCSV(t, "Nr;System\nC-1;\\N\n", CSVConfig{Mapping: m, NullMarker: `\N`})
		assert.Equal(t, []string{`column "System" (sourceSystem): is null; leave the key out to use the default`}, errorsOf(recs))
		assert.Nil(t, recs[0].Customer, "a cleared sourceSystem names no customer")
	})

	t.Run("a row with another number of cells than the header fails, keeping its customer", func(t *testing.T) {
		t.Parallel()
		recs := readCSV(t, "id;name\nC-1;Acme;extra\nC-2\n", CSVConfig{})
		assert.Equal(t, []string{"the row has 3 cells and the header 2", "the row has 1 cells and the header 2"}, errorsOf(recs))
		assert.Equal(t, "C-1", recs[0].Customer.ID)
		assert.Equal(t, "C-2", recs[1].Customer.ID)
	})

	t.Run("a list takes its column's separator", func(t *testing.T) {
		t.Parallel()
		m := &Mapping{Columns: map[string]Column{"Nr": {Field: "id"}, "CC": {Field: "ccEmails", Separator: "|"}}}
		recs := readCSV(t, "Nr,CC\nC-1,a@x.example | b@x.example\n", CSVConfig{Mapping: m})
		assert.Equal(t, `{"id":"C-1","ccEmails":["a@x.example","b@x.example"]}`, updateJSON(t, recs[0]))
	})
}

func TestCSVReaderKeepsAbsentNullAndValueApart(t *testing.T) {
	t.Parallel()
	m := &Mapping{
		Columns: map[string]Column{
			"Nr": {Field: "id"}, "Firma": {Field: "name"}, "Mail": {Field: "email"},
			"USt": {Field: "vatId", NullMarker: "-"}, "Ziel": {Field: "upwell.dueOption"}, "CC": {Field: "ccEmails"},
		},
		NullMarker: "NULL",
	}
	in := "Nr;Firma;Mail;USt;Ziel;CC\n" +
		"C-1;;;;;\n" + // empty: nothing set, nothing cleared
		"C-2;  ;\\N;-;\\N;\\N\n" + // spaces are empty; the markers clear
		"C-3;NULL;NULL;NULL;;\n" // the mapping's marker, where --null gives another, is text
	for _, tc := range []struct {
		name string
		cfg  CSVConfig
		want []string
	}{
		{name: "the given marker and each column's own clear; an empty cell leaves the field absent",
			cfg: CSVConfig{Mapping: m, NullMarker: `\N`},
			want: []string{`{"id":"C-1"}`, `{"id":"C-2","email":null,"ccEmails":null,"vatId":null,"upwell":{"dueOption":null}}`,
				`{"id":"C-3","name":"NULL","email":"NULL","vatId":"NULL"}`}},
		{name: "without a given marker, the mapping's clears",
			cfg:  CSVConfig{Mapping: m},
			want: []string{`{"id":"C-1"}`, "", `{"id":"C-3","name":null,"email":null,"vatId":"NULL"}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			recs := readCSV(t, in, tc.cfg)
			require.Len(t, recs, 3)
			for i, want := range tc.want {
				if want == "" {
					assert.Error(t, recs[i].Err, "line %d: \\N is no number", recs[i].Line)
					continue
				}
				assert.JSONEq(t, want, updateJSON(t, recs[i]), "line %d", recs[i].Line)
			}
		})
	}

	t.Run("the null marker in the id is refused", func(t *testing.T) {
		t.Parallel()
		recs := readCSV(t, "id;name\n\\N;x\n", CSVConfig{NullMarker: `\N`})
		assert.Equal(t, []string{`column "id": holds the null marker: an id cannot be cleared`}, errorsOf(recs))
	})
}

func TestCSVReaderEndsTheInputWhereRowsCannotBeTold(t *testing.T) {
	t.Parallel()

	t.Run("a quote out of place ends the input, naming its line", func(t *testing.T) {
		t.Parallel()
		r, err := NewCSVReader(strings.NewReader("id,name\nC-1,a\nC-2,b\"c\nC-3,d\n"), CSVConfig{})
		require.NoError(t, err)
		rec, err := r.Next()
		require.NoError(t, err)
		assert.Equal(t, 2, rec.Line)
		_, err = r.Next()
		var pe *csv.ParseError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, 3, pe.Line)
		_, again := r.Next()
		assert.Equal(t, err, again, "and again at every later call")
	})

	t.Run("an unclosed quote ends the input after MaxLineBytes, not at its end", func(t *testing.T) {
		t.Parallel()
		// An endless input: the reader must give up, and hold no more than
		// a row's worth of it.
		endless := io.MultiReader(strings.NewReader("id,name\nC-1,\"never closed\n"), infiniteLines{})
		r, err := NewCSVReader(endless, CSVConfig{})
		require.NoError(t, err)
		_, err = r.Next()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "a row runs on for more than 1048576 bytes")
	})
}

// infiniteLines is an endless input of short lines.
type infiniteLines struct{}

func (infiniteLines) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = "abcdefghi\n"[i%10]
	}
	return len(p), nil
}

func TestCSVReaderEncodings(t *testing.T) {
	t.Parallel()
	latin := "Nr;Firma\r\nC-1;M\xfcller & S\xf6hne \x80\r\n" // ü ö € in windows-1252
	utf16le := func(s string, bom bool) string {
		var b []byte
		if bom {
			b = append(b, 0xFF, 0xFE)
		}
		return string(UTF16LE.appendEncoded(b, []byte(s), false))
	}
	utf16be := func(s string) string {
		return string(UTF16BE.appendEncoded([]byte{0xFE, 0xFF}, []byte(s), true))
	}
	m := &Mapping{Columns: map[string]Column{"Nr": {Field: "id"}, "Firma": {Field: "name"}}}
	for _, tc := range []struct {
		name, input string
		enc         Encoding
		want        string
		size        int64
	}{
		{name: "windows-1252 decodes", input: latin, enc: Windows1252, want: "Müller & Söhne €", size: 22},
		{name: "iso-8859-15 decodes", input: "Nr;Firma\nC-1;\xa4\n", enc: ISO885915, want: "€", size: 6},
		{name: "utf-16 with a little-endian mark decodes", input: utf16le("Nr;Firma\r\nC-1;Grüße 😀\r\n", true), enc: UTF16, want: "Grüße 😀", size: 2 * 14},
		{name: "utf-16 with a big-endian mark decodes", input: utf16be("Nr;Firma\nC-1;Grüße\n"), enc: UTF16, want: "Grüße", size: 2 * 10},
		{name: "utf-16 without a mark is little endian", input: utf16le("Nr;Firma\nC-1;Grüße\n", false), enc: UTF16, want: "Grüße", size: 2 * 10},
		{name: "utf-8 with a mark decodes", input: "\xef\xbb\xbfNr;Firma\nC-1;Grüße\n", enc: UTF8, want: "Grüße", size: 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			recs := readCSV(t, tc.input, CSVConfig{Mapping: m, Encoding: tc.enc})
			require.Len(t, recs, 1)
			name, _ := recs[0].Update.Name.Value()
			assert.Equal(t, tc.want, name)
			assert.Equal(t, tc.size, recs[0].Size, "the input's own bytes")
		})
	}

	for _, tc := range []struct {
		name, input string
		enc         Encoding
		line        int
		offset      int64
		err         string
	}{
		{name: "windows-1252 read as utf-8 is refused at its first byte", input: latin, line: 2, offset: 15,
			err: "line 2: byte 0xFC is not UTF-8 (is the input in another encoding, such as windows-1252?)"},
		{name: "a byte windows-1252 does not define is refused", input: "Nr;Firma\nC-1;ok\nC-2;\x81\n", enc: Windows1252, line: 3, offset: 20,
			err: "line 3: byte 0x81 is no character in windows-1252"},
		{name: "a C1 control in iso-8859-1 is refused", input: "Nr;Firma\nC-1;\x80\n", enc: ISO88591, line: 2, offset: 13,
			err: "line 2: byte 0x80 is U+0080 in iso-8859-1, a control character no customer data holds (is the input windows-1252?)"},
		{name: "utf-16 read as utf-8 is refused at its mark", input: utf16le("Nr;Firma\n", true), line: 1, offset: 0,
			err: "line 1: bytes 0xFF 0xFE are a UTF-16 byte order mark: the input is UTF-16, not utf-8"},
		{name: "utf-16 without a mark read as utf-8 is refused at its first NUL", input: utf16le("Nr;Firma\n", false), line: 1, offset: 1,
			err: "line 1: byte 0x00 is NUL, which no text holds (is the input UTF-16?)"},
		{name: "utf-8 with a mark read as windows-1252 is refused", input: "\xef\xbb\xbfNr;Firma\n", enc: Windows1252, line: 1, offset: 0,
			err: "line 1: bytes 0xEF 0xBB 0xBF are a UTF-8 byte order mark: the input is UTF-8, not windows-1252"},
		{name: "a lone surrogate in utf-16 is refused", input: utf16le("Nr;Firma\nC-1;", true) + "\x00\xd8A\x00", enc: UTF16, line: 2, offset: 2 + 2*13,
			err: "line 2: bytes 0x00 0xD8 are half of a UTF-16 surrogate pair"},
		{name: "utf-16 that ends in half a character is refused", input: utf16le("Nr;Firma\nC-1;x\n", true) + "A", enc: UTF16, line: 3, offset: 2 + 2*15,
			err: "line 3: byte 0x41 end the input in half a UTF-16 character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := CheckCSV(strings.NewReader(tc.input), CSVConfig{Mapping: m, Encoding: tc.enc})
			var e *EncodingError
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tc.err, e.Error())
			assert.Equal(t, tc.line, e.Line)
			assert.Equal(t, tc.offset, e.Offset)
		})
	}
}

func TestParseEncoding(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]Encoding{
		"UTF-8": UTF8, "cp1252": Windows1252, "Windows-1252": Windows1252, "latin1": ISO88591,
		"iso-8859-15": ISO885915, "utf-16": UTF16, "UTF-16LE": UTF16LE, "utf-16be": UTF16BE,
	} {
		got, err := ParseEncoding(name)
		require.NoError(t, err, name)
		assert.Equal(t, want, got, name)
	}
	_, err := ParseEncoding("ebcdic")
	assert.EqualError(t, err, `no encoding "ebcdic": want one of utf-8, windows-1252, iso-8859-1, iso-8859-15, utf-16, utf-16le, utf-16be`)
	assert.Equal(t, "utf-8", Encoding{}.String(), "the zero Encoding is UTF-8")
}

func TestCSVFailuresAreTheInputAgain(t *testing.T) {
	t.Parallel()
	m := &Mapping{Columns: map[string]Column{"Nr": {Field: "id"}, "Firma": {Field: "name"}, "Ziel": {Field: "upwell.dueOption"}}}
	failure := Failure{Line: 0, Vendor: "upwell", ErrorInfo: ErrorInfo{Code: adapter.NotFound, Message: "no such customer: ü", HTTPStatus: 404}}
	for _, tc := range []struct {
		name, input string
		enc         Encoding
		want        string // the failures file of every record, in UTF-8
	}{
		{name: "a row comes back as read, with its error in a column of its own",
			input: "Nr;Firma;Ziel\r\nC-1;\"Acme; Inc\";30\r\nC-2;\"Zwei\r\nZeilen\";bald\r\n",
			want: "Nr;Firma;Ziel;_error\r\n" +
				`C-1;"Acme; Inc";30;"{""line"":2,""vendor"":""upwell"",""code"":""NotFound"",""message"":""no such customer: ü"",""httpStatus"":404,""vendorCode"":"""",""retryable"":false}"` + "\r\n" +
				"C-2;\"Zwei\r\nZeilen\";bald;\"{\"\"line\"\":3,\"\"vendor\"\":\"\"upwell\"\",\"\"code\"\":\"\"NotFound\"\",\"\"message\"\":\"\"no such customer: ü\"\",\"\"httpStatus\"\":404,\"\"vendorCode\"\":\"\"\"\",\"\"retryable\"\":false}\"\r\n"},
		{name: "an earlier error is replaced, a short row padded",
			input: "_error,Nr,Firma,Ziel\nold,C-1,Acme,30\nold,C-2\n",
			want: "Nr,Firma,Ziel,_error\n" +
				`C-1,Acme,30,"{""line"":2,""vendor"":""upwell"",""code"":""NotFound"",""message"":""no such customer: ü"",""httpStatus"":404,""vendorCode"":"""",""retryable"":false}"` + "\n" +
				`C-2,,,"{""line"":3,""vendor"":""upwell"",""code"":""NotFound"",""message"":""no such customer: ü"",""httpStatus"":404,""vendorCode"":"""",""retryable"":false}"` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, failuresOf(t, tc.input, CSVConfig{Mapping: m}, failure))
		})
	}

	t.Run("a failures file is in the input's encoding and reads again as the input did", func(t *testing.T) {
		t.Parallel()
		for _, enc := range []Encoding{Windows1252, UTF16, UTF8} {
			input := "Nr;Firma;Ziel\r\nC-1;Müller;30\r\n"
			var mark []byte
			switch enc {
			case UTF16:
				mark = utf16LEBOM
			case UTF8:
				mark = utf8BOM
			}
			raw := string(enc.appendEncoded(mark, []byte(input), false))
			cfg := CSVConfig{Mapping: m, Encoding: enc}
			arrow := failure
			arrow.Message = "no such customer → 404"
			out := failuresOf(t, raw, cfg, arrow)
			assert.True(t, strings.HasPrefix(out, string(mark)), "%s: the input's mark", enc)
			again := readCSV(t, out, cfg)
			require.Len(t, again, 1, "%s", enc)
			assert.JSONEq(t, `{"id":"C-1","name":"Müller","upwell":{"dueOption":30}}`, updateJSON(t, again[0]), "%s", enc)
			if enc == Windows1252 {
				assert.Contains(t, out, "M\xfcller", "written in windows-1252")
				assert.Contains(t, out, "customer ? 404", "what windows-1252 lacks becomes ?")
			}
		}
	})
}

// failuresOf is the failures file of every record of input, failed as f
// says but for its line.
func failuresOf(t *testing.T, input string, cfg CSVConfig, f Failure) string {
	t.Helper()
	r, err := NewCSVReader(strings.NewReader(input), cfg)
	require.NoError(t, err)
	out := r.FailuresHeader()
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return string(out)
		}
		require.NoError(t, err)
		f.Line = rec.Line
		out = r.AppendFailure(out, rec, f)
	}
}

func TestParseMapping(t *testing.T) {
	t.Parallel()

	t.Run("YAML and JSON read the same", func(t *testing.T) {
		t.Parallel()
		yamlText := `
# the ERP's export
columns:
  Kundennummer: id
  Firma: name
  " E-Mail ": email
  Weitere E-Mails: {field: ccEmails, separator: ";"}
  USt-IdNr.: {field: vatId, nullMarker: "-"}
  2024: billbee.number
  null: phone
ignore: [Anlagedatum, Bemerkung]
nullMarker: '\N'
`
		jsonText := "{\n\t\"columns\": {\n\t\t\"Kundennummer\": \"id\", \"Firma\": \"name\", \"E-Mail\": \"email\",\n" +
			"\t\t\"Weitere E-Mails\": {\"field\": \"ccEmails\", \"separator\": \";\"},\n" +
			"\t\t\"USt-IdNr.\": {\"field\": \"vatId\", \"nullMarker\": \"-\"}, \"2024\": \"billbee.number\", \"null\": \"phone\"\n\t},\n" +
			"\t\"ignore\": [\"Anlagedatum\", \"Bemerkung\"],\n\t\"nullMarker\": \"\\\\N\"\n}\n"
		want := &Mapping{
			Columns: map[string]Column{
				"Kundennummer": {Field: "id"}, "Firma": {Field: "name"}, "E-Mail": {Field: "email"},
				"Weitere E-Mails": {Field: "ccEmails", Separator: ";"}, "USt-IdNr.": {Field: "vatId", NullMarker: "-"},
				"2024": {Field: "billbee.number"}, "null": {Field: "phone"},
			},
			Ignore:     []string{"Anlagedatum", "Bemerkung"},
			NullMarker: `\N`,
		}
		for name, text := range map[string]string{"yaml": yamlText, "json": jsonText} {
			m, err := ParseMapping([]byte(text))
			require.NoError(t, err, name)
			assert.Equal(t, want, m, name)
		}
	})

	for _, tc := range []struct{ name, text, err string }{
		{name: "an unknown key", text: "columns: {Nr: id}\nignored: [x]\n", err: `mapping: line 2: unknown key "ignored"; want columns, ignore or nullMarker`},
		{name: "an unknown column key", text: "columns:\n  Nr: {field: id, null: x}\n", err: `mapping: line 2: column "Nr": unknown key "null"; want field, nullMarker or separator`},
		{name: "a column given twice", text: "columns:\n  Nr: id\n  Nr: name\n", err: `mapping: line 3: columns: "Nr" is given twice`},
		{name: "a field that does not exist", text: "columns:\n  Nr: id\n  Mail: Email\n", err: `mapping: column "Mail": "Email" is no field; did you mean email?`},
		{name: "two columns for one field", text: "columns:\n  Nr: id\n  A: name\n  B: name\n", err: `mapping: columns "A" and "B" both set name; map one of them, ignore the other`},
		{name: "a separator on a field that is no list", text: "columns:\n  Nr: {field: id, separator: ';'}\n", err: `a separator is for a list field (ccEmails), not id`},
		{name: "a column both mapped and ignored", text: "columns:\n  Nr: id\nignore: [Nr]\n", err: `mapping: column "Nr" is both mapped and ignored`},
		{name: "the failures file's own column", text: "columns:\n  _error: name\n", err: `column "_error" is the failures file's own`},
		{name: "an empty file", text: "", err: "mapping: the file is empty"},
		{name: "a list", text: "- Nr\n", err: "mapping: line 1: want an object"},
	} {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			t.Parallel()
			_, err := ParseMapping([]byte(tc.text))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.err)
		})
	}
}

func TestDefaultFailuresPathFor(t *testing.T) {
	t.Parallel()
	started := time.Date(2026, 12, 1, 10, 3, 27, 0, time.UTC)
	for _, tc := range []struct{ input, ext, want string }{
		{"/in/export.csv", ".csv", "/in/export.failures-upwell-20261201T100327Z.csv"},
		{"/in/EXPORT.CSV", ".csv", "/in/EXPORT.failures-upwell-20261201T100327Z.csv"},
		{"/in/export.txt", ".tsv", "/in/export.txt.failures-upwell-20261201T100327Z.tsv"},
		{"/in/export.failures-billbee-20261130T220000Z.csv", ".csv", "/in/export.failures-upwell-20261201T100327Z.csv"},
		{"-", ".csv", "failures-upwell-20261201T100327Z.csv"},
	} {
		assert.Equal(t, tc.want, DefaultFailuresPathFor(tc.input, "upwell", started, tc.ext), tc.input)
	}
}

func TestStaleFailuresCountTheRowsOfACSVFailuresFile(t *testing.T) {
	t.Parallel()
	for _, enc := range []Encoding{UTF8, Windows1252, UTF16} {
		t.Run(enc.String(), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			in := "Nr;Firma\r\nK-1;\"zwei\r\nZeilen\"\r\nK-2;\"ein \"\"Zitat\"\"\"\r\nK-3;x\r\n"
			var mark []byte
			if enc == UTF16 {
				mark = utf16LEBOM
			}
			r, err := NewCSVReader(strings.NewReader(string(enc.appendEncoded(mark, []byte(in), false))),
				CSVConfig{Encoding: enc, Mapping: &Mapping{Columns: map[string]Column{"Nr": {Field: "id"}, "Firma": {Field: "name"}}}})
			require.NoError(t, err)
			path := DefaultFailuresPathFor(filepath.Join(dir, "export.csv"), "upwell", time.Now(), ".csv")
			ff, err := CreateFailures(path, false)
			require.NoError(t, err)
			ff.setHeader(r.FailuresHeader())
			for range 2 {
				rec, err := r.Next()
				require.NoError(t, err)
				require.NoError(t, ff.Append(r.AppendFailure(nil, rec, Failure{Line: rec.Line, Vendor: "upwell"})))
			}
			// Killed here: the next run of the same export finds the file.
			stale := StaleFailures(DefaultFailuresPathFor(filepath.Join(dir, "export.csv"), "billbee", time.Now().Add(time.Hour), ".csv"), false)
			assert.Equal(t, []StaleFile{{Path: ff.Writing(), Lines: 2}}, stale, "two rows, one of them over two lines, and the header")
			where, err := ff.Close()
			require.NoError(t, err)
			raw, err := os.ReadFile(where)
			require.NoError(t, err)
			again := readCSV(t, string(raw), CSVConfig{Encoding: enc, Mapping: &Mapping{Columns: map[string]Column{"Nr": {Field: "id"}, "Firma": {Field: "name"}}}})
			assert.Equal(t, []int{2, 4}, linesOf(again), "one header, then the rows")
		})
	}
}

// generatedCSV is a CSV input of n rows made as it is read.
type generatedCSV struct {
	n, next int
	pending []byte
}

func (g *generatedCSV) Read(p []byte) (int, error) {
	for len(g.pending) == 0 {
		switch {
		case g.next == 0:
			g.pending = []byte("id;name;email;upwell.dueOption\r\n")
		case g.next > g.n:
			return 0, io.EOF
		default:
			g.pending = fmt.Appendf(g.pending, "C-%d;\"Müller; Söhne %d\";c%d@example.com;30\r\n", g.next, g.next, g.next)
		}
		g.next++
	}
	n := copy(p, g.pending)
	g.pending = g.pending[n:]
	return n, nil
}

func TestCSVReaderReadsInBoundedMemory(t *testing.T) {
	t.Parallel()
	const rows = 300_000
	r, err := NewCSVReader(&generatedCSV{n: rows}, CSVConfig{})
	require.NoError(t, err)
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	measure := func() uint64 {
		runtime.GC()
		metrics.Read(live)
		return live[0].Value.Uint64()
	}
	var early, late uint64
	for i := 1; ; i++ {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			require.Equal(t, rows+1, i, "every row read")
			break
		}
		require.NoError(t, err)
		require.NoError(t, rec.Err)
		switch i {
		case 1_000:
			early = measure()
		case rows - 1_000:
			late = measure()
		}
	}
	growth := int64(late) - int64(early)
	t.Logf("live heap after 1000 rows: %d KiB; after %d: %d KiB", early>>10, rows-1_000, late>>10)
	assert.Less(t, growth, int64(4<<20), "the live heap grew by %d KiB over %d rows", growth>>10, rows-2_000)
}
