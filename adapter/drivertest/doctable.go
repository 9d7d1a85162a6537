package drivertest

import (
	"errors"
	"fmt"
	"go/ast"
	"go/doc/comment"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/custsync/custsync/adapter"
)

// fieldTableHeading is the heading of the section of a driver's package
// doc that holds its field table.
const fieldTableHeading = "Field mapping"

// CheckFieldTable fails t unless the field table in the package doc of
// the driver in dir (usually ".") says what fields, the driver's
// Fields(), says: the same portable fields in the same order, each with
// the same vendor field. Notes are the doc's own. On failure it lists
// every difference and the rows the table should start with.
//
// The table is the code block that follows the "# Field mapping" heading.
// Its first line is a header (portable, the vendor, note); each further
// line is a portable field, its vendor field and an optional note,
// separated by two or more spaces; a line that starts with spaces goes on
// with the note above it:
//
//	portable    BlueTape            note
//	id          {id} (path)         the integrator's own customer id, not
//	                                the blueTapeId
//	email       emailAddress
func CheckFieldTable(t testing.TB, dir string, fields []adapter.FieldMapping) {
	t.Helper()
	documented, err := fieldTable(dir)
	if err != nil {
		t.Fatalf("reading the field table of the package doc in %s: %v", dir, err)
	}
	if diff := fieldTableDiff(documented, fields); len(diff) > 0 {
		t.Errorf("the package doc's %q table in %s does not match Fields():\n  %s\n\nits rows should read:\n%s",
			fieldTableHeading, dir, strings.Join(diff, "\n  "), tableRows(fields))
	}
}

// fieldTable returns the rows of the field table in the package doc of
// the Go package in dir (see CheckFieldTable for its form), Note holding
// the note with its continuation lines joined by spaces.
func fieldTable(dir string) ([]adapter.FieldMapping, error) {
	doc, err := packageDoc(dir)
	if err != nil {
		return nil, err
	}
	var p comment.Parser
	blocks := p.Parse(doc).Content
	for i, b := range blocks {
		h, ok := b.(*comment.Heading)
		if !ok || headingText(h) != fieldTableHeading {
			continue
		}
		if i+1 == len(blocks) {
			return nil, fmt.Errorf("nothing follows the heading %q", fieldTableHeading)
		}
		code, ok := blocks[i+1].(*comment.Code)
		if !ok {
			return nil, fmt.Errorf("the heading %q is not followed by an indented table", fieldTableHeading)
		}
		return parseFieldTable(code.Text)
	}
	return nil, fmt.Errorf("the package doc has no heading %q", fieldTableHeading)
}

// packageDoc is the text of the package doc comment of the package in
// dir, from the one non-test file that has one.
func packageDoc(dir string) (string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return "", err
	}
	var docs []*ast.CommentGroup
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			return "", err
		}
		f, err := parser.ParseFile(fset, name, src, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			return "", err
		}
		if f.Doc != nil {
			docs = append(docs, f.Doc)
		}
	}
	switch len(docs) {
	case 0:
		return "", errors.New("no file has a package doc comment")
	case 1:
		return docs[0].Text(), nil
	default:
		return "", fmt.Errorf("%d files have a package doc comment; go doc would join them, keep one", len(docs))
	}
}

func headingText(h *comment.Heading) string {
	var b strings.Builder
	for _, t := range h.Text {
		if p, ok := t.(comment.Plain); ok {
			b.WriteString(string(p))
		}
	}
	return b.String()
}

var columnGap = regexp.MustCompile(` {2,}|\t+`)

func parseFieldTable(text string) ([]adapter.FieldMapping, error) {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) < 2 {
		return nil, errors.New("the field table has no rows below its header")
	}
	if header := columnGap.Split(lines[0], -1); len(header) < 2 || header[0] != "portable" {
		return nil, fmt.Errorf("the field table's first line %q is not a header starting with \"portable\"", lines[0])
	}
	var rows []adapter.FieldMapping
	for n, line := range lines[1:] {
		if strings.TrimSpace(line) == "" {
			return nil, fmt.Errorf("line %d of the field table is blank: the table ends at the block's end", n+2)
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(rows) == 0 {
				return nil, fmt.Errorf("line %d of the field table continues a row that does not exist", n+2)
			}
			last := &rows[len(rows)-1]
			last.Note = strings.TrimSpace(last.Note + " " + strings.TrimSpace(line))
			continue
		}
		cells := columnGap.Split(strings.TrimSpace(line), 3)
		if len(cells) < 2 {
			return nil, fmt.Errorf("line %d of the field table, %q, names no vendor field (columns are two or more spaces apart)", n+2, line)
		}
		row := adapter.FieldMapping{Field: cells[0], VendorField: cells[1]}
		if len(cells) == 3 {
			row.Note = cells[2]
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// fieldTableDiff lists how the documented rows differ from fields, in
// portable field and vendor field (notes are free to differ), one line
// per difference; nil when they agree.
func fieldTableDiff(documented, fields []adapter.FieldMapping) []string {
	want := map[string]string{}
	for _, f := range fields {
		want[f.Field] = f.VendorField
	}
	got := map[string]string{}
	var diff []string
	for _, d := range documented {
		if _, dup := got[d.Field]; dup {
			diff = append(diff, fmt.Sprintf("%s: documented twice", d.Field))
			continue
		}
		got[d.Field] = d.VendorField
		vendorField, ok := want[d.Field]
		switch {
		case !ok:
			diff = append(diff, fmt.Sprintf("%s: documented as %q, but the driver does not store it", d.Field, d.VendorField))
		case vendorField != d.VendorField:
			diff = append(diff, fmt.Sprintf("%s: documented as %q, the driver stores it in %q", d.Field, d.VendorField, vendorField))
		}
	}
	for _, f := range fields {
		if _, ok := got[f.Field]; !ok {
			diff = append(diff, fmt.Sprintf("%s: the driver stores it in %q, the table does not list it", f.Field, f.VendorField))
		}
	}
	if len(diff) == 0 && !sameOrder(documented, fields) {
		diff = append(diff, "the rows are not in the order of Fields()")
	}
	return diff
}

func sameOrder(documented, fields []adapter.FieldMapping) bool {
	if len(documented) != len(fields) {
		return false
	}
	for i := range fields {
		if documented[i].Field != fields[i].Field {
			return false
		}
	}
	return true
}

// tableRows prints fields as the table's rows, with Fields()' own notes.
func tableRows(fields []adapter.FieldMapping) string {
	w1, w2 := 0, 0
	for _, f := range fields {
		w1, w2 = max(w1, len(f.Field)), max(w2, len(f.VendorField))
	}
	var b strings.Builder
	for _, f := range fields {
		line := fmt.Sprintf("\t%-*s  %-*s  %s", w1, f.Field, w2, f.VendorField, f.Note)
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	return b.String()
}
