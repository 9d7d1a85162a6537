package adapter

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/custsync/custsync/adapter/internal/pacing"
)

// Limit is one rate a request is subject to. A vendor may impose several
// at once: Billbee allows 2 requests/s per endpoint per API key + user, 10/s
// per key + user and 50/s per key, so a GET carries three Limits.
type Limit struct {
	// Key names what is counted: vendor, credential identity (a hash,
	// never the credential: a shared limiter may store keys) and scope.
	Key string
	// PerSecond is the documented rate; 0 means "not published": start
	// unlimited and slow down after a 429 (adaptive).
	PerSecond float64
}

// RateLimiter paces requests. The default, NewRateLimiter, holds its state
// in memory for one process. To coordinate several processes that share
// a credential, pass every client the same limiter over a shared store
// with WithRateLimiter: adapter/redislimit keeps one in Redis.
// Implementations must be safe for concurrent use.
type RateLimiter interface {
	// Wait blocks until a request subject to limits may be sent. It returns
	// ctx's error if ctx ends first, and fails at once if the wait would
	// pass ctx's deadline. An *Error it returns (such as Unavailable when
	// a shared store is down) reaches the caller with its code and
	// Retryable as they are; never send unpaced instead.
	Wait(ctx context.Context, limits []Limit) error
	// Throttled reports that the vendor answered 429 despite the pacing
	// (other processes share the key, or the limit is not published);
	// retryAfter is the vendor's Retry-After, 0 when absent.
	Throttled(limits []Limit, retryAfter time.Duration)
}

// Adaptive pacing for vendors without published limits: multiplicative
// decrease on a 429 (once per epoch, however many concurrent requests
// were refused together), gradual increase while the vendor stays quiet.
const (
	adaptiveFloor    = 1.0                     // requests/s never go below this
	adaptiveEpoch    = time.Second             // 429s within this of a decrease are the same event
	adaptiveRecovery = pacing.ThrottleRecovery // quiet time before each speed-up
	adaptiveIncrease = 1.2                     // speed-up factor per quiet period
)

// NewRateLimiter returns the in-process limiter: a token bucket per key
// (golang.org/x/time/rate, burst 1) at 98% of the documented
// rate, slowed after a 429 and sped up again as described above; for
// unpublished limits, unlimited until the first 429, then half the rate
// observed, growing again while the vendor stays quiet.
func NewRateLimiter() RateLimiter {
	return &localLimiter{keys: map[string]*keyLimiter{}}
}

type localLimiter struct {
	mu   sync.Mutex
	keys map[string]*keyLimiter
}

type keyLimiter struct {
	limiter  *rate.Limiter
	adaptive bool
	// pace is pacing.SafetyFactor of a documented rate; share the part of it in
	// use (1 until a 429); slowedAt the last slow-down, which 429s within
	// adaptiveEpoch of belong to.
	pace, share float64
	slowedAt    time.Time
	pausedUntil time.Time
	lastChange  time.Time
	// Sends are counted in one-second windows (this one and the last) to
	// estimate the rate that drew a 429.
	windowStart time.Time
	windowCount int
	prevCount   int
}

// observedRate estimates the recent send rate over the last window and
// the current one. Called with l.mu held.
func (k *keyLimiter) observedRate(now time.Time) float64 {
	span := 1 + min(now.Sub(k.windowStart).Seconds(), 1)
	return float64(k.prevCount+k.windowCount) / span
}

func (l *localLimiter) key(lim Limit) *keyLimiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	k, ok := l.keys[lim.Key]
	if !ok {
		k = &keyLimiter{adaptive: lim.PerSecond <= 0}
		if k.adaptive {
			k.limiter = rate.NewLimiter(rate.Inf, 1)
		} else {
			k.pace, k.share = lim.PerSecond*pacing.SafetyFactor, 1
			k.limiter = rate.NewLimiter(rate.Limit(k.pace), 1)
		}
		l.keys[lim.Key] = k
	}
	return k
}

func (l *localLimiter) Wait(ctx context.Context, limits []Limit) error {
	for _, lim := range limits {
		k := l.key(lim)
		l.mu.Lock()
		pause := time.Until(k.pausedUntil)
		l.recover(k)
		l.mu.Unlock()
		if pause > 0 {
			if err := sleep(ctx, pause); err != nil {
				return err
			}
		}
		if err := k.limiter.Wait(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return errWaitPastDeadline
		}
		l.mu.Lock()
		now := time.Now()
		if elapsed := now.Sub(k.windowStart); elapsed >= time.Second {
			k.prevCount = k.windowCount
			if elapsed >= 2*time.Second {
				k.prevCount = 0
			}
			k.windowStart, k.windowCount = now, 0
		}
		k.windowCount++
		l.mu.Unlock()
	}
	return nil
}

// recover speeds an adaptive key up again after a quiet period. Called
// with l.mu held.
func (l *localLimiter) recover(k *keyLimiter) {
	if time.Since(k.lastChange) < adaptiveRecovery {
		return
	}
	switch {
	case !k.adaptive && k.share < 1:
		k.share = min(k.share*pacing.ThrottleCreep, 1)
		k.limiter.SetLimit(rate.Limit(k.pace * k.share))
	case k.adaptive && k.limiter.Limit() != rate.Inf:
		k.limiter.SetLimit(k.limiter.Limit() * adaptiveIncrease)
	default:
		return
	}
	k.lastChange = time.Now()
}

func (l *localLimiter) Throttled(limits []Limit, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	for _, lim := range limits {
		k, ok := l.keys[lim.Key]
		if !ok {
			continue
		}
		pause := retryAfter
		if pause <= 0 {
			pause = time.Second
		}
		if until := now.Add(min(pause, pacing.MaxRetryAfter)); until.After(k.pausedUntil) {
			k.pausedUntil = until
		}
		if !k.adaptive && now.Sub(k.slowedAt) >= adaptiveEpoch {
			k.share = max(k.share*pacing.ThrottleBackoff, pacing.ThrottleMinShare)
			k.limiter.SetLimit(rate.Limit(k.pace * k.share))
			k.lastChange, k.slowedAt = now, now
		}
		if k.adaptive && (k.limiter.Limit() == rate.Inf || now.Sub(k.lastChange) >= adaptiveEpoch) {
			current := math.Min(float64(k.limiter.Limit()), k.observedRate(now))
			k.limiter.SetLimit(rate.Limit(math.Max(current/2, adaptiveFloor)))
			k.lastChange = now
		}
	}
}
