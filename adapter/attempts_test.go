package adapter_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
)

// attempts collects what an attempt observer is told.
type attempts struct{ seen []adapter.Attempt }

func (a *attempts) observe(at adapter.Attempt) { a.seen = append(a.seen, at) }

// withoutDurations returns the attempts with Duration zeroed, for
// comparisons: tests assert what happened, not how long it took.
func (a *attempts) withoutDurations() []adapter.Attempt {
	out := make([]adapter.Attempt, len(a.seen))
	for i, at := range a.seen {
		at.Duration = 0
		out[i] = at
	}
	return out
}

func TestTheObserverSeesEveryAttemptOfARetriedCall(t *testing.T) {
	var n atomic.Int32
	c := newRetrying(t, answers(t, &n, http.StatusTooManyRequests), http.MethodPut)
	var got attempts

	res, err := c.Update(context.Background(), update("Acme"), adapter.WithAttemptObserver(got.observe))

	require.NoError(t, err)
	assert.Equal(t, []adapter.Attempt{
		{Operation: "fakeUpdate", Number: 1, Status: http.StatusTooManyRequests},
		{Operation: "fakeUpdate", Number: 2, Status: http.StatusOK},
	}, got.withoutDurations())
	assert.Equal(t, res.Attempts, len(got.seen), "one observation per attempt the result counts")
	for _, at := range got.seen {
		assert.Positive(t, at.Duration)
	}
}

func TestTheObserverSeesARefusedConnectionWithoutAStatus(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens: every dial is refused
	c, err := newFakeClient(&fakeDriver{}, adapter.WithBaseURL("http://"+addr), adapter.WithMaxRetries(0))
	require.NoError(t, err)
	var got attempts

	_, err = c.Update(context.Background(), update("Acme"), adapter.WithAttemptObserver(got.observe))

	require.ErrorIs(t, err, adapter.Unavailable)
	require.Len(t, got.seen, 1)
	at := got.seen[0]
	assert.Equal(t, 1, at.Number)
	assert.Zero(t, at.Status, "no answer came")
	require.Error(t, at.Err)
	assert.ErrorIs(t, at.Err, adapter.Unavailable)
	var opErr *net.OpError
	assert.ErrorAs(t, at.Err, &opErr, "the network error is the cause")
	var e *adapter.Error
	require.ErrorAs(t, at.Err, &e)
	assert.Equal(t, "fake", e.Vendor)
	assert.Equal(t, "fakeUpdate", e.Operation)
}

// waitForHangUp answers nothing until the client hangs up. The body is
// read first: only then does the server notice the connection closing.
func waitForHangUp(r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	<-r.Context().Done()
}

func TestTheObserverSeesACallCanceledMidAttempt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, _ := newFake(t, func(_ http.ResponseWriter, r *http.Request) {
		cancel() // the request has reached the vendor; the caller gives up
		waitForHangUp(r)
	})
	var got attempts

	_, err := c.Update(ctx, update("Acme"), adapter.WithAttemptObserver(got.observe))

	require.ErrorIs(t, err, context.Canceled)
	require.Len(t, got.seen, 1, "the request may have reached the vendor: observed")
	assert.Zero(t, got.seen[0].Status)
	assert.ErrorIs(t, got.seen[0].Err, context.Canceled, "ctx's error, as Update returns it")
}

func TestTheObserverSeesAnAttemptThatTimedOut(t *testing.T) {
	c, _ := newFake(t, func(_ http.ResponseWriter, r *http.Request) { waitForHangUp(r) })
	var got attempts

	_, err := c.Update(context.Background(), update("Acme"),
		adapter.WithAttemptTimeout(20*time.Millisecond), adapter.WithAttemptObserver(got.observe))

	require.ErrorIs(t, err, adapter.DeadlineExceeded)
	require.Len(t, got.seen, 1)
	assert.ErrorIs(t, got.seen[0].Err, adapter.DeadlineExceeded)
}

func TestTheObserverIsNotCalledForACallThatSentNothing(t *testing.T) {
	var requests atomic.Int32
	count := func(w http.ResponseWriter, r *http.Request) { requests.Add(1); ok(w, r) }
	t.Run("an invalid update is refused before the network", func(t *testing.T) {
		c, _ := newFake(t, count)
		var got attempts
		_, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: "C-1"}, adapter.WithAttemptObserver(got.observe))
		require.ErrorIs(t, err, adapter.InvalidArgument)
		assert.Empty(t, got.seen)
	})
	t.Run("a write in a dry run is refused before the network", func(t *testing.T) {
		c, _ := newFake(t, count)
		var got attempts
		_, err := c.Update(context.Background(), update("Acme"), adapter.WithDryRun(true), adapter.WithAttemptObserver(got.observe))
		require.ErrorIs(t, err, adapter.Internal)
		assert.Empty(t, got.seen)
	})
	t.Run("a call canceled while waiting for the rate limiter never left", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(count))
		t.Cleanup(srv.Close)
		c, err := newFakeClient(&limitedDriver{}, adapter.WithBaseURL(srv.URL), adapter.WithRateLimiter(closedLimiter{}))
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var got attempts
		_, err = c.Update(ctx, update("Acme"), adapter.WithAttemptObserver(got.observe))
		require.ErrorIs(t, err, context.Canceled)
		assert.Empty(t, got.seen)
	})
	assert.Zero(t, requests.Load(), "and indeed none was sent")
}

func TestEveryObserverObservesInTheOrderGiven(t *testing.T) {
	var order []string
	note := func(name string) func(adapter.Attempt) {
		return func(adapter.Attempt) { order = append(order, name) }
	}
	c, _ := newFake(t, ok, adapter.WithAttemptObserver(note("client default")))

	_, err := c.Update(context.Background(), update("Acme"),
		adapter.WithAttemptObserver(note("first")), adapter.WithAttemptObserver(note("second")))
	require.NoError(t, err)
	assert.Equal(t, []string{"client default", "first", "second"}, order)

	order = nil
	_, err = c.Update(context.Background(), update("Acme"))
	require.NoError(t, err)
	assert.Equal(t, []string{"client default"}, order, "a call's observers do not stay for the next call")
}

// Secrets never reach an observer: the error it is handed is scrubbed
// like the one Update returns.
func TestTheObserversErrorHoldsNoCredential(t *testing.T) {
	leaky := roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("proxy refused key " + sentinelSecret)
	})
	c, err := newFakeClient(&fakeDriver{}, adapter.WithTransport(leaky), adapter.WithMaxRetries(0))
	require.NoError(t, err)
	var got attempts

	_, err = c.Update(context.Background(), update("Acme"), adapter.WithAttemptObserver(got.observe))

	require.Error(t, err)
	require.Len(t, got.seen, 1)
	require.Error(t, got.seen[0].Err)
	assert.Contains(t, got.seen[0].Err.Error(), "proxy refused key")
	assert.NotContains(t, got.seen[0].Err.Error(), sentinelSecret)
}
