package sandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newServer starts a sandbox for one test, closes it afterwards, and fails
// the test if any answer the sandbox gave broke its own spec.
func newServer(t *testing.T, opts ...sandbox.Option) *sandbox.Server {
	t.Helper()
	srv := sandbox.NewServer(opts...)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { assert.Empty(t, srv.Violations(), "answers that break the spec") })
	return srv
}

// credentials are the demo credentials as headers, per vendor.
func credentials(v specs.Vendor) http.Header {
	h := http.Header{}
	switch v {
	case specs.Upwell:
		h.Set("Authorization", sandbox.UpwellAPIKey)
	case specs.BlueTape:
		h.Set("X-BlueTape-Key", sandbox.BlueTapeAPIKey)
		h.Set("X-Integration-AccountId", sandbox.BlueTapeAccountID)
	case specs.Billbee:
		req, _ := http.NewRequest(http.MethodGet, "http://x", nil)
		req.SetBasicAuth(sandbox.BillbeeUsername, sandbox.BillbeeAPIPassword)
		h.Set("Authorization", req.Header.Get("Authorization"))
		h.Set("X-Billbee-Api-Key", sandbox.BillbeeAPIKey)
		h.Set("Accept", "application/json")
	}
	return h
}

// request builds a request to vendor v of srv with the demo credentials.
func request(t *testing.T, srv *sandbox.Server, v specs.Vendor, method, path, body string) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL(v)+path, rd)
	require.NoError(t, err)
	req.Header = credentials(v)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// answer is a response read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body with json.Number, as ids must be read.
func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(a.body))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&m), "body: %s", a.body)
	return m
}

func send(t *testing.T, srv *sandbox.Server, req *http.Request) answer {
	t.Helper()
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	return answer{status: resp.StatusCode, header: resp.Header, body: body}
}

// call sends a request to vendor v with the demo credentials.
func call(t *testing.T, srv *sandbox.Server, v specs.Vendor, method, path, body string) answer {
	t.Helper()
	return send(t, srv, request(t, srv, v, method, path, body))
}

// customer reads a stored record, failing the test if there is none.
func customer(t *testing.T, srv *sandbox.Server, v specs.Vendor, id string) map[string]any {
	t.Helper()
	c, ok := srv.Customer(v, id)
	require.True(t, ok, "customer %s %s", v, id)
	return c
}

// fakeClock is a clock tests step by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
