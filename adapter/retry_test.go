package adapter

import (
	"context"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestBackoffGrowsExponentiallyWithJitterAndACap(t *testing.T) {
	for retry, want := range map[int]time.Duration{1: 500 * time.Millisecond, 2: time.Second, 3: 2 * time.Second, 4: 4 * time.Second, 5: 8 * time.Second, 9: 8 * time.Second} {
		for range 50 {
			got := backoff(retry, defaultMinBackoff, defaultMaxBackoff)
			assert.LessOrEqual(t, got, want, "retry %d", retry)
			assert.GreaterOrEqual(t, got, want*3/4, "retry %d: at most 25%% jitter", retry)
		}
	}
}

func TestRetryAfterReadsSecondsAndHTTPDates(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{" 0 ", 0, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{"Sun, 22 Nov 2026 12:00:05 GMT", 5 * time.Second, true},
		{"Sun, 22 Nov 2026 11:59:00 GMT", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			got, ok := retryAfter(http.Header{"Retry-After": {tt.header}}, now)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestSleepRefusesAWaitPastTheDeadlineAtOnce(t *testing.T) {
	// In a synctest bubble the clock is fake: "did not wait" is exact,
	// and a loaded machine cannot make it flaky.
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		assert.ErrorIs(t, sleep(ctx, time.Second), errWaitPastDeadline)
		assert.Zero(t, time.Since(start), "it did not wait")
		assert.NoError(t, sleep(ctx, time.Millisecond))
		assert.Equal(t, time.Millisecond, time.Since(start), "a wait that fits is waited in full")

		canceled, cancel2 := context.WithCancel(context.Background())
		cancel2()
		assert.ErrorIs(t, sleep(canceled, time.Second), context.Canceled)
	})
}
