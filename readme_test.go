package custsync_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/billbee"
	"github.com/custsync/custsync/adapter/bluetape"
	"github.com/custsync/custsync/adapter/upwell"
)

// The README's field support matrix is what the drivers say, so the two
// cannot drift: regenerate it with the table this test prints on failure.
func TestTheREADMEFieldMatrixMatchesTheDrivers(t *testing.T) {
	up, err := upwell.New(upwell.Config{APIKey: "placeholder"})
	require.NoError(t, err)
	bt, err := bluetape.New(bluetape.Config{APIKey: "placeholder", AccountID: "placeholder"})
	require.NoError(t, err)
	bb, err := billbee.New(billbee.Config{APIKey: "placeholder", Username: "placeholder", APIPassword: "placeholder"})
	require.NoError(t, err)

	var b strings.Builder
	b.WriteString("| portable field | Upwell | BlueTape | Billbee |\n|---|---|---|---|\n")
	for _, field := range adapter.FieldNames() {
		row := []string{"`" + field + "`"}
		for _, c := range []*adapter.Client{up, bt, bb} {
			cell := "—"
			for _, m := range c.Fields() {
				if m.Field == field {
					cell = "`" + m.VendorField + "`"
					if m.Note != "" {
						cell += " (" + m.Note + ")"
					}
				}
			}
			row = append(row, cell)
		}
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	assert.Contains(t, string(readme), b.String(), "README.md's field matrix should read:\n%s", b.String())
}
