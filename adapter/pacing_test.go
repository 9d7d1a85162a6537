package adapter_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/internal/pacing"
)

// slidingWindow is a vendor's throttle as Billbee documents it: at most
// limit requests in any rolling window, counted on arrival; a request
// over it is refused and does not count.
type slidingWindow struct {
	limit  int
	window time.Duration
	log    []time.Time
}

func (s *slidingWindow) admit(now time.Time) bool {
	kept := s.log[:0]
	for _, t := range s.log {
		if now.Sub(t) < s.window {
			kept = append(kept, t)
		}
	}
	s.log = kept
	if len(s.log) >= s.limit {
		return false
	}
	s.log = append(s.log, now)
	return true
}

// paceAgainst sends n requests through l, each retried after a 429 (with
// no Retry-After, as Billbee sends none), to a vendor with throttle v, in
// a synctest bubble: the fake clock makes the run exact and instant. It
// returns the requests admitted per second and the 429s.
func paceAgainst(t *testing.T, v *slidingWindow, documented float64, n int) (perSecond float64, tooMany int) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		l := adapter.NewRateLimiter()
		limits := []adapter.Limit{{Key: "endpoint", PerSecond: documented}}
		start := time.Now()
		for range n {
			for {
				require.NoError(t, l.Wait(context.Background(), limits))
				if v.admit(time.Now()) {
					break
				}
				tooMany++
				l.Throttled(limits, 0)
			}
		}
		perSecond = float64(n-1) / time.Since(start).Seconds()
	})
	return perSecond, tooMany
}

func TestPacingReachesTheDocumentedRateWithout429s(t *testing.T) {
	rate, tooMany := paceAgainst(t, &slidingWindow{limit: 2, window: time.Second}, 2, 200)
	assert.Zero(t, tooMany, "a vendor as documented never refuses")
	assert.GreaterOrEqual(t, rate/2, 0.97, "at least 97%% of the allowed 2/s: got %.3f/s", rate)
}

func TestAVendorStricterThanDocumentedSeesNoStormOf429s(t *testing.T) {
	// Documented 2/s; the vendor allows 2 per 1.5 s (1.33/s).
	const n = 200
	rate, tooMany := paceAgainst(t, &slidingWindow{limit: 2, window: 1500 * time.Millisecond}, 2, n)
	elapsed := float64(n) / rate
	assert.LessOrEqual(t, float64(tooMany), elapsed/5, "at most a 429 every 5 s of the run (%d in %.0f s)", tooMany, elapsed)
	assert.GreaterOrEqual(t, rate, 0.8*4.0/3, "and most of what it allows is used: %.3f/s", rate)
	t.Logf("%d × 429 in %.0f s, %.3f/s of the 1.333/s allowed", tooMany, elapsed, rate)
}

func TestA429SlowsADocumentedKeyAndQuietSpeedsItBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := adapter.NewRateLimiter()
		limits := []adapter.Limit{{Key: "k", PerSecond: 10}}
		interval := func() time.Duration {
			require.NoError(t, l.Wait(context.Background(), limits))
			start := time.Now()
			require.NoError(t, l.Wait(context.Background(), limits))
			return time.Since(start)
		}
		documented := 10.0
		pace := time.Duration(float64(time.Second) / (documented * pacing.SafetyFactor))
		assert.InDelta(t, float64(pace), float64(interval()), float64(time.Millisecond), "SafetyFactor of the documented rate")

		for range 5 { // five refused together: one slow-down
			l.Throttled(limits, 0)
		}
		slowed := time.Duration(float64(pace) / pacing.ThrottleBackoff)
		assert.InDelta(t, float64(slowed), float64(interval()), float64(time.Millisecond), "slowed once by ThrottleBackoff")

		for range 30 { // 429 after 429, a second apart: down to the floor, no further
			time.Sleep(time.Second)
			l.Throttled(limits, time.Millisecond)
		}
		floor := time.Duration(float64(pace) / pacing.ThrottleMinShare)
		assert.InDelta(t, float64(floor), float64(interval()), float64(time.Millisecond), "never below ThrottleMinShare")

		// Quiet while sending: ThrottleCreep per ThrottleRecovery, from
		// ThrottleMinShare back to SafetyFactor in 15 steps, and no further.
		for start := time.Now(); time.Since(start) < time.Minute; {
			interval()
		}
		assert.InDelta(t, float64(pace), float64(interval()), float64(time.Millisecond), "back at SafetyFactor after a quiet minute")
	})
}
