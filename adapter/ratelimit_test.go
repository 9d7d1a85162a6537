package adapter_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/driver"
	"github.com/custsync/custsync/adapter/internal/pacing"
)

func TestTheLimiterPacesADocumentedRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := adapter.NewRateLimiter()
		limits := []adapter.Limit{{Key: "k", PerSecond: 20}}
		start := time.Now()
		for range 11 {
			require.NoError(t, l.Wait(context.Background(), limits))
		}
		// 10 intervals at 20/s × SafetyFactor: about 538 ms of the bubble's
		// fake clock, so exact whatever the machine's load.
		perRequest := float64(time.Second) / (20 * pacing.SafetyFactor)
		assert.InDelta(t, 10*perRequest, float64(time.Since(start)), float64(time.Millisecond))
	})
}

func TestTheLimiterAppliesEveryLimitOfARequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := adapter.NewRateLimiter()
		endpointA := []adapter.Limit{{Key: "a", PerSecond: 1000}, {Key: "shared", PerSecond: 10}}
		endpointB := []adapter.Limit{{Key: "b", PerSecond: 1000}, {Key: "shared", PerSecond: 10}}
		start := time.Now()
		for i := range 6 {
			lim := endpointA
			if i%2 == 1 {
				lim = endpointB
			}
			require.NoError(t, l.Wait(context.Background(), lim))
		}
		assert.GreaterOrEqual(t, time.Since(start), 450*time.Millisecond, "the shared limit paces both endpoints")
	})
}

func TestTheLimiterFailsFastWhenTheWaitWouldPassTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := adapter.NewRateLimiter()
		limits := []adapter.Limit{{Key: "slow", PerSecond: 0.5}}
		require.NoError(t, l.Wait(context.Background(), limits))
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		assert.Error(t, l.Wait(ctx, limits))
		assert.Zero(t, time.Since(start), "no time passed on the test's clock: it did not wait")
	})
}

func TestAnAdaptiveLimitSlowsDownAfterA429(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := adapter.NewRateLimiter()
		limits := []adapter.Limit{{Key: "unpublished"}}
		start := time.Now()
		for range 50 {
			require.NoError(t, l.Wait(context.Background(), limits))
		}
		assert.Zero(t, time.Since(start), "unlimited until throttled")

		l.Throttled(limits, 200*time.Millisecond)
		start = time.Now()
		require.NoError(t, l.Wait(context.Background(), limits))
		assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond, "Retry-After pauses the key")
		start = time.Now()
		for range 3 {
			require.NoError(t, l.Wait(context.Background(), limits))
		}
		assert.Greater(t, time.Since(start), 20*time.Millisecond, "and the key is now paced")
	})
}

func TestTheLimiterIsSafeForConcurrentUse(t *testing.T) {
	l := adapter.NewRateLimiter()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 20 {
				assert.NoError(t, l.Wait(context.Background(), []adapter.Limit{{Key: "x", PerSecond: 10000}, {Key: "y"}}))
				if i == 0 {
					// A documented key is paused and slowed, never below ThrottleMinShare.
					l.Throttled([]adapter.Limit{{Key: "x", PerSecond: 10000}}, time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
}

func TestCredentialIDsAreStableAndHideTheCredential(t *testing.T) {
	a := driver.CredentialID("key-123", "user")
	assert.Equal(t, a, driver.CredentialID("key-123", "user"))
	assert.NotEqual(t, a, driver.CredentialID("key-123", "other"))
	assert.NotContains(t, a, "key-123")
	assert.Len(t, a, 12)
}

func TestConcurrent429sSlowAnAdaptiveKeyOnlyOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := adapter.NewRateLimiter()
		limits := []adapter.Limit{{Key: "burst"}}
		for range 40 { // about 40 requests in the last second
			require.NoError(t, l.Wait(context.Background(), limits))
		}
		for range 8 { // eight requests refused together
			l.Throttled(limits, time.Millisecond)
		}
		time.Sleep(5 * time.Millisecond)
		start := time.Now()
		for range 5 {
			require.NoError(t, l.Wait(context.Background(), limits))
		}
		// Halved once from ~40/s, about 20/s: 4 intervals take ~200 ms of the
		// fake clock. Halved eight times it would be the 1/s floor: 4 s.
		assert.InDelta(t, float64(200*time.Millisecond), float64(time.Since(start)), float64(20*time.Millisecond))
	})
}
