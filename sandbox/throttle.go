package sandbox

import (
	"errors"
	"strconv"
	"sync"
	"time"
)

// Throttle configures one vendor's rate limits: at most so many requests
// per rolling Window, counted for an operation (method + route) per API key
// and user, for all operations per API key and user, and per API key. A
// request over any limit is answered 429 and does not count. A zero limit
// is no limit, and the zero Throttle is off, which is the default so that
// ordinary tests run at full speed.
//
// For a plain "at most N requests per second, then 429", as Upwell and
// BlueTape may do (neither publishes numbers), use Throttle{PerKey: N}.
//
// The API key and user are, for Billbee, the X-Billbee-Api-Key header and
// the Basic user name; for BlueTape, X-BlueTape-Key and
// X-Integration-AccountId; for Upwell, the Authorization key (no user).
type Throttle struct {
	// PerEndpoint limits one operation per API key + user.
	PerEndpoint int
	// PerUser limits all operations per API key + user.
	PerUser int
	// PerKey limits all operations per API key, across users.
	PerKey int
	// Window is the rolling window; zero means one second.
	Window time.Duration
	// RetryAfter, when positive, is sent as a Retry-After header in whole
	// seconds (rounded up) with every 429. Zero omits the header, as
	// Billbee often does.
	RetryAfter time.Duration
}

// BillbeeThrottle returns Billbee's documented limits: 2 requests per second
// per endpoint per API key + user, 10 per API key + user, 50 per API key,
// with no Retry-After header.
func BillbeeThrottle() Throttle {
	return Throttle{PerEndpoint: 2, PerUser: 10, PerKey: 50}
}

// Validate reports whether the configuration is usable.
func (t Throttle) Validate() error {
	if t.PerEndpoint < 0 || t.PerUser < 0 || t.PerKey < 0 {
		return errors.New("sandbox: Throttle limits must not be negative")
	}
	if t.Window < 0 || t.RetryAfter < 0 {
		return errors.New("sandbox: Throttle.Window and Throttle.RetryAfter must not be negative")
	}
	return nil
}

func (t Throttle) enabled() bool { return t.PerEndpoint > 0 || t.PerUser > 0 || t.PerKey > 0 }

func (t Throttle) window() time.Duration {
	if t.Window == 0 {
		return time.Second
	}
	return t.Window
}

// sweepEvery is how many checks pass between sweeps of idle buckets, which
// keeps memory bounded when many keys come and go.
const sweepEvery = 1024

// throttler is a sliding-log limiter: each bucket keeps the times of the
// requests it admitted within the window. Logs are short (at most the
// limit), so counting is cheap and exact, unlike a token bucket, which
// would allow bursts the vendor's rolling window does not.
type throttler struct {
	mu      sync.Mutex
	cfg     Throttle
	buckets map[string][]time.Time
	checks  int
}

func newThrottler(cfg Throttle) *throttler {
	return &throttler{cfg: cfg, buckets: make(map[string][]time.Time)}
}

// set replaces the configuration and forgets past requests.
func (t *throttler) set(cfg Throttle) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cfg = cfg
	t.buckets = make(map[string][]time.Time)
}

// allow reports whether a request at now is within every limit, and if so
// counts it in every bucket.
func (t *throttler) allow(now time.Time, operation, key, user string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.cfg.enabled() {
		return true
	}
	since := now.Add(-t.cfg.window())
	t.checks++
	if t.checks%sweepEvery == 0 {
		t.sweep(since)
	}
	// A NUL separator cannot occur in header values, so keys cannot collide.
	tiers := []struct {
		bucket string
		limit  int
	}{
		{"e\x00" + operation + "\x00" + key + "\x00" + user, t.cfg.PerEndpoint},
		{"u\x00" + key + "\x00" + user, t.cfg.PerUser},
		{"k\x00" + key, t.cfg.PerKey},
	}
	for _, tier := range tiers {
		if tier.limit == 0 {
			continue
		}
		log := prune(t.buckets[tier.bucket], since)
		t.buckets[tier.bucket] = log
		if len(log) >= tier.limit {
			return false
		}
	}
	for _, tier := range tiers {
		if tier.limit > 0 {
			t.buckets[tier.bucket] = append(t.buckets[tier.bucket], now)
		}
	}
	return true
}

// retryAfter is the Retry-After header value, or "" for none.
func (t *throttler) retryAfter() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cfg.RetryAfter <= 0 {
		return ""
	}
	secs := (t.cfg.RetryAfter + time.Second - 1) / time.Second
	return strconv.FormatInt(int64(secs), 10)
}

// prune drops the times at or before since; log is in time order.
func prune(log []time.Time, since time.Time) []time.Time {
	i := 0
	for i < len(log) && !log[i].After(since) {
		i++
	}
	return log[i:]
}

func (t *throttler) sweep(since time.Time) {
	for k, log := range t.buckets {
		if len(log) == 0 || !log[len(log)-1].After(since) {
			delete(t.buckets, k)
		}
	}
}
