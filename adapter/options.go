package adapter

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/custsync/custsync/internal/redact"
)

// Option configures a Client. Every CallOption is also an Option, setting
// the client's default for each call. An option given a value outside its
// documented range makes the constructor fail with an InvalidArgument
// *Error naming the option and the value; no value is ever clamped or
// ignored.
type Option interface{ applyClient(*clientConfig) error }

// CallOption configures one call to Update, overriding the client default.
// A CallOption with a value outside its range fails the call it is given
// to (nothing is sent), or the client it is given to as a default.
type CallOption interface {
	Option
	applyCall(*callConfig) error
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
	// wrapTransport is every WithTransportWrapper's function, innermost
	// first.
	wrapTransport  []func(http.RoundTripper) http.RoundTripper
	tracerProvider trace.TracerProvider
	meterProvider  metric.MeterProvider
	call           callConfig
}

type callConfig struct {
	lenient        bool
	dryRun         bool
	strict         bool
	attemptTimeout time.Duration
	maxRetries     int
	minBackoff     time.Duration
	maxBackoff     time.Duration
	// observe is every WithAttemptObserver's observer, in the order
	// given, as one function; nil when there is none.
	observe func(Attempt)
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

// newClientConfig applies opts over the defaults; the first option that
// refuses its value (or a nil option) is the error.
func newClientConfig(opts []Option) (clientConfig, error) {
	cfg := defaultClientConfig()
	for i, o := range opts {
		if o == nil {
			return cfg, nilOption("NewClient", i)
		}
		if err := o.applyClient(&cfg); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// with returns c with the per-call options given to where applied, or
// the error of the first one that refuses its value.
func (c callConfig) with(where string, opts []CallOption) (callConfig, error) {
	if len(opts) == 0 {
		return c, nil // no copy of c escapes to the heap: most calls pass no option
	}
	return c.withOptions(where, opts)
}

// withOptions is with for a non-empty list. Apart, so that only this
// copy of the config, whose address the options take, is on the heap.
func (c callConfig) withOptions(where string, opts []CallOption) (callConfig, error) {
	for i, o := range opts {
		if o == nil {
			return c, nilOption(where, i)
		}
		if err := o.applyCall(&c); err != nil {
			return c, err
		}
	}
	return c, nil
}

// invalidOption is the InvalidArgument error of an option given a value
// outside its range. call is the option as the user wrote it, value
// included ("WithConcurrency(0)"), so the message says exactly what to fix.
func invalidOption(call, problem string, args ...any) *Error {
	return &Error{Code: InvalidArgument, Message: call + ": " + fmt.Sprintf(problem, args...)}
}

// nilOption is the error of a nil option in a list of options.
func nilOption(where string, i int) *Error {
	return &Error{Code: InvalidArgument, Message: fmt.Sprintf("%s: option %d of the list is nil", where, i+1)}
}

// isNil reports whether v is nil or an interface holding a nil pointer
// (a *redislimit.Limiter that was never built, say), which would panic on
// first use instead of failing here.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Func, reflect.Chan, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

type clientOption func(*clientConfig) error

func (f clientOption) applyClient(c *clientConfig) error { return f(c) }

type callOption func(*callConfig) error

func (f callOption) applyClient(c *clientConfig) error { return f(&c.call) }
func (f callOption) applyCall(c *callConfig) error     { return f(c) }

// WithBaseURL replaces the vendor's server URL, exactly as it stands in the
// vendor's spec `servers` (so for BlueTape it includes /genericBthubService).
// It must be an absolute https URL, except for loopback hosts (plain http
// is allowed there), with no credentials, query or fragment; "" is
// refused (leave the option out for the vendor's own server).
func WithBaseURL(u string) Option {
	return clientOption(func(c *clientConfig) error {
		call := "WithBaseURL(" + redactedURL(u) + ")"
		if u == "" {
			return invalidOption(call, "no URL given; leave the option out for the vendor's own server")
		}
		if err := checkBaseURL(u); err != nil {
			var e *Error
			if errors.As(err, &e) { // always: checkBaseURL returns *Error
				e.Message = call + ": " + strings.TrimPrefix(e.Message, e.Field+": ")
			}
			return err
		}
		c.baseURL = u
		return nil
	})
}

// redactedURL quotes a URL for an error without any password it holds.
func redactedURL(raw string) string {
	return strconv.Quote(redact.ConnString(raw))
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
// over NewHTTPTransport, sized by Client.ReserveConnections (a bulk run
// reserves its concurrency). A client of
// yours keeps full control, so give it what that pool has: a Transport
// from NewHTTPTransport (HTTP/2 offered, MaxIdleConnsPerHost at least the
// concurrency you run; net/http's default of 2 makes a bulk run dial a new
// connection every few records, over TLS a handshake each time), and no
// Timeout shorter than a call may take with its retries (WithAttemptTimeout
// bounds each attempt already). nil is refused: leave the option out for
// the Client's own pool.
func WithHTTPClient(c *http.Client) Option {
	return clientOption(func(cfg *clientConfig) error {
		if c == nil {
			return invalidOption("WithHTTPClient(nil)", "no client given; leave the option out for the Client's own connection pool")
		}
		cfg.httpClient = c
		return nil
	})
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
// so credentials stay with the base URL's host. nil is refused: leave the
// option out for the Client's own pool.
func WithTransport(rt http.RoundTripper) Option {
	return clientOption(func(cfg *clientConfig) error {
		if isNil(rt) {
			return invalidOption(fmt.Sprintf("WithTransport(%s)", nilName(rt)), "no RoundTripper given; leave the option out for the Client's own connection pool")
		}
		cfg.roundTrip = rt
		return nil
	})
}

// WithTransportWrapper wraps the transport the Client sends through (its
// own pool, or what WithTransport or WithHTTPClient gave) in what wrap
// returns: otelhttp.NewTransport, a recorder, a header-adding round
// tripper. Unlike WithTransport's, the wrapper need not declare itself a
// SingleRoundTripper: what wrap is handed refuses, by construction, any
// request to a host other than the base URL's, or over plain http to a
// host other than a loopback one, so a wrapper that follows redirects or
// replays requests elsewhere cannot carry the credentials with it. Requests
// reach the wrapper with the credentials set; a wrapper must not record
// headers. Several wrappers nest in the order given, the first innermost.
// nil is refused, as is a wrap that returns nil.
func WithTransportWrapper(wrap func(http.RoundTripper) http.RoundTripper) Option {
	return clientOption(func(cfg *clientConfig) error {
		if wrap == nil {
			return invalidOption("WithTransportWrapper(nil)", "no function given; leave the option out to send through the transport as it is")
		}
		cfg.wrapTransport = append(cfg.wrapTransport, wrap)
		return nil
	})
}

// nilName writes a nil argument as the user may have passed it: nil, or
// (*T)(nil) for a nil pointer in an interface.
func nilName(v any) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprintf("(%T)(nil)", v)
}

// WithLogger logs one Debug record per HTTP attempt and one Info or Warn
// record per update. Records never hold credentials or bodies. Default: no
// logging, which is also how to turn it off: nil is refused (a logger
// that was meant to be set and is not would otherwise go unnoticed).
func WithLogger(l *slog.Logger) Option {
	return clientOption(func(c *clientConfig) error {
		if l == nil {
			return invalidOption("WithLogger(nil)", "no logger given; leave the option out for no logging")
		}
		c.logger = l
		return nil
	})
}

// WithLenient makes fields the vendor cannot store be dropped instead of
// failing the call; Result.Dropped lists exactly what was dropped.
func WithLenient(lenient bool) CallOption {
	return callOption(func(c *callConfig) error { c.lenient = lenient; return nil })
}

// WithStrict makes a verified write that the vendor stored otherwise than
// sent (see Mismatch) fail with an Internal *Error listing the mismatches
// in Error.Mismatches, instead of succeeding with Result.Mismatches. The
// vendor applied the update either way; strict mode is for runs that must
// stop on a silent change.
func WithStrict(strict bool) CallOption {
	return callOption(func(c *callConfig) error { c.strict = strict; return nil })
}

// WithAttemptTimeout bounds each HTTP attempt (default 30s).
// The ctx deadline, when sooner, still wins. d must be positive: no
// attempt is ever unbounded.
func WithAttemptTimeout(d time.Duration) CallOption {
	return callOption(func(c *callConfig) error {
		if d <= 0 {
			return invalidOption(fmt.Sprintf("WithAttemptTimeout(%v)", d), "must be positive")
		}
		c.attemptTimeout = d
		return nil
	})
}

// WithMaxRetries sets how many times a failed attempt is retried (default
// 2; 0 disables retries). Retried for any request: 408,
// 429, and a connection that could not be made. Retried only for
// idempotent requests (every call custsync makes is a GET or PUT): 500,
// 502, 503, 504, broken connections and attempt timeouts, since the vendor
// may have acted before failing. Never retried: other statuses. n must
// be 0 or more.
func WithMaxRetries(n int) CallOption {
	return callOption(func(c *callConfig) error {
		if n < 0 {
			return invalidOption(fmt.Sprintf("WithMaxRetries(%d)", n), "must be 0 (no retries) or more")
		}
		c.maxRetries = n
		return nil
	})
}

// WithRetryBackoff sets the exponential backoff between retries: the first
// wait is about min, doubling up to max, with up to 25% jitter. When the
// vendor sends Retry-After, that wait is used instead (at least min, at
// most a minute). min must be positive and max at least min (equal
// for a constant wait).
//
//nolint:revive // redefines-builtin-id: min and max name the two bounds; the builtins are not used here
func WithRetryBackoff(min, max time.Duration) CallOption {
	return callOption(func(c *callConfig) error {
		call := fmt.Sprintf("WithRetryBackoff(%v, %v)", min, max)
		switch {
		case min <= 0:
			return invalidOption(call, "min must be positive")
		case max < min:
			return invalidOption(call, "max must be at least min")
		}
		c.minBackoff, c.maxBackoff = min, max
		return nil
	})
}

// WithRateLimiter sets what paces the client's requests (default: a
// NewRateLimiter of the client's own). Clients that share a credential,
// in one process or many, should share one limiter. nil (untyped) turns
// pacing off; a nil pointer in the interface (a limiter whose
// constructor failed) is refused.
func WithRateLimiter(l RateLimiter) Option {
	return clientOption(func(c *clientConfig) error {
		if l != nil && isNil(l) {
			return invalidOption(fmt.Sprintf("WithRateLimiter(%s)", nilName(l)), "a nil %T cannot pace; pass nil itself to turn pacing off", l)
		}
		c.limiter, c.limiterSet = l, true
		return nil
	})
}

// WithDryRun makes Update send no write: it validates the update, does
// the reads the vendor needs (Billbee: the GET) and reports in
// Result.DryRun what it would have written. The transport refuses any
// request but a GET during a dry run, so no driver can write by mistake.
func WithDryRun(dryRun bool) CallOption {
	return callOption(func(c *callConfig) error { c.dryRun = dryRun; return nil })
}

// Attempt is one HTTP attempt of a call, as WithAttemptObserver reports it.
type Attempt struct {
	Operation string        // the spec operation, e.g. "Customer_Update"
	Number    int           // 1 for the first attempt of the call
	Status    int           // the HTTP status; 0 when no answer came
	Err       error         // nil when the vendor answered (any status); else why not: a network error, a timeout, ctx's error (scrubbed of credentials)
	Duration  time.Duration // from sending the request to the end of its answer, or of the attempt
}

// WithAttemptObserver has observe called once at the end of every HTTP
// attempt of the call, whatever ended it: an answer (any status), a
// network error, the attempt timeout, or ctx canceled while the attempt
// was under way. It is called synchronously, on the goroutine of Update,
// before the next attempt and before Update returns, so it must not block
// for long; a Billbee update reports its read and its write.
//
// It is never called for a call that sent nothing: one refused before the
// network (invalid input, a dry run's write) or canceled while waiting
// for the rate limiter. So an observer called at least once means a
// request may have reached the vendor, and one never called means none
// did. An answer whose body could not be read whole has its Status and
// the read error in Err.
//
// Metrics are what it is for: count attempts by Status, time them, or
// notice a vendor that cannot be reached while Update is still retrying.
// Several WithAttemptObserver options all observe, in the order given,
// the client's defaults first; nil is refused.
func WithAttemptObserver(observe func(Attempt)) CallOption {
	return callOption(func(c *callConfig) error {
		if observe == nil {
			return invalidOption("WithAttemptObserver(nil)", "no observer given; leave the option out to observe nothing")
		}
		if prev := c.observe; prev != nil {
			c.observe = func(a Attempt) { prev(a); observe(a) }
		} else {
			c.observe = observe
		}
		return nil
	})
}
