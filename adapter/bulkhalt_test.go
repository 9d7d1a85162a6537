package adapter_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func upwellAt(t *testing.T, baseURL string, opts ...adapter.Option) *adapter.Client {
	t.Helper()
	opts = append([]adapter.Option{adapter.WithBaseURL(baseURL), adapter.WithRateLimiter(nil),
		adapter.WithHTTPClient(&http.Client{Transport: &http.Transport{DisableKeepAlives: true}})}, opts...)
	c, err := upwell.New(upwell.Config{APIKey: sandbox.UpwellAPIKey, SourceSystem: sandbox.UpwellSourceSystem}, opts...)
	require.NoError(t, err)
	return c
}

func TestUpdateAllHaltsWhenTheVendorCannotBeReached(t *testing.T) {
	// Record retries and the failure streak are set so that, without the
	// reachability rule, the run would take minutes: 1,000 records, each
	// tried 50 times, never halting on the streak.
	client := upwellAt(t, "http://"+closedPort(t), adapter.WithRetryBackoff(time.Millisecond, 5*time.Millisecond))
	var attempted, notSent int
	var halt *adapter.Halt
	for out := range adapter.UpdateAll(context.Background(), client, stream(1000, nil),
		adapter.WithConcurrency(4), adapter.WithRecordAttempts(50), adapter.WithRecordPause(time.Millisecond),
		adapter.WithHaltAfter(0), adapter.WithUnreachableAfter(200*time.Millisecond)) {
		require.Error(t, out.Err)
		assert.ErrorIs(t, out.Err, adapter.Unavailable)
		if out.Calls > 0 && !errors.As(out.Err, new(*adapter.Halt)) {
			// In flight at the halt, it ended on its own: its last real error.
			assert.ErrorIs(t, out.Err, syscall.ECONNREFUSED)
			attempted++
			continue
		}
		require.ErrorAs(t, out.Err, &halt, "every record the halt kept from finishing says so: %v", out.Err)
		if out.Calls == 0 {
			notSent++
			assert.Contains(t, out.Err.Error(), "not sent: the run halted: the vendor could not be reached for 200ms (connection refused)")
			continue
		}
		attempted++
	}
	assert.Equal(t, 1000, attempted+notSent)
	assert.LessOrEqual(t, attempted, 4, "only the records in flight when the vendor turned out unreachable were tried")
	assert.Equal(t, "the vendor could not be reached for 200ms (connection refused)", halt.Reason)
	assert.ErrorIs(t, halt.Last, syscall.ECONNREFUSED)
}

func TestUpdateAllCutsShortRetriesThatCannotReachTheVendor(t *testing.T) {
	// The client would retry for minutes (100 retries, 10s apart), so the
	// run must halt while the first calls are still retrying.
	client := upwellAt(t, "http://"+closedPort(t), adapter.WithMaxRetries(100), adapter.WithRetryBackoff(10*time.Second, 10*time.Second))
	done := make(chan int)
	go func() {
		n := 0
		for out := range adapter.UpdateAll(context.Background(), client, stream(50, nil), adapter.WithConcurrency(2), adapter.WithUnreachableAfter(50*time.Millisecond)) {
			var halt *adapter.Halt
			assert.ErrorAs(t, out.Err, &halt)
			if out.Calls > 0 {
				assert.Contains(t, out.Err.Error(), "cut short in flight: the run halted")
			}
			n++
		}
		done <- n
	}()
	select {
	case n := <-done:
		assert.Equal(t, 50, n)
	case <-time.After(20 * time.Second):
		t.Fatal("the run went on retrying a vendor it cannot reach")
	}
}

func TestAnswersKeepTheReachabilityClockFromRunning(t *testing.T) {
	// Every other call is refused; the others get an answer (503). The
	// vendor is flaky, not gone: the run goes on to the end.
	refused := &adapter.Error{Code: adapter.Unavailable, Retryable: true, Attempts: 1,
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}
	answered := &adapter.Error{Code: adapter.Unavailable, Retryable: true, Attempts: 1, HTTPStatus: 503}
	u := &scriptedUpdater{delay: 2 * time.Millisecond}
	var n int
	u.fail = func(*adapter.CustomerUpdate, int) error {
		if u.done.Load()%2 == 0 {
			return refused
		}
		return answered
	}
	for out := range adapter.UpdateAll(context.Background(), u, stream(100, nil), adapter.WithConcurrency(1),
		adapter.WithRecordAttempts(1), adapter.WithHaltAfter(0), adapter.WithUnreachableAfter(500*time.Millisecond)) {
		var halt *adapter.Halt
		assert.False(t, errors.As(out.Err, &halt), "halted although the vendor answered: %v", out.Err)
		n++
	}
	assert.Equal(t, 100, n)

	t.Run("while refused calls alone halt the run", func(t *testing.T) {
		u := &scriptedUpdater{delay: 2 * time.Millisecond, fail: func(*adapter.CustomerUpdate, int) error { return refused }}
		halted := 0
		for out := range adapter.UpdateAll(context.Background(), u, stream(1000, nil), adapter.WithConcurrency(1),
			adapter.WithRecordAttempts(1), adapter.WithHaltAfter(0), adapter.WithUnreachableAfter(500*time.Millisecond)) {
			if out.Calls == 0 {
				halted++
			}
		}
		assert.Greater(t, halted, 500)
	})
}

func TestTheFailureStreakHaltNamesItsReason(t *testing.T) {
	down := &adapter.Error{Vendor: "fake", Code: adapter.Unavailable, Retryable: true, Attempts: 3, HTTPStatus: 503, Message: "down"}
	u := &scriptedUpdater{fail: func(*adapter.CustomerUpdate, int) error { return down }}
	var halt *adapter.Halt
	for out := range adapter.UpdateAll(context.Background(), u, stream(100, nil),
		adapter.WithConcurrency(1), adapter.WithRecordAttempts(1), adapter.WithHaltAfter(5)) {
		if out.Calls == 0 {
			require.ErrorAs(t, out.Err, &halt)
		}
	}
	require.NotNil(t, halt)
	assert.Equal(t, "5 records in a row failed with retryable errors", halt.Reason)
	assert.Same(t, down, halt.Last)
}

func TestWhatCountsAsUnreachable(t *testing.T) {
	tlsServer := httptest.NewTLSServer(http.NotFoundHandler())
	defer tlsServer.Close()
	plainServer := sandbox.NewServer()
	defer plainServer.Close()
	resetting := sandbox.NewServer()
	defer resetting.Close()
	resetting.FailNext(specs.Upwell, 1000, sandbox.FaultReset)

	for _, tc := range []struct {
		name    string
		baseURL string
		halts   bool
	}{
		{"a closed port is unreachable", "http://" + closedPort(t), true},
		{"a host name that does not resolve is unreachable", "https://no-such-host.invalid", true},
		{"a certificate that does not verify is unreachable", tlsServer.URL, true},
		{"a server that does not speak TLS is unreachable", "https://" + plainServer.RootURL()[len("http://"):], true},
		{"a reset connection came from a vendor that was reached", resetting.URL(specs.Upwell), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := upwellAt(t, tc.baseURL, adapter.WithRetryBackoff(time.Millisecond, time.Millisecond), adapter.WithMaxRetries(1))
			halted := false
			for out := range adapter.UpdateAll(context.Background(), client, stream(40, nil), adapter.WithConcurrency(2),
				adapter.WithRecordAttempts(1), adapter.WithHaltAfter(0), adapter.WithUnreachableAfter(time.Millisecond)) {
				var halt *adapter.Halt
				if errors.As(out.Err, &halt) {
					halted = true
				}
				require.Error(t, out.Err)
			}
			assert.Equal(t, tc.halts, halted)
		})
	}
}

func TestUpdateAllHaltsWhenASharedLimiterLetsNothingOut(t *testing.T) {
	// Redis lost mid-run: nothing reaches the vendor, and without this rule
	// every record would take its record attempts before the streak halts.
	srv := sandbox.NewServer()
	defer srv.Close()
	client := upwellAt(t, srv.URL(specs.Upwell), adapter.WithRateLimiter(downLimiter{}))
	var halt *adapter.Halt
	for out := range adapter.UpdateAll(context.Background(), client, stream(200, nil),
		adapter.WithConcurrency(4), adapter.WithRecordAttempts(50), adapter.WithRecordPause(time.Millisecond),
		adapter.WithHaltAfter(0), adapter.WithUnreachableAfter(200*time.Millisecond)) {
		require.Error(t, out.Err)
		assert.False(t, out.Attempted, "nothing was sent")
		errors.As(out.Err, &halt)
	}
	require.NotNil(t, halt, "the run halted")
	assert.Equal(t, "nothing could be sent for 200ms (rate limiter: store down; nothing was sent)", halt.Reason, "downLimiter is in retry_client_test.go")
	assert.Zero(t, srv.Stats(specs.Upwell).Requests)
}
