// Package vendortest runs scripted fake vendors for driver tests: an
// httptest server that validates every request it receives against the
// vendor's embedded spec (credentials included) and every scripted
// response it sends, and records what it got. A test that sends a request
// the spec forbids fails, so driver tests double as contract tests.
package vendortest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/custsync/custsync/specs"
)

// Request is what the fake vendor received.
type Request struct {
	Method    string
	Path      string // escaped path below the base URL
	Operation string // the spec operationId it matched
	Header    http.Header
	Body      []byte
}

// JSON decodes the request body into a generic value.
func (r Request) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("request body is not a JSON object: %v\n%s", err, r.Body)
	}
	return m
}

// Response is one scripted answer.
type Response struct {
	Status int
	Header map[string]string
	Body   string
	// OffSpec marks a response that deliberately breaks the spec (HTML,
	// garbled JSON, an undocumented status), so it is not validated.
	OffSpec bool
}

// JSON is a Response with a JSON body.
func JSON(status int, body string) Response {
	return Response{Status: status, Body: body, Header: map[string]string{"Content-Type": "application/json"}}
}

// Server is a scripted fake vendor.
type Server struct {
	t         testing.TB
	srv       *httptest.Server
	base      string
	mu        sync.Mutex
	got       []Request
	answers   []func(Request) Response
	validator *specs.Validator
}

// New starts a fake vendor whose base URL is the test server's URL plus
// basePath (BlueTape: "/genericBthubService"). Each request gets the next
// answer in order; when they run out the test fails.
func New(t testing.TB, vendor specs.Vendor, basePath string, answers ...Response) *Server {
	t.Helper()
	s := &Server{t: t}
	for _, a := range answers {
		s.answers = append(s.answers, func(Request) Response { return a })
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	s.base = s.srv.URL + basePath
	v, err := specs.NewValidator(context.Background(), vendor, s.base)
	if err != nil {
		t.Fatalf("validator: %v", err)
	}
	s.validator = v
	return s
}

// Then adds an answer computed from the request (to echo what was sent).
func (s *Server) Then(f func(Request) Response) *Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers = append(s.answers, f)
	return s
}

// URL is the base URL a client should use.
func (s *Server) URL() string { return s.base }

// Requests returns what the server received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.got...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	route, err := s.validator.ValidateRequest(r)
	if err != nil {
		s.t.Errorf("request violates the spec: %s %s: %v", r.Method, r.URL.Path, err)
		http.Error(w, "request violates the spec", http.StatusTeapot)
		return
	}
	body, _ := io.ReadAll(r.Body)
	req := Request{
		Method: r.Method, Path: strings.TrimPrefix(r.URL.EscapedPath(), strings.TrimPrefix(s.base, s.srv.URL)),
		Operation: route.OperationID(), Header: r.Header.Clone(), Body: body,
	}
	s.mu.Lock()
	s.got = append(s.got, req)
	var answer func(Request) Response
	if len(s.answers) > 0 {
		answer, s.answers = s.answers[0], s.answers[1:]
	}
	s.mu.Unlock()
	if answer == nil {
		s.t.Errorf("unexpected request %d: %s %s", len(s.Requests()), r.Method, r.URL.Path)
		http.Error(w, "no scripted answer", http.StatusTeapot)
		return
	}
	resp := answer(req)
	header := http.Header{}
	for k, v := range resp.Header {
		header.Set(k, v)
	}
	if !resp.OffSpec {
		if err := route.ValidateResponse(r.Context(), resp.Status, header, []byte(resp.Body)); err != nil {
			s.t.Errorf("scripted response violates the spec: %d %s: %v", resp.Status, resp.Body, err)
		}
	}
	for k, v := range header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.Status)
	_, _ = io.WriteString(w, resp.Body)
}
