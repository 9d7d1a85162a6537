package sandbox_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// vendorUpdate is a valid update per vendor and a way to see whether it
// reached the store.
type vendorUpdate struct {
	vendor             specs.Vendor
	method, path, body string
	success            int
	applied            func(t *testing.T, srv *sandbox.Server) bool
}

func vendorUpdates() []vendorUpdate {
	return []vendorUpdate{
		{
			vendor: specs.Upwell, method: http.MethodPut, path: upwellPath, success: http.StatusOK,
			body: `{"sourceSystem":"ACME","sourceSystemId":"C-1001","input":{"name":"Changed"}}`,
			applied: func(t *testing.T, srv *sandbox.Server) bool {
				return customer(t, srv, specs.Upwell, sandbox.UpwellCustomerAcme)["name"] == "Changed"
			},
		},
		{
			vendor: specs.BlueTape, method: http.MethodPut, path: blueTapePath(sandbox.BlueTapeCustomerJohn), success: http.StatusAccepted,
			body: blueTapeContact,
			applied: func(t *testing.T, srv *sandbox.Server) bool {
				return customer(t, srv, specs.BlueTape, sandbox.BlueTapeCustomerJohn)["firstName"] == "Johnny"
			},
		},
		{
			vendor: specs.Billbee, method: http.MethodPut, path: billbeePath(sandbox.BillbeeCustomerMax), success: http.StatusOK,
			body: `{"Name":"Changed"}`,
			applied: func(t *testing.T, srv *sandbox.Server) bool {
				return customer(t, srv, specs.Billbee, strconv.FormatInt(sandbox.BillbeeCustomerMax, 10))["Name"] == "Changed"
			},
		},
	}
}

func TestInjectedErrorAnswersComeInEachVendorsFormAndChangeNothing(t *testing.T) {
	bodies := map[specs.Vendor]map[sandbox.Fault]string{
		specs.Upwell: {
			sandbox.FaultInternalError:   `{"error":{"code":"INTERNAL_SERVER_ERROR","message":"Internal server error"},"status":"error"}`,
			sandbox.FaultUnavailable:     `{"error":{"code":"SERVICE_UNAVAILABLE","message":"Service temporarily unavailable"},"status":"error"}`,
			sandbox.FaultTooManyRequests: `{"error":{"code":"RATE_LIMIT_EXCEEDED","message":"Rate limit exceeded"},"status":"error"}`,
		},
		specs.BlueTape: {
			sandbox.FaultInternalError:   `{"code":"500","reason":"Unexpected error."}`,
			sandbox.FaultUnavailable:     `{"code":"503","reason":"Service unavailable."}`,
			sandbox.FaultTooManyRequests: `{"code":"429","reason":"Too many requests."}`,
		},
		specs.Billbee: {
			sandbox.FaultInternalError:   `{"ErrorMessage":"Internal error","ErrorCode":8,"ErrorDescription":"InternalError","Data":null}`,
			sandbox.FaultUnavailable:     `{"Message":"The service is unavailable."}`,
			sandbox.FaultTooManyRequests: `{"Message":"Too many requests"}`,
		},
	}
	faults := []struct {
		fault  sandbox.Fault
		status int
	}{
		{sandbox.FaultInternalError, http.StatusInternalServerError},
		{sandbox.FaultUnavailable, http.StatusServiceUnavailable},
		{sandbox.FaultTooManyRequests, http.StatusTooManyRequests},
		{sandbox.FaultBadGateway, http.StatusBadGateway},
	}
	for _, u := range vendorUpdates() {
		for _, f := range faults {
			t.Run(string(u.vendor)+" answers "+f.fault.String(), func(t *testing.T) {
				srv := newServer(t)
				srv.FailNext(u.vendor, 1, f.fault)

				a := call(t, srv, u.vendor, u.method, u.path, u.body)

				assert.Equal(t, f.status, a.status)
				if f.fault == sandbox.FaultBadGateway {
					assert.Equal(t, "text/html", a.header.Get("Content-Type"))
					assert.Equal(t, "<html><body><h1>502 Bad Gateway</h1></body></html>", string(a.body))
				} else {
					assert.Contains(t, a.header.Get("Content-Type"), "application/json")
					assert.JSONEq(t, bodies[u.vendor][f.fault], string(a.body))
				}
				assert.Empty(t, a.header.Get("Retry-After"), "no Retry-After unless the throttle sets one")
				assert.False(t, u.applied(t, srv), "a fault before processing changes nothing")

				retry := call(t, srv, u.vendor, u.method, u.path, u.body)
				assert.Equal(t, u.success, retry.status, "FailNext(1) fails only the next request")
				assert.True(t, u.applied(t, srv))
			})
		}
	}
}

func TestConnectionFaultsAreVisibleToAPlainClient(t *testing.T) {
	tests := []struct {
		fault   sandbox.Fault
		applied bool
	}{
		{sandbox.FaultReset, false},
		{sandbox.FaultResetAfterApply, true},
		{sandbox.FaultTruncate, true},
	}
	for _, u := range vendorUpdates() {
		for _, tt := range tests {
			t.Run(string(u.vendor)+" "+tt.fault.String(), func(t *testing.T) {
				srv := newServer(t)
				srv.FailNext(u.vendor, 1, tt.fault)

				resp, err := srv.Client().Do(request(t, srv, u.vendor, u.method, u.path, u.body))

				stats := srv.Stats(u.vendor)
				if tt.fault == sandbox.FaultTruncate {
					require.NoError(t, err, "the status line and headers arrive")
					defer func() { assert.NoError(t, resp.Body.Close()) }()
					assert.Equal(t, u.success, resp.StatusCode)
					_, err = io.ReadAll(resp.Body)
					assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
					assert.Equal(t, int64(1), stats.Truncated)
				} else {
					require.Error(t, err, "the connection is gone")
					if resp != nil {
						assert.NoError(t, resp.Body.Close())
					}
					assert.Equal(t, int64(1), stats.Resets)
				}
				assert.Equal(t, tt.applied, u.applied(t, srv), "whether the update took effect")
			})
		}
	}
}

func TestRandomFaultsRepeatForTheSameSeed(t *testing.T) {
	statuses := func(seed uint64) []int {
		srv := newServer(t, sandbox.WithSeed(seed), sandbox.WithFaults(specs.Billbee, sandbox.Faults{
			InternalErrorRate: 0.25,
			UnavailableRate:   0.25,
		}))
		var out []int
		for range 40 {
			out = append(out, call(t, srv, specs.Billbee, http.MethodGet, billbeePath(sandbox.BillbeeCustomerMax), "").status)
		}
		return out
	}

	first, second := statuses(42), statuses(42)

	assert.Equal(t, first, second)
	assert.Contains(t, first, http.StatusOK)
	assert.Contains(t, first, http.StatusInternalServerError)
	assert.Contains(t, first, http.StatusServiceUnavailable)
}

func TestAFaultRateOfOneFailsEveryRequest(t *testing.T) {
	srv := newServer(t)
	require.NoError(t, srv.SetFaults(specs.BlueTape, sandbox.Faults{BadGatewayRate: 1}))

	for range 5 {
		a := call(t, srv, specs.BlueTape, http.MethodPut, blueTapePath(sandbox.BlueTapeCustomerJohn), blueTapeContact)
		assert.Equal(t, http.StatusBadGateway, a.status)
	}
	require.NoError(t, srv.SetFaults(specs.BlueTape, sandbox.Faults{}))
	assert.Equal(t, http.StatusAccepted,
		call(t, srv, specs.BlueTape, http.MethodPut, blueTapePath(sandbox.BlueTapeCustomerJohn), blueTapeContact).status,
		"the zero Faults turns injection off")
	assert.Equal(t, map[int]int64{http.StatusBadGateway: 5, http.StatusAccepted: 1}, srv.Stats(specs.BlueTape).ByStatus)
}

func TestLatencyDelaysEveryAnswer(t *testing.T) {
	const latency = 40 * time.Millisecond
	srv := newServer(t, sandbox.WithFaults(specs.Billbee, sandbox.Faults{Latency: latency, Jitter: 10 * time.Millisecond}))

	start := time.Now()
	a := call(t, srv, specs.Billbee, http.MethodGet, billbeePath(sandbox.BillbeeCustomerMax), "")

	assert.Equal(t, http.StatusOK, a.status)
	assert.GreaterOrEqual(t, time.Since(start), latency)
}

func TestAClientThatGivesUpDuringLatencyGetsAnError(t *testing.T) {
	srv := newServer(t, sandbox.WithFaults(specs.Billbee, sandbox.Faults{Latency: 10 * time.Second}))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()

	resp, err := srv.Client().Do(request(t, srv, specs.Billbee, http.MethodGet, billbeePath(sandbox.BillbeeCustomerMax), "").WithContext(ctx))

	if err == nil {
		assert.NoError(t, resp.Body.Close())
	}
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestInvalidFaultsAreRefused(t *testing.T) {
	tests := []struct {
		name   string
		faults sandbox.Faults
	}{
		{"a rate above one", sandbox.Faults{InternalErrorRate: 1.5}},
		{"a negative rate", sandbox.Faults{ResetRate: -0.1}},
		{"rates summing above one", sandbox.Faults{InternalErrorRate: 0.6, TruncateRate: 0.6}},
		{"a negative latency", sandbox.Faults{Latency: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			assert.Error(t, srv.SetFaults(specs.Upwell, tt.faults))
			assert.Panics(t, func() { sandbox.New(sandbox.WithFaults(specs.Upwell, tt.faults)) })
		})
	}
	assert.Error(t, sandbox.New().SetFaults("acme-erp", sandbox.Faults{}), "an unknown vendor")
}

func TestAResetWithoutAHijackableConnectionAbortsTheHandler(t *testing.T) {
	sb := sandbox.New()
	sb.FailNext(specs.Billbee, 1, sandbox.FaultReset)
	req := httptest.NewRequest(http.MethodGet, "/api/v1/customers/1", nil)

	assert.PanicsWithValue(t, http.ErrAbortHandler, func() {
		sb.Handler(specs.Billbee).ServeHTTP(httptest.NewRecorder(), req)
	})
}

func TestFaultNamesReadWell(t *testing.T) {
	assert.Equal(t, "bad gateway (HTML 502)", sandbox.FaultBadGateway.String())
	assert.True(t, strings.HasPrefix(sandbox.Fault(99).String(), "Fault("))
}
