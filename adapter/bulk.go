package adapter

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"sync/atomic"
	"time"

	"github.com/custsync/custsync/adapter/internal/fieldname"
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

// BulkOption configures UpdateAll.
type BulkOption func(*bulkConfig)

// WithConcurrency bounds the updates in flight (default defaultConcurrency).
// The vendor's rate limit still paces them.
func WithConcurrency(n int) BulkOption {
	return func(c *bulkConfig) {
		if n > 0 {
			c.concurrency = n
		}
	}
}

// WithRecordAttempts sets how many Update calls a record may take in all:
// a record whose update failed with a retryable error (after the client's
// own retries) is tried again as a whole, with growing pauses, until it has
// had n calls; 1 disables it. Default defaultRecordAttempts.
func WithRecordAttempts(n int) BulkOption {
	return func(c *bulkConfig) {
		if n > 0 {
			c.recordAttempts = n
		}
	}
}

// WithRecordPause sets the first pause before a record is tried again
// (default 2s, doubling).
func WithRecordPause(d time.Duration) BulkOption {
	return func(c *bulkConfig) { c.recordPause = d }
}

// WithHaltAfter stops a run from starting new records once n records in a
// row have failed with retryable errors (after all their attempts); the
// rest are reported as not sent, with an Unavailable *Error wrapping a
// *Halt that says why. A success or a non-retryable failure (the vendor
// answered) resets the count. 0 never halts this way (WithUnreachableAfter
// still applies). Default defaultHaltAfter.
func WithHaltAfter(n int) BulkOption {
	return func(c *bulkConfig) {
		if n >= 0 {
			c.haltAfter = n
		}
	}
}

// WithStop lets a run be wound down gently: once stop is done, no new
// record is started and records waiting to be tried again are not, but
// updates in flight finish (cancel the run's ctx to abort those too).
// Every record not sent is reported with Calls 0 and stop's cause
// (context.Cause) as its error. A deadline for starting records is a stop
// context with a deadline. The custsync command wires its first
// Ctrl-C to stop and its second to ctx.
func WithStop(stop context.Context) BulkOption {
	return func(c *bulkConfig) { c.stop = stop }
}

// WithCallOptions applies options to every Update call of the run.
func WithCallOptions(opts ...CallOption) BulkOption {
	return func(c *bulkConfig) { c.callOptions = append(c.callOptions, opts...) }
}

// WithUnreachableAfter halts a run once the vendor could not be reached
// at all for d: every attempt since the first that failed that way was
// refused, found no host, or failed TLS, and none was answered (any HTTP
// status is an answer). Updates in flight are then cut short, since none
// of them can reach the vendor, and the rest are reported as not sent,
// wrapping a *Halt that says why. 0 turns it off. Default
// defaultUnreachableAfter: with the client's default retries, a run
// against a closed port ends within half a minute.
func WithUnreachableAfter(d time.Duration) BulkOption {
	return func(c *bulkConfig) {
		if d >= 0 {
			c.unreachableAfter = d
		}
	}
}

// bulkJob is one update of the input on its way through a run.
type bulkJob struct {
	seq    int
	update *CustomerUpdate
	key    string // the vendor's key for the record, when keyed
	keyed  bool   // false for a nil update, which addresses no record
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
func UpdateAll(ctx context.Context, u Updater, updates iter.Seq[*CustomerUpdate], opts ...BulkOption) iter.Seq[Outcome] {
	cfg := bulkConfig{concurrency: defaultConcurrency, recordAttempts: defaultRecordAttempts,
		recordPause: recordRetryPause, haltAfter: defaultHaltAfter, unreachableAfter: defaultUnreachableAfter,
		keyOf: keyFunc(u)}
	for _, o := range opts {
		o(&cfg)
	}
	return func(yield func(Outcome) bool) {
		if pool, ok := u.(interface{ reserveConnections(int) func() }); ok {
			defer pool.reserveConnections(cfg.concurrency)()
		}
		r := newBulkRun(ctx, u, cfg)
		defer r.cancel()
		go r.run(updates)
		for out := range r.outcomes {
			if !yield(out) {
				r.gone.Store(true)
				r.cancel()
				for range r.outcomes { // unblock the goroutines until they finish
				}
				return
			}
		}
	}
}

// keyFunc returns how a run keys the updates it sends through u.
func keyFunc(u Updater) func(*CustomerUpdate) string {
	if k, ok := u.(interface{ Key(*CustomerUpdate) string }); ok {
		return k.Key
	}
	return func(cu *CustomerUpdate) string { return cu.ID }
}

// bulkRun is one run of UpdateAll: a reader that admits updates in input
// order (keyLanes), workers that run records (runRecord), the halting
// rules (failureStreak, reachability), and a drainer that reports what
// will never be sent as soon as the feed ends.
type bulkRun struct {
	ctx    context.Context // the caller's
	runCtx context.Context // ends with ctx, or when the consumer leaves
	cancel context.CancelFunc
	// calls is what Update calls run under: runCtx, also ended when the
	// vendor turns out unreachable (nothing in flight can reach it).
	calls       context.Context
	cancelCalls context.CancelCauseFunc
	// feed ends when the run should start no more records: runCtx ended,
	// WithStop's context ended, or the run halted; its cause says which.
	feed context.Context
	halt context.CancelCauseFunc

	u        Updater
	cfg      bulkConfig
	lanes    *keyLanes
	streak   *failureStreak
	reach    *reachability
	jobs     chan bulkJob
	outcomes chan Outcome
	// failed holds the input position of the first failed update of each
	// customer, so that its later updates are held back (see runLane).
	failedMu sync.Mutex
	failed   map[string]int
	// gone is set when the consumer breaks out of the loop: then nobody
	// is left to report to, whatever state ctx is in.
	gone atomic.Bool
}

func newBulkRun(ctx context.Context, u Updater, cfg bulkConfig) *bulkRun {
	r := &bulkRun{ctx: ctx, u: u, cfg: cfg,
		lanes:    newKeyLanes(parkedPerWorker * cfg.concurrency),
		jobs:     make(chan bulkJob, cfg.concurrency),
		outcomes: make(chan Outcome, cfg.concurrency),
		failed:   map[string]int{},
	}
	r.runCtx, r.cancel = context.WithCancel(ctx)
	r.calls, r.cancelCalls = context.WithCancelCause(r.runCtx)
	r.feed, r.halt = context.WithCancelCause(r.runCtx)
	r.streak = &failureStreak{limit: cfg.haltAfter, halt: func(h *Halt) { r.halt(haltedError(h, false)) }}
	r.reach = &reachability{after: cfg.unreachableAfter, halt: func(h *Halt) {
		r.halt(haltedError(h, false))
		r.cancelCalls(h)
	}}
	return r
}

// run reads the input and runs it to the end, then closes outcomes.
func (r *bulkRun) run(updates iter.Seq[*CustomerUpdate]) {
	defer r.halt(nil)
	defer r.reach.stop()
	var wg sync.WaitGroup
	if r.cfg.stop != nil {
		unhook := context.AfterFunc(r.cfg.stop, func() { r.halt(context.Cause(r.cfg.stop)) })
		defer unhook()
	}
	var workers sync.WaitGroup
	for range r.cfg.concurrency {
		workers.Go(r.work)
	}
	workersDone := make(chan struct{})
	wg.Go(func() { workers.Wait(); close(workersDone) })
	wg.Go(func() { r.read(updates) })
	wg.Go(func() { r.drainOnceFed(workersDone) })
	wg.Wait()
	close(r.outcomes)
}

// read admits the input in order and hands updates to the workers; once
// the feed ends it keeps reading and reports the rest as not sent.
func (r *bulkRun) read(updates iter.Seq[*CustomerUpdate]) {
	defer close(r.jobs)
	seq := 0
	for update := range updates {
		job := bulkJob{seq: seq, update: update}
		seq++
		if update != nil && !r.cfg.unordered {
			job.key, job.keyed = r.cfg.keyOf(update), true
		}
		if r.feed.Err() == nil {
			admitted, err := r.lanes.admit(r.feed, job)
			if err == nil && !admitted {
				continue // parked: the worker on its key will run it
			}
			if err == nil {
				select {
				case r.jobs <- job:
					continue
				case <-r.feed.Done():
					r.lanes.release(job)
				}
			}
		}
		if r.gone.Load() {
			return // the consumer stopped early: nobody is left to report to
		}
		r.outcomes <- r.notSent(job)
	}
}

// work runs the updates handed to it, each followed by the updates parked
// behind it for the same key.
func (r *bulkRun) work() {
	for job := range r.jobs {
		r.runLane(job)
	}
}

func (r *bulkRun) runLane(job bulkJob) {
	for {
		if stop := r.cfg.stop; stop != nil && stop.Err() != nil {
			r.halt(context.Cause(stop)) // AfterFunc may not have run yet
		}
		var out Outcome
		if r.feed.Err() != nil {
			out = r.notSent(job)
		} else if held, ok := r.heldBack(job); ok {
			out = held
		} else {
			out = r.runRecord(job)
			r.streak.record(out)
			r.noteFailure(job, out)
		}
		r.outcomes <- out
		next, ok := r.lanes.next(job)
		if !ok {
			return
		}
		job = next
	}
}

// heldBack refuses to send an update of a customer whose earlier update
// in this run failed: sending it would apply the customer's updates out
// of input order once the failed one is fixed and pushed again. Both end
// among the failures, in order. Calls is 0: nothing was sent.
func (r *bulkRun) heldBack(job bulkJob) (Outcome, bool) {
	if !job.keyed {
		return Outcome{}, false
	}
	r.failedMu.Lock()
	first, failed := r.failed[job.key]
	r.failedMu.Unlock()
	if !failed {
		return Outcome{}, false
	}
	return Outcome{Seq: job.seq, Update: job.update, Err: &Error{Code: FailedPrecondition, Field: fieldname.ID,
		Message: fmt.Sprintf("not sent: an earlier update of this customer (input record %d) failed, and this one must not overtake it; push both again in order", first+1)}}, true
}

// noteFailure remembers the first failed update of a customer. Failures
// of a run are reported anyway, so the map grows no faster than they do.
func (r *bulkRun) noteFailure(job bulkJob, out Outcome) {
	if out.Err == nil || !job.keyed {
		return
	}
	r.failedMu.Lock()
	defer r.failedMu.Unlock()
	if _, seen := r.failed[job.key]; !seen {
		r.failed[job.key] = job.seq
	}
}

// drainOnceFed reports, the moment the feed ends, the updates queued for
// a worker that will now never be sent: without it they would wait for
// the updates in flight, and a kill in between would leave them
// unreported. Updates parked behind a customer in flight are not taken
// here: they are reported right after it (runLane), so that each
// customer's outcomes stay in input order, as a failures file needs.
func (r *bulkRun) drainOnceFed(workersDone <-chan struct{}) {
	select {
	case <-r.feed.Done():
	case <-workersDone:
		return // every update was run or reported
	}
	for {
		select {
		case job, ok := <-r.jobs:
			if !ok {
				return
			}
			r.runLane(job) // the feed has ended: it reports the job and its lane as not sent
		default:
			return
		}
	}
}

// notSent reports a record the run never sent: ctx's error when ctx
// ended, else why the feed stopped.
func (r *bulkRun) notSent(job bulkJob) Outcome {
	err := r.ctx.Err()
	if err == nil {
		err = context.Cause(r.feed)
	}
	if err == nil {
		err = context.Canceled
	}
	return Outcome{Seq: job.seq, Update: job.update, Err: err}
}

// runRecord updates one record, trying it again as a whole while the
// failure is retryable, attempts remain, and the run still feeds records.
func (r *bulkRun) runRecord(job bulkJob) Outcome {
	out := Outcome{Seq: job.seq, Update: job.update}
	pause := r.cfg.recordPause
	for {
		probe := &attemptProbe{onAttempt: r.reach.attempt}
		res, err := r.u.Update(context.WithValue(r.calls, attemptProbeKey{}, probe), job.update, r.cfg.callOptions...)
		out.Calls++
		out.Result, out.Err = res, err
		if probe.reported { // a *Client: it knows whether anything went out
			out.Attempted = out.Attempted || probe.attempts > 0
			if probe.attempts == 0 && err != nil && !errorIsContext(err) {
				r.reach.attempt(err) // nothing could go out: a shared limiter that is down
			}
		} else {
			out.Attempted = out.Attempted || sent(err)
			if !errorIsContext(err) {
				r.reach.attempt(callErr(err))
			}
		}
		if err != nil && r.ctx.Err() == nil && r.calls.Err() != nil {
			// Cut short because the vendor is unreachable, not by the caller.
			if h, ok := context.Cause(r.calls).(*Halt); ok {
				out.Err = haltedError(h, true)
			}
		}
		if err == nil || !retryable(err) || out.Calls >= r.cfg.recordAttempts {
			return out
		}
		if sleep(r.feed, pause) != nil {
			return out // keep the last real error
		}
		pause *= 2
	}
}

// callErr is what a call of an Updater that is not a *Client tells about
// reachability: its network cause, or nil when the vendor answered.
func callErr(err error) error {
	var e *Error
	if errors.As(err, &e) && e.HTTPStatus != 0 {
		return nil
	}
	return err
}

// sent guesses, for an Updater that is not a *Client, whether a call
// reached the network.
func sent(err error) bool {
	if err == nil {
		return true
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Attempts > 0
	}
	return true // a context error mid-call
}

func retryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable
}
