package adapter

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Code is a portable error code, named after gRPC's (as gocloud.dev's
// gcerrors). Use [CodeOf] to get the code of any error, or errors.Is:
// Code implements error, so errors.Is(err, adapter.NotFound) holds for
// any *Error whose Code is NotFound (and for NotFound itself, as a fake
// client may return it). A context error is the exception: it is
// returned as it is, so errors.Is(err, context.Canceled) holds, and only
// CodeOf maps it to Canceled or DeadlineExceeded. The names are frozen,
// and JSON and logs carry the names, never the numbers.
type Code int

// The portable error codes.
const (
	// OK: no error; CodeOf(nil) is OK.
	OK Code = iota
	// Unknown: the failure could not be classified.
	Unknown
	// NotFound: the vendor has no customer with this id.
	NotFound
	// InvalidArgument: the update or an option is invalid and nothing was
	// sent, or the vendor refused the request as malformed (HTTP 400/422).
	InvalidArgument
	// PermissionDenied: the credentials are missing, wrong, or not allowed
	// to do this (HTTP 401/403).
	PermissionDenied
	// FailedPrecondition: the record is in a state that forbids the
	// update, such as an archived Billbee customer (or HTTP 409/412).
	FailedPrecondition
	// ResourceExhausted: a rate limit was hit (HTTP 429), or the local
	// limiter would have to wait past the deadline.
	ResourceExhausted
	// Unavailable: the vendor could not be reached or answered 502/503/504
	// or 408; trying again later may succeed.
	Unavailable
	// DeadlineExceeded: the deadline passed before the vendor answered.
	DeadlineExceeded
	// Canceled: the caller canceled the call.
	Canceled
	// Internal: the vendor failed (HTTP 500) or answered something that
	// contradicts its own spec.
	Internal
)

var codeNames = [...]string{
	OK:                 "OK",
	Unknown:            "Unknown",
	NotFound:           "NotFound",
	InvalidArgument:    "InvalidArgument",
	PermissionDenied:   "PermissionDenied",
	FailedPrecondition: "FailedPrecondition",
	ResourceExhausted:  "ResourceExhausted",
	Unavailable:        "Unavailable",
	DeadlineExceeded:   "DeadlineExceeded",
	Canceled:           "Canceled",
	Internal:           "Internal",
}

func (c Code) String() string {
	if c >= 0 && int(c) < len(codeNames) {
		return codeNames[c]
	}
	return fmt.Sprintf("Code(%d)", int(c))
}

// Error returns the code's name, as String does: a Code is an error only
// to be the target of errors.Is.
func (c Code) Error() string { return c.String() }

// MarshalText writes the code's name, so JSON output is readable and stable.
func (c Code) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads a code's name as MarshalText writes it, so a
// failures file's "_error" decodes back into a bulk.Failure. A name that
// is no code's is an error naming it.
func (c *Code) UnmarshalText(text []byte) error {
	for code, name := range codeNames {
		if string(text) == name {
			*c = Code(code)
			return nil
		}
	}
	return fmt.Errorf("adapter: %q names no error code", text)
}

// Error is the one error type of custsync: every failure of an update,
// before or after the network, is an *Error, except context errors, which
// are returned as they are (errors.Is(err, context.Canceled) holds).
//
// Error never holds a credential: bodies and messages are scrubbed of the
// client's secrets before they are stored.
type Error struct {
	Vendor     string // "upwell", "bluetape", "billbee"
	Operation  string // the spec's operationId, e.g. "Customer_Update"; empty before any request
	Code       Code
	HTTPStatus int    // 0 when no response was received
	VendorCode string // the vendor's own error code, e.g. "validation-failed", "404", "11"
	Message    string // the vendor's message, or ours when no request was sent
	Field      string // the portable field at fault, for InvalidArgument before a request
	RequestID  string // the vendor's request id header, when it sends one
	Retryable  bool   // whether trying the same call again may succeed
	Attempts   int    // HTTP attempts made for this call, retries included
	Body       string // a short, capped excerpt of the response body
	Err        error  // the underlying cause (a network error, a decode error), if any
	// Mismatches are the fields stored otherwise than sent, when WithStrict
	// failed an update the vendor applied (Code Internal).
	Mismatches []Mismatch
	// Config is set when the client's configuration is at fault, not the
	// update: the vendor refused the credentials (every PermissionDenied),
	// has no endpoint at the base URL, or redirected it. Every update
	// fails the same way until the configuration is fixed, so a bulk run
	// halts after a few (bulk.WithSetupCheck).
	Config bool
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Vendor == "" {
		b.WriteString("custsync")
	}
	b.WriteString(e.Vendor)
	if e.Operation != "" {
		b.WriteString(" ")
		b.WriteString(e.Operation)
	}
	b.WriteString(": ")
	b.WriteString(e.Code.String())
	var detail []string
	if e.HTTPStatus != 0 {
		detail = append(detail, fmt.Sprintf("HTTP %d", e.HTTPStatus))
	}
	if e.VendorCode != "" {
		detail = append(detail, "vendor code "+e.VendorCode)
	}
	if e.RequestID != "" {
		detail = append(detail, "request id "+e.RequestID)
	}
	if e.Attempts > 1 {
		detail = append(detail, fmt.Sprintf("%d attempts", e.Attempts))
	}
	if len(detail) > 0 {
		b.WriteString(" (" + strings.Join(detail, ", ") + ")")
	}
	switch {
	case e.Message != "":
		b.WriteString(": " + e.Message)
	case e.Err != nil:
		b.WriteString(": " + e.Err.Error())
	case e.Body != "":
		b.WriteString(": body: " + e.Body)
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, NotFound) hold when e's Code is NotFound, and
// so for every Code.
func (e *Error) Is(target error) bool {
	c, ok := target.(Code)
	return ok && c == e.Code
}

// CodeOf returns the portable code of err: OK for nil, the Code of an
// *Error or of a bare Code in err's chain, Canceled or DeadlineExceeded
// for context errors, Unknown otherwise.
func CodeOf(err error) Code {
	var e *Error
	var c Code
	switch {
	case err == nil:
		return OK
	case errors.As(err, &e):
		if e == nil {
			return Unknown // a typed nil *Error: a bug of whoever returned it
		}
		return e.Code
	case errors.As(err, &c):
		return c // a bare Code, as a fake client may return
	case errors.Is(err, context.Canceled):
		return Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return DeadlineExceeded
	}
	return Unknown
}

// invalidArgument builds the error for bad input caught before any request.
func invalidArgument(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if field != "" {
		msg = field + ": " + msg
	}
	return &Error{Code: InvalidArgument, Field: field, Message: msg}
}
