package vendortest

import (
	"io"
	"net/http"
	"strings"
)

// DoerFunc answers requests in-process, without a network: the fuzz tests
// use it (with adapter.WithTransport) to feed any status and body to a
// driver quickly.
type DoerFunc func(*http.Request) *http.Response

// SingleRoundTrip declares that f answers once and follows no redirect
// (adapter.SingleRoundTripper).
func (f DoerFunc) SingleRoundTrip() {}

// RoundTrip implements http.RoundTripper.
func (f DoerFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f.Do(r) }

// Do implements driver.HTTPDoer.
func (f DoerFunc) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close() // RoundTrippers must close it; the error is not the request's
	}
	resp := f(r)
	resp.Request = r
	return resp, nil
}

// Answer builds a response with the given status, content type and body.
func Answer(status int, contentType, body string) *http.Response {
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body))}
}
