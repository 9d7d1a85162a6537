package main

import (
	"fmt"

	"github.com/custsync/custsync/internal/buildinfo"
)

const versionUsage = `Usage: custsync version
       custsync --version

Prints custsync's version, the Go toolchain and platform it was built
with, and, for a binary built with go build from a checkout, the commit
it was built from, the commit's time and whether the checkout had
uncommitted changes. The same version is in the User-Agent of every
request custsync sends.

Example:
  custsync version
`

func (a *app) version(args []string) int {
	fs := newFlagSet("version", versionUsage)
	if code, done := a.parse(fs, args); done {
		return code
	}
	info := buildinfo.Read()
	if a.buildInfo != nil {
		info = *a.buildInfo
	}
	fmt.Fprintln(a.stdout, info)
	if info.Revision != "" {
		fmt.Fprintf(a.stdout, "  revision  %s\n", info.Revision)
	}
	if info.Time != "" {
		fmt.Fprintf(a.stdout, "  time      %s\n", info.Time)
	}
	if info.Revision != "" {
		fmt.Fprintf(a.stdout, "  modified  %t\n", info.Modified)
	}
	return exitOK
}
