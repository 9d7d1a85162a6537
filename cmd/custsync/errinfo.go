package main

import (
	"errors"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/specs"
)

// errorInfo is the JSON form of a failure, shared by update --json and the
// failures file of push. Its keys are part of the command's contract.
type errorInfo struct {
	Code       adapter.Code `json:"code"` // the portable code's name, e.g. "NotFound"
	Message    string       `json:"message"`
	HTTPStatus int          `json:"httpStatus"` // 0 when no answer was received
	VendorCode string       `json:"vendorCode"`
	Retryable  bool         `json:"retryable"`
	Field      string       `json:"field,omitempty"`     // the input field at fault, when known
	RequestID  string       `json:"requestId,omitempty"` // the vendor's request id, when it sent one
}

// describe turns any error of an update into its errorInfo. *adapter.Error
// values are already scrubbed of credentials by the adapter, and nothing
// else this command reports carries one.
func describe(err error) errorInfo {
	info := errorInfo{Code: adapter.CodeOf(err), Message: err.Error()}
	var e *adapter.Error
	if !errors.As(err, &e) {
		return info
	}
	info.HTTPStatus = e.HTTPStatus
	info.VendorCode = e.VendorCode
	info.Retryable = e.Retryable
	info.Field = e.Field
	info.RequestID = e.RequestID
	switch {
	case e.Message != "":
		info.Message = e.Message
	case e.Err != nil:
		info.Message = e.Err.Error()
	case e.Body != "":
		// An HTML page or garbage: the excerpt is all the vendor said.
		info.Message = "body: " + e.Body
	default:
		info.Message = e.Code.String()
	}
	return info
}

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
