package bulk

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/syncstate"
)

// Defaults of a run.
const (
	defaultConcurrency    = 4
	defaultRecordAttempts = 5
	// defaultHaltAfter is how many records in a row may fail retryably
	// before a run stops starting new ones: the vendor is down, and a
	// nightly batch should say so within minutes, not crawl for days.
	defaultHaltAfter = 50
	// defaultUnreachableAfter is how long a vendor may be unreachable at
	// all (refused, no such host, TLS failing) before a run halts.
	defaultUnreachableAfter = 20 * time.Second
	// defaultSilentAfter is how long no record in flight may get an
	// answer before a run halts: longer than an attempt's timeout, so a
	// slow answer is not taken for none, but minutes, not hours.
	defaultSilentAfter = 2 * time.Minute
	// defaultSetupFaults is how many records in a row may fail with a
	// configuration error (a refused key, a wrong base URL) before a run
	// halts: enough that one record's own fault is not taken for the
	// setup's, few enough that a wrong key locks no account.
	defaultSetupFaults = 3
	// defaultRecordPause is the first pause before a record whose call
	// failed retryably is tried again; it doubles with each further call.
	defaultRecordPause = 2 * time.Second
	// maxConcurrency bounds WithConcurrency: each worker holds a
	// goroutine, a connection and up to 64 parked records, and no
	// vendor's rate limit is anywhere near needing more.
	maxConcurrency = 1024
)

// config is a run's settings, as its options leave them.
type config struct {
	concurrency      int
	recordAttempts   int
	recordPause      time.Duration
	haltAfter        int
	setupFaults      int
	unreachableAfter time.Duration
	silentAfter      time.Duration
	stop             context.Context
	callOptions      []adapter.CallOption
	dryRun           bool
	// plan: sends nothing at all, not even a dry run's reads; a record
	// whose turn comes is reported as one the run would send (Plan).
	plan bool

	store        syncstate.Store
	refreshAfter time.Duration
	force        bool
	now          func() time.Time

	failures *FailuresFile
	observe  []func(Outcome)

	tracerProvider trace.TracerProvider
	meterProvider  metric.MeterProvider

	unordered bool // benchmarks only: the run as it was before per-customer order
}

// Option configures a run. An option given a value outside its documented
// range makes Run and Updates return an InvalidArgument *adapter.Error
// naming the option and the value, before anything is read or sent.
type Option func(*config) error

func invalidOption(call, problem string, args ...any) *adapter.Error {
	return &adapter.Error{Code: adapter.InvalidArgument, Message: call + ": " + fmt.Sprintf(problem, args...)}
}

// WithConcurrency bounds the records in flight, from 1 to 1024 (default
// 4). The vendor's rate limit still paces them.
func WithConcurrency(n int) Option {
	return func(c *config) error {
		if n < 1 || n > maxConcurrency {
			return invalidOption(fmt.Sprintf("WithConcurrency(%d)", n), "must be from 1 to %d", maxConcurrency)
		}
		c.concurrency = n
		return nil
	}
}

// WithRecordAttempts sets how many Update calls a record may take in all:
// a record whose update failed with a retryable error (after the client's
// own retries) is tried again as a whole, with growing pauses, until it has
// had n calls; 1 disables it. n must be at least 1. Default 5.
func WithRecordAttempts(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return invalidOption(fmt.Sprintf("WithRecordAttempts(%d)", n), "must be at least 1 (1 tries each record once)")
		}
		c.recordAttempts = n
		return nil
	}
}

// WithRecordPause sets the first pause before a record is tried again
// (default 2s, doubling). 0 tries it again at once (the client's own
// retries still back off); a negative d is refused.
func WithRecordPause(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return invalidOption(fmt.Sprintf("WithRecordPause(%v)", d), "must be 0 or more")
		}
		c.recordPause = d
		return nil
	}
}

// WithHaltAfter stops a run from starting new records once n records in a
// row have failed with retryable errors (after all their attempts); the
// rest are reported as not sent, with an Unavailable *adapter.Error
// wrapping a *Halt that says why. A success or a non-retryable failure
// (the vendor answered) resets the count. 0 never halts this way
// (WithUnreachableAfter still applies); a negative n is refused. Default 50.
func WithHaltAfter(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return invalidOption(fmt.Sprintf("WithHaltAfter(%d)", n), "must be 0 (never halt on a streak) or more")
		}
		c.haltAfter = n
		return nil
	}
}

// WithSetupCheck makes a run try its setup before it sends at full
// concurrency, and halt on a wrong one after n records. Until the vendor
// has answered a record with anything but a configuration error (it took
// the update, refused it for the record's own sake, such as a customer it
// does not have, or even throttled or failed it after every retry), the
// run sends one record at a time. It halts once n records in a row failed
// with a configuration error (an *adapter.Error with Config set:
// credentials refused, no endpoint at the base URL; records the vendor
// throttled or failed neither count nor break the row), or, before the
// vendor answered at all, once n attempts in a row could not reach it
// (refused, no such host, TLS failing). The rest are reported as not
// sent, wrapping a *Halt that says why. A wrong key or base URL thus
// costs n requests, not one per record, and a mistyped host a few
// seconds, not WithUnreachableAfter. 0 turns the check off (the run
// starts at full concurrency); a negative n is refused. Default 3.
func WithSetupCheck(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return invalidOption(fmt.Sprintf("WithSetupCheck(%d)", n), "must be 0 (no check) or more")
		}
		c.setupFaults = n
		return nil
	}
}

// WithUnreachableAfter halts a run once the vendor could not be reached
// at all for d: every attempt since the first that failed that way was
// refused, found no host, or failed TLS, and none was answered (any HTTP
// status is an answer). Records in flight are then cut short, since none
// of them can reach the vendor, and the rest are reported as not sent,
// wrapping a *Halt that says why. 0 turns it off; a negative d is
// refused. Default 20s: with the client's default retries, a run against
// a closed port ends within half a minute.
func WithUnreachableAfter(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return invalidOption(fmt.Sprintf("WithUnreachableAfter(%v)", d), "must be 0 (never halt on it) or more")
		}
		c.unreachableAfter = d
		return nil
	}
}

// WithSilentAfter halts a run once records have been in flight for d
// without the vendor answering any of them: it accepts connections but
// never answers, or trickles its answers. Records in flight are then cut
// short and the rest reported as not sent, wrapping a *Halt that says
// why. Any answer (any HTTP status) restarts the clock. 0 turns it off; a
// negative d is refused. Default 2 minutes.
func WithSilentAfter(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return invalidOption(fmt.Sprintf("WithSilentAfter(%v)", d), "must be 0 (never halt on it) or more")
		}
		c.silentAfter = d
		return nil
	}
}

// WithStop lets a run be wound down gently: once stop is done, no new
// record is started and records waiting to be tried again are not, but
// records in flight finish (cancel the run's ctx to abort those too).
// Every record not sent is reported NotSent with stop's cause
// (context.Cause) as its error, so a caller says why by canceling stop
// with a cause. A deadline for starting records is a stop context with a
// deadline. nil is refused (leave the option out for a run that stops
// only with ctx).
func WithStop(stop context.Context) Option {
	return func(c *config) error {
		if stop == nil {
			return invalidOption("WithStop(nil)", "no context given; leave the option out for a run that stops only with ctx")
		}
		c.stop = stop
		return nil
	}
}

// WithCallOptions applies options to every Update call of the run. They
// are checked once when the run starts (adapter.CheckCallOptions): one
// that refuses its value fails the run before anything is sent.
// adapter.WithDryRun among them makes the run a dry run: with a state
// store, it reads the store and writes nothing to it.
func WithCallOptions(opts ...adapter.CallOption) Option {
	return func(c *config) error {
		if err := adapter.CheckCallOptions(opts...); err != nil {
			var e *adapter.Error
			if errors.As(err, &e) {
				inner := *e // an option's own error: say where it was given
				inner.Message = "WithCallOptions: " + strings.TrimPrefix(e.Message, "CheckCallOptions: ")
				return &inner
			}
			return err
		}
		c.callOptions = append(c.callOptions, opts...)
		return nil
	}
}

// WithDryRun makes the run a dry run: every update is sent with
// adapter.WithDryRun (no write reaches the vendor; Billbee still reads),
// and a state store is read, never written.
func WithDryRun(dryRun bool) Option {
	return func(c *config) error {
		c.dryRun = dryRun
		return nil
	}
}

// WithState makes the run incremental: store remembers what the vendor
// confirmed for each customer, and a customer whose records are all
// unchanged since then is not sent again (see the package doc,
// "Incremental sync"). nil is refused.
func WithState(store syncstate.Store) Option {
	return func(c *config) error {
		if isNil(store) {
			return invalidOption("WithState(nil)", "no store given; leave the option out for a run that sends everything")
		}
		c.store = store
		return nil
	}
}

// WithRefreshAfter makes a run with a state store send again a customer
// last confirmed longer than d ago even when its records are unchanged, to
// heal changes made at the vendor's side. 0 (the default) never
// refreshes; a negative d is refused.
func WithRefreshAfter(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return invalidOption(fmt.Sprintf("WithRefreshAfter(%v)", d), "must be 0 (never refresh) or more")
		}
		c.refreshAfter = d
		return nil
	}
}

// WithForce makes a run with a state store send every record whatever
// the store holds, and still record what the vendor confirmed.
func WithForce(force bool) Option {
	return func(c *config) error { c.force = force; return nil }
}

// WithFailures has Run write every record that fails or is not sent to f,
// as it happens, in the input's own format (Reader.AppendFailure). The
// caller closes f after Run, which says where the failures are. Should a
// write fail, the run sends no more records (they are reported NotSent
// with ErrFailuresUnwritable) and Report.FailuresErr says why. Only Run
// takes it; nil is refused.
func WithFailures(f *FailuresFile) Option {
	return func(c *config) error {
		if f == nil {
			return invalidOption("WithFailures(nil)", "no failures file given; leave the option out to keep failures only in the report")
		}
		c.failures = f
		return nil
	}
}

// WithObserver has the run call observe with every Outcome, one at a
// time, in the order the run reports them (each customer's in input
// order): for progress displays and metrics. Run calls it after the
// outcome is in the failures file (or held to be written with others,
// for a record its rest file names: see [FailuresFile]). observe must not
// block for long: the run waits for it. nil is refused.
func WithObserver(observe func(Outcome)) Option {
	return func(c *config) error {
		if observe == nil {
			return invalidOption("WithObserver(nil)", "no function given")
		}
		c.observe = append(c.observe, observe)
		return nil
	}
}

// newConfig applies opts over the defaults; the first option that
// refuses its value (or a nil option) is the error.
func newConfig(where string, opts []Option) (config, error) {
	cfg := config{concurrency: defaultConcurrency, recordAttempts: defaultRecordAttempts,
		recordPause: defaultRecordPause, haltAfter: defaultHaltAfter, setupFaults: defaultSetupFaults, unreachableAfter: defaultUnreachableAfter,
		silentAfter: defaultSilentAfter,
		now:         time.Now}
	for i, o := range opts {
		if o == nil {
			return cfg, &adapter.Error{Code: adapter.InvalidArgument, Message: fmt.Sprintf("%s: option %d of the list is nil", where, i+1)}
		}
		if err := o(&cfg); err != nil {
			return cfg, err
		}
	}
	if cfg.dryRun {
		cfg.callOptions = append(cfg.callOptions, adapter.WithDryRun(true))
	}
	if cfg.store == nil && (cfg.refreshAfter > 0 || cfg.force) {
		return cfg, &adapter.Error{Code: adapter.InvalidArgument, Message: where + ": WithRefreshAfter and WithForce need a state store (WithState)"}
	}
	return cfg, nil
}

// isNil reports whether v is nil or an interface holding a nil pointer,
// which would panic on first use instead of failing here.
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
