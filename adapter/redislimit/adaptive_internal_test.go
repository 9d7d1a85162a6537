package redislimit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/internal/redistest"
)

func TestProcessesRecoverTogetherFromALearnedLimit(t *testing.T) {
	srv := redistest.Start(t)
	newShortLimiter := func() *Limiter {
		l, err := New(t.Context(), srv.URL())
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, l.Close()) })
		l.recovery = 300 * time.Millisecond // the quiet time before each speed-up
		return l
	}
	a, b := newShortLimiter(), newShortLimiter()
	limits := []adapter.Limit{{Key: "test/" + t.Name()}}
	rate := func() float64 {
		v, err := a.rdb.HGet(t.Context(), a.prefix+limits[0].Key, "rate").Float64()
		require.NoError(t, err)
		return v
	}
	for range 10 {
		require.NoError(t, a.Wait(t.Context(), limits))
	}
	b.Throttled(limits, 50*time.Millisecond)
	learned := rate()
	require.InDelta(t, 5, learned, 1, "half the 10 requests/s that drew the 429")

	b.Throttled(limits, 50*time.Millisecond)
	assert.Equal(t, learned, rate(), "429s within an epoch are one event: the rate halves once")

	time.Sleep(400 * time.Millisecond) // quiet
	require.NoError(t, a.Wait(t.Context(), limits))
	assert.InDelta(t, learned*adaptiveIncrease, rate(), 1e-9, "a quiet period speeds the shared rate up")
	require.NoError(t, b.Wait(t.Context(), limits))
	assert.InDelta(t, learned*adaptiveIncrease, rate(), 1e-9, "once for everyone, not once per process")
}
