package adapter

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/custsync/custsync/adapter/internal/loopback"
	"github.com/custsync/custsync/adapter/internal/pacing"
	"github.com/custsync/custsync/adapter/internal/retrypolicy"
	"github.com/custsync/custsync/internal/buildinfo"
)

// maxResponseBytes caps how much of a response is read; a larger one
// fails the attempt instead of exhausting memory. A customer record is a
// few KiB; anything near this is not an answer we can use.
const maxResponseBytes = 4 << 20

// bodyExcerptBytes caps the body excerpt kept in an *Error.
const bodyExcerptBytes = 512

// callState follows one Update through the transport: the settings of the
// call and what its attempts did.
type callState struct {
	config    callConfig
	attempts  int
	requestID string // of the last answer
	operation string // of the last request the driver sent
	status    int    // of the last answer; 0 before one
}

type callStateKey struct{}

// callContext carries a call's state: a context.WithValue and the state
// in one allocation instead of two, on the path of every update.
type callContext struct {
	context.Context
	state callState
}

func (c *callContext) Value(key any) any {
	if key == (callStateKey{}) {
		return &c.state
	}
	return c.Context.Value(key)
}

// withCallState returns ctx carrying a new call state with the call's
// settings, and that state.
func withCallState(ctx context.Context, config callConfig) (context.Context, *callState) {
	c := &callContext{Context: ctx, state: callState{config: config}}
	return c, &c.state
}

func callStateFrom(ctx context.Context) *callState {
	if s, ok := ctx.Value(callStateKey{}).(*callState); ok {
		return s
	}
	return &callState{config: defaultClientConfig().call}
}

// transport is what the generated clients send through, by way of an
// operationDoer for each spec operation. For each request it waits for
// the rate limiter, then makes attempts: each with its own timeout, its
// body read whole (capped) and closed before the next step, so connections
// go back to the pool and drivers parse bytes, not streams. Failed attempts
// are retried with backoff (Retry-After honoured) when that is safe;
// redirects are refused.
type transport struct {
	vendor  string
	host    string // the base URL's host: the only one credentials go to
	next    httpDoer
	logger  *slog.Logger
	scrub   scrubber
	limiter RateLimiter
	limits  func(operationID string) []Limit
	tel     *telemetry
	// header is set on every request: the driver's credentials and Accept,
	// as a list (ranging over a map on every request costs more).
	header []headerValues
}

// httpDoer sends one request: an *http.Client, or a roundTripper.
type httpDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// headerValues is one header of transport.header.
type headerValues struct {
	name   string
	values []string
}

func newTransport(vendor, host string, next *http.Client, logger *slog.Logger, scrub scrubber, limiter RateLimiter, limits func(string) []Limit, header http.Header, tel *telemetry) *transport {
	if tel == nil {
		tel = newTelemetry(defaultClientConfig(), vendor, host, "https")
	}
	t := &transport{vendor: vendor, host: host, next: next, logger: logger, scrub: scrub, limiter: limiter, limits: limits, tel: tel}
	for name, values := range header {
		// Capped at their length: an Add to a request's copy cannot
		// write into the shared array.
		t.header = append(t.header, headerValues{name, values[:len(values):len(values)]})
	}
	if next.Jar == nil && next.Timeout == 0 && next.Transport != nil {
		// Nothing of the client's own is left to do: no cookies, no
		// timeout, and redirects are never followed. Its Do would still
		// copy the headers and URL of every request for redirects that
		// cannot happen, so requests go to its RoundTripper directly.
		t.next = roundTripper{next.Transport}
	}
	return t
}

// roundTripper sends through a RoundTripper as an http.Client that
// follows no redirect would, wrapping errors the same way (*url.Error
// naming the method and URL).
type roundTripper struct{ rt http.RoundTripper }

func (r roundTripper) Do(req *http.Request) (*http.Response, error) {
	resp, err := r.rt.RoundTrip(req)
	if err != nil {
		if resp != nil && resp.Body != nil {
			_ = resp.Body.Close() // the error that counts is err
		}
		return nil, &url.Error{Op: urlErrorOp(req.Method), URL: req.URL.Redacted(), Err: err}
	}
	if resp == nil {
		return nil, &url.Error{Op: urlErrorOp(req.Method), URL: req.URL.Redacted(), Err: errors.New("http: RoundTripper returned a nil *Response with a nil error")}
	}
	if resp.Body == nil {
		resp.Body = http.NoBody
	}
	return resp, nil
}

// urlErrorOp is the Op net/http's client gives a *url.Error: "Get", "Put".
func urlErrorOp(method string) string {
	if method == "" {
		return "Get"
	}
	return method[:1] + strings.ToLower(method[1:])
}

// defaultIdleConnsPerHost is how many idle connections per host the
// default transport keeps. net/http keeps 2, so a bulk run with 16 updates
// in flight closed a connection after nearly every answer and dialed a new
// one (over TLS, a handshake per few records). This covers the largest
// concurrency a vendor's limits make useful; above it, pass a client whose
// transport keeps as many idle connections as you run updates at once.
const defaultIdleConnsPerHost = 256

// dialTimeout bounds setting up a connection in NewHTTPTransport.
const dialTimeout = 10 * time.Second

// NewHTTPTransport returns the transport a Client sends through when it is
// given no client and no RoundTripper: a clone of http.DefaultTransport
// (proxy from the environment, dial, TLS-handshake and idle timeouts,
// HTTP/2 offered over TLS) whose idle pool keeps 256
// connections per host, so every request in flight finds a connection to
// reuse. Start from it to build your own, for example with another
// TLSClientConfig, and pass it with WithTransport:
//
//	tr := adapter.NewHTTPTransport()
//	tr.TLSClientConfig = &tls.Config{RootCAs: pool}
//	client, err := upwell.New(cfg, adapter.WithTransport(tr))
//
// Keep ForceAttemptHTTP2 (a custom TLSClientConfig turns HTTP/2 off
// otherwise) and MaxIdleConnsPerHost at least the concurrency you run.
func NewHTTPTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// A vendor behind a firewall that drops packets is told apart in
	// 10 s, not the default 30 s: a bulk run then halts well within a
	// minute (WithUnreachableAfter).
	tr.DialContext = (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext
	tr.MaxIdleConns = 0 // no limit across hosts; MaxIdleConnsPerHost bounds each
	tr.MaxIdleConnsPerHost = defaultIdleConnsPerHost
	tr.ForceAttemptHTTP2 = true
	return tr
}

// pooledTransport is the RoundTripper of a Client built without a client
// or RoundTripper of the user's: a NewHTTPTransport whose connections per
// host are capped, once connections are reserved (ReserveConnections), at
// the largest sum of the reservations held at once. Without the cap, a
// request that finds every connection busy dials a new one even when one
// is about to be freed, and the dial joins the pool when it completes:
// over TLS, where a dial is slow, a run at concurrency 16 ended up with 20
// to 30 connections. With it, a request waits for a connection, which
// never takes long, since no more requests are in flight than the cap.
type pooledTransport struct {
	current  atomic.Pointer[http.Transport]
	mu       sync.Mutex
	reserved int // sum of the reservations now held
}

// newPooledTransport returns the default pool; tlsConfig, when not nil,
// replaces its TLS settings (tests trust their own certificates with it).
func newPooledTransport(tlsConfig *tls.Config) *pooledTransport {
	p := &pooledTransport{}
	tr := NewHTTPTransport()
	if tlsConfig != nil {
		tr.TLSClientConfig = tlsConfig
	}
	p.current.Store(tr)
	return p
}

func (p *pooledTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return p.current.Load().RoundTrip(r)
}

// reserve sizes the pool for n more requests in flight and returns the
// function that gives them back. The cap only grows: a pool sized for a run
// stays warm for the next one, and a cap below what is in flight would
// only make requests wait. Before the first reservation, requests are not
// capped at all.
func (p *pooledTransport) reserve(n int) (release func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reserved += n
	if old := p.current.Load(); old.MaxConnsPerHost == 0 || p.reserved > old.MaxConnsPerHost {
		tr := old.Clone()
		tr.MaxConnsPerHost = p.reserved
		tr.MaxIdleConnsPerHost = max(tr.MaxIdleConnsPerHost, p.reserved)
		p.current.Store(tr)
		// Requests in flight finish on the old transport; its idle
		// connections close now, the others after its IdleConnTimeout.
		old.CloseIdleConnections()
	}
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.reserved -= n
	}
}

// sendingClient is the client every request goes out through: a copy of
// the user's client (or a new one over the default transport), with the
// user's RoundTripper if one was given, that hands 3xx answers back instead of following them. Only
// this client ever sees a request carrying credentials, and it never
// makes a request the transport did not ask for, so no redirect can carry
// a vendor's credential headers to another host, whatever the user passed.
func sendingClient(c *http.Client, rt http.RoundTripper, tlsConfig *tls.Config) *http.Client {
	var out http.Client
	if c != nil {
		out = *c // the user's client keeps its own transport, nil included
	}
	switch {
	case rt != nil:
		out.Transport = rt
	case c == nil:
		out.Transport = newPooledTransport(tlsConfig)
	}
	out.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &out
}

// userAgent is the User-Agent of every request: custsync/<version> (<go
// version>), so a vendor can tell custsync's traffic, and which release,
// from other clients. One slice for all requests: headers are only read
// once built, and setting it costs no allocation.
var userAgent = []string{buildinfo.UserAgent()}

// operationDoer sends the requests of one spec operation through the
// transport: the operation names them in rate limits, errors, logs and
// attempts, and its limits are worked out once.
type operationDoer struct {
	t      *transport
	op     string
	limits []Limit
}

// doer returns the doer for operation op (DriverConn.Doer).
func (t *transport) doer(op string) *operationDoer {
	d := &operationDoer{t: t, op: op}
	if t.limits != nil && t.limiter != nil {
		d.limits = t.limits(op)
	}
	return d
}

func (d *operationDoer) Do(req *http.Request) (*http.Response, error) {
	return d.t.do(req, d.op, d.limits)
}

func (t *transport) do(req *http.Request, op string, limits []Limit) (*http.Response, error) {
	ctx := req.Context()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	req.Header["User-Agent"] = userAgent[:1:1]
	state := callStateFrom(ctx)
	state.operation = op
	if req.URL.Scheme != "https" && !(req.URL.Scheme == "http" && loopback.Is(req.URL.Hostname())) {
		return nil, &Error{Operation: op, Code: InvalidArgument,
			Message: fmt.Sprintf("refusing to send credentials over %s to %s", req.URL.Scheme, req.URL.Hostname())}
	}
	if t.host != "" && !strings.EqualFold(req.URL.Host, t.host) {
		return nil, &Error{Operation: op, Code: Internal,
			Message: fmt.Sprintf("refusing to send credentials to %s; they go only to the base URL's host %s", req.URL.Host, t.host)}
	}
	if state.config.dryRun && req.Method != http.MethodGet {
		return nil, &Error{Operation: op, Code: Internal,
			Message: fmt.Sprintf("dry run: refusing to send %s %s; nothing was written", req.Method, req.URL.Path)}
	}
	for _, h := range t.header {
		req.Header[h.name] = h.values
	}
	for retry := 0; ; retry++ {
		if len(limits) > 0 {
			var waitStarted time.Time
			timing := t.tel.timingWaits(ctx)
			if timing {
				waitStarted = time.Now()
			}
			err := t.limiter.Wait(ctx, limits)
			if timing {
				t.tel.waited(ctx, op, time.Since(waitStarted))
			}
			if err != nil {
				if ctxErr := ctx.Err(); ctxErr != nil {
					return nil, ctxErr
				}
				var limiterErr *Error
				if errors.As(err, &limiterErr) {
					// The limiter's own failure (a shared store that is
					// down): its code and retryability stand.
					copied := *limiterErr
					copied.Operation = op
					return nil, &copied
				}
				return nil, &Error{Operation: op, Code: ResourceExhausted, Err: err,
					Message: "the vendor's rate limit would hold this request past the deadline; nothing was sent"}
			}
		}
		attemptReq, err := rewind(ctx, req, retry, op)
		if err != nil {
			return nil, err
		}
		resp, err := t.attempt(attemptReq, state, op)
		wait, again := t.retryDecision(req, resp, err, limits, state.config)
		if !again || retry >= state.config.maxRetries {
			return resp, err
		}
		t.tel.retried(ctx, op, state.status, err)
		if wait == 0 {
			wait = backoff(retry+1, state.config.minBackoff, state.config.maxBackoff)
		}
		if sleepErr := sleep(ctx, wait); sleepErr != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, ctxErr
			}
			return resp, err // no time left to retry: report the last answer
		}
	}
}

// rewind returns the request for attempt number retry+1, under ctx, the
// call's context (req's own is the last attempt's): req itself the first
// time, then a copy with a fresh copy of the body.
func rewind(ctx context.Context, req *http.Request, retry int, op string) (*http.Request, error) {
	if retry == 0 {
		return req, nil
	}
	if req.Body == nil || req.Body == http.NoBody {
		return req.Clone(ctx), nil
	}
	if req.GetBody == nil {
		return nil, &Error{Operation: op, Code: Internal, Message: "cannot retry: the request body cannot be replayed"}
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	r := req.Clone(ctx)
	r.Body = body
	return r, nil
}

// retryDecision says whether the outcome of an attempt may be retried,
// and the wait the vendor asked for (0: use the backoff).
func (t *transport) retryDecision(req *http.Request, resp *http.Response, err error, limits []Limit, cfg callConfig) (time.Duration, bool) {
	if err != nil {
		var e *Error
		return 0, errors.As(err, &e) && e.Retryable
	}
	if !retrypolicy.RetryableStatus(resp.StatusCode, retrypolicy.Idempotent(req.Method)) {
		return 0, false
	}
	wait, ok := retryAfter(resp.Header, time.Now())
	if resp.StatusCode == http.StatusTooManyRequests && t.limiter != nil && len(limits) > 0 {
		t.limiter.Throttled(limits, wait)
	}
	if !ok {
		return 0, true
	}
	return max(min(wait, pacing.MaxRetryAfter), cfg.minBackoff), true
}

// attempt makes one HTTP attempt under the attempt timeout and returns the
// response with its body read, or a classified error.
func (t *transport) attempt(req *http.Request, state *callState, op string) (*http.Response, error) {
	ctx := req.Context()
	spanCtx, span := t.tel.startAttempt(ctx, req, op, state.attempts+1)
	attemptCtx, cancel := context.WithTimeout(spanCtx, state.config.attemptTimeout)
	defer cancel()
	// The attempt's context goes on req itself, by copying the whole
	// request into it (the only way to change a request's context)
	// rather than sending a copy: one allocation less on every update.
	// req is this attempt's own (the generated builder made it for this
	// call, or rewind for this retry) and nothing reads it concurrently
	// before it is sent; rewind starts retries from the call's context.
	*req = *req.WithContext(attemptCtx)
	started := time.Now()
	state.attempts++
	state.status = 0
	resp, err := t.next.Do(req)
	if err != nil {
		t.logAttempt(ctx, req, op, state.attempts, 0, started, err)
		err = t.networkError(ctx, attemptCtx, req, op, err)
		t.tel.endAttempt(ctx, span, req, op, 0, started, err)
		if state.config.observe != nil {
			t.observe(state, op, 0, started, err)
		}
		return nil, err
	}
	body, readErr := readCapped(resp.Body, resp.ContentLength)
	_ = resp.Body.Close() // read already: readErr is what counts
	state.requestID = requestID(resp.Header)
	state.status = resp.StatusCode
	t.logAttempt(ctx, req, op, state.attempts, resp.StatusCode, started, readErr)
	if readErr != nil {
		e := t.networkError(ctx, attemptCtx, req, op, readErr)
		t.tel.endAttempt(ctx, span, req, op, resp.StatusCode, started, e)
		if ae := (*Error)(nil); errors.As(e, &ae) {
			ae.HTTPStatus = resp.StatusCode
			ae.RequestID = state.requestID
		}
		if state.config.observe != nil {
			t.observe(state, op, resp.StatusCode, started, e)
		}
		return nil, e
	}
	t.tel.endAttempt(ctx, span, req, op, resp.StatusCode, started, nil)
	if state.config.observe != nil {
		t.observe(state, op, resp.StatusCode, started, nil)
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return nil, &Error{Operation: op, Code: FailedPrecondition, Config: true, HTTPStatus: resp.StatusCode,
			RequestID: state.requestID, Body: string(body),
			Message: fmt.Sprintf("the vendor redirected to %q; redirects are not followed so credentials stay with the configured host (check the base URL)",
				resp.Header.Get("Location"))}
	}
	resp.Body = newReadBody(body)
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// observe tells the call's attempt observers (WithAttemptObserver) how
// the attempt that started at started ended: err is nil when the vendor
// answered, else what the attempt fails with. An *Error is handed over as
// a scrubbed copy carrying the vendor, so an observer that keeps it
// shares nothing with what Update returns.
func (t *transport) observe(state *callState, op string, status int, started time.Time, err error) {
	a := Attempt{Operation: op, Number: state.attempts, Status: status, Err: err, Duration: time.Since(started)}
	var e *Error
	if errors.As(err, &e) {
		scrubbed := *e
		scrubbed.Vendor, scrubbed.Attempts = t.vendor, state.attempts
		t.scrub.scrubError(&scrubbed)
		a.Err = &scrubbed
	}
	state.config.observe(a)
}

// requestIDHeaders are the headers vendors and their proxies use for a
// request id, most specific first, in canonical form
// (TestRequestIDHeadersAreCanonical).
var requestIDHeaders = []string{"X-Request-Id", "Request-Id", "X-Correlation-Id", "X-Amzn-Requestid", "Cf-Ray"}

// requestID is the vendor's request id in h, or "".
func requestID(h http.Header) string {
	for _, name := range requestIDHeaders {
		// The names are canonical: looked up as they are, without
		// Header.Get canonicalising each one on every answer.
		if v := h[name]; len(v) > 0 && v[0] != "" {
			return v[0]
		}
	}
	return ""
}

// readBody is a response body the transport has read whole: drivers get
// its bytes from ReadBody without a copy, and anything else can still
// read it as a stream.
type readBody struct {
	r bytes.Reader
	b []byte
}

func newReadBody(b []byte) *readBody {
	rb := &readBody{b: b}
	rb.r.Reset(b)
	return rb
}

func (rb *readBody) Read(p []byte) (int, error) { return rb.r.Read(p) }
func (rb *readBody) Close() error               { return nil }

// Bytes returns what has not been read yet, without copying.
func (rb *readBody) Bytes() []byte { return rb.b[len(rb.b)-rb.r.Len():] }

// networkError classifies a failure to get a whole response. The caller's
// own cancellation is returned as the context error. A broken connection
// or an expired attempt timeout is retryable when the request is
// idempotent, or when the connection was never made: only then can a
// retry not apply a change twice.
func (t *transport) networkError(ctx, attemptCtx context.Context, req *http.Request, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	e := &Error{Operation: op, Code: Unavailable, Err: err, Retryable: retrypolicy.Idempotent(req.Method) || neverConnected(err)}
	switch {
	case errors.Is(err, errBodyTooLarge):
		e.Code, e.Retryable = Internal, false
	case attemptCtx.Err() != nil:
		e.Code = DeadlineExceeded
		e.Message = "no complete answer within the attempt timeout"
	}
	return e
}

// neverConnected reports whether err happened before a connection existed,
// so the vendor cannot have seen the request.
func neverConnected(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

var errBodyTooLarge = fmt.Errorf("response body larger than %d bytes", maxResponseBytes)

func readCapped(r io.Reader, contentLength int64) ([]byte, error) {
	if contentLength >= 0 && contentLength <= maxResponseBytes {
		// One allocation of the announced size (and one byte more)
		// first, then a check that the body ends there, reading into the
		// spare byte (a separate one would escape to the heap).
		body := make([]byte, contentLength, contentLength+1)
		if _, err := io.ReadFull(r, body); err != nil {
			return nil, err
		}
		if n, _ := r.Read(body[contentLength : contentLength+1]); n == 0 {
			return body, nil
		}
		body = body[:contentLength+1]
		rest, err := readCapped(r, -1)
		if err != nil {
			return nil, err
		}
		if body = append(body, rest...); len(body) > maxResponseBytes {
			return nil, errBodyTooLarge
		}
		return body, nil
	}
	body, err := io.ReadAll(io.LimitReader(r, maxResponseBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxResponseBytes {
		return nil, errBodyTooLarge
	}
	return body, nil
}

func (t *transport) logAttempt(ctx context.Context, req *http.Request, op string, attempt, status int, started time.Time, err error) {
	if t.logger == nil || !t.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("vendor", t.vendor), slog.String("operation", op),
		slog.String("method", req.Method), slog.String("path", req.URL.Path),
		slog.Int("attempt", attempt), slog.Int("status", status),
		slog.Duration("elapsed", time.Since(started)),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", t.scrub.scrub(err.Error())))
	}
	t.logger.LogAttrs(ctx, slog.LevelDebug, "custsync attempt", attrs...)
}
