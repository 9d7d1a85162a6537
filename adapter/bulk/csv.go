package bulk

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/internal/rawjson"
)

// CSVConfig says how to read a CSV input. The zero value reads UTF-8
// whose header names the fields, detecting the delimiter.
type CSVConfig struct {
	// Delimiter separates the cells of a row: ',', ';', '\t' or another
	// character encoding/csv takes. 0 detects it from the header row: the
	// one of , ; and tab it holds most of outside quotes.
	Delimiter rune
	// Mapping maps the header's columns to fields; nil reads each
	// column's name as a field's path (see [adapter.FieldNames]).
	Mapping *Mapping
	// NullMarker is the cell text that clears a field (such as \N), for
	// every column whose Column.NullMarker is ""; "" leaves it to
	// Mapping.NullMarker. An empty cell leaves its field as it is.
	NullMarker string
	// Encoding is the input's text encoding; the zero value is UTF-8.
	Encoding Encoding
}

// CSVReader reads a CSV or TSV input (RFC 4180: cells separated by the
// delimiter, quoted with " where they hold it, a quote or a line break,
// a quote inside doubled), one customer update per row, and writes
// failed rows back in the same format, delimiter and encoding, so that a
// failures file is an input again, to be fixed in a spreadsheet.
//
// # Header and columns
//
// The first row is the header: it names the columns. Without a Mapping
// each name is a field's path ("id", "email", "upwell.dueOption"); with
// one, each name is looked up in it. A column that is neither mapped nor
// ignored, a mapped column the header lacks, a column given twice, and a
// header without the id's column are refused by [NewCSVReader], naming
// them, before any row is read: no column is ever dropped unsaid. Names
// are matched without the spaces around them. The column "_error" (a
// failures file's own) is ignored.
//
// # Cells
//
// Cells are read without the white space around them (exports pad
// them). An empty cell leaves its field as it is (absent); a cell
// holding the null marker clears the field; any other cell sets it,
// converted to the field's kind ([adapter.FieldKindOf]):
//
//   - text: as it is;
//   - whole numbers (upwell.dueOption, billbee.*): decimal digits, with
//     an optional sign, within the field's range;
//   - modifiedAt: RFC 3339 with its offset, 2026-12-01T10:03:27+01:00 (a
//     space in place of the T is taken too);
//   - ccEmails: the addresses separated by "," (Column.Separator), each
//     trimmed; an empty item is refused;
//   - metadata: a JSON object, {"tier":"gold"}.
//
// A cell that does not convert makes its row a record with an
// InvalidArgument Err whose Field is the field and whose message names
// the column and the field; the row's line is the record's Line. So does
// a row with more or fewer cells than the header, and a row without an
// id. Such a record still names its customer when its id cell does (see
// Record.Customer), so its failure keeps its place. A row whose cells
// are all empty is no record, like a blank line: its bytes count in the
// next record's Size.
//
// # Lines, sizes, encodings
//
// A record's Line is the line its row starts on, counted from the
// input's first (the header's, unless empty lines precede it); a quoted
// cell may hold line breaks, which move the next row's line on. Rows end in \n or \r\n. Size and Offset count the input's own
// bytes, in its encoding. The input is decoded as CSVConfig.Encoding
// says, a byte order mark at its start skipped (and one of another
// encoding refused); a byte that is no text in the encoding ends the
// input with an *[EncodingError] naming its line. A row over
// [MaxLineBytes] (an unclosed quote runs on to the end of the input) and
// a quote out of place (a *csv.ParseError) end it too: where the next
// row starts cannot be told. [CheckCSV] finds all of these before a run
// sends anything.
//
// # The failures file
//
// It starts with the header, as read, plus the column "_error"; each
// failed row follows as its cells were read, plus its [Failure] as JSON
// in "_error" (an earlier "_error" replaced), with the input's
// delimiter, line endings (\r\n if the header ended in one), encoding and
// byte order mark; cells are quoted where they must be. A row with fewer
// cells than the header is padded so that "_error" is in its column.
// Read again with the same configuration, "_error" is ignored: a row
// fixed in place goes through, one left as it was fails as it did.
//
// A CSVReader is not safe for concurrent use, but for AppendFailure,
// which may be called while it reads.
type CSVReader struct {
	enc  Encoding
	dec  *decoder
	rows *rowCapture
	csv  *csv.Reader

	comma     rune
	crlf      bool     // the header ended in \r\n
	header    []string // the header's cells, as read
	errorCol  int      // the index of "_error" in the header; -1 for none
	cols      []csvColumn
	id        *csvColumn
	source    *csvColumn // sourceSystem's column; nil for none
	bom       []byte     // the input's byte order mark
	bigEndian bool       // UTF-16's byte order

	file      InputFile
	isFile    bool
	offset    int64 // input bytes of the rows returned, the header's included
	lines     int   // line endings read
	blank     int64 // bytes of empty rows since the last record
	obj       []byte
	checkOnly bool // CheckCSV: rows are split, not converted
	empty     bool // the input holds nothing, not even a header
	err       error
}

var (
	_ FileReader   = (*CSVReader)(nil)
	_ HeaderReader = (*CSVReader)(nil)
)

// csvColumn is one mapped column.
type csvColumn struct {
	index     int // in a row
	name      string
	field     string
	kind      adapter.FieldKind
	section   string // "upwell", "billbee", or "" for a top-level field
	key       string // the field's name in its section
	null      string
	separator string
}

// NewCSVReader reads the header of the CSV input r and returns a reader
// of its rows. It reads r through a buffer of its own. A header that
// does not fit cfg (see [CSVReader]) is an InvalidArgument
// *adapter.Error naming the columns at fault; an input that cannot be
// read as far as the header's end, the error that stopped it. An empty
// input is no error: it holds no record. When r is a regular file (an
// *os.File, or anything with its Name and Stat methods) outside /dev and
// /proc, the reader notes its absolute path, size and modification time
// (see [CSVReader.File]).
func NewCSVReader(r io.Reader, cfg CSVConfig) (*CSVReader, error) {
	cr := &CSVReader{enc: cfg.Encoding, errorCol: -1}
	cr.file, cr.isFile = inputFileOf(r)
	if cfg.Mapping != nil {
		if err := cfg.Mapping.check(); err != nil {
			return nil, &adapter.Error{Code: adapter.InvalidArgument, Message: err.Error()}
		}
	}
	cr.dec = newDecoder(r, cfg.Encoding)
	cr.rows = &rowCapture{src: cr.dec}
	first, err := cr.rows.peekLine()
	if err != nil {
		return nil, err
	}
	cr.bom, cr.bigEndian = cr.dec.bom, cr.dec.bigEndian
	cr.offset = int64(len(cr.bom))
	if len(first) == 0 {
		cr.empty = true
		return cr, nil
	}
	cr.comma = cfg.Delimiter
	if cr.comma != 0 && !validDelimiter(cr.comma) {
		return nil, &adapter.Error{Code: adapter.InvalidArgument, Message: fmt.Sprintf("the delimiter %q cannot separate cells: it is a quote, a line break or no character", cr.comma)}
	}
	if cr.comma == 0 {
		if cr.comma, err = detectDelimiter(first); err != nil {
			return nil, err
		}
	}
	cr.csv = csv.NewReader(cr.rows)
	cr.csv.Comma = cr.comma
	cr.csv.FieldsPerRecord = -1
	cr.csv.ReuseRecord = true
	header, text, _, err := cr.readRow()
	if errors.Is(err, io.EOF) {
		cr.empty = true
		return cr, nil
	}
	if err != nil {
		return nil, err
	}
	cr.header = slices.Clone(header)
	cr.crlf = bytes.HasSuffix(text, []byte("\r\n"))
	if err := cr.plan(cfg); err != nil {
		return nil, err
	}
	return cr, nil
}

// validDelimiter reports whether encoding/csv can split cells on d.
func validDelimiter(d rune) bool {
	return d != '"' && d != '\r' && d != '\n' && d != utf8.RuneError && utf8.ValidRune(d)
}

// detectDelimiter picks the delimiter of a header line: the one of , ;
// and tab it holds most of outside quotes.
func detectDelimiter(line []byte) (rune, error) {
	counts := map[rune]int{}
	quoted := false
	for _, c := range line {
		switch {
		case c == '"':
			quoted = !quoted
		case !quoted && (c == ',' || c == ';' || c == '\t'):
			counts[rune(c)]++
		}
	}
	best, n, tie := rune(0), 0, false
	for _, d := range []rune{',', ';', '\t'} {
		switch {
		case counts[d] > n:
			best, n, tie = d, counts[d], false
		case counts[d] == n && n > 0:
			tie = true
		}
	}
	switch {
	case n == 0:
		return 0, &adapter.Error{Code: adapter.InvalidArgument, Message: "the header row holds none of , ; and tab between its columns: name the delimiter"}
	case tie:
		return 0, &adapter.Error{Code: adapter.InvalidArgument, Message: fmt.Sprintf("the header row holds as many of two delimiters (%d each): name the delimiter", n)}
	}
	return best, nil
}

// plan matches the header's columns with cfg: which field each sets.
func (r *CSVReader) plan(cfg CSVConfig) error {
	invalid := func(format string, args ...any) error {
		return &adapter.Error{Code: adapter.InvalidArgument, Message: fmt.Sprintf(format, args...)}
	}
	m := cfg.Mapping
	seen := map[string]int{}
	var unmapped, unknown []string
	for i, cell := range r.header {
		name := strings.TrimSpace(cell)
		if name == errorColumn {
			r.errorCol = i
			continue
		}
		if m != nil && slices.Contains(m.Ignore, name) {
			continue
		}
		if j, dup := seen[name]; dup {
			return invalid("the header names column %q twice (columns %d and %d)", name, j+1, i+1)
		}
		seen[name] = i
		c := csvColumn{index: i, name: name, field: name}
		if m != nil {
			mc, ok := m.Columns[name]
			if !ok {
				unmapped = append(unmapped, strconv.Quote(name))
				continue
			}
			c.field, c.null, c.separator = mc.Field, mc.NullMarker, mc.Separator
		}
		c.kind = adapter.FieldKindOf(c.field)
		if c.kind == 0 {
			if name == "" {
				return invalid("column %d of the header has no name; without a mapping, each column's name is a field's path", i+1)
			}
			unknown = append(unknown, name)
			continue
		}
		r.cols = append(r.cols, c)
	}
	switch len(unknown) {
	case 0:
	case 1:
		return invalid("column %q: %s (without a mapping, each column's name is a field's path)", unknown[0], noSuchField(unknown[0]))
	default:
		quoted := make([]string, len(unknown))
		for i, u := range unknown {
			quoted[i] = strconv.Quote(u)
		}
		return invalid("columns %s are no fields: without a mapping, each column's name is a field's path, one of %s",
			strings.Join(quoted, ", "), strings.Join(adapter.FieldNames(), ", "))
	}
	if len(unmapped) > 0 {
		what := "column " + unmapped[0] + " is"
		if len(unmapped) > 1 {
			what = "columns " + strings.Join(unmapped, ", ") + " are"
		}
		return invalid("%s in neither the mapping's columns nor its ignore list: map it to a field, or ignore it", what)
	}
	if m != nil {
		var missing []string
		for _, name := range slices.Sorted(maps.Keys(m.Columns)) {
			if _, ok := seen[name]; !ok {
				missing = append(missing, strconv.Quote(name))
			}
		}
		if len(missing) > 0 {
			return invalid("the mapping names %s, which the header lacks: the export has changed, or the mapping is another's", strings.Join(missing, ", "))
		}
	}
	// Top-level fields first, then each vendor's, so that a row's JSON
	// opens each section once.
	slices.SortStableFunc(r.cols, func(a, b csvColumn) int { return strings.Compare(sectionOf(a.field), sectionOf(b.field)) })
	for i := range r.cols {
		c := &r.cols[i]
		c.section, c.key = sectionOf(c.field), c.field
		if c.section != "" {
			c.key = strings.TrimPrefix(c.field, c.section+".")
		}
		if c.null == "" {
			c.null = cfg.NullMarker
		}
		if c.null == "" && m != nil {
			c.null = m.NullMarker
		}
		c.null = strings.TrimSpace(c.null)
		if c.separator == "" {
			c.separator = defaultSeparator
		}
		switch c.field {
		case "id":
			r.id = c
		case "sourceSystem":
			r.source = c
		}
	}
	if r.id == nil {
		if m != nil {
			return invalid("no column is mapped to id: each row needs its customer's id")
		}
		return invalid("the header has no column id: each row needs its customer's id (or give a mapping)")
	}
	return nil
}

func sectionOf(field string) string {
	section, _, ok := strings.Cut(field, ".")
	if !ok {
		return ""
	}
	return section
}

// readRow reads the next row: its cells (valid until the next call),
// the text it took, empty lines before it and its ending included, and
// how many bytes of the input that text was.
func (r *CSVReader) readRow() (cells []string, text []byte, size int64, err error) {
	cells, err = r.csv.Read()
	text = r.rows.take(r.csv.InputOffset())
	size = r.enc.rawSize(text)
	r.offset += size
	r.lines += bytes.Count(text, []byte("\n"))
	if err != nil {
		r.err = err
		return nil, text, size, err
	}
	return cells, text, size, nil
}

// Next returns the next record, or io.EOF after the last one. An error
// reading the input, an *EncodingError, a *csv.ParseError (a quote out
// of place) and a row over MaxLineBytes end the input: Next returns that
// error, and again on every later call.
func (r *CSVReader) Next() (Record, error) {
	if r.empty {
		return Record{}, io.EOF
	}
	if r.err != nil {
		return Record{}, r.err
	}
	for {
		cells, text, size, err := r.readRow()
		if err != nil {
			return Record{}, err
		}
		if allBlank(cells) {
			r.blank += size
			continue
		}
		line, _ := r.csv.FieldPos(0)
		rec := Record{Line: line, Size: r.blank + size}
		r.blank = 0
		if r.checkOnly {
			return rec, nil
		}
		rec.Raw = bytes.Clone(rowText(text))
		r.convert(&rec, cells)
		return rec, nil
	}
}

func allBlank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// rowText is a row's text without the empty lines before it and its
// line ending.
func rowText(text []byte) []byte {
	for {
		switch {
		case bytes.HasPrefix(text, []byte("\n")):
			text = text[1:]
			continue
		case bytes.HasPrefix(text, []byte("\r\n")):
			text = text[2:]
			continue
		}
		break
	}
	text, _ = bytes.CutSuffix(text, []byte("\n"))
	text, _ = bytes.CutSuffix(text, []byte("\r"))
	return text
}

// Line returns how many lines were read so far: the last line of the
// last record returned, or past it when empty lines followed.
func (r *CSVReader) Line() int { return r.lines }

// Offset returns how many bytes of the input were read so far: where the
// row after the last one returned starts (before the empty lines that
// may precede it).
func (r *CSVReader) Offset() int64 { return r.offset }

// File describes the input file as it was when the reader was made; ok
// is false when the input is not a regular file it could name.
func (r *CSVReader) File() (f InputFile, ok bool) { return r.file, r.isFile }

// Delimiter returns the delimiter the reader reads with, given or
// detected; 0 for an empty input.
func (r *CSVReader) Delimiter() rune { return r.comma }

// cellError is the error of a row whose cell in column c does not
// convert.
func cellError(c *csvColumn, format string, args ...any) *adapter.Error {
	where := fmt.Sprintf("column %q (%s): ", c.name, c.field)
	if c.name == c.field {
		where = fmt.Sprintf("column %q: ", c.name)
	}
	return &adapter.Error{Code: adapter.InvalidArgument, Field: c.field, Message: where + fmt.Sprintf(format, args...)}
}

// convert sets rec's Update from the row's cells, or its Err and
// Customer.
func (r *CSVReader) convert(rec *Record, cells []string) {
	if len(cells) != len(r.header) {
		rec.Err = &adapter.Error{Code: adapter.InvalidArgument,
			Message: fmt.Sprintf("the row has %d cells and the header %d", len(cells), len(r.header))}
		rec.Customer = r.customerOf(cells)
		return
	}
	id := strings.TrimSpace(cells[r.id.index])
	switch id {
	case "":
		rec.Err = cellError(r.id, "is empty: each row needs its customer's id")
		return
	case r.id.null:
		rec.Err = cellError(r.id, "holds the null marker: an id cannot be cleared")
		return
	}
	r.obj = append(r.obj[:0], '{')
	b := r.obj
	section := ""
	for i := range r.cols {
		c := &r.cols[i]
		cell := strings.TrimSpace(cells[c.index])
		if cell == "" {
			continue
		}
		if c.section != section {
			if section != "" {
				b = append(b, '}')
			}
			if b[len(b)-1] != '{' {
				b = append(b, ',')
			}
			section = c.section
			b = rawjson.AppendString(b, section)
			b = append(b, ':', '{')
		} else if b[len(b)-1] != '{' {
			b = append(b, ',')
		}
		b = rawjson.AppendString(b, c.key)
		b = append(b, ':')
		var err *adapter.Error
		if b, err = c.appendValue(b, cell); err != nil {
			r.obj = b
			rec.Err, rec.Customer = err, r.customerOf(cells)
			return
		}
	}
	if section != "" {
		b = append(b, '}')
	}
	b = append(b, '}')
	r.obj = b
	u, err := adapter.ParseCustomerUpdate(b)
	if err != nil {
		rec.Err, rec.Customer = r.parseError(err), r.customerOf(cells)
		return
	}
	rec.Update = u
}

// appendValue appends the JSON value of a cell of c, trimmed and not
// empty.
func (c *csvColumn) appendValue(b []byte, cell string) ([]byte, *adapter.Error) {
	if cell == c.null {
		return append(b, "null"...), nil
	}
	switch c.kind {
	case adapter.KindText:
		return rawjson.AppendString(b, cell), nil
	case adapter.KindInt32, adapter.KindInt64:
		bits := 32
		if c.kind == adapter.KindInt64 {
			bits = 64
		}
		n, err := strconv.ParseInt(cell, 10, bits)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return b, cellError(c, "%s is out of range for a whole number of %d bits", cell, bits)
			}
			return b, cellError(c, "want a whole number, got %q", excerpt(cell))
		}
		return strconv.AppendInt(b, n, 10), nil
	case adapter.KindTime:
		text := cell
		if len(text) > 10 && text[10] == ' ' {
			text = text[:10] + "T" + text[11:]
		}
		t, err := time.Parse(time.RFC3339Nano, text)
		if err != nil {
			return b, cellError(c, "want a date and time with its offset (RFC 3339), such as 2026-12-01T10:03:27+01:00, got %q", excerpt(cell))
		}
		b = append(b, '"')
		b = t.AppendFormat(b, time.RFC3339Nano)
		return append(b, '"'), nil
	case adapter.KindTextList:
		b = append(b, '[')
		for i, item := range strings.Split(cell, c.separator) {
			item = strings.TrimSpace(item)
			if item == "" {
				return b, cellError(c, "item %d of the list (separated by %q) is empty", i+1, c.separator)
			}
			if i > 0 {
				b = append(b, ',')
			}
			b = rawjson.AppendString(b, item)
		}
		return append(b, ']'), nil
	case adapter.KindObject:
		if !strings.HasPrefix(cell, "{") || !json.Valid([]byte(cell)) {
			return b, cellError(c, "want a JSON object, such as {\"tier\":\"gold\"}, got %q", excerpt(cell))
		}
		return append(b, cell...), nil
	}
	return b, cellError(c, "a field of kind %s cannot be read from a cell", c.kind)
}

// excerpt cuts a cell for an error message.
func excerpt(s string) string {
	const keep = 60
	if len(s) <= keep {
		return s
	}
	cut := keep
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// parseError is the error of a row whose update ParseCustomerUpdate
// refused: its message names the column of the field at fault.
func (r *CSVReader) parseError(err error) error {
	var e *adapter.Error
	if !errors.As(err, &e) {
		return err
	}
	field, _, _ := strings.Cut(e.Field, "[")
	for i := range r.cols {
		c := &r.cols[i]
		if c.field == field {
			msg := strings.TrimPrefix(e.Message, e.Field+": ")
			return cellError(c, "%s", msg)
		}
	}
	return e
}

// customerOf returns an update that addresses the customer a row names
// by its id (and sourceSystem) cells; nil when it names none.
func (r *CSVReader) customerOf(cells []string) *adapter.CustomerUpdate {
	if r.id.index >= len(cells) {
		return nil
	}
	id := strings.TrimSpace(cells[r.id.index])
	if id == "" || id == r.id.null {
		return nil
	}
	u := &adapter.CustomerUpdate{ID: id}
	if r.source != nil && r.source.index < len(cells) {
		s := strings.TrimSpace(cells[r.source.index])
		if s == r.source.null {
			return nil // an invalid key: the record names no customer
		}
		u.SourceSystem = s
	}
	return u
}

// FailuresHeader returns the failures file's header row: the input's
// header plus the column "_error", in the input's encoding, after its
// byte order mark; nil for an empty input.
func (r *CSVReader) FailuresHeader() []byte {
	if r.header == nil {
		return nil
	}
	cells := make([]string, 0, len(r.header)+1)
	for i, c := range r.header {
		if i != r.errorCol {
			cells = append(cells, c)
		}
	}
	cells = append(cells, errorColumn)
	return r.appendRow(slices.Clone(r.bom), cells)
}

// AppendFailure appends rec's row as the failures file holds it (see
// [CSVReader]): its cells as read, without an earlier "_error", padded
// to the header's width, and f as JSON in "_error".
func (r *CSVReader) AppendFailure(dst []byte, rec Record, f Failure) []byte {
	cells := r.cellsOf(rec.Raw)
	if r.errorCol >= 0 && r.errorCol < len(cells) {
		cells = slices.Delete(cells, r.errorCol, r.errorCol+1)
	}
	width := len(r.header)
	if r.errorCol >= 0 {
		width--
	}
	for len(cells) < width {
		cells = append(cells, "")
	}
	cells = append(cells, string(encodeFailure(f)))
	return r.appendRow(dst, cells)
}

// cellsOf splits a row's text, as the reader read it, into its cells.
func (r *CSVReader) cellsOf(raw []byte) []string {
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.Comma = r.comma
	cr.FieldsPerRecord = -1
	var cells []string
	for {
		row, err := cr.Read()
		if err != nil {
			return cells
		}
		// A cell's line breaks were read as part of it: one row.
		cells = append(cells, row...)
	}
}

// appendRow appends one row, in the input's format and encoding.
func (r *CSVReader) appendRow(dst []byte, cells []string) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Comma, w.UseCRLF = r.comma, r.crlf
	_ = w.Write(cells) // a bytes.Buffer does not fail
	w.Flush()
	return r.enc.appendEncoded(dst, buf.Bytes(), r.bigEndian)
}

// rowCapture sits between the decoded input and encoding/csv, and keeps
// what csv read until the reader takes it as a row's text: csv says
// where a row ends (InputOffset), not what it read.
type rowCapture struct {
	src    io.Reader
	buf    []byte // read from src; buf[served:] not yet given to csv
	served int
	taken  int64 // bytes of the input taken as rows' text, before buf
	err    error
}

// maxUnclaimed bounds the bytes read and not yet taken as a row: a row
// of MaxLineBytes and what csv reads ahead.
const maxUnclaimed = MaxLineBytes + 64<<10

func (c *rowCapture) Read(p []byte) (int, error) {
	if c.served == len(c.buf) {
		if err := c.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, c.buf[c.served:])
	c.served += n
	return n, nil
}

// fill reads more of src into buf.
func (c *rowCapture) fill() error {
	if c.err != nil {
		return c.err
	}
	if len(c.buf) > maxUnclaimed {
		c.err = &adapter.Error{Code: adapter.InvalidArgument,
			Message: fmt.Sprintf("a row runs on for more than %d bytes: a quoted cell is likely not closed", MaxLineBytes)}
		return c.err
	}
	if cap(c.buf)-len(c.buf) < 4<<10 {
		c.buf = slices.Grow(c.buf, max(len(c.buf), 16<<10))
	}
	n, err := c.src.Read(c.buf[len(c.buf):cap(c.buf)])
	c.buf = c.buf[:len(c.buf)+n]
	if err != nil {
		c.err = err
		if n == 0 {
			return err
		}
	}
	return nil
}

// peekLine returns the input's first line that is not empty, without
// taking it (csv skips empty lines too); what is there when the input
// ends before a line ending or after MaxLineBytes; nothing for an input
// of empty lines.
func (c *rowCapture) peekLine() ([]byte, error) {
	start := 0
	for {
		if i := bytes.IndexByte(c.buf[start:], '\n'); i >= 0 {
			line := bytes.TrimSuffix(c.buf[start:start+i], []byte("\r"))
			if len(line) > 0 {
				return line, nil
			}
			start += i + 1
			continue
		}
		if len(c.buf)-start > MaxLineBytes {
			return c.buf[start:], nil
		}
		if err := c.fill(); err != nil {
			if errors.Is(err, io.EOF) {
				return bytes.TrimSuffix(c.buf[start:], []byte("\r")), nil
			}
			return nil, err
		}
	}
}

// take returns the text from the end of the last row taken to end, an
// offset in the input, and lets it go. It is valid until the next call.
func (c *rowCapture) take(end int64) []byte {
	n := int(end - c.taken)
	n = min(max(n, 0), c.served)
	text := c.buf[:n]
	c.taken += int64(n)
	// Move what is left to the front, now and then rather than each
	// time: text stays valid until the next take.
	c.buf = c.buf[n:]
	c.served -= n
	if cap(c.buf) < 4<<10 {
		c.buf = append(make([]byte, 0, 64<<10), c.buf...)
	}
	return text
}

// CheckCSV reads the CSV input r to its end as a CSVReader with cfg
// would, without converting its rows, and returns the first error that
// would keep a run from starting or end its input early: a header that
// does not fit cfg, an *EncodingError, a *csv.ParseError, a row over
// MaxLineBytes, or an error reading r. A row that would be a failed
// record (a cell that does not convert) is no error here. Call it on an
// input that can be read twice (a file, read again from its start)
// before Run, so that nothing is sent from an input that would stop
// half way, or that is in another encoding than the one named.
func CheckCSV(r io.Reader, cfg CSVConfig) error {
	cr, err := NewCSVReader(r, cfg)
	if err != nil {
		return err
	}
	cr.checkOnly = true
	for {
		if _, err := cr.Next(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}
