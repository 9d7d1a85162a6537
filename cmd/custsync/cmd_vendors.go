package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/billbee"
	"github.com/custsync/custsync/adapter/bluetape"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/specs"
)

const vendorsUsage = `Usage: custsync vendors

Prints the field support matrix: for each portable field of the canonical
JSON form, the field each vendor stores it in, or "-" where the vendor has
no place for it (setting such a field fails with InvalidArgument, or is
dropped with --lenient). Notes on particular fields follow the table.

Example:
  custsync vendors
`

func (a *app) vendors(args []string) int {
	fs := newFlagSet("vendors", vendorsUsage)
	if code, done := a.parse(fs, args); done {
		return code
	}
	mappings, err := fieldMappings()
	if err != nil {
		return a.fail("vendors", err)
	}
	w := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprint(w, "field")
	for _, v := range specs.Vendors {
		fmt.Fprintf(w, "\t%s", v)
	}
	fmt.Fprintln(w)
	for _, field := range adapter.FieldNames() {
		fmt.Fprint(w, field)
		for _, v := range specs.Vendors {
			cell := "-"
			if m, ok := mappings[v][field]; ok {
				cell = m.VendorField
			}
			fmt.Fprintf(w, "\t%s", cell)
		}
		fmt.Fprintln(w)
	}
	if err := w.Flush(); err != nil {
		return a.fail("vendors", err)
	}
	fmt.Fprintln(a.stdout, "\nNotes:")
	for _, v := range specs.Vendors {
		for _, field := range adapter.FieldNames() {
			if m, ok := mappings[v][field]; ok && m.Note != "" {
				fmt.Fprintf(a.stdout, "  %-9s %s: %s\n", v, field, m.Note)
			}
		}
	}
	return exitOK
}

// fieldMappings asks each driver where it stores each portable field.
// Clients are built with placeholder credentials: only Fields is called,
// nothing is sent.
func fieldMappings() (map[specs.Vendor]map[string]adapter.FieldMapping, error) {
	const placeholder = adapter.Secret("placeholder")
	clients := map[specs.Vendor]func() (*adapter.Client, error){
		specs.Upwell: func() (*adapter.Client, error) { return upwell.New(upwell.Config{APIKey: placeholder}) },
		specs.BlueTape: func() (*adapter.Client, error) {
			return bluetape.New(bluetape.Config{APIKey: placeholder, AccountID: placeholder})
		},
		specs.Billbee: func() (*adapter.Client, error) {
			return billbee.New(billbee.Config{APIKey: placeholder, Username: "placeholder", APIPassword: placeholder})
		},
	}
	out := map[specs.Vendor]map[string]adapter.FieldMapping{}
	for _, v := range specs.Vendors {
		c, err := clients[v]()
		if err != nil {
			return nil, err
		}
		out[v] = map[string]adapter.FieldMapping{}
		for _, m := range c.Fields() {
			out[v][m.Field] = m
		}
	}
	return out, nil
}
