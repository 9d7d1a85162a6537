package main

import (
	"errors"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/specs"
)

// attemptsOf returns how many HTTP attempts the failed call made.
func attemptsOf(err error) int {
	var e *adapter.Error
	if errors.As(err, &e) {
		return e.Attempts
	}
	return 0
}

// nothingSent reports whether err is invalid input refused before any
// request: update exits 2 for it, as for bad usage.
func nothingSent(err error) bool {
	var e *adapter.Error
	return errors.As(err, &e) && e.Code == adapter.InvalidArgument && e.Attempts == 0 && e.HTTPStatus == 0
}

// withVendor names the vendor in an input error that was found before any
// client saw the input (ParseCustomerUpdate knows no vendor), so every
// error the command prints says which vendor it is about.
func withVendor(err error, v specs.Vendor) error {
	var e *adapter.Error
	if errors.As(err, &e) && e.Vendor == "" {
		e.Vendor = string(v)
	}
	return err
}
