package bulk_test

import (
	"context"
	"errors"
	"io"
	"log"
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
	"github.com/custsync/custsync/adapter/bulk"
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

// downLimiter is a limiter whose shared store is down: it lets nothing
// out.
type downLimiter struct{}

func (downLimiter) Wait(context.Context, []adapter.Limit) error {
	return &adapter.Error{Code: adapter.Unavailable, Retryable: true, Message: "rate limiter: store down; nothing was sent"}
}
func (downLimiter) Throttled([]adapter.Limit, time.Duration) {}

func TestARunHaltsWhenTheVendorCannotBeReached(t *testing.T) {
	// Record retries and the failure streak are set so that, without the
	// reachability rule, the run would take minutes: 1,000 records, each
	// tried 50 times, never halting on the streak.
	client := upwellAt(t, "http://"+closedPort(t), adapter.WithRetryBackoff(time.Millisecond, 5*time.Millisecond))
	var attempted, notSent int
	var halt *bulk.Halt
	for out := range runUpdates(t, context.Background(), client, stream(1000, nil),
		bulk.WithConcurrency(4), bulk.WithRecordAttempts(50), bulk.WithRecordPause(time.Millisecond),
		bulk.WithHaltAfter(0), bulk.WithUnreachableAfter(200*time.Millisecond), bulk.WithSetupCheck(0)) {
		require.Error(t, out.Err)
		assert.ErrorIs(t, out.Err, adapter.Unavailable)
		if out.Calls > 0 && !errors.As(out.Err, new(*bulk.Halt)) {
			// In flight at the halt, it ended on its own: its last real error.
			assert.ErrorIs(t, out.Err, syscall.ECONNREFUSED)
			attempted++
			continue
		}
		require.ErrorAs(t, out.Err, &halt, "every record the halt kept from finishing says so: %v", out.Err)
		if out.Calls == 0 {
			notSent++
			assert.Equal(t, bulk.NotSent, out.Status)
			assert.Contains(t, out.Err.Error(), "not sent: the run halted: the vendor could not be reached for 200ms (connection refused)")
			continue
		}
		attempted++
	}
	assert.Equal(t, 1000, attempted+notSent)
	assert.LessOrEqual(t, attempted, 4, "only the records in flight when the vendor turned out unreachable were tried")
	require.NotNil(t, halt)
	assert.Equal(t, "the vendor could not be reached for 200ms (connection refused)", halt.Reason)
	assert.ErrorIs(t, halt.Last, syscall.ECONNREFUSED)
}

func TestARunCutsShortRetriesThatCannotReachTheVendor(t *testing.T) {
	// The client would retry for minutes (100 retries, 10s apart), so the
	// run must halt while the first calls are still retrying.
	client := upwellAt(t, "http://"+closedPort(t), adapter.WithMaxRetries(100), adapter.WithRetryBackoff(10*time.Second, 10*time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outs := runUpdates(t, ctx, client, stream(50, nil), bulk.WithConcurrency(2), bulk.WithUnreachableAfter(50*time.Millisecond))
	done := make(chan []bulk.Outcome)
	go func() {
		var all []bulk.Outcome
		for out := range outs {
			all = append(all, out)
		}
		done <- all
	}()
	var all []bulk.Outcome
	select {
	case all = <-done:
	case <-time.After(20 * time.Second):
		cancel() // end the run, so that this is the only failure
		<-done
		t.Fatal("the run went on retrying a vendor it cannot reach")
	}
	assert.Len(t, all, 50)
	for _, out := range all {
		var halt *bulk.Halt
		assert.ErrorAs(t, out.Err, &halt)
		if out.Calls > 0 {
			assert.Contains(t, out.Err.Error(), "cut short in flight: the run halted")
		}
	}
}

func TestAnswersKeepTheReachabilityClockFromRunning(t *testing.T) {
	// Every other call is refused; the others get an answer (503). The
	// vendor is flaky, not gone: the run goes on to the end.
	refused := &adapter.Error{Code: adapter.Unavailable, Retryable: true, Attempts: 1,
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}
	answered := &adapter.Error{Code: adapter.Unavailable, Retryable: true, Attempts: 1, HTTPStatus: 503}
	c := &scriptedClient{delay: 2 * time.Millisecond}
	var n int
	c.fail = func(*adapter.CustomerUpdate, int) error {
		if c.done.Load()%2 == 0 {
			return refused
		}
		return answered
	}
	for out := range runUpdates(t, context.Background(), c, stream(100, nil), bulk.WithConcurrency(1),
		bulk.WithRecordAttempts(1), bulk.WithHaltAfter(0), bulk.WithUnreachableAfter(500*time.Millisecond)) {
		var halt *bulk.Halt
		assert.False(t, errors.As(out.Err, &halt), "halted although the vendor answered: %v", out.Err)
		n++
	}
	assert.Equal(t, 100, n)

	t.Run("while refused calls alone halt the run", func(t *testing.T) {
		c := &scriptedClient{delay: 2 * time.Millisecond, fail: func(*adapter.CustomerUpdate, int) error { return refused }}
		halted := 0
		for out := range runUpdates(t, context.Background(), c, stream(1000, nil), bulk.WithConcurrency(1),
			bulk.WithRecordAttempts(1), bulk.WithHaltAfter(0), bulk.WithUnreachableAfter(500*time.Millisecond)) {
			if out.Calls == 0 {
				halted++
			}
		}
		assert.Greater(t, halted, 500)
	})
}

func TestTheFailureStreakHaltNamesItsReason(t *testing.T) {
	down := &adapter.Error{Vendor: "fake", Code: adapter.Unavailable, Retryable: true, Attempts: 3, HTTPStatus: 503, Message: "down"}
	c := &scriptedClient{fail: func(*adapter.CustomerUpdate, int) error { return down }}
	var halt *bulk.Halt
	for out := range runUpdates(t, context.Background(), c, stream(100, nil),
		bulk.WithConcurrency(1), bulk.WithRecordAttempts(1), bulk.WithHaltAfter(5)) {
		if out.Calls == 0 {
			require.ErrorAs(t, out.Err, &halt)
		}
	}
	require.NotNil(t, halt)
	assert.Equal(t, "5 records in a row failed with retryable errors", halt.Reason)
	assert.Same(t, down, halt.Last)
}

func TestWhatCountsAsUnreachable(t *testing.T) {
	tlsServer := httptest.NewUnstartedServer(http.NotFoundHandler())
	tlsServer.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes refused are the point
	tlsServer.StartTLS()
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
			for out := range runUpdates(t, context.Background(), client, stream(40, nil), bulk.WithConcurrency(2),
				bulk.WithRecordAttempts(1), bulk.WithHaltAfter(0), bulk.WithUnreachableAfter(time.Millisecond)) {
				var halt *bulk.Halt
				if errors.As(out.Err, &halt) {
					halted = true
				}
				require.Error(t, out.Err)
			}
			assert.Equal(t, tc.halts, halted)
		})
	}
}

func TestARunHaltsWhenASharedLimiterLetsNothingOut(t *testing.T) {
	// Redis lost mid-run: nothing reaches the vendor, and without this rule
	// every record would take its record attempts before the streak halts.
	srv := sandbox.NewServer()
	defer srv.Close()
	client := upwellAt(t, srv.URL(specs.Upwell), adapter.WithRateLimiter(downLimiter{}))
	var halt *bulk.Halt
	for out := range runUpdates(t, context.Background(), client, stream(200, nil),
		bulk.WithConcurrency(4), bulk.WithRecordAttempts(50), bulk.WithRecordPause(time.Millisecond),
		bulk.WithHaltAfter(0), bulk.WithUnreachableAfter(200*time.Millisecond), bulk.WithSetupCheck(0)) {
		require.Error(t, out.Err)
		assert.False(t, out.Attempted, "nothing was sent")
		errors.As(out.Err, &halt)
	}
	require.NotNil(t, halt, "the run halted")
	assert.Equal(t, "nothing could be sent for 200ms (rate limiter: store down; nothing was sent)", halt.Reason)
	assert.Zero(t, srv.Stats(specs.Upwell).Requests)
}

// A vendor that accepts connections and never answers would tie every
// worker up for an attempt's timeout times its retries, record after
// record: the run halts once nothing in flight was answered for a while.
func TestARunHaltsWhenTheVendorNeverAnswers(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select { // accept, read, and say nothing
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	client := upwellAt(t, srv.URL, adapter.WithAttemptTimeout(time.Hour), adapter.WithMaxRetries(0))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a bound for a broken rule, not the claim
	defer cancel()
	var halt *bulk.Halt
	statuses := map[bulk.Status]int{}
	for out := range runUpdates(t, ctx, client, stream(200, nil),
		bulk.WithConcurrency(4), bulk.WithHaltAfter(0), bulk.WithSilentAfter(300*time.Millisecond), bulk.WithSetupCheck(0)) {
		statuses[out.Status]++
		require.ErrorAs(t, out.Err, &halt, "record %d: %v", out.Seq, out.Err)
	}
	require.NoError(t, ctx.Err(), "the run halted on its own")
	assert.Equal(t, map[bulk.Status]int{bulk.Failed: 4, bulk.NotSent: 196}, statuses,
		"the records in flight are cut short, the rest never sent")
	assert.Equal(t, "the vendor answered none of the records in flight for 300ms", halt.Reason)
}
