package adapter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Code is a portable error code. The set is frozen: codes are named after
// gRPC's and never renumbered, so callers may switch on them and store
// them. Use [CodeOf] to get the code of any error.
type Code int

// The portable error codes.
const (
	// Unknown: the failure could not be classified.
	Unknown Code = iota
	// NotFound: the vendor has no customer with this id.
	NotFound
	// InvalidArgument: the update is invalid; nothing was sent, or the
	// vendor refused the request as malformed (HTTP 400/422).
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

// MarshalText writes the code's name, so JSON output is readable and stable.
func (c Code) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// codeSentinel is the type of the Err* sentinels: errors.Is(err, ErrNotFound)
// holds for any *Error whose Code is NotFound.
type codeSentinel Code

func (s codeSentinel) Error() string { return "custsync: " + Code(s).String() }

// Sentinels for errors.Is, one per code.
var (
	ErrUnknown            error = codeSentinel(Unknown)
	ErrNotFound           error = codeSentinel(NotFound)
	ErrInvalidArgument    error = codeSentinel(InvalidArgument)
	ErrPermissionDenied   error = codeSentinel(PermissionDenied)
	ErrFailedPrecondition error = codeSentinel(FailedPrecondition)
	ErrResourceExhausted  error = codeSentinel(ResourceExhausted)
	ErrUnavailable        error = codeSentinel(Unavailable)
	ErrDeadlineExceeded   error = codeSentinel(DeadlineExceeded)
	ErrCanceled           error = codeSentinel(Canceled)
	ErrInternal           error = codeSentinel(Internal)
)

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

	// rawBody holds the response body until the Client scrubs it of
	// credentials and cuts the excerpt: cutting first could split a
	// credential so the scrubber no longer recognises it.
	rawBody []byte
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

// Is makes errors.Is(err, ErrNotFound) and the other sentinels work.
func (e *Error) Is(target error) bool {
	s, ok := target.(codeSentinel)
	return ok && Code(s) == e.Code
}

// CodeOf returns the portable code of err: the Code of an *Error, Canceled
// or DeadlineExceeded for context errors, Unknown otherwise. CodeOf(nil)
// is Unknown; check for nil first.
func CodeOf(err error) Code {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Code
	case errors.Is(err, context.Canceled):
		return Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return DeadlineExceeded
	}
	return Unknown
}

// CodeForStatus maps an HTTP status to a portable code; drivers refine it
// where the vendor says more (Upwell's affectedRows 0 is NotFound on 200).
func CodeForStatus(status int) Code {
	switch {
	case status == http.StatusBadRequest, status == http.StatusUnprocessableEntity:
		return InvalidArgument
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return PermissionDenied
	case status == http.StatusNotFound:
		return NotFound
	case status == http.StatusConflict, status == http.StatusPreconditionFailed:
		return FailedPrecondition
	case status == http.StatusTooManyRequests:
		return ResourceExhausted
	case status == http.StatusRequestTimeout, status == http.StatusBadGateway,
		status == http.StatusServiceUnavailable, status == http.StatusGatewayTimeout:
		return Unavailable
	case status == http.StatusInternalServerError:
		return Internal
	case status >= 300 && status < 400:
		return FailedPrecondition // redirects are refused, see Transport
	case status >= 400 && status < 500:
		return InvalidArgument
	}
	return Unknown
}

// RetryableStatus reports whether a request that got this status may be
// sent again. 408 and 429 mean the request was not processed. 500, 502,
// 503 and 504 may come after the change was made (a gateway may time out
// on a vendor that went on working), so they are retried only for
// idempotent requests, as database/sql retries only what cannot apply twice.
func RetryableStatus(status int, idempotent bool) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests:
		return true
	case http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return idempotent
	}
	return false
}

// invalidArgument builds the error for bad input caught before any request.
func invalidArgument(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if field != "" {
		msg = field + ": " + msg
	}
	return &Error{Code: InvalidArgument, Field: field, Message: msg}
}

// InvalidField returns the InvalidArgument error a driver reports for a
// field it cannot accept; the Client adds the vendor. Nothing is sent.
func InvalidField(field, format string, args ...any) *Error {
	return invalidArgument(field, format, args...)
}
