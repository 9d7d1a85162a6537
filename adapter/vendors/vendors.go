// Package vendors gets a client for a vendor named at run time, from a
// flag or a config file, without a switch in the caller's code:
//
//	name, err := vendors.Parse(cfg.Vendor) // "billbee"
//	client, err := vendors.FromEnv(name)
//
// Where the vendor is known when the program is written, use the typed
// constants: a misspelt one (vendors.Bilbee) is a compile error. A string
// converts to a Name too (vendors.FromEnv("billbee") compiles), so names
// read at run time go through Parse, which refuses a misspelling.
// Each vendor's own package (adapter/upwell, adapter/bluetape,
// adapter/billbee) documents the variables its FromEnv reads; this
// package imports all three.
package vendors

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/billbee"
	"github.com/custsync/custsync/adapter/bluetape"
	"github.com/custsync/custsync/adapter/driver"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/internal/spelling"
	"github.com/custsync/custsync/specs"
)

// Name names a vendor custsync has a driver for: the name its clients
// report in Client.Vendor, Result.Vendor and Error.Vendor. It is the one
// vendor-name type of custsync, specs.Vendor, under the name this
// package's callers read best.
type Name = specs.Vendor

// The vendors.
const (
	Upwell   = specs.Upwell
	BlueTape = specs.BlueTape
	Billbee  = specs.Billbee
)

// fromLookup is each vendor's FromLookup, in Names order.
var fromLookup = []struct {
	name Name
	open func(lookup func(string) (string, bool), opts ...adapter.Option) (*adapter.Client, error)
}{
	{Upwell, upwell.FromLookup},
	{BlueTape, bluetape.FromLookup},
	{Billbee, billbee.FromLookup},
}

// Names lists every vendor, in a stable order.
func Names() []Name {
	names := make([]Name, len(fromLookup))
	for i, v := range fromLookup {
		names[i] = v.name
	}
	return names
}

// Parse returns the vendor s names, exactly as spelt in Names; anything
// else is an InvalidArgument *adapter.Error listing the vendors.
func Parse(s string) (Name, error) {
	for _, v := range fromLookup {
		if string(v.name) == s {
			return v.name, nil
		}
	}
	return "", unknown(s)
}

// FromEnv returns a client for vendor n configured from the environment,
// as that vendor package's FromEnv does (upwell.FromEnv, ...).
func FromEnv(n Name, opts ...adapter.Option) (*adapter.Client, error) {
	return FromLookup(n, os.LookupEnv, opts...)
}

// FromLookup is FromEnv reading the variables through lookup instead of
// the environment (os.LookupEnv has its shape): from a secrets manager,
// say, or a map.
func FromLookup(n Name, lookup func(string) (string, bool), opts ...adapter.Option) (*adapter.Client, error) {
	for _, v := range fromLookup {
		if v.name == n {
			c, err := v.open(lookup, opts...)
			var e *adapter.Error
			if errors.As(err, &e) && e.Vendor == "" {
				e.Vendor = string(n)
			}
			return c, err
		}
	}
	return nil, unknown(string(n))
}

// ErrEnvNotSet is wrapped by the error FromEnv and FromLookup return when
// a variable the vendor needs is not set, so a program can tell a missing
// setting (a usage error) from other failures.
var ErrEnvNotSet = driver.ErrEnvNotSet

func unknown(s string) *adapter.Error {
	names := make([]string, len(fromLookup))
	for i, v := range fromLookup {
		names[i] = string(v.name)
	}
	msg := fmt.Sprintf("unknown vendor %q (want one of %s)", s, strings.Join(names, ", "))
	if c := spelling.Closest(s, names); c != "" {
		msg += fmt.Sprintf("; did you mean %q?", c)
	}
	return &adapter.Error{Code: adapter.InvalidArgument, Field: "vendor", Message: msg}
}
