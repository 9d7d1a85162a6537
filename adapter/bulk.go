package adapter

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"
)

// Outcome is what became of one update of a bulk run. Every update handed
// to UpdateAll comes back as exactly one Outcome: Err is nil and Result set
// on success; otherwise Err says why, and Update is the input as given.
type Outcome struct {
	Seq       int // position of the update in the input stream, from 0
	Update    *CustomerUpdate
	Result    *Result
	Err       error
	Attempted bool // false when nothing was sent: ctx ended first, or the input was refused
	// Calls is how many Update calls were made for this record (see
	// WithRecordAttempts); 0 when the run never started it: ctx or the
	// stop context ended first, or the run halted.
	Calls int
}

// Bulk defaults.
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
	// recordRetryPause is the first pause before a record whose call failed
	// retryably is tried again; it doubles with each further call.
	recordRetryPause = 2 * time.Second
)

type bulkConfig struct {
	concurrency      int
	recordAttempts   int
	recordPause      time.Duration
	haltAfter        int
	unreachableAfter time.Duration
	stop             context.Context
	callOptions      []CallOption
	keyOf            func(*CustomerUpdate) string
	unordered        bool // benchmarks only: the run as it was before per-key order
}

// BulkOption configures UpdateAll. An option given a value outside its
// documented range makes UpdateAll send nothing and yield every update as
// a failure carrying the InvalidArgument *Error that names the option and
// the value: a run never goes on with settings other than those given,
// and its failures file holds every record, to push again once fixed.
type BulkOption func(*bulkConfig) error

// maxConcurrency bounds WithConcurrency: each worker holds a goroutine, a
// connection and up to 64 parked updates, and no vendor's rate limit is
// anywhere near needing more.
const maxConcurrency = 1024

// WithConcurrency bounds the updates in flight, from 1 to 1024 (default
// 4). The vendor's rate limit still paces them.
func WithConcurrency(n int) BulkOption {
	return func(c *bulkConfig) error {
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
func WithRecordAttempts(n int) BulkOption {
	return func(c *bulkConfig) error {
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
func WithRecordPause(d time.Duration) BulkOption {
	return func(c *bulkConfig) error {
		if d < 0 {
			return invalidOption(fmt.Sprintf("WithRecordPause(%v)", d), "must be 0 or more")
		}
		c.recordPause = d
		return nil
	}
}

// WithHaltAfter stops a run from starting new records once n records in a
// row have failed with retryable errors (after all their attempts); the
// rest are reported as not sent, with an Unavailable *Error wrapping a
// *Halt that says why. A success or a non-retryable failure (the vendor
// answered) resets the count. 0 never halts this way (WithUnreachableAfter
// still applies); a negative n is refused. Default 50.
func WithHaltAfter(n int) BulkOption {
	return func(c *bulkConfig) error {
		if n < 0 {
			return invalidOption(fmt.Sprintf("WithHaltAfter(%d)", n), "must be 0 (never halt on a streak) or more")
		}
		c.haltAfter = n
		return nil
	}
}

// WithStop lets a run be wound down gently: once stop is done, no new
// record is started and records waiting to be tried again are not, but
// updates in flight finish (cancel the run's ctx to abort those too).
// Every record not sent is reported with Calls 0 and stop's cause
// (context.Cause) as its error. A deadline for starting records is a stop
// context with a deadline. The custsync command wires its first
// Ctrl-C to stop and its second to ctx. nil is refused (leave the option
// out for a run that stops only with ctx).
func WithStop(stop context.Context) BulkOption {
	return func(c *bulkConfig) error {
		if stop == nil {
			return invalidOption("WithStop(nil)", "no context given; leave the option out for a run that stops only with ctx")
		}
		c.stop = stop
		return nil
	}
}

// WithCallOptions applies options to every Update call of the run. Each
// is checked when the run starts: one that refuses its value fails the
// run as any BulkOption does, before anything is sent.
func WithCallOptions(opts ...CallOption) BulkOption {
	return func(c *bulkConfig) error {
		if _, err := defaultCallConfig().with("WithCallOptions", opts); err != nil {
			var e *Error
			if errors.As(err, &e) && !strings.HasPrefix(e.Message, "WithCallOptions: ") {
				inner := *e // an option's own error: say where it was given
				inner.Message = "WithCallOptions: " + e.Message
				return &inner
			}
			return err
		}
		c.callOptions = append(c.callOptions, opts...)
		return nil
	}
}

// WithUnreachableAfter halts a run once the vendor could not be reached
// at all for d: every attempt since the first that failed that way was
// refused, found no host, or failed TLS, and none was answered (any HTTP
// status is an answer). Updates in flight are then cut short, since none
// of them can reach the vendor, and the rest are reported as not sent,
// wrapping a *Halt that says why. 0 turns it off; a negative d is
// refused. Default 20s: with the client's default
// retries, a run against a closed port ends within half a minute.
func WithUnreachableAfter(d time.Duration) BulkOption {
	return func(c *bulkConfig) error {
		if d < 0 {
			return invalidOption(fmt.Sprintf("WithUnreachableAfter(%v)", d), "must be 0 (never halt on it) or more")
		}
		c.unreachableAfter = d
		return nil
	}
}

// newBulkConfig applies opts over the defaults for a run through u; the
// first option that refuses its value (or a nil option, or no Updater)
// is the error.
func newBulkConfig(u Updater, opts []BulkOption) (bulkConfig, error) {
	cfg := bulkConfig{concurrency: defaultConcurrency, recordAttempts: defaultRecordAttempts,
		recordPause: recordRetryPause, haltAfter: defaultHaltAfter, unreachableAfter: defaultUnreachableAfter}
	if isNil(u) {
		return cfg, &Error{Code: InvalidArgument, Message: "UpdateAll: no Updater given"}
	}
	cfg.keyOf = keyFunc(u)
	for i, o := range opts {
		if o == nil {
			return cfg, nilOption("UpdateAll", i)
		}
		if err := o(&cfg); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// UpdateAll sends a stream of updates through u with bounded concurrency
// and yields one Outcome per update.
//
// Updates for the same customer are never in flight together and are
// applied in input order, each one (record retries included) finished
// before the next starts; their outcomes are yielded in input order too.
// Once an update of a customer fails, the run sends none of that
// customer's later updates: each fails with FailedPrecondition (Calls 0,
// nothing sent), so that pushing the failures again, fixed, applies them
// in their order rather than the older one last.
// The customer is what the vendor keys its record by: when u has a method
// Key(*CustomerUpdate) string, as *Client does (Upwell: sourceSystem and
// id after defaults; BlueTape and Billbee: the id), that key, else the
// update's ID. While one customer waits, updates for others keep every
// worker busy; outcomes of different customers come in completion order.
//
// Memory stays flat however long the stream is: at most a few updates
// per worker are read ahead, and at most 64 per worker wait behind a
// customer in flight; when a customer repeats more often than that, the
// stream is read no further until one of its updates finishes.
//
// Every update comes back as exactly one Outcome. When ctx ends, updates
// in flight finish with ctx's error and every update not yet sent
// (including the rest of the stream, which is still read) is yielded with
// Calls 0 and ctx's error. The same holds when WithStop's context ends,
// after the updates in flight have finished, and when the run halts on
// its own (WithHaltAfter, WithUnreachableAfter): records not sent then
// fail with an Unavailable *Error wrapping a *Halt. Stopping the
// iteration early (break) cancels the run and waits for its goroutines.
//
// An invalid option (a value outside its range, a nil option or
// Updater) sends nothing: every update is still read, lazily, and
// yielded in input order as a failure carrying the InvalidArgument
// *Error that names the option and the value.
func UpdateAll(ctx context.Context, u Updater, updates iter.Seq[*CustomerUpdate], opts ...BulkOption) iter.Seq[Outcome] {
	if updates == nil {
		// Nothing to read, so nothing to report record by record: one
		// Outcome says so, on the caller's goroutine, instead of a panic on
		// the run's own where no recover could reach it.
		return func(yield func(Outcome) bool) {
			yield(Outcome{Err: invalidArgument("", "UpdateAll: no updates given (a nil sequence)")})
		}
	}
	cfg, err := newBulkConfig(u, opts)
	if err != nil {
		return refuseAll(u, updates, err)
	}
	return func(yield func(Outcome) bool) {
		if pool, ok := u.(interface{ ReserveConnections(int) func() }); ok {
			defer pool.ReserveConnections(cfg.concurrency)()
		}
		r := newBulkRun(ctx, u, cfg)
		defer r.cancel()
		go r.run(updates)
		r.deliver(yield)
	}
}

// refuseAll is the run of an UpdateAll whose options are invalid: it
// sends nothing and yields every update, read as lazily as a run reads
// them, as a failure carrying err, so that a failures file holds every
// line and can be pushed again once the options are fixed.
func refuseAll(u Updater, updates iter.Seq[*CustomerUpdate], err error) iter.Seq[Outcome] {
	vendor := vendorOf(u)
	return func(yield func(Outcome) bool) {
		seq := 0
		for update := range updates {
			if !yield(Outcome{Seq: seq, Update: update, Err: ownCopy(err, vendor)}) {
				return
			}
			seq++
		}
	}
}

// vendorOf names the vendor u updates, when it says (a *Client, or a
// *Syncer through its client).
func vendorOf(u Updater) string {
	if isNil(u) {
		return ""
	}
	switch u := u.(type) {
	case interface{ Vendor() string }:
		return u.Vendor()
	case interface{ Client() *Client }:
		if c := u.Client(); c != nil {
			return c.Vendor()
		}
	}
	return ""
}

// ownCopy gives each refused outcome its own *Error, stamped with the
// vendor, since a consumer may change the one it holds.
func ownCopy(err error, vendor string) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	own := *e
	own.Vendor = cmp.Or(own.Vendor, vendor)
	return &own
}

// keyFunc returns how a run keys the updates it sends through u.
func keyFunc(u Updater) func(*CustomerUpdate) string {
	if k, ok := u.(interface{ Key(*CustomerUpdate) string }); ok {
		return k.Key
	}
	return func(cu *CustomerUpdate) string { return cu.ID }
}
