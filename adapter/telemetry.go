package adapter

import (
	"context"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/custsync/custsync/internal/buildinfo"
)

// InstrumentationName names the tracer and meter of package adapter: the
// instrumentation scope of the spans and metrics a Client emits.
const InstrumentationName = "github.com/custsync/custsync/adapter"

// Attribute keys of the spans and metrics a Client emits, beyond the
// HTTP semantic conventions. None carries a credential, a record's key or
// any value of a customer's.
const (
	attrVendor    = attribute.Key("custsync.vendor")
	attrOperation = attribute.Key("custsync.operation") // "update", "check", or the spec operation of an attempt
	attrOutcome   = attribute.Key("custsync.outcome")
	attrAttempts  = attribute.Key("custsync.attempts")
	attrErrorType = attribute.Key("error.type")
	attrMethod    = attribute.Key("http.request.method")
	attrStatus    = attribute.Key("http.response.status_code")
	attrResend    = attribute.Key("http.request.resend_count")
	attrServer    = attribute.Key("server.address")
	attrPort      = attribute.Key("server.port")
	attrScheme    = attribute.Key("url.scheme")
	attrWait      = attribute.Key("custsync.rate_limit.wait")
)

// Outcomes of an update, as the custsync.outcome attribute names them.
const (
	outcomeSent      = "sent"
	outcomeUnchanged = "unchanged"
	outcomeDryRun    = "dry_run"
	outcomeFailed    = "failed"
	outcomeInvalid   = "invalid" // refused before anything was sent
)

// WithTracerProvider sets where the Client's spans go: one span per
// Update or Check, and one child span per HTTP attempt. Default: the
// global provider (otel.GetTracerProvider), which records nothing until
// a program installs one. nil is refused: leave the option out for the
// global provider.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return clientOption(func(c *clientConfig) error {
		if isNil(tp) {
			return invalidOption("WithTracerProvider(nil)", "no provider given; leave the option out for the global provider")
		}
		c.tracerProvider = tp
		return nil
	})
}

// WithMeterProvider sets where the Client's metrics go (see the package
// doc's Telemetry section). Default: the global provider
// (otel.GetMeterProvider), which records nothing until a program
// installs one. nil is refused: leave the option out for the global
// provider.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return clientOption(func(c *clientConfig) error {
		if isNil(mp) {
			return invalidOption("WithMeterProvider(nil)", "no provider given; leave the option out for the global provider")
		}
		c.meterProvider = mp
		return nil
	})
}

// telemetry is a Client's tracer and instruments.
type telemetry struct {
	// tracer is WithTracerProvider's; nil for the global provider,
	// whose tracer is looked up on each call (see currentTracer).
	tracer  trace.Tracer
	global  atomic.Pointer[providerTracer]
	version string
	// ownMeter is set by WithMeterProvider; without it the instruments are
	// the global provider's, measured only once one is installed.
	ownMeter bool
	// placeholderTP and placeholderMP are the global placeholders when
	// the Client was built (nil if a provider was installed already):
	// while otel's global functions still return them, one comparison
	// says there is nothing to record.
	placeholderTP trace.TracerProvider
	placeholderMP metric.MeterProvider
	vendor        attribute.KeyValue
	server        []attribute.KeyValue // server.address, server.port and url.scheme of the base URL
	updates       metric.Int64Counter
	duration      metric.Float64Histogram
	retries       metric.Int64Counter
	throttle      metric.Int64Counter
	wait          metric.Float64Histogram
	// callStart and attemptStart are the options of every call's and
	// attempt's span, made once.
	callStart, attemptStart []trace.SpanStartOption
	// sets caches the measurement options of each attribute set by what
	// the set is made of: building and sorting one on every update would
	// cost more than the measurement.
	mu   sync.RWMutex
	sets map[setKey]measurement
}

// measurement is one attribute set as the instruments take it.
type measurement struct {
	add    []metric.AddOption
	record []metric.RecordOption
}

// setKey identifies a cached attribute set.
type setKey struct {
	kind      byte // 'u' update, 'd' duration, 'r' retry, 't' throttle, 'w' wait
	operation string
	outcome   string
	method    string
	status    int
	errType   string
}

// Durations are histograms in seconds, with the bucket boundaries the
// HTTP semantic conventions advise for http.client.request.duration.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

func newTelemetry(cfg clientConfig, vendor, baseURLHost, scheme string) *telemetry {
	mp := cfg.meterProvider
	ownMeter := mp != nil
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	version := buildinfo.Read().Version
	t := &telemetry{
		version:      version,
		vendor:       attrVendor.String(vendor),
		callStart:    []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindInternal)},
		attemptStart: []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient)},
		sets:         map[setKey]measurement{},
		ownMeter:     ownMeter,
	}
	if tp := otel.GetTracerProvider(); isPlaceholder(tp) {
		t.placeholderTP = tp
	}
	if global := otel.GetMeterProvider(); isPlaceholder(global) {
		t.placeholderMP = global
	}
	host, port := baseURLHost, ""
	if h, p, err := net.SplitHostPort(baseURLHost); err == nil {
		host, port = h, p
	}
	if port == "" {
		port = "443"
		if scheme == "http" {
			port = "80"
		}
	}
	n, _ := strconv.Atoi(port)
	t.server = []attribute.KeyValue{attrServer.String(host), attrPort.Int(n), attrScheme.String(scheme)}

	if cfg.tracerProvider != nil {
		t.tracer = cfg.tracerProvider.Tracer(InstrumentationName, trace.WithInstrumentationVersion(version))
	}
	m := mp.Meter(InstrumentationName, metric.WithInstrumentationVersion(version))
	// Instrument errors only come from invalid names and units, which are
	// constants here: the instruments returned are usable either way.
	t.updates, _ = m.Int64Counter("custsync.updates", metric.WithUnit("{update}"),
		metric.WithDescription("Updates and checks by vendor and outcome (sent, unchanged, dry_run, failed, invalid); failed ones by error.type, the portable error code."))
	t.duration, _ = m.Float64Histogram("http.client.request.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of HTTP client requests: one per attempt, retries included."),
		metric.WithExplicitBucketBoundaries(durationBuckets...))
	t.retries, _ = m.Int64Counter("custsync.retries", metric.WithUnit("{retry}"),
		metric.WithDescription("HTTP attempts that were retried, by the status (or error.type) that made them fail."))
	t.throttle, _ = m.Int64Counter("custsync.throttled", metric.WithUnit("{response}"),
		metric.WithDescription("Answers by which the vendor throttled the client (429 Too Many Requests)."))
	t.wait, _ = m.Float64Histogram("custsync.rate_limit.wait.duration", metric.WithUnit("s"),
		metric.WithDescription("Time requests waited for the client's rate limiter before they were sent."),
		metric.WithExplicitBucketBoundaries(durationBuckets...))
	return t
}

// set returns the measurement options of the attribute set k stands
// for, built once.
func (t *telemetry) set(k setKey) measurement {
	t.mu.RLock()
	m, ok := t.sets[k]
	t.mu.RUnlock()
	if ok {
		return m
	}
	kv := []attribute.KeyValue{t.vendor}
	if k.operation != "" {
		kv = append(kv, attrOperation.String(k.operation))
	}
	if k.outcome != "" {
		kv = append(kv, attrOutcome.String(k.outcome))
	}
	if k.method != "" {
		kv = append(kv, attrMethod.String(k.method))
		kv = append(kv, t.server...)
	}
	if k.status != 0 {
		kv = append(kv, attrStatus.Int(k.status))
	}
	if k.errType != "" {
		kv = append(kv, attrErrorType.String(k.errType))
	}
	opt := metric.WithAttributeSet(attribute.NewSet(kv...))
	m = measurement{add: []metric.AddOption{opt}, record: []metric.RecordOption{opt}}
	t.mu.Lock()
	t.sets[k] = m
	t.mu.Unlock()
	return m
}

// providerTracer is the tracer of a global tracer provider: nil while
// the global provider is OpenTelemetry's placeholder, which records
// nothing.
type providerTracer struct {
	tp     trace.TracerProvider
	tracer trace.Tracer
}

// globalPlaceholder is the package of the provider otel.GetTracerProvider
// returns before a program installs one.
const globalPlaceholder = "go.opentelemetry.io/otel/internal/global"

// currentTracer returns the tracer to start spans with, nil when there
// is none that records. A Client of the global provider asks for it on
// every call rather than once, as gocloud does: a program may install its
// provider after building its clients. Until one is installed no span is
// started at all, so an uninstrumented program pays for no span and no
// context of one on any update.
func (t *telemetry) currentTracer() trace.Tracer {
	if t.tracer != nil {
		return t.tracer
	}
	tp := otel.GetTracerProvider()
	if tp == t.placeholderTP || isPlaceholder(tp) {
		return nil
	}
	typ := reflect.TypeOf(tp)
	if c := t.global.Load(); c != nil && typ.Comparable() && any(c.tp) == any(tp) {
		return c.tracer
	}
	c := &providerTracer{tp: tp, tracer: tp.Tracer(InstrumentationName, trace.WithInstrumentationVersion(t.version))}
	if typ.Comparable() {
		t.global.Store(c)
	}
	return c.tracer
}

// isPlaceholder reports whether provider is the one otel's global
// functions return before a program installs its own.
func isPlaceholder(provider any) bool {
	typ := reflect.TypeOf(provider)
	return typ == nil || typ.Kind() == reflect.Pointer && typ.Elem().PkgPath() == globalPlaceholder
}

// measuring reports whether measurements go anywhere: the instruments of
// the global placeholder forward to a provider installed later, and until
// then the attribute sets need not even be looked up.
func (t *telemetry) measuring() bool {
	if t.ownMeter {
		return true
	}
	// The placeholder is a pointer, so the comparison cannot panic.
	mp := otel.GetMeterProvider()
	return mp != t.placeholderMP && !isPlaceholder(mp)
}

// spanNames names the span of each kind of call.
var spanNames = map[string]string{"update": "custsync.update", "check": "custsync.check"}

// startCall starts the span of an Update or Check. The returned context
// carries the span only when there is one to carry (an SDK is installed):
// without one, the call's context stays as it was.
func (t *telemetry) startCall(ctx context.Context, operation string) (context.Context, trace.Span) {
	tracer := t.currentTracer()
	if tracer == nil {
		return ctx, nil
	}
	spanCtx, span := tracer.Start(ctx, spanNames[operation], t.callStart...)
	if !span.SpanContext().IsValid() {
		return ctx, span
	}
	if span.IsRecording() {
		span.SetAttributes(t.vendor, attrOperation.String(operation))
	}
	return spanCtx, span
}

// endCall ends the span of a call and counts the call. invalid says it
// was refused before anything could be sent.
func (t *telemetry) endCall(ctx context.Context, span trace.Span, operation string, state *callState, res *Result, err error) {
	outcome, errType := outcomeSent, ""
	switch {
	case err != nil && state == nil:
		outcome, errType = outcomeInvalid, errorType(err)
	case err != nil:
		outcome, errType = outcomeFailed, errorType(err)
	case res != nil && res.DryRun != nil:
		outcome = outcomeDryRun
	case res != nil && res.Unchanged:
		outcome = outcomeUnchanged
	}
	if t.measuring() {
		t.updates.Add(ctx, 1, t.set(setKey{kind: 'u', operation: operation, outcome: outcome, errType: errType}).add...)
	}
	if span == nil {
		return
	}
	if !span.IsRecording() {
		span.End()
		return
	}
	attrs := make([]attribute.KeyValue, 0, 4)
	attrs = append(attrs, attrOutcome.String(outcome))
	if state != nil {
		attrs = append(attrs, attrAttempts.Int(state.attempts))
		if state.status != 0 {
			attrs = append(attrs, attrStatus.Int(state.status))
		}
	}
	if errType != "" {
		attrs = append(attrs, attrErrorType.String(errType))
		// The code, never the message: a message may quote a value of
		// the customer's.
		span.SetStatus(codes.Error, errType)
	}
	span.SetAttributes(attrs...)
	span.End()
}

// errorType is the error.type of err: its portable code's name
// (Canceled and DeadlineExceeded for context errors). Never the message.
func errorType(err error) string {
	if err == nil {
		return ""
	}
	return CodeOf(err).String()
}

// startAttempt starts the span of one HTTP attempt, a child of the
// call's, named by its method as the HTTP semantic conventions say when
// no route template is known. The URL is not an attribute: its path
// carries the record's key.
func (t *telemetry) startAttempt(ctx context.Context, req *http.Request, op string, number int) (context.Context, trace.Span) {
	tracer := t.currentTracer()
	if tracer == nil || !trace.SpanContextFromContext(ctx).IsValid() {
		// No tracer, or no call span to be a child of: nothing records.
		return ctx, nil
	}
	attemptCtx, span := tracer.Start(ctx, req.Method, t.attemptStart...)
	if span.IsRecording() {
		attrs := make([]attribute.KeyValue, 0, 7)
		attrs = append(attrs, attrMethod.String(req.Method), attrOperation.String(op), t.vendor)
		attrs = append(attrs, t.server...)
		if number > 1 {
			attrs = append(attrs, attrResend.Int(number-1))
		}
		span.SetAttributes(attrs...)
	}
	return attemptCtx, span
}

// endAttempt ends an attempt's span and records its duration.
func (t *telemetry) endAttempt(ctx context.Context, span trace.Span, req *http.Request, op string, status int, started time.Time, err error) {
	measuring := t.measuring()
	if span == nil && !measuring {
		return
	}
	errType := ""
	switch {
	case err != nil:
		errType = errorType(err)
	case status >= 400:
		errType = strconv.Itoa(status)
	}
	if measuring {
		t.duration.Record(ctx, time.Since(started).Seconds(),
			t.set(setKey{kind: 'd', operation: op, method: req.Method, status: status, errType: errType}).record...)
		if status == http.StatusTooManyRequests {
			t.throttle.Add(ctx, 1, t.set(setKey{kind: 't', operation: op}).add...)
		}
	}
	if span == nil {
		return
	}
	if span.IsRecording() {
		if status != 0 {
			span.SetAttributes(attrStatus.Int(status))
		}
		if errType != "" {
			span.SetAttributes(attrErrorType.String(errType))
			span.SetStatus(codes.Error, errType)
		}
	}
	span.End()
}

// retried counts an attempt that is about to be tried again.
func (t *telemetry) retried(ctx context.Context, op string, status int, err error) {
	if !t.measuring() {
		return
	}
	errType := ""
	if err != nil {
		errType = errorType(err)
	}
	t.retries.Add(ctx, 1, t.set(setKey{kind: 'r', operation: op, status: status, errType: errType}).add...)
}

// timingWaits reports whether a wait for the rate limiter is worth
// timing: something measures it or records the call's span.
func (t *telemetry) timingWaits(ctx context.Context) bool {
	return t.measuring() || trace.SpanFromContext(ctx).IsRecording()
}

// waited records a wait for the rate limiter, as a metric and as an
// event on the call's span.
func (t *telemetry) waited(ctx context.Context, op string, d time.Duration) {
	if t.measuring() {
		t.wait.Record(ctx, d.Seconds(), t.set(setKey{kind: 'w', operation: op}).record...)
	}
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.AddEvent("custsync.rate_limit.wait", trace.WithAttributes(attrWait.Float64(d.Seconds()), attrOperation.String(op)))
	}
}
