// Package redislimit is an adapter.RateLimiter whose state lives in Redis,
// so that every process sending with one vendor credential (two replicas
// of a service, a nightly push, an operator's one-off update) shares the
// vendor's limits instead of each spending them alone.
//
//	limiter, err := redislimit.New(ctx, "redis://127.0.0.1:6379/0")
//	if err != nil { ... } // Redis unreachable: names the address
//	defer limiter.Close()
//	client, err := billbee.FromEnv(adapter.WithRateLimiter(limiter))
//
// # How it paces
//
// Each adapter.Limit.Key is one Redis hash holding a GCRA schedule (the
// theoretical arrival time of the next request: a token bucket of burst 1,
// like the in-process limiter, at pacing.SafetyFactor of the documented
// rate). All limits of one request are checked and taken by one Lua
// script, atomically: a request that one key would admit and another
// refuse takes nothing and waits for the later of the two, so it never
// spends a token it cannot use. Times come from Redis's clock.
//
// Adaptive limits (Limit.PerSecond 0: Upwell, BlueTape) keep their learned
// rate in the same hash: when one process reports a 429, every process on
// that credential slows down to half the rate they were sending at
// together, and all speed up together (by 1.2x per 2 s without a 429),
// the in-process limiter's rules applied to the combined traffic.
// Documented limits follow its rule too: a 429 reported by any process
// slows the key for all to pacing.ThrottleBackoff of its pace (not below
// pacing.ThrottleMinShare), and the share creeps back by
// pacing.ThrottleCreep per quiet recovery period.
//
// The script is our own rather than github.com/go-redis/redis_rate/v10's
// GCRA: redis_rate takes one key per call with an integer rate per
// period, so it cannot take Billbee's three limits of a request atomically
// (one call per key would spend the first key's token while the second
// refuses), has no shared pause after a 429, and no adaptive rate.
//
// # When Redis fails
//
// The limiter never falls back to sending unpaced:
//
//   - New fails when Redis cannot be reached, naming the address (never
//     the password), before any vendor request is made.
//   - If Redis is lost mid-run, or answers the limiter with an error
//     (out of memory, an ACL that refuses scripts, a key of another type
//     in the limiter's place), Wait retries with backoff for as long as
//     the context's deadline allows, up to WithMaxOutage (30 s by
//     default), then fails with an *adapter.Error of code Unavailable,
//     Retryable, HTTPStatus 0: the request was not sent. A bulk run (package bulk)
//     retries the record, and halts the run when nothing could be sent
//     for a while, as when the vendor cannot be reached
//     (bulk.WithUnreachableAfter).
//   - A Redis that comes back empty (restarted without persistence) is
//     used again within about a second (go-redis redials a pool that kept
//     failing once a second); its schedules start afresh, and learned
//     adaptive rates are learned again from the next 429.
//   - A 429 reported while Redis is down still pauses this process.
//
// go-redis reports failed dials through its own process-wide logger
// (redis.SetLogger); this package leaves it alone, and reports outages
// once each through WithLogger. The custsync command silences go-redis's.
//
// Keys are "custsync:{rl}:" + Limit.Key (see WithKeyPrefix). Limit keys
// carry credential hashes, never credentials. The {rl} hash tag puts every
// key in one Redis Cluster slot, which multi-key scripts need.
package redislimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/internal/loopback"
	"github.com/custsync/custsync/adapter/internal/pacing"
)

// DefaultKeyPrefix is where the limiter's keys live.
const DefaultKeyPrefix = "custsync:{rl}:"

// DefaultMaxOutage is how long Wait keeps trying an unreachable Redis
// when the context allows longer.
const DefaultMaxOutage = 30 * time.Second

// The adaptive rules, the same as the in-process limiter's
// (adapter.NewRateLimiter); the recovery period is its exported one, so
// both limiters speed up on one clock.
const (
	adaptiveFloor    = 1.0
	adaptiveEpoch    = time.Second
	adaptiveRecovery = pacing.ThrottleRecovery
	adaptiveIncrease = 1.2
	// keyTTL bounds how long a credential's state outlives its last use.
	keyTTL = time.Hour
	// throttleTimeout bounds the report of a 429, which has no context.
	throttleTimeout = 2 * time.Second
)

// Limiter is an adapter.RateLimiter over Redis. It is safe for concurrent
// use; share one per process (or make one per client: they coordinate
// through Redis either way).
type Limiter struct {
	rdb       redis.UniversalClient
	owned     bool // Close closes rdb
	addr      string
	secret    string // the URL's password, scrubbed from every error text
	prefix    string
	maxOutage time.Duration
	logger    *slog.Logger

	// adaptive rules; tests shorten them.
	floor    float64
	epoch    time.Duration
	recovery time.Duration

	// pauses holds 429 pauses this process learned, so that they hold
	// even when Redis cannot be told.
	mu     sync.Mutex
	pauses map[string]time.Time

	down atomic.Int32 // a downState: Redis failed and has not paced since; log once
}

var _ adapter.RateLimiter = (*Limiter)(nil)

// downState is what keeps Redis from pacing requests, if anything.
const (
	up          int32 = iota
	unreachable       // network failures and timeouts
	refusing          // error replies to the limiter's script
)

// Option configures a Limiter. An option given a value outside its
// documented range makes New and NewFromClient fail, before connecting,
// with an InvalidArgument *adapter.Error naming the option and the value.
type Option func(*Limiter) error

// invalidOption is the error of an option given a value outside its range.
func invalidOption(call, problem string) error {
	return &adapter.Error{Code: adapter.InvalidArgument, Message: "redislimit." + call + ": " + problem}
}

// WithKeyPrefix sets the prefix of every key (default DefaultKeyPrefix).
// Processes that must share limits must use the same prefix; on Redis
// Cluster it must carry a hash tag such as {rl} (NewFromClient refuses a
// cluster client with a prefix that has none). "" is refused: the keys
// would mix with whatever else the database holds.
func WithKeyPrefix(prefix string) Option {
	return func(l *Limiter) error {
		if prefix == "" {
			return invalidOption(`WithKeyPrefix("")`, "must not be empty; leave the option out for "+strconv.Quote(DefaultKeyPrefix))
		}
		l.prefix = prefix
		return nil
	}
}

// hasHashTag reports whether keys starting with prefix carry a Redis
// Cluster hash tag: a '{' followed, later, by a '}' with something between.
func hasHashTag(prefix string) bool {
	open := strings.IndexByte(prefix, '{')
	if open < 0 {
		return false
	}
	end := strings.IndexByte(prefix[open+1:], '}')
	return end > 0
}

// WithMaxOutage sets how long Wait retries an unreachable Redis before
// failing with Unavailable, when the context's deadline is later (or
// absent). d must be positive. Default DefaultMaxOutage.
func WithMaxOutage(d time.Duration) Option {
	return func(l *Limiter) error {
		if d <= 0 {
			return invalidOption(fmt.Sprintf("WithMaxOutage(%v)", d), "must be positive")
		}
		l.maxOutage = d
		return nil
	}
}

// WithLogger logs Redis outages and recoveries (never a credential).
// Without it nothing is logged; nil is refused.
func WithLogger(logger *slog.Logger) Option {
	return func(l *Limiter) error {
		if logger == nil {
			return invalidOption("WithLogger(nil)", "no logger given; leave the option out for no logging")
		}
		l.logger = logger
		return nil
	}
}

// configure is a Limiter with opts applied over the defaults, not yet
// connected; the first option that refuses its value is the error.
func configure(opts []Option) (*Limiter, error) {
	l := &Limiter{
		prefix: DefaultKeyPrefix, maxOutage: DefaultMaxOutage,
		floor: adaptiveFloor, epoch: adaptiveEpoch, recovery: adaptiveRecovery,
		pauses: map[string]time.Time{},
	}
	for i, o := range opts {
		if o == nil {
			return nil, &adapter.Error{Code: adapter.InvalidArgument, Message: fmt.Sprintf("redislimit: option %d of the list is nil", i+1)}
		}
		if err := o(l); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// New connects to the Redis at rawURL (redis://[user:password@]host:port/db,
// rediss:// for TLS, or unix:///path) and checks that it answers, so that a
// missing Redis fails here, naming the address, before any vendor request.
// Credentials in the URL are secrets: no error or log carries them. Plain
// redis:// with a password is refused except to a loopback host, as plain
// http is for the vendors; use rediss://.
func New(ctx context.Context, rawURL string, opts ...Option) (*Limiter, error) {
	ropts, addr, secret, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	l, err := configure(opts)
	if err != nil {
		return nil, err
	}
	// Fail fast: a limiter that hangs on Redis holds every request. The
	// URL's own query (dial_timeout=..., max_retries=...) wins.
	setDefault(&ropts.DialTimeout, 2*time.Second)
	setDefault(&ropts.ReadTimeout, time.Second)
	setDefault(&ropts.WriteTimeout, time.Second)
	setDefault(&ropts.MaxRetries, 1) // one retry on a pooled connection Redis dropped
	ropts.DialerRetries = 1          // Wait retries an unreachable Redis itself, within the deadline
	ropts.ContextTimeoutEnabled = true
	if err := l.connect(ctx, redis.NewClient(ropts), addr, secret); err != nil {
		return nil, err
	}
	l.owned = true
	return l, nil
}

func setDefault[T comparable](field *T, value T) {
	var zero T
	if *field == zero {
		*field = value
	}
}

// NewFromClient builds a Limiter over a Redis client the caller configured
// (TLS, Sentinel, Cluster); Close leaves the client open. Like New, it
// fails when Redis does not answer.
func NewFromClient(ctx context.Context, rdb redis.UniversalClient, opts ...Option) (*Limiter, error) {
	if rdb == nil {
		return nil, &adapter.Error{Code: adapter.InvalidArgument, Message: "redislimit.NewFromClient: no Redis client given"}
	}
	addr := "redis"
	if c, ok := rdb.(*redis.Client); ok {
		addr = c.Options().Addr
	}
	l, err := configure(opts)
	if err != nil {
		return nil, err
	}
	if _, cluster := rdb.(*redis.ClusterClient); cluster && !hasHashTag(l.prefix) {
		return nil, invalidOption(fmt.Sprintf("WithKeyPrefix(%q)", l.prefix),
			"a Redis Cluster needs a hash tag such as {rl} in the prefix: the limiter's scripts take several keys at once, which must share a slot")
	}
	if err := l.connect(ctx, rdb, addr, ""); err != nil {
		return nil, err
	}
	return l, nil
}

// connect gives l its Redis and checks that it answers and takes the
// limiter's scripts.
func (l *Limiter) connect(ctx context.Context, rdb redis.UniversalClient, addr, secret string) error {
	l.rdb, l.addr, l.secret = rdb, addr, secret
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pingCtx).Err(); err != nil {
		_ = rdb.Close()
		return &adapter.Error{Code: adapter.Unavailable, Retryable: true, Err: l.scrubbed(err),
			Message: fmt.Sprintf("rate limiter: cannot reach Redis at %s: %s", addr, l.scrub(err.Error()))}
	}
	// Load the scripts now, so that a Redis refusing scripts fails here too.
	for _, s := range []*redis.Script{takeScript, throttleScript} {
		if err := s.Load(pingCtx, rdb).Err(); err != nil {
			_ = rdb.Close()
			return &adapter.Error{Code: adapter.Unavailable, Err: l.scrubbed(err),
				Message: fmt.Sprintf("rate limiter: Redis at %s refused the limiter's script: %s", addr, l.scrub(err.Error()))}
		}
	}
	return nil
}

// parseURL reads a Redis URL and applies the transport rules.
func parseURL(rawURL string) (opts *redis.Options, addr, secret string, err error) {
	invalid := func(format string, args ...any) error {
		return &adapter.Error{Code: adapter.InvalidArgument, Field: "rateLimit",
			Message: "rate limiter URL: " + fmt.Sprintf(format, args...)}
	}
	u, perr := url.Parse(rawURL)
	if perr != nil {
		// url's error quotes the URL, password included: say less.
		return nil, "", "", invalid("not a URL (want redis://HOST:PORT/DB)")
	}
	if pw, ok := u.User.Password(); ok {
		secret = pw
	} else if u.User != nil && u.User.Username() != "" && u.Scheme != "unix" {
		// redis://password@host: a password written without its colon
		// is still a password, so treat a lone user name as secret too.
		secret = u.User.Username()
	}
	switch u.Scheme {
	case "redis", "rediss":
		if u.Hostname() == "" {
			return nil, "", "", invalid("no host (want %s://HOST:PORT/DB)", u.Scheme)
		}
		if u.Scheme == "redis" && secret != "" && !loopback.Is(u.Hostname()) {
			return nil, "", "", invalid("refusing to send the Redis password in plain text to %s; use rediss:// (plain redis:// is allowed with a password only for loopback hosts)", u.Hostname())
		}
		addr = u.Host
		if u.Port() == "" {
			addr = net.JoinHostPort(u.Hostname(), "6379")
		}
	case "unix":
		addr = u.Path
	default:
		return nil, "", "", invalid("scheme %q is not redis, rediss or unix", u.Scheme)
	}
	opts, perr = redis.ParseURL(rawURL)
	if perr != nil {
		msg := perr.Error()
		if secret != "" {
			msg = strings.ReplaceAll(msg, secret, "[REDACTED]")
		}
		return nil, "", "", invalid("%s", msg)
	}
	return opts, addr, secret, nil
}

// Addr is the Redis address (host:port, or a socket path), without
// credentials.
func (l *Limiter) Addr() string { return l.addr }

// String describes the limiter without credentials.
func (l *Limiter) String() string { return "redislimit.Limiter(" + l.addr + ")" }

// Close closes the Redis connection New opened.
func (l *Limiter) Close() error {
	if !l.owned {
		return nil
	}
	return l.rdb.Close()
}

// errWaitPastDeadline: the schedule would hold the request past ctx's
// deadline; adapter's transport reports it as ResourceExhausted.
var errWaitPastDeadline = errors.New("redislimit: the shared rate limit would hold the request past the deadline")

// Wait blocks until a request subject to limits may be sent, taking every
// limit at once. See the package doc for what happens when Redis fails.
func (l *Limiter) Wait(ctx context.Context, limits []adapter.Limit) error {
	if len(limits) == 0 {
		return ctx.Err()
	}
	if pause := l.localPause(limits); pause > 0 {
		if pastDeadline(ctx, pause) {
			return errWaitPastDeadline
		}
		if err := sleep(ctx, pause); err != nil {
			return err
		}
	}
	keys := make([]string, len(limits))
	args := make([]any, 0, len(limits)+6)
	for i, lim := range limits {
		keys[i] = l.prefix + lim.Key
		interval := int64(0)
		if lim.PerSecond > 0 {
			interval = int64(math.Ceil(1e6 / (lim.PerSecond * pacing.SafetyFactor)))
		}
		args = append(args, interval)
	}
	args = append(args, l.floor, l.recovery.Microseconds(), adaptiveIncrease, keyTTL.Milliseconds(), pacing.ThrottleCreep)

	var outageStart time.Time
	var lastErr error
	for failures := 0; ; {
		wait, err := l.take(ctx, keys, args)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				if errors.Is(ctxErr, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
					// Redis did not answer before take's own deadline, a
					// little before the caller's; on a loaded machine this
					// goroutine may only see that once the caller's has
					// passed too. The cause is still Redis, as callers of a
					// hung Redis are told, not their deadline.
					since := time.Duration(0)
					if !outageStart.IsZero() {
						since = time.Since(outageStart)
					}
					return l.unavailable(err, since, true)
				}
				return ctxErr
			}
			if errors.Is(err, redis.ErrClosed) {
				return l.unavailable(err, 0, false) // the limiter was closed: it will not come back
			}
			if outageStart.IsZero() {
				outageStart = time.Now()
				if l.down.CompareAndSwap(up, downState(err)) { // once per outage, not per request
					if downState(err) == refusing {
						l.log(ctx, slog.LevelWarn, "redislimit: Redis answers the limiter with an error; requests wait for it", err)
					} else {
						l.log(ctx, slog.LevelWarn, "redislimit: Redis unreachable; requests wait for it", err)
					}
				}
			}
			lastErr = err
			failures++
			delay := retryDelay(failures)
			// The reserve: waking from the sleep late, on a loaded
			// machine, must not turn Unavailable into the caller's
			// own deadline.
			if time.Since(outageStart)+delay > l.maxOutage || pastDeadline(ctx, delay+reserveBefore(ctx)) {
				return l.unavailable(lastErr, time.Since(outageStart), true)
			}
			if err := sleep(ctx, delay); err != nil {
				if errors.Is(err, context.DeadlineExceeded) {
					// Woken past the deadline the check above kept clear
					// of: late, but the cause is still Redis.
					return l.unavailable(lastErr, time.Since(outageStart), true)
				}
				return err
			}
			continue
		}
		if !outageStart.IsZero() {
			outageStart, failures = time.Time{}, 0
		}
		if was := l.down.Load(); was != up && l.down.CompareAndSwap(was, up) {
			if was == refusing {
				l.log(ctx, slog.LevelInfo, "redislimit: Redis paces requests again", nil)
			} else {
				l.log(ctx, slog.LevelInfo, "redislimit: Redis reachable again", nil)
			}
		}
		if wait <= 0 {
			return nil
		}
		d := time.Duration(wait) * time.Microsecond
		if pastDeadline(ctx, d) {
			return errWaitPastDeadline
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
}

// take runs the take script, within a deadline a little before ctx's so
// that a Redis that hangs leaves Wait the time to say so: callers see
// Unavailable, not their own deadline.
func (l *Limiter) take(ctx context.Context, keys []string, args []any) (int64, error) {
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-reserveBefore(ctx)))
		defer cancel()
	}
	return takeScript.Run(ctx, l.rdb, keys, args...).Int64()
}

// Throttled records a 429 in Redis for every process on these limits, and
// in this process, which pauses even when Redis cannot be reached.
func (l *Limiter) Throttled(limits []adapter.Limit, retryAfter time.Duration) {
	if len(limits) == 0 {
		return
	}
	pause := retryAfter
	if pause <= 0 {
		pause = time.Second
	}
	pause = min(pause, pacing.MaxRetryAfter)
	until := time.Now().Add(pause)
	keys := make([]string, len(limits))
	args := make([]any, 0, len(limits)+6)
	l.mu.Lock()
	for i, lim := range limits {
		keys[i] = l.prefix + lim.Key
		if until.After(l.pauses[lim.Key]) {
			l.pauses[lim.Key] = until
		}
		adaptive := 0
		if lim.PerSecond <= 0 {
			adaptive = 1
		}
		args = append(args, adaptive)
	}
	l.mu.Unlock()
	args = append(args, pause.Microseconds(), l.floor, l.epoch.Microseconds(), keyTTL.Milliseconds(), pacing.ThrottleBackoff, pacing.ThrottleMinShare)
	ctx, cancel := context.WithTimeout(context.Background(), throttleTimeout)
	defer cancel()
	if err := throttleScript.Run(ctx, l.rdb, keys, args...).Err(); err != nil {
		l.log(ctx, slog.LevelWarn, "redislimit: could not share a 429 through Redis; pausing this process only", err)
	}
}

// localPause is how long this process must still hold requests for limits
// after a 429 it saw itself.
func (l *Limiter) localPause(limits []adapter.Limit) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	var pause time.Duration
	for _, lim := range limits {
		until, ok := l.pauses[lim.Key]
		if !ok {
			continue
		}
		if !until.After(now) {
			delete(l.pauses, lim.Key)
			continue
		}
		pause = max(pause, until.Sub(now))
	}
	return pause
}

// unavailable is Wait's failure when Redis cannot pace the request:
// nothing was sent, and, unless the limiter was closed, a retry once
// Redis paces again may succeed.
func (l *Limiter) unavailable(err error, outage time.Duration, retryable bool) error {
	msg := fmt.Sprintf("rate limiter: Redis at %s failed: %s; nothing was sent", l.addr, l.scrub(err.Error()))
	if retryable {
		how := "unreachable"
		if downState(err) == refusing {
			how = "answering with errors"
		}
		msg = fmt.Sprintf("rate limiter: Redis at %s %s for %s (%s); nothing was sent",
			l.addr, how, outage.Round(time.Millisecond), l.scrub(err.Error()))
	}
	return &adapter.Error{Code: adapter.Unavailable, Retryable: retryable, Message: msg, Err: l.scrubbed(err)}
}

// downState says what a failure of the take script means. Either kind
// may pass, and neither lets a request go unpaced: Wait waits for both
// alike. An error reply comes from a Redis that is up but cannot run the
// script for now: loading or failing over, out of memory, refusing
// scripts to the limiter's user, or holding a key of another type where
// the limiter's is; each passes when Redis recovers or an operator steps
// in, as an outage does.
func downState(err error) int32 {
	var reply redis.Error
	if errors.As(err, &reply) {
		return refusing
	}
	return unreachable
}

// retryDelay is the wait before retry number n (from 1) of an unreachable
// Redis: 50 ms doubling to 1 s, with jitter so processes do not reconnect
// in step.
func retryDelay(n int) time.Duration {
	d := 50 * time.Millisecond << min(n-1, 5)
	d = min(d, time.Second)
	return d - time.Duration(rand.Float64()*0.25*float64(d))
}

// reserveBefore is the time Wait keeps before ctx's deadline to answer
// in: a quarter of what is left, at most 100 ms (0 without a deadline).
func reserveBefore(ctx context.Context) time.Duration {
	deadline, ok := ctx.Deadline()
	if !ok {
		return 0
	}
	return max(0, min(time.Until(deadline)/4, 100*time.Millisecond))
}

func pastDeadline(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return ok && time.Now().Add(d).After(deadline)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (l *Limiter) scrub(s string) string {
	if l.secret == "" {
		return s
	}
	return strings.ReplaceAll(s, l.secret, "[REDACTED]")
}

// scrubbed returns err, or an error with its text scrubbed when it
// mentions the secret.
func (l *Limiter) scrubbed(err error) error {
	if l.secret == "" || !strings.Contains(err.Error(), l.secret) {
		return err
	}
	return errors.New(l.scrub(err.Error()))
}

func (l *Limiter) log(ctx context.Context, level slog.Level, msg string, err error) {
	if l.logger == nil {
		return
	}
	attrs := []slog.Attr{slog.String("redis", l.addr)}
	if err != nil {
		attrs = append(attrs, slog.String("error", l.scrub(err.Error())))
	}
	l.logger.LogAttrs(ctx, level, msg, attrs...)
}
