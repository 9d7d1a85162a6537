package sandbox_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

func TestBillbeeThrottleAllowsTwoRequestsPerSecondPerEndpoint(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t, sandbox.WithClock(clock.Now), sandbox.WithThrottle(specs.Billbee, sandbox.BillbeeThrottle()))
	get := func() answer {
		return call(t, srv, specs.Billbee, http.MethodGet, billbeePath(sandbox.BillbeeCustomerMax), "")
	}
	put := func() answer {
		return call(t, srv, specs.Billbee, http.MethodPut, billbeePath(sandbox.BillbeeCustomerSparse), `{"Name":"N"}`)
	}

	assert.Equal(t, http.StatusOK, get().status)
	assert.Equal(t, http.StatusOK, get().status)
	throttled := get()
	assert.Equal(t, http.StatusOK, put().status, "another endpoint has its own budget")
	assert.Equal(t, http.StatusOK, put().status)
	assert.Equal(t, http.StatusTooManyRequests, put().status)

	require.Equal(t, http.StatusTooManyRequests, throttled.status)
	assert.JSONEq(t, `{"Message":"Too many requests"}`, string(throttled.body))
	assert.Empty(t, throttled.header.Get("Retry-After"), "Billbee often sends none")

	clock.Advance(999 * time.Millisecond)
	assert.Equal(t, http.StatusTooManyRequests, get().status, "the window is still open")
	clock.Advance(2 * time.Millisecond)
	assert.Equal(t, http.StatusOK, get().status, "a second later the window has rolled on")

	stats := srv.Stats(specs.Billbee)
	assert.Equal(t, int64(3), stats.TooManyRequests)
	assert.Equal(t, int64(8), stats.Requests)
}

func TestThrottleLimitsEachTier(t *testing.T) {
	tests := []struct {
		name     string
		throttle sandbox.Throttle
		want     []int
	}{
		{"per endpoint counts one operation", sandbox.Throttle{PerEndpoint: 1}, []int{200, 200, 429, 429}},
		{"per user counts all operations of a key and user", sandbox.Throttle{PerUser: 3}, []int{200, 200, 200, 429}},
		{"per key counts all users of a key", sandbox.Throttle{PerKey: 2}, []int{200, 200, 429, 429}},
		{"zero limits do not throttle", sandbox.Throttle{}, []int{200, 200, 200, 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			srv := newServer(t, sandbox.WithClock(clock.Now), sandbox.WithThrottle(specs.Billbee, tt.throttle))

			var got []int
			for i := range 4 {
				method, body := http.MethodGet, ""
				if i%2 == 1 {
					method, body = http.MethodPut, `{"Name":"N"}`
				}
				got = append(got, call(t, srv, specs.Billbee, method, billbeePath(sandbox.BillbeeCustomerSparse), body).status)
			}

			assert.Equal(t, tt.want, got)
		})
	}
}

func TestThrottleSendsRetryAfterWhenConfigured(t *testing.T) {
	tests := []struct {
		retryAfter time.Duration
		want       string
	}{
		{time.Second, "1"},
		{1500 * time.Millisecond, "2"},
	}
	for _, tt := range tests {
		t.Run("Retry-After "+tt.want, func(t *testing.T) {
			srv := newServer(t, sandbox.WithClock(newFakeClock().Now),
				sandbox.WithThrottle(specs.Upwell, sandbox.Throttle{PerKey: 1, RetryAfter: tt.retryAfter}))
			body := `{"sourceSystem":"ACME","sourceSystemId":"C-1001","input":{"name":"N"}}`

			call(t, srv, specs.Upwell, http.MethodPut, upwellPath, body)
			a := call(t, srv, specs.Upwell, http.MethodPut, upwellPath, body)

			require.Equal(t, http.StatusTooManyRequests, a.status)
			assert.Equal(t, tt.want, a.header.Get("Retry-After"))
			assert.Equal(t, "RATE_LIMIT_EXCEEDED", a.json(t)["error"].(map[string]any)["code"])
		})
	}
}

func TestThrottleWindowRollsOnTheRealClock(t *testing.T) {
	srv := newServer(t, sandbox.WithThrottle(specs.Upwell, sandbox.Throttle{PerKey: 2}))
	body := `{"sourceSystem":"ACME","sourceSystemId":"C-1001","input":{"name":"N"}}`
	burst := func() (ok, throttled int) {
		for range 5 {
			switch call(t, srv, specs.Upwell, http.MethodPut, upwellPath, body).status {
			case http.StatusOK:
				ok++
			case http.StatusTooManyRequests:
				throttled++
			}
		}
		return ok, throttled
	}

	ok, throttled := burst()
	assert.Equal(t, 2, ok)
	assert.Equal(t, 3, throttled)

	time.Sleep(1100 * time.Millisecond)
	ok, throttled = burst()
	assert.Equal(t, 2, ok, "the budget is back after a second")
	assert.Equal(t, 3, throttled)
}

func TestThrottlingBlueTapeAnswersAnUndocumented429(t *testing.T) {
	srv := newServer(t, sandbox.WithClock(newFakeClock().Now), sandbox.WithThrottle(specs.BlueTape, sandbox.Throttle{PerKey: 1}))
	path := blueTapePath(sandbox.BlueTapeCustomerJohn)

	first := call(t, srv, specs.BlueTape, http.MethodPut, path, blueTapeContact)
	second := call(t, srv, specs.BlueTape, http.MethodPut, path, blueTapeContact)

	assert.Equal(t, http.StatusAccepted, first.status)
	assert.Equal(t, http.StatusTooManyRequests, second.status)
	assert.JSONEq(t, `{"code":"429","reason":"Too many requests."}`, string(second.body))
	// newServer's cleanup asserts no violations: the 429 is an injected
	// answer BlueTape's spec does not document, so it is not checked.
}

func TestThrottleCanBeSwitchedWhileRunning(t *testing.T) {
	srv := newServer(t, sandbox.WithClock(newFakeClock().Now))
	get := func() int {
		return call(t, srv, specs.Billbee, http.MethodGet, billbeePath(sandbox.BillbeeCustomerMax), "").status
	}

	for range 5 {
		require.Equal(t, http.StatusOK, get(), "throttles are off by default")
	}
	require.NoError(t, srv.SetThrottle(specs.Billbee, sandbox.BillbeeThrottle()))
	assert.Equal(t, []int{200, 200, 429}, []int{get(), get(), get()})
	require.NoError(t, srv.SetThrottle(specs.Billbee, sandbox.Throttle{}))
	assert.Equal(t, http.StatusOK, get())

	assert.Error(t, srv.SetThrottle(specs.Billbee, sandbox.Throttle{PerKey: -1}))
}

func TestRequestsWithBadCredentialsDoNotSpendTheBudget(t *testing.T) {
	srv := newServer(t, sandbox.WithClock(newFakeClock().Now), sandbox.WithThrottle(specs.Billbee, sandbox.Throttle{PerEndpoint: 1}))
	req := request(t, srv, specs.Billbee, http.MethodGet, billbeePath(sandbox.BillbeeCustomerMax), "")
	req.Header.Set("X-Billbee-Api-Key", "wrong")

	assert.Equal(t, http.StatusUnauthorized, send(t, srv, req).status)
	assert.Equal(t, http.StatusOK, call(t, srv, specs.Billbee, http.MethodGet, billbeePath(sandbox.BillbeeCustomerMax), "").status)
}

func TestBillbeeThrottleCountsACredentialAcrossAllClients(t *testing.T) {
	// Separate processes share nothing but the credential: separate
	// connections, separate clients. The budget is the credential's.
	clock := newFakeClock()
	srv := newServer(t, sandbox.WithClock(clock.Now), sandbox.WithThrottle(specs.Billbee, sandbox.BillbeeThrottle()))
	clients := make([]*http.Client, 3)
	for i := range clients {
		tr := &http.Transport{DisableKeepAlives: true} // a fresh connection every request
		t.Cleanup(tr.CloseIdleConnections)
		clients[i] = &http.Client{Transport: tr}
	}
	get := func(c *http.Client) int {
		req := request(t, srv, specs.Billbee, http.MethodGet, billbeePath(sandbox.BillbeeCustomerMax), "")
		resp, err := c.Do(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		return resp.StatusCode
	}

	got := []int{get(clients[0]), get(clients[1]), get(clients[2]), get(clients[0])}

	assert.Equal(t, []int{200, 200, 429, 429}, got, "2 GETs per second for the credential, whichever client sends them")
}
