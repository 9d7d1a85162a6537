package adapter

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retry defaults, after openai-go: two retries, exponential backoff from
// half a second with up to 25% jitter, capped at 8 seconds.
const (
	defaultMaxRetries = 2
	defaultMinBackoff = 500 * time.Millisecond
	defaultMaxBackoff = 8 * time.Second
)

// Retries are written here rather than taken from hashicorp/go-retryablehttp
// or cenkalti/backoff: they must count attempts into the call's Result,
// give each attempt its own timeout, consult the shared rate limiter before
// every attempt, decide by idempotency, and refuse a wait that would pass
// the ctx deadline. go-retryablehttp wraps its own client and request types
// and does none of the last four; the backoff arithmetic below is ten lines.

// backoff returns the wait before retry number retry (1 for the first).
func backoff(retry int, initial, limit time.Duration) time.Duration {
	d := initial
	for i := 1; i < retry && d < limit; i++ {
		d *= 2
	}
	if d > limit {
		d = limit
	}
	jitter := time.Duration(rand.Float64() * 0.25 * float64(d))
	return d - jitter
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP-date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		d := at.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// errWaitPastDeadline says a wait was not started because it would end
// after the ctx deadline: failing now beats failing later.
var errWaitPastDeadline = errors.New("the wait would pass the deadline")

// sleep waits d unless ctx ends first; it refuses at once a wait that
// would pass ctx's deadline.
func sleep(ctx context.Context, d time.Duration) error {
	if deadline, ok := ctx.Deadline(); ok && time.Now().Add(d).After(deadline) {
		return errWaitPastDeadline
	}
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
