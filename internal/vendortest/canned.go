package vendortest

import (
	"bytes"
	"io"
	"net/http"
	"sync"
)

// Canned is an in-process vendor for benchmarks: a RoundTripper that
// answers every request with the same status and body, reading the request
// body as a server would. A client under benchmark and its hand-written
// floor go through the same Canned, so the comparison measures the clients
// alone. Set Record to keep the requests for comparison.
type Canned struct {
	Status int
	Body   []byte
	Record bool

	mu   sync.Mutex
	sent []SentRequest
}

// SentRequest is a request as it would go on the wire.
type SentRequest struct {
	Method, URL string
	Header      http.Header
	Body        []byte
}

// SingleRoundTrip declares that Canned makes one round trip and follows
// no redirect (adapter.SingleRoundTripper).
func (c *Canned) SingleRoundTrip() {}

// RoundTrip implements http.RoundTripper.
func (c *Canned) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		if c.Record {
			body, _ = io.ReadAll(r.Body)
		} else {
			_, _ = io.Copy(io.Discard, r.Body)
		}
		_ = r.Body.Close() // RoundTrippers must close it; the error is not the request's
	}
	if c.Record {
		c.mu.Lock()
		c.sent = append(c.sent, SentRequest{Method: r.Method, URL: r.URL.String(), Header: r.Header.Clone(), Body: body})
		c.mu.Unlock()
	}
	return &http.Response{
		StatusCode: c.Status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(c.Body)),
		ContentLength: int64(len(c.Body)),
		Request:       r,
	}, nil
}

// Take returns the requests recorded since the last Take.
func (c *Canned) Take() []SentRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	sent := c.sent
	c.sent = nil
	return sent
}
