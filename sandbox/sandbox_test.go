package sandbox_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

func TestServerURLsEndInEachVendorsBasePath(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		vendor specs.Vendor
		suffix string
	}{
		{specs.Upwell, "/upwell"},
		{specs.BlueTape, "/bluetape/genericBthubService"},
		{specs.Billbee, "/billbee"},
	}
	for _, tt := range tests {
		t.Run(string(tt.vendor), func(t *testing.T) {
			assert.Equal(t, srv.RootURL()+tt.suffix, srv.URL(tt.vendor))
			assert.Equal(t, tt.suffix, sandbox.BasePath(tt.vendor))
		})
	}
	assert.Panics(t, func() { sandbox.BasePath("acme-erp") })
}

func TestHandlerServesOneVendorAtItsProductionPaths(t *testing.T) {
	sb := sandbox.New()
	ts := httptest.NewServer(sb.Handler(specs.BlueTape))
	defer ts.Close()
	req, err := http.NewRequest(http.MethodPut,
		ts.URL+sandbox.BlueTapeServicePath+blueTapePath(sandbox.BlueTapeCustomerJane), strings.NewReader(blueTapeContact))
	require.NoError(t, err)
	req.Header = credentials(specs.BlueTape)
	req.Header.Set("Content-Type", "application/json")

	resp, err := ts.Client().Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())

	assert.Equal(t, http.StatusAccepted, resp.StatusCode)
	c, ok := sb.Customer(specs.BlueTape, sandbox.BlueTapeCustomerJane)
	require.True(t, ok)
	assert.Equal(t, "Johnny", c["firstName"], "the handler shares the sandbox's state")
	assert.Empty(t, sb.Violations())
}

func TestUnknownPathsAndMethodsAreAnsweredInTheVendorsForm(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		name   string
		vendor specs.Vendor
		method string
		path   string
		status int
		body   string
	}{
		{"Billbee, an unknown resource", specs.Billbee, http.MethodGet, "/api/v1/orders",
			http.StatusNotFound, `{"Message":"No HTTP resource was found that matches the request URI '/api/v1/orders'."}`},
		{"Billbee, a method the resource lacks", specs.Billbee, http.MethodDelete, billbeePath(sandbox.BillbeeCustomerMax),
			http.StatusMethodNotAllowed, `{"Message":"The requested resource does not support http method 'DELETE'."}`},
		{"BlueTape, an unknown resource", specs.BlueTape, http.MethodGet, "/integration/invoice/1",
			http.StatusNotFound, `{"code":"404","reason":"Not found."}`},
		{"BlueTape, a method the resource lacks", specs.BlueTape, http.MethodGet, blueTapePath(sandbox.BlueTapeCustomerJohn),
			http.StatusMethodNotAllowed, `{"code":"405","reason":"Method not allowed."}`},
		{"Upwell, a method the resource lacks", specs.Upwell, http.MethodGet, upwellPath,
			http.StatusMethodNotAllowed, `{"path":"$","error":"Allowed methods: PUT","code":"method-not-allowed"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := call(t, srv, tt.vendor, tt.method, tt.path, "")
			assert.Equal(t, tt.status, a.status)
			assert.JSONEq(t, tt.body, string(a.body))
		})
	}

	resp, err := srv.Client().Get(srv.RootURL() + "/stripe/v1/customers")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "a path under no vendor")
}

func TestWithCredentialsReplacesTheDemoCredentials(t *testing.T) {
	srv := newServer(t, sandbox.WithCredentials(sandbox.Credentials{BillbeeAPIKey: "my-key"}))
	path := billbeePath(sandbox.BillbeeCustomerMax)

	demo := call(t, srv, specs.Billbee, http.MethodGet, path, "")
	req := request(t, srv, specs.Billbee, http.MethodGet, path, "")
	req.Header.Set("X-Billbee-Api-Key", "my-key")
	own := send(t, srv, req)

	assert.Equal(t, http.StatusUnauthorized, demo.status)
	assert.Equal(t, http.StatusOK, own.status)
	assert.Equal(t, http.StatusOK, call(t, srv, specs.Upwell, http.MethodPut, upwellPath,
		`{"sourceSystem":"ACME","sourceSystemId":"C-1001"}`).status, "empty fields keep the demo credentials")
}

func TestStatsCountRequestsAndAnswersPerVendor(t *testing.T) {
	srv := newServer(t)
	call(t, srv, specs.Billbee, http.MethodGet, billbeePath(sandbox.BillbeeCustomerMax), "")
	call(t, srv, specs.Billbee, http.MethodGet, billbeePath(404), "")
	call(t, srv, specs.Billbee, http.MethodGet, "/api/v1/customers/abc", "")

	assert.Equal(t, sandbox.Stats{
		Requests: 3,
		ByStatus: map[int]int64{http.StatusOK: 1, http.StatusNotFound: 1, http.StatusBadRequest: 1},
	}, srv.Stats(specs.Billbee))
	assert.Equal(t, int64(0), srv.Stats(specs.Upwell).Requests)
}

func TestConcurrentUpdatesAreSafe(t *testing.T) {
	srv := newServer(t)
	const workers, each = 8, 10
	names := make(map[string]bool)
	var wg sync.WaitGroup
	for w := range workers {
		for i := range each {
			name := fmt.Sprintf("Acme %d-%d", w, i)
			names[name] = true
			wg.Go(func() {
				body := `{"sourceSystem":"ACME","sourceSystemId":"C-1001","input":{"name":"` + name + `"}}`
				assert.Equal(t, http.StatusOK, call(t, srv, specs.Upwell, http.MethodPut, upwellPath, body).status)
				assert.Equal(t, http.StatusOK, call(t, srv, specs.Billbee, http.MethodPut, billbeePath(sandbox.BillbeeCustomerMax), `{"Name":"`+name+`"}`).status)
			})
		}
	}
	wg.Wait()

	assert.True(t, names[customer(t, srv, specs.Upwell, sandbox.UpwellCustomerAcme)["name"].(string)])
	assert.True(t, names[customer(t, srv, specs.Billbee, strconv.FormatInt(sandbox.BillbeeCustomerMax, 10))["Name"].(string)])
	assert.Equal(t, int64(workers*each), srv.Stats(specs.Upwell).Requests)
	assert.Equal(t, int64(workers*each), srv.Stats(specs.Billbee).ByStatus[http.StatusOK])
}

func TestCustomerReturnsACopy(t *testing.T) {
	srv := newServer(t)
	c := customer(t, srv, specs.Upwell, sandbox.UpwellCustomerAcme)
	c["name"] = "Mutated"
	c["metadata"].(map[string]any)["segment"] = "mutated"

	again := customer(t, srv, specs.Upwell, sandbox.UpwellCustomerAcme)

	assert.Equal(t, "Acme Corp", again["name"])
	assert.Equal(t, "enterprise", again["metadata"].(map[string]any)["segment"])
}

func TestCustomerAcceptsEachVendorsIdForms(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		name   string
		vendor specs.Vendor
		id     string
		found  bool
	}{
		{"Upwell by source system and id", specs.Upwell, "ACME/C-1002", true},
		{"Upwell by a bare id of the ACME source system", specs.Upwell, "C-1002", true},
		{"Upwell by its own id", specs.Upwell, "6f1c2a9e-3b7d-4e0a-9c55-8d2f0b1a1002", true},
		{"Upwell, another source system", specs.Upwell, "OTHER/C-1002", false},
		{"BlueTape by the integrator's id", specs.BlueTape, sandbox.BlueTapeCustomerJohn, true},
		{"BlueTape not by BlueTape's id", specs.BlueTape, sandbox.BlueTapeCustomerJohnBlueTapeID, false},
		{"Billbee by decimal id", specs.Billbee, "7674534536", true},
		{"Billbee, not a number", specs.Billbee, "max", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ok := srv.Customer(tt.vendor, tt.id)
			assert.Equal(t, tt.found, ok)
		})
	}
}

func TestNewPanicsOnInvalidOptions(t *testing.T) {
	tests := []struct {
		name string
		opt  sandbox.Option
	}{
		{"an unknown vendor", sandbox.WithThrottle("acme-erp", sandbox.BillbeeThrottle())},
		{"a negative limit", sandbox.WithThrottle(specs.Billbee, sandbox.Throttle{PerUser: -1})},
		{"a negative number of synthetic customers", sandbox.WithSyntheticCustomers(-1)},
		{"a nil clock", sandbox.WithClock(nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Panics(t, func() { sandbox.New(tt.opt) })
		})
	}
}

func TestTheInspectionEndpointShowsWhatAVendorHoldsAndChangesNothing(t *testing.T) {
	srv := sandbox.NewServer()
	defer srv.Close()
	ids := srv.CustomerIDs(specs.Billbee)
	require.NotEmpty(t, ids)
	want, ok := srv.Customer(specs.Billbee, ids[0])
	require.True(t, ok)

	get := func(path string) (int, map[string]any) {
		resp, err := srv.Client().Get(srv.RootURL() + path)
		require.NoError(t, err)
		defer func() { assert.NoError(t, resp.Body.Close()) }()
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		var body map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		return resp.StatusCode, body
	}
	status, got := get(sandbox.InspectPath + "billbee/customers/" + ids[0])
	assert.Equal(t, http.StatusOK, status)
	wantJSON, _ := json.Marshal(want)
	gotJSON, _ := json.Marshal(got)
	assert.JSONEq(t, string(wantJSON), string(gotJSON))

	status, got = get(sandbox.InspectPath + "billbee/customers/999")
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, got["error"], "no customer")
	status, _ = get(sandbox.InspectPath + "nosuchvendor/stats")
	assert.Equal(t, http.StatusNotFound, status)
	status, stats := get(sandbox.InspectPath + "billbee/stats")
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, stats, "Requests")
	assert.Zero(t, srv.Stats(specs.Billbee).Requests, "inspection is not vendor traffic")

	req, _ := http.NewRequest(http.MethodPut, srv.RootURL()+sandbox.InspectPath+"billbee/customers/"+ids[0], strings.NewReader(`{}`))
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, "read-only")
	after, _ := srv.Customer(specs.Billbee, ids[0])
	assert.Equal(t, want, after)
}
