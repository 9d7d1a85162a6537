package drivertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
)

// writePackage writes a Go package whose package doc is doc (without
// comment markers) to a new directory and returns it.
func writePackage(t *testing.T, doc string) string {
	t.Helper()
	dir := t.TempDir()
	var src strings.Builder
	for _, line := range strings.Split(strings.TrimSuffix(doc, "\n"), "\n") {
		src.WriteString(strings.TrimRight("// "+line, " ") + "\n")
	}
	src.WriteString("package vendor\n")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "vendor.go"), []byte(src.String()), 0o644))
	// A test file's comments are not the package doc.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "vendor_test.go"), []byte("// Package vendor is not this.\npackage vendor\n"), 0o644))
	return dir
}

const goodDoc = `Package vendor is a driver.

# Field mapping

	portable    Vendor           note
	id          {id} (path), Id  a positive int64, written as a
	                             decimal string
	email       emailAddress
	modifiedAt  updated_at       UTC

# Errors

Not part of the table.
`

var vendorFields = []adapter.FieldMapping{
	{Field: "id", VendorField: "{id} (path), Id"},
	{Field: "email", VendorField: "emailAddress"},
	{Field: "modifiedAt", VendorField: "updated_at"},
}

func TestFieldTableReadsThePackageDoc(t *testing.T) {
	t.Parallel()
	rows, err := fieldTable(writePackage(t, goodDoc))
	require.NoError(t, err)
	assert.Equal(t, []adapter.FieldMapping{
		{Field: "id", VendorField: "{id} (path), Id", Note: "a positive int64, written as a decimal string"},
		{Field: "email", VendorField: "emailAddress"},
		{Field: "modifiedAt", VendorField: "updated_at", Note: "UTC"},
	}, rows)
}

func TestFieldTableRefusesADocItCannotRead(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc, wantErr string
	}{
		{"a doc without the heading", "Package vendor is a driver.\n", `no heading "Field mapping"`},
		{"a heading followed by prose", "Package vendor.\n\n# Field mapping\n\nid is sourceSystemId.\n", "not followed by an indented table"},
		{"a table without a header", "Package vendor.\n\n# Field mapping\n\n\tid  sourceSystemId\n\temail  mail\n", "not a header"},
		{"a row with one column", "Package vendor.\n\n# Field mapping\n\n\tportable  Vendor\n\tid sourceSystemId\n", "names no vendor field"},
		{"a table with a blank line", "Package vendor.\n\n# Field mapping\n\n\tportable  Vendor\n\tid  a\n\n\temail  b\n", "is blank"},
		{"a continuation before any row", "Package vendor.\n\n# Field mapping\n\n\tportable  Vendor\n\t   more\n\tid  a\n", "continues a row that does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := fieldTable(writePackage(t, tt.doc))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}

	t.Run("two files with a package doc", func(t *testing.T) {
		t.Parallel()
		dir := writePackage(t, goodDoc)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "doc.go"), []byte("// Package vendor again.\npackage vendor\n"), 0o644))
		_, err := fieldTable(dir)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "2 files have a package doc comment")
	})
}

func TestFieldTableDiffNamesEveryDifference(t *testing.T) {
	t.Parallel()
	row := func(field, vendorField string) adapter.FieldMapping {
		return adapter.FieldMapping{Field: field, VendorField: vendorField}
	}
	tests := []struct {
		name       string
		documented []adapter.FieldMapping
		want       []string
	}{
		{
			name:       "the same rows with other notes agree",
			documented: []adapter.FieldMapping{{Field: "id", VendorField: "{id} (path), Id", Note: "doc's own words"}, row("email", "emailAddress"), row("modifiedAt", "updated_at")},
		},
		{
			name:       "a vendor field documented otherwise",
			documented: []adapter.FieldMapping{row("id", "{id} (path), Id"), row("email", "mail"), row("modifiedAt", "updated_at")},
			want:       []string{`email: documented as "mail", the driver stores it in "emailAddress"`},
		},
		{
			name:       "a field the driver does not store, and one the table leaves out",
			documented: []adapter.FieldMapping{row("id", "{id} (path), Id"), row("phone", "tel"), row("email", "emailAddress")},
			want: []string{
				`phone: documented as "tel", but the driver does not store it`,
				`modifiedAt: the driver stores it in "updated_at", the table does not list it`,
			},
		},
		{
			name:       "a field documented twice",
			documented: []adapter.FieldMapping{row("id", "{id} (path), Id"), row("email", "emailAddress"), row("email", "emailAddress"), row("modifiedAt", "updated_at")},
			want:       []string{"email: documented twice"},
		},
		{
			name:       "the rows in another order",
			documented: []adapter.FieldMapping{row("email", "emailAddress"), row("id", "{id} (path), Id"), row("modifiedAt", "updated_at")},
			want:       []string{"the rows are not in the order of Fields()"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, fieldTableDiff(tt.documented, vendorFields))
		})
	}
}

// recorder is a testing.TB that keeps what a check reports.
type recorder struct {
	testing.TB
	failed bool
	msg    string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failed = true
	r.msg += fmt.Sprintf(format, args...)
}

func TestCheckFieldTableFailsWithTheRowsToWrite(t *testing.T) {
	t.Parallel()
	dir := writePackage(t, goodDoc)

	ok := &recorder{TB: t}
	CheckFieldTable(ok, dir, vendorFields)
	assert.False(t, ok.failed, ok.msg)

	changed := append([]adapter.FieldMapping{}, vendorFields...)
	changed[1] = adapter.FieldMapping{Field: "email", VendorField: "contact.email", Note: "lower-cased"}
	bad := &recorder{TB: t}
	CheckFieldTable(bad, dir, changed)
	assert.True(t, bad.failed)
	assert.Contains(t, bad.msg, `email: documented as "emailAddress", the driver stores it in "contact.email"`)
	assert.Contains(t, bad.msg, "\tid          {id} (path), Id\n\temail       contact.email    lower-cased\n\tmodifiedAt  updated_at\n")
}
