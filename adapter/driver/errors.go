package driver

import (
	"fmt"
	"io"
	"net/http"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/internal/retrypolicy"
)

// ResponseError builds the *adapter.Error for a response that is not a
// success. Drivers pass what they could decode from the vendor's error
// body (vendorCode, message; empty when the body was HTML, empty or
// garbled); the code comes from the status. The Client adds the vendor,
// the operation and request id of the request the response answered, and
// the attempts; it scrubs the body of credentials and cuts it to an
// excerpt.
func ResponseError(resp *http.Response, body []byte, vendorCode, message string) *adapter.Error {
	idem := resp.Request == nil || retrypolicy.Idempotent(resp.Request.Method)
	return &adapter.Error{
		Code:       codeForStatus(resp.StatusCode),
		HTTPStatus: resp.StatusCode,
		VendorCode: vendorCode,
		Message:    message,
		Retryable:  retrypolicy.RetryableStatus(resp.StatusCode, idem),
		Body:       string(body),
	}
}

// RequestURL names the request a response answered, for errors that say
// "check the base URL": the method and URL, without query or userinfo.
func RequestURL(resp *http.Response) string {
	if resp.Request == nil || resp.Request.URL == nil {
		return "the configured base URL"
	}
	u := *resp.Request.URL
	u.RawQuery, u.User = "", nil
	return resp.Request.Method + " " + u.String()
}

// DecodeError builds the *adapter.Error for a success status whose body
// does not decode as the spec says: the vendor broke its contract, and
// whether the update took effect is unknown. The Client adds what it adds
// to a ResponseError.
func DecodeError(resp *http.Response, body []byte, err error) *adapter.Error {
	return &adapter.Error{
		Code:       adapter.Internal,
		HTTPStatus: resp.StatusCode,
		Message:    fmt.Sprintf("the vendor answered HTTP %d with a body that does not match its spec; the update may or may not have been applied", resp.StatusCode),
		Body:       string(body),
		Err:        err,
	}
}

// ReadBody returns the body the transport already read whole (capped);
// drivers call it instead of io.ReadAll so they never see a stream.
func ReadBody(resp *http.Response) []byte {
	// The transport's body hands its bytes over without a copy; it is
	// asked for the method, as package adapter keeps the type.
	if rb, ok := resp.Body.(interface{ Bytes() []byte }); ok {
		return rb.Bytes()
	}
	b, _ := io.ReadAll(resp.Body)
	return b
}

// InvalidField returns the InvalidArgument error a driver reports for a
// field it cannot accept (field "" for the update as a whole); the
// Client adds the vendor. Nothing is sent.
func InvalidField(field, format string, args ...any) *adapter.Error {
	msg := fmt.Sprintf(format, args...)
	if field != "" {
		msg = field + ": " + msg
	}
	return &adapter.Error{Code: adapter.InvalidArgument, Field: field, Message: msg}
}

// codeForStatus maps an HTTP status to a portable code; drivers refine it
// where the vendor says more (Upwell's affectedRows 0 is NotFound on 200).
func codeForStatus(status int) adapter.Code {
	switch {
	case status == http.StatusBadRequest, status == http.StatusUnprocessableEntity:
		return adapter.InvalidArgument
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return adapter.PermissionDenied
	case status == http.StatusNotFound:
		return adapter.NotFound
	case status == http.StatusConflict, status == http.StatusPreconditionFailed:
		return adapter.FailedPrecondition
	case status == http.StatusTooManyRequests:
		return adapter.ResourceExhausted
	case status == http.StatusRequestTimeout, status == http.StatusBadGateway,
		status == http.StatusServiceUnavailable, status == http.StatusGatewayTimeout:
		return adapter.Unavailable
	case status == http.StatusInternalServerError:
		return adapter.Internal
	case status >= 300 && status < 400:
		return adapter.FailedPrecondition // redirects are refused by the transport
	case status >= 400 && status < 500:
		return adapter.InvalidArgument
	}
	return adapter.Unknown
}
