package adapter

import (
	"crypto/tls"
	"log/slog"
	"net/http"
	"time"
)

// Option configures a Client. Every CallOption is also an Option, setting
// the client's default for each call.
type Option interface{ applyClient(*clientConfig) }

// CallOption configures one call to Update, overriding the client default.
type CallOption interface {
	Option
	applyCall(*callConfig)
}

// defaultAttemptTimeout bounds each HTTP attempt when no
// WithAttemptTimeout is given: no request is ever unbounded.
const defaultAttemptTimeout = 30 * time.Second

type clientConfig struct {
	baseURL    string
	httpClient *http.Client
	roundTrip  http.RoundTripper
	logger     *slog.Logger
	limiter    RateLimiter
	limiterSet bool
	testTLS    *tls.Config // tests only: the default pool's TLS settings
	call       callConfig
}

type callConfig struct {
	lenient        bool
	dryRun         bool
	strict         bool
	attemptTimeout time.Duration
	maxRetries     int
	minBackoff     time.Duration
	maxBackoff     time.Duration
}

func defaultClientConfig() clientConfig {
	return clientConfig{call: defaultCallConfig()}
}

func defaultCallConfig() callConfig {
	return callConfig{
		attemptTimeout: defaultAttemptTimeout,
		maxRetries:     defaultMaxRetries,
		minBackoff:     defaultMinBackoff,
		maxBackoff:     defaultMaxBackoff,
	}
}

type clientOption func(*clientConfig)

func (f clientOption) applyClient(c *clientConfig) { f(c) }

type callOption func(*callConfig)

func (f callOption) applyClient(c *clientConfig) { f(&c.call) }
func (f callOption) applyCall(c *callConfig)     { f(c) }

// WithBaseURL replaces the vendor's server URL, exactly as it stands in the
// vendor's spec `servers` (so for BlueTape it includes /genericBthubService).
// It must be https, except for loopback hosts.
func WithBaseURL(u string) Option {
	return clientOption(func(c *clientConfig) { c.baseURL = u })
}

// WithHTTPClient sets the client that sends the requests (its Transport,
// Timeout and Jar). The client is copied and the copy's CheckRedirect is
// replaced by one that follows no redirect, whatever c says: a redirect
// would carry the vendor's credential headers to another host (Go strips
// Authorization across hosts, not X-Billbee-Api-Key or X-BlueTape-Key).
// That is why this takes an *http.Client and not any Do method: only for
// a client whose redirects the Client controls can it hold by construction
// that credentials reach the base URL's host and no other.
//
// Without this option (or WithTransport) the Client has a pool of its own
// over NewHTTPTransport, sized by UpdateAll to its concurrency. A client of
// yours keeps full control, so give it what that pool has: a Transport
// from NewHTTPTransport (HTTP/2 offered, MaxIdleConnsPerHost at least the
// concurrency you run; net/http's default of 2 makes a bulk run dial a new
// connection every few records, over TLS a handshake each time), and no
// Timeout shorter than a call may take with its retries (WithAttemptTimeout
// bounds each attempt already).
func WithHTTPClient(c *http.Client) Option {
	return clientOption(func(cfg *clientConfig) { cfg.httpClient = c })
}

// SingleRoundTripper is a RoundTripper that declares it makes exactly one
// round trip, to the request's own host, and follows no redirect. That is
// net/http's contract for every RoundTripper, but wrappers break it: one
// with an http.Client inside (go-retryablehttp's RoundTripper, say)
// follows redirects and copies the credential headers to wherever they
// point. WithTransport and WithHTTPClient therefore take an
// *http.Transport, or a RoundTripper that declares itself with this
// interface; any other is refused when the Client is built.
type SingleRoundTripper interface {
	http.RoundTripper
	// SingleRoundTrip is the declaration; it is never called.
	SingleRoundTrip()
}

// WithTransport sets the RoundTripper the requests go through; it
// replaces the Transport of the WithHTTPClient client, if any. It must be
// an *http.Transport or a SingleRoundTripper (else the Client is not
// built): the client around it follows no redirect, and neither may it,
// so credentials stay with the base URL's host.
func WithTransport(rt http.RoundTripper) Option {
	return clientOption(func(cfg *clientConfig) { cfg.roundTrip = rt })
}

// WithLogger logs one Debug record per HTTP attempt and one Info or Warn
// record per update. Records never hold credentials or bodies. Default: no logging.
func WithLogger(l *slog.Logger) Option {
	return clientOption(func(c *clientConfig) { c.logger = l })
}

// WithLenient makes fields the vendor cannot store be dropped instead of
// failing the call; Result.Dropped lists exactly what was dropped.
func WithLenient(lenient bool) CallOption {
	return callOption(func(c *callConfig) { c.lenient = lenient })
}

// WithStrict makes a verified write that the vendor stored otherwise than
// sent (see Mismatch) fail with an Internal *Error listing the mismatches
// in Error.Mismatches, instead of succeeding with Result.Mismatches. The
// vendor applied the update either way; strict mode is for runs that must
// stop on a silent change.
func WithStrict(strict bool) CallOption {
	return callOption(func(c *callConfig) { c.strict = strict })
}

// WithAttemptTimeout bounds each HTTP attempt (default defaultAttemptTimeout).
// The ctx deadline, when sooner, still wins.
func WithAttemptTimeout(d time.Duration) CallOption {
	return callOption(func(c *callConfig) {
		if d > 0 {
			c.attemptTimeout = d
		}
	})
}

// WithMaxRetries sets how many times a failed attempt is retried (default
// defaultMaxRetries; 0 disables retries). Retried for any request: 408,
// 429, and a connection that could not be made. Retried only for
// idempotent requests (every call custsync makes is a GET or PUT): 500,
// 502, 503, 504, broken connections and attempt timeouts, since the vendor
// may have acted before failing. Never retried: other statuses.
func WithMaxRetries(n int) CallOption {
	return callOption(func(c *callConfig) {
		if n >= 0 {
			c.maxRetries = n
		}
	})
}

// WithRetryBackoff sets the exponential backoff between retries: the first
// wait is about min, doubling up to max, with up to 25% jitter. When the
// vendor sends Retry-After, that wait is used instead (at least min, at
// most a minute).
func WithRetryBackoff(min, max time.Duration) CallOption {
	return callOption(func(c *callConfig) {
		if min > 0 && max >= min {
			c.minBackoff, c.maxBackoff = min, max
		}
	})
}

// WithRateLimiter sets what paces the client's requests (default: a
// NewRateLimiter of the client's own). Clients that share a credential,
// in one process or many, should share one limiter; nil turns pacing off.
func WithRateLimiter(l RateLimiter) Option {
	return clientOption(func(c *clientConfig) { c.limiter, c.limiterSet = l, true })
}

// WithDryRun makes Update send no write: it validates the update, does
// the reads the vendor needs (Billbee: the GET) and reports in
// Result.DryRun what it would have written. The transport refuses any
// request but a GET during a dry run, so no driver can write by mistake.
func WithDryRun(dryRun bool) CallOption {
	return callOption(func(c *callConfig) { c.dryRun = dryRun })
}
