package bulk

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/syncstate"
	"github.com/custsync/custsync/internal/buildinfo"
)

// InstrumentationName names the tracer and meter of package bulk.
const InstrumentationName = "github.com/custsync/custsync/adapter/bulk"

// WithTracerProvider sets where the run's span goes: one span per run,
// the parent of its records' update spans (an *adapter.Client's, with
// the client's own provider). Default: the global provider
// (otel.GetTracerProvider). nil is refused.
//
// A run of 100,000 records is a trace of 100,000 update spans and their
// attempts: with a parent-based sampler (the SDK's default), a sampled
// run records all of them and an unsampled one none, so sample runs, not
// updates, by the root (TraceIDRatioBased under ParentBased), or bound
// the spans a run exports in the SDK's batch span processor.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) error {
		if isNil(tp) {
			return invalidOption("WithTracerProvider(nil)", "no provider given; leave the option out for the global provider")
		}
		c.tracerProvider = tp
		return nil
	}
}

// WithMeterProvider sets where the run's metrics go: custsync.records
// (records by outcome), custsync.records.in_flight and
// custsync.state.duration (the state store's calls). Default: the global
// provider (otel.GetMeterProvider). nil is refused.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) error {
		if isNil(mp) {
			return invalidOption("WithMeterProvider(nil)", "no provider given; leave the option out for the global provider")
		}
		c.meterProvider = mp
		return nil
	}
}

// runTelemetry is a run's span and instruments.
type runTelemetry struct {
	span     trace.Span
	vendor   attribute.KeyValue
	records  metric.Int64Counter
	inFlight metric.Int64UpDownCounter
	state    metric.Float64Histogram
	// counts is the records by status, for the run span's attributes;
	// only deliver's goroutine writes it.
	counts [NotSent + 1]int
	// sets holds the measurement option of each attribute set, built
	// once: building one on every record would cost more than counting.
	mu     sync.RWMutex
	sets   map[setKey]measurement
	flight []metric.AddOption
	// ownMeter is set by WithMeterProvider; without it the instruments
	// are the global provider's, measured only once one is installed.
	ownMeter bool
}

// measuring reports whether measurements go anywhere: until a program
// installs a global meter provider, the attribute sets need not even be
// looked up.
func (t *runTelemetry) measuring() bool {
	if t.ownMeter {
		return true
	}
	typ := reflect.TypeOf(otel.GetMeterProvider())
	return typ != nil && (typ.Kind() != reflect.Pointer || typ.Elem().PkgPath() != "go.opentelemetry.io/otel/internal/global")
}

// measurement is one attribute set as the instruments take it.
type measurement struct {
	add    []metric.AddOption
	record []metric.RecordOption
}

type setKey struct {
	status  Status
	errType string
	op      string
}

var stateBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

// startRun starts a run's span under ctx and returns the context its
// updates run under.
func startRun(ctx context.Context, vendor string, cfg config) (context.Context, *runTelemetry) {
	tp, mp := cfg.tracerProvider, cfg.meterProvider
	ownMeter := mp != nil
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	version := buildinfo.Read().Version
	t := &runTelemetry{vendor: attribute.String("custsync.vendor", vendor), sets: map[setKey]measurement{}, ownMeter: ownMeter}
	t.flight = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(t.vendor))}
	ctx, t.span = tp.Tracer(InstrumentationName, trace.WithInstrumentationVersion(version)).
		Start(ctx, "custsync.run", trace.WithAttributes(t.vendor, attribute.Int("custsync.concurrency", cfg.concurrency),
			attribute.Bool("custsync.dry_run", cfg.dryRun), attribute.Bool("custsync.state", cfg.store != nil)))
	m := mp.Meter(InstrumentationName, metric.WithInstrumentationVersion(version))
	t.records, _ = m.Int64Counter("custsync.records", metric.WithUnit("{record}"),
		metric.WithDescription("Records of a run by custsync.outcome (succeeded, unchanged, failed, not_sent) and, for failed and not sent ones, error.type."))
	t.inFlight, _ = m.Int64UpDownCounter("custsync.records.in_flight", metric.WithUnit("{record}"),
		metric.WithDescription("Records whose calls are under way."))
	t.state, _ = m.Float64Histogram("custsync.state.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of the state store's calls, by custsync.state.operation (get, get_many, holds, put)."),
		metric.WithExplicitBucketBoundaries(stateBuckets...))
	return ctx, t
}

func (t *runTelemetry) set(k setKey) measurement {
	t.mu.RLock()
	m, ok := t.sets[k]
	t.mu.RUnlock()
	if ok {
		return m
	}
	var s attribute.Set
	if k.op != "" {
		s = attribute.NewSet(t.vendor, attribute.String("custsync.state.operation", k.op))
		if k.errType != "" {
			s = attribute.NewSet(t.vendor, attribute.String("custsync.state.operation", k.op), attribute.String("error.type", k.errType))
		}
	} else {
		kv := []attribute.KeyValue{t.vendor, attribute.String("custsync.outcome", strings.ReplaceAll(k.status.String(), " ", "_"))}
		if k.errType != "" {
			kv = append(kv, attribute.String("error.type", k.errType))
		}
		s = attribute.NewSet(kv...)
	}
	opt := metric.WithAttributeSet(s)
	m = measurement{add: []metric.AddOption{opt}, record: []metric.RecordOption{opt}}
	t.mu.Lock()
	t.sets[k] = m
	t.mu.Unlock()
	return m
}

// outcome counts one outcome the run reports.
func (t *runTelemetry) outcome(ctx context.Context, out Outcome) {
	if out.Status >= 0 && int(out.Status) < len(t.counts) {
		t.counts[out.Status]++
	}
	if !t.measuring() {
		return
	}
	k := setKey{status: out.Status}
	if out.Status == Failed || out.Status == NotSent {
		k.errType = adapter.CodeOf(out.Err).String()
	}
	t.records.Add(ctx, 1, t.set(k).add...)
}

// started counts a record in flight, and reports whether it did: only
// a record counted in is counted out (finished), so that a provider
// installed mid-run leaves the gauge at zero when the run ends.
func (t *runTelemetry) started(ctx context.Context) bool {
	if !t.measuring() {
		return false
	}
	t.inFlight.Add(ctx, 1, t.flight...)
	return true
}

func (t *runTelemetry) finished(ctx context.Context, counted bool) {
	if counted {
		t.inFlight.Add(ctx, -1, t.flight...)
	}
}

// end ends the run's span with its counts; halt, when not nil, is why
// the run stopped feeding records.
func (t *runTelemetry) end(halt error) {
	if t.span.IsRecording() {
		t.span.SetAttributes(
			attribute.Int("custsync.records.succeeded", t.counts[Succeeded]),
			attribute.Int("custsync.records.unchanged", t.counts[Unchanged]),
			attribute.Int("custsync.records.failed", t.counts[Failed]),
			attribute.Int("custsync.records.not_sent", t.counts[NotSent]))
		if halt != nil {
			code := adapter.CodeOf(halt).String()
			t.span.SetAttributes(attribute.String("error.type", code))
			t.span.SetStatus(codes.Error, code)
		}
	}
	t.span.End()
}

// timedStore is a state store whose calls are timed.
type timedStore struct {
	syncstate.Store
	t *runTelemetry
}

func (s timedStore) record(ctx context.Context, op string, started time.Time, err error) {
	if !s.t.measuring() {
		return
	}
	k := setKey{op: op}
	if err != nil {
		k.errType = adapter.CodeOf(err).String()
	}
	s.t.state.Record(ctx, time.Since(started).Seconds(), s.t.set(k).record...)
}

func (s timedStore) Get(ctx context.Context, k syncstate.Key) (syncstate.Record, bool, error) {
	started := time.Now()
	rec, found, err := s.Store.Get(ctx, k)
	s.record(ctx, "get", started, err)
	return rec, found, err
}

func (s timedStore) GetMany(ctx context.Context, keys []syncstate.Key) (map[syncstate.Key]syncstate.Record, error) {
	started := time.Now()
	recs, err := s.Store.GetMany(ctx, keys)
	s.record(ctx, "get_many", started, err)
	return recs, err
}

func (s timedStore) Holds(ctx context.Context, vendor, account string) (bool, error) {
	started := time.Now()
	held, err := s.Store.Holds(ctx, vendor, account)
	s.record(ctx, "holds", started, err)
	return held, err
}

func (s timedStore) Put(ctx context.Context, entries ...syncstate.Entry) error {
	started := time.Now()
	err := s.Store.Put(ctx, entries...)
	s.record(ctx, "put", started, err)
	return err
}
