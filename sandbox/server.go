package sandbox

import (
	"net/http"
	"net/http/httptest"

	"github.com/custsync/custsync/specs"
)

// Server is a Sandbox listening on a local port, for tests:
//
//	srv := sandbox.NewServer()
//	defer srv.Close()
//	baseURL := srv.URL(specs.Billbee)
//
// The Sandbox's methods (SetFaults, Customer, Violations, ...) are
// available on it directly.
type Server struct {
	*Sandbox
	ts *httptest.Server
}

// NewServer starts a Sandbox built with opts on a local HTTP/1.1 port.
// Close it when done.
func NewServer(opts ...Option) *Server {
	sb := New(opts...)
	return &Server{Sandbox: sb, ts: httptest.NewServer(sb)}
}

// URL returns the base URL a client of vendor v should use, such as
// "http://127.0.0.1:41234/bluetape/genericBthubService". It panics for an
// unknown vendor.
func (s *Server) URL(v specs.Vendor) string {
	return s.ts.URL + BasePath(v)
}

// RootURL is the server's own URL, without a vendor's base path.
func (s *Server) RootURL() string { return s.ts.URL }

// Client returns an HTTP client for the server whose idle connections
// Close also closes, so tests using it leak no goroutines.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Close shuts the server down and waits for requests in flight.
func (s *Server) Close() { s.ts.Close() }
