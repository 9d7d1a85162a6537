package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/vendors"
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
	placeholder := func(string) (string, bool) { return "placeholder", true }
	out := map[specs.Vendor]map[string]adapter.FieldMapping{}
	for _, name := range vendors.Names() {
		c, err := vendors.FromLookup(name, placeholder)
		if err != nil {
			return nil, err
		}
		v := specs.Vendor(name)
		out[v] = map[string]adapter.FieldMapping{}
		for _, m := range c.Fields() {
			out[v][m.Field] = m
		}
	}
	return out, nil
}
