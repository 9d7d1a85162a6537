// Package bridge joins package adapter (the user API) and package
// adapter/driver (the driver SPI) without either exporting to users what
// only the other needs. adapter/driver cannot be imported by adapter (it
// imports adapter for the model), so adapter installs its side here in an
// init function: NewClient builds a Client around a driver, DryRun reads
// the call in flight. The rest are facts of the wire both sides use.
package bridge

import (
	"context"
	"net"
	"net/http"
	"strings"
)

// MaxResponseBytes caps the body the transport reads for one response;
// a larger one fails the attempt instead of exhausting memory.
const MaxResponseBytes = 4 << 20

// Spec is a driver's description of its vendor, as package driver hands
// it over. Fields and Limits hold adapter types ([]adapter.FieldMapping,
// func(string) []adapter.Limit), which this package cannot name.
type Spec struct {
	Vendor         string
	DefaultBaseURL string
	Secrets        []string
	Header         http.Header
	Account        string
	Fields         any
	Limits         any
}

// Doer sends one request; the client's transport is one.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Conn is what a driver's generated client sends through.
type Conn struct {
	BaseURL string // no trailing slash
	Doer    Doer
}

// Installed by package adapter's init.
var (
	// NewClient returns an *adapter.Client around the driver open returns
	// (an any implementing adapter's driver methods); opts are
	// adapter.Options.
	NewClient func(spec Spec, open func(Conn) (any, error), opts []any) (any, error)
	// DryRun reports whether the call ctx belongs to is a dry run.
	DryRun func(ctx context.Context) bool
)

type operationKey struct{}

// WithOperation names the spec operation a driver is about to call.
func WithOperation(ctx context.Context, operationID string) context.Context {
	return context.WithValue(ctx, operationKey{}, operationID)
}

// Operation is the operation WithOperation named, or "".
func Operation(ctx context.Context) string {
	op, _ := ctx.Value(operationKey{}).(string)
	return op
}

// requestIDHeaders are the headers vendors and their proxies use for a
// request id, most specific first, in canonical form
// (TestRequestIDHeadersAreCanonical).
var requestIDHeaders = []string{"X-Request-Id", "Request-Id", "X-Correlation-Id", "X-Amzn-Requestid", "Cf-Ray"}

// RequestID is the vendor's request id in h, or "".
func RequestID(h http.Header) string {
	for _, name := range requestIDHeaders {
		// The names are canonical: looked up as they are, without
		// Header.Get canonicalising each one on every answer.
		if v := h[name]; len(v) > 0 && v[0] != "" {
			return v[0]
		}
	}
	return ""
}

// Idempotent reports whether sending req twice has the effect of sending
// it once.
func Idempotent(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
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

// IsLoopback reports whether host (no port) is localhost or a loopback IP.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
