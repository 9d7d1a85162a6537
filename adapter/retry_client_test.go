package adapter_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
)

// answers serves the given statuses in order, then 200s, counting requests
// and checking every attempt carries the whole body.
func answers(t *testing.T, n *atomic.Int32, statuses ...int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		assert.Equal(t, "Acme", string(body), "every attempt sends the whole body")
		i := int(n.Add(1)) - 1
		if i < len(statuses) {
			if statuses[i] == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "0")
			}
			w.WriteHeader(statuses[i])
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

var fastRetries = adapter.WithRetryBackoff(time.Millisecond, 5*time.Millisecond)

func newRetrying(t *testing.T, h http.HandlerFunc, method string, opts ...adapter.Option) *adapter.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := newFakeClient(&fakeDriver{method: method}, append([]adapter.Option{adapter.WithBaseURL(srv.URL), fastRetries}, opts...)...)
	require.NoError(t, err)
	return c
}

func TestTransientFailuresAreRetried(t *testing.T) {
	for _, statuses := range [][]int{{503}, {502, 504}, {429, 429}, {500, 408}} {
		var n atomic.Int32
		c := newRetrying(t, answers(t, &n, statuses...), http.MethodPut)
		res, err := c.Update(context.Background(), update("Acme"))
		require.NoError(t, err, "%v", statuses)
		assert.Equal(t, len(statuses)+1, res.Attempts)
		assert.Equal(t, int32(len(statuses)+1), n.Load())
	}
}

func TestRetriesStopAfterTheLimitAndKeepTheLastError(t *testing.T) {
	var n atomic.Int32
	c := newRetrying(t, answers(t, &n, 503, 503, 502, 503), http.MethodPut)
	_, err := c.Update(context.Background(), update("Acme"))
	var e *adapter.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 502, e.HTTPStatus, "the last answer")
	assert.Equal(t, 3, e.Attempts, "one try and defaultMaxRetries retries")
	assert.True(t, e.Retryable)
	assert.Equal(t, int32(3), n.Load())

	n.Store(0)
	_, err = c.Update(context.Background(), update("Acme"), adapter.WithMaxRetries(0))
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 1, e.Attempts)
}

func TestA400IsNeverRetried(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 409, 422} {
		var n atomic.Int32
		c := newRetrying(t, answers(t, &n, status, status, status), http.MethodPut)
		_, err := c.Update(context.Background(), update("Acme"))
		require.Error(t, err)
		assert.Equal(t, int32(1), n.Load(), "HTTP %d", status)
	}
}

func TestANonIdempotentRequestIsNotRetriedWhereItMayHaveTakenEffect(t *testing.T) {
	for _, status := range []int{500, 502, 503, 504} {
		var n atomic.Int32
		c := newRetrying(t, answers(t, &n, status, status, status), http.MethodPost)
		_, err := c.Update(context.Background(), update("Acme"))
		var e *adapter.Error
		require.ErrorAs(t, err, &e)
		assert.False(t, e.Retryable, "HTTP %d to a POST", status)
		assert.Equal(t, int32(1), n.Load(), "HTTP %d to a POST", status)
	}
	// 429 and 408 say the request was not processed: safe even for a POST.
	var n atomic.Int32
	c := newRetrying(t, answers(t, &n, 429, 408), http.MethodPost)
	_, err := c.Update(context.Background(), update("Acme"))
	require.NoError(t, err)
	assert.Equal(t, int32(3), n.Load())
}

func TestABrokenConnectionIsRetriedOnlyForIdempotentRequests(t *testing.T) {
	reset := func(n *atomic.Int32) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				conn, _, err := w.(http.Hijacker).Hijack()
				require.NoError(t, err)
				assert.NoError(t, conn.(*net.TCPConn).SetLinger(0))
				assert.NoError(t, conn.Close()) // with linger 0: a reset
				return
			}
			_, _ = io.ReadAll(r.Body)
			w.WriteHeader(http.StatusOK)
		}
	}
	var put atomic.Int32
	res, err := newRetrying(t, reset(&put), http.MethodPut).Update(context.Background(), update("Acme"))
	require.NoError(t, err)
	assert.Equal(t, 2, res.Attempts)

	var post atomic.Int32
	_, err = newRetrying(t, reset(&post), http.MethodPost).Update(context.Background(), update("Acme"))
	assert.ErrorIs(t, err, adapter.Unavailable)
	assert.Equal(t, int32(1), post.Load(), "the POST may have been applied: not sent again")
}

func TestAConnectionNeverMadeIsRetriedEvenForAPost(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens: every dial is refused
	c, err := newFakeClient(&fakeDriver{method: http.MethodPost}, adapter.WithBaseURL("http://"+addr), fastRetries)
	require.NoError(t, err)
	_, err = c.Update(context.Background(), update("Acme"))
	var e *adapter.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, adapter.Unavailable, e.Code)
	assert.Equal(t, 3, e.Attempts)
}

func TestRetryAfterIsHonouredAndCappedByTheDeadline(t *testing.T) {
	var n atomic.Int32
	c := newRetrying(t, func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	}, http.MethodPut)
	start := time.Now()
	_, err := c.Update(context.Background(), update("Acme"))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 900*time.Millisecond, "waited for Retry-After")

	// A Retry-After past the deadline: the 429 is reported at once. Had the
	// transport slept, the call would end with the context's own
	// DeadlineExceeded; no clock is read, so a loaded machine cannot fail it.
	var m atomic.Int32
	late := newRetrying(t, func(w http.ResponseWriter, _ *http.Request) {
		m.Add(1)
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusTooManyRequests)
	}, http.MethodPut)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = late.Update(ctx, update("Acme"))
	assert.ErrorIs(t, err, adapter.ResourceExhausted, "the 429 is reported, not a wait that cannot finish")
	assert.NotErrorIs(t, err, context.DeadlineExceeded, "it did not wait for the deadline")
	assert.Equal(t, int32(1), m.Load(), "one attempt, no retry after a wait it could not finish")
}

// A limiter that records what the transport tells it.
type recordingLimiter struct {
	waits, throttles atomic.Int32
	lastRetryAfter   atomic.Int64
}

func (r *recordingLimiter) Wait(context.Context, []adapter.Limit) error { r.waits.Add(1); return nil }
func (r *recordingLimiter) Throttled(_ []adapter.Limit, d time.Duration) {
	r.throttles.Add(1)
	r.lastRetryAfter.Store(int64(d))
}

type limitedDriver struct{ fakeDriver }

func (*limitedDriver) Limits(op string) []adapter.Limit {
	return []adapter.Limit{{Key: "fake/" + op, PerSecond: 100}}
}

func TestTheLimiterIsConsultedBeforeEveryAttemptAndToldOf429s(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(answers(t, &n, 429))
	defer srv.Close()
	lim := &recordingLimiter{}
	c, err := newFakeClient(&limitedDriver{}, adapter.WithBaseURL(srv.URL), adapter.WithRateLimiter(lim), fastRetries)
	require.NoError(t, err)
	_, err = c.Update(context.Background(), update("Acme"))
	require.NoError(t, err)
	assert.Equal(t, int32(2), lim.waits.Load())
	assert.Equal(t, int32(1), lim.throttles.Load())
}

// A limiter that never lets a request go before ctx ends.
type closedLimiter struct{}

func (closedLimiter) Wait(ctx context.Context, _ []adapter.Limit) error {
	<-ctx.Done()
	return ctx.Err()
}
func (closedLimiter) Throttled([]adapter.Limit, time.Duration) {}

func TestRecordsCanceledWhileWaitingForTheLimiterWereNotSent(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(answers(t, &n))
	defer srv.Close()
	c, err := newFakeClient(&limitedDriver{}, adapter.WithBaseURL(srv.URL), adapter.WithRateLimiter(closedLimiter{}))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	updates := func(yield func(*adapter.CustomerUpdate) bool) {
		for range 5 {
			if !yield(update("Acme")) {
				return
			}
		}
	}
	outcomes, err := bulk.Updates(ctx, c, updates)
	require.NoError(t, err)
	count := 0
	for out := range outcomes {
		count++
		assert.False(t, out.Attempted, "record %d never left the limiter", out.Seq)
		assert.ErrorIs(t, out.Err, context.DeadlineExceeded)
	}
	assert.Equal(t, 5, count)
	assert.Zero(t, n.Load())
}

// A limiter whose shared store is down.
type downLimiter struct{}

func (downLimiter) Wait(context.Context, []adapter.Limit) error {
	return &adapter.Error{Code: adapter.Unavailable, Retryable: true, Message: "rate limiter: store down; nothing was sent"}
}
func (downLimiter) Throttled([]adapter.Limit, time.Duration) {}

func TestALimitersOwnFailureKeepsItsCodeAndNothingIsSent(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(answers(t, &n))
	defer srv.Close()
	c, err := newFakeClient(&limitedDriver{}, adapter.WithBaseURL(srv.URL), adapter.WithRateLimiter(downLimiter{}))
	require.NoError(t, err)

	_, err = c.Update(context.Background(), update("Acme"))

	var e *adapter.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, adapter.Unavailable, e.Code, "not ResourceExhausted: the vendor's limit is not what failed")
	assert.True(t, e.Retryable)
	assert.NotEmpty(t, e.Operation, "the operation is named")
	assert.Contains(t, e.Message, "store down")
	assert.Zero(t, n.Load(), "never sent unpaced")
}

// TestARetryAfterAnAttemptTimeoutRunsUnderAFreshTimeout: the transport
// puts each attempt's context on the request itself, so a retry must start
// again from the call's context, not from the expired attempt's, with or
// without a body to send again.
func TestARetryAfterAnAttemptTimeoutRunsUnderAFreshTimeout(t *testing.T) {
	for _, method := range []string{http.MethodGet, http.MethodPut} {
		t.Run(method, func(t *testing.T) {
			var n atomic.Int32
			var bodies []string
			var mu sync.Mutex
			c := newRetrying(t, func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				mu.Lock()
				bodies = append(bodies, string(body))
				mu.Unlock()
				if n.Add(1) == 1 {
					<-r.Context().Done() // the first attempt outlives its timeout
					return
				}
				w.WriteHeader(http.StatusOK)
			}, method, adapter.WithAttemptTimeout(100*time.Millisecond))
			res, err := c.Update(context.Background(), update("Acme"))
			require.NoError(t, err)
			assert.Equal(t, 2, res.Attempts)
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, []string{"Acme", "Acme"}, bodies, "the retry sends the body again")
		})
	}
}
