package bulk

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/custsync/custsync/adapter"
)

// engine is one run, in parts with one job each:
//
//   - read admits the input in order; with a state store, decide (on its
//     own goroutine, incremental.go) first looks customers up in batches
//     and skips or holds what the store holds as confirmed;
//   - dispatch keys each record by its customer and parks it behind that
//     customer's record in flight (keyLanes, lanes.go);
//   - the workers (work, runLane) run a customer's records one after the
//     other, holding back those behind a failure (failedCustomers);
//   - runRecord (attempt.go) makes a record's calls, trying it again
//     while its failure is retryable, and records what the vendor
//     confirmed;
//   - the halting rules (failureStreak, reachability, halt.go) end the
//     feed when the vendor is down;
//   - drainOnceFed reports, once the feed ends, what will never be sent,
//     and deliver hands every outcome to the consumer.
type engine struct {
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

	c      Client
	vendor string
	cfg    config
	lanes  *keyLanes
	streak *failureStreak
	setup  *setupCheck
	reach  *reachability
	quiet  *silence
	failed *failedCustomers
	inc    *incremental // nil without a state store
	tel    *runTelemetry
	// sending holds a token for each record whose calls are under way:
	// at most WithConcurrency at once, however many workers there are.
	sending  chan struct{}
	jobs     chan *job
	outcomes chan Outcome
	// gone is set when the consumer stops early: then nobody is left to
	// report to, whatever state ctx is in.
	gone atomic.Bool
	// readErr is why the input could not be read to its end.
	readErr error
	// records counts the records read.
	records atomic.Int64
	// started is the highest seq of a record whose calls were started,
	// -1 before the first: once the feed has ended, no record after it
	// is sent (see startedUpTo).
	started atomic.Int64
	// finished is set when every record has been run or reported, just
	// before the feed ends for good.
	finished atomic.Bool
}

// job is one record of the input on its way through a run.
type job struct {
	seq    int
	rec    Record
	update *adapter.CustomerUpdate // what is sent: rec.Update, or rec.Customer for an invalid record
	key    string                  // the vendor's key for the customer, when keyed
	keyed  bool                    // false for a record that names no customer
	row    *row                    // its place in the customer's sequence; nil without a state store
}

// source hands the records of a run's input to emit, in order, until
// emit returns false; its error is why the input could not be read to
// its end.
type source func(emit func(Record) bool) error

func newEngine(ctx context.Context, c Client, cfg config) *engine {
	// The run's span is in the context of everything the run does, so
	// each update's span is its child.
	ctx, tel := startRun(ctx, c.Vendor(), cfg)
	e := &engine{ctx: ctx, c: c, vendor: c.Vendor(), cfg: cfg, tel: tel,
		lanes:    newKeyLanes(parkedPerWorker * cfg.concurrency),
		failed:   newFailedCustomers(),
		sending:  make(chan struct{}, cfg.concurrency),
		jobs:     make(chan *job, cfg.concurrency),
		outcomes: make(chan Outcome, cfg.concurrency),
	}
	e.started.Store(-1)
	e.runCtx, e.cancel = context.WithCancel(ctx)
	e.calls, e.cancelCalls = context.WithCancelCause(e.runCtx)
	e.feed, e.halt = context.WithCancelCause(e.runCtx)
	e.streak = &failureStreak{limit: cfg.haltAfter, halt: func(h *Halt) { e.halt(haltedError(h, false)) }}
	e.reach = &reachability{after: cfg.unreachableAfter, halt: func(h *Halt) {
		e.halt(haltedError(h, false))
		e.cancelCalls(h)
	}}
	e.quiet = &silence{after: cfg.silentAfter, halt: func(h *Halt) {
		e.halt(haltedError(h, false))
		e.cancelCalls(h)
	}}
	e.setup = &setupCheck{limit: cfg.setupFaults,
		halt: func(h *Halt) { e.halt(haltedError(h, false)) },
		cutShort: func(h *Halt) {
			e.halt(haltedError(h, false))
			e.cancelCalls(h)
		}}
	if cfg.setupFaults > 0 && !cfg.dryRun {
		// One sending token for the first record; the others are taken
		// here and handed back once the setup is proven.
		for range cfg.concurrency - 1 {
			e.sending <- struct{}{}
		}
		var once sync.Once
		e.setup.widen = func() {
			once.Do(func() {
				for range cfg.concurrency - 1 {
					<-e.sending
				}
			})
		}
	} else {
		e.setup.widen = func() {}
	}
	if cfg.store != nil && !cfg.unordered {
		e.inc = newIncremental(e)
	}
	return e
}

// start runs the engine over src in the background; deliver hands out
// its outcomes.
func (e *engine) start(src source) {
	release := func() {}
	if r, ok := e.c.(ConnectionReserver); ok && !e.cfg.plan {
		release = r.ReserveConnections(e.cfg.concurrency)
	}
	go func() {
		defer release()
		e.run(src)
	}()
}

// run reads the input and runs it to the end, then closes outcomes.
func (e *engine) run(src source) {
	defer func() {
		e.finished.Store(true)
		e.halt(nil)
	}()
	defer e.reach.stop()
	defer e.quiet.stop()
	var wg sync.WaitGroup
	if e.cfg.stop != nil {
		unhook := context.AfterFunc(e.cfg.stop, func() { e.halt(context.Cause(e.cfg.stop)) })
		defer unhook()
	}
	var workers sync.WaitGroup
	for range e.workers() {
		workers.Go(e.work)
	}
	workersDone := make(chan struct{})
	wg.Go(func() { workers.Wait(); close(workersDone) })
	wg.Go(func() { e.read(src) })
	wg.Go(func() { e.drainOnceFed(workersDone) })
	wg.Wait()
	if e.inc != nil && !e.gone.Load() {
		e.inc.finalize()
	}
	close(e.outcomes)
}

// workers is how many workers the run has: one per record in flight,
// and with a state store twice as many, so that records waiting for
// their confirmation to be durable neither keep others from being sent
// nor leave the store's commits small (a commit's cost hardly grows with
// its records). At most WithConcurrency records are at the vendor at
// once whatever the count (sending), and at most twice as many were
// sent and are not yet recorded: what a kill -9 can make a rerun send
// again.
func (e *engine) workers() int {
	if e.inc != nil && !e.cfg.dryRun {
		return 2 * e.cfg.concurrency
	}
	return e.cfg.concurrency
}

// deliver yields the run's outcomes as they come. When the consumer stops
// early it cancels the run and drains the outcomes until the run's
// goroutines have finished, so none is left blocked.
func (e *engine) deliver(yield func(Outcome) bool) {
	defer e.endSpan()
	for out := range e.outcomes {
		e.tel.outcome(e.ctx, out)
		if !yield(out) {
			e.gone.Store(true)
			e.cancel()
			for range e.outcomes { // unblock the goroutines until they finish
			}
			return
		}
	}
}

// endSpan ends the run's span, marked failed when the run halted.
func (e *engine) endSpan() {
	var h *Halt
	if cause := context.Cause(e.feed); errors.As(cause, &h) {
		e.tel.end(cause)
		return
	}
	e.tel.end(nil)
}

// emit hands an outcome to the consumer, unless it has gone.
func (e *engine) emit(out Outcome) {
	if e.gone.Load() {
		return
	}
	e.outcomes <- out
}

// read admits the input in order. Without a state store it dispatches
// each record itself; with one, it hands them to decide, which looks
// customers up in batches. Once the feed ends the rest of the input is
// still read, and reported as not sent.
func (e *engine) read(src source) {
	defer close(e.jobs)
	var decided chan *job
	if e.inc != nil {
		decided = make(chan *job, lookupBatch)
		var deciding sync.WaitGroup
		deciding.Go(func() { e.inc.decide(decided) })
		defer deciding.Wait()
		defer close(decided)
	}
	seq := 0
	err := src(func(rec Record) bool {
		e.records.Add(1)
		j := e.jobOf(seq, rec)
		seq++
		switch {
		case rec.Err != nil && !j.keyed:
			// Invalid, and for no customer: nothing to keep in order.
			if e.gone.Load() {
				return false
			}
			e.emit(Outcome{Seq: j.seq, Record: rec, Status: Failed, Err: e.stamp(rec.Err)})
		case decided != nil:
			if e.gone.Load() {
				return false
			}
			decided <- j
		default:
			return e.dispatch(j) || e.reportNotSent(j)
		}
		return true
	})
	if err != nil {
		e.readErr = err
	}
}

// reportNotSent reports j as never sent; false when nobody is left to
// report to.
func (e *engine) reportNotSent(j *job) bool {
	if e.gone.Load() {
		return false
	}
	e.outcomes <- e.notSent(j)
	return true
}

// jobOf is the record at input position seq, keyed by its customer
// unless it names none or the run keeps no order.
func (e *engine) jobOf(seq int, rec Record) *job {
	j := &job{seq: seq, rec: rec, update: rec.Update}
	if rec.Err != nil {
		j.update = rec.Customer
	}
	if j.update != nil && !e.cfg.unordered {
		j.key, j.keyed = e.c.Key(j.update), true
	}
	return j
}

// dispatch hands j to a worker, or parks it behind its customer's record
// in flight (the worker on that customer runs it next). It returns false
// when the feed ended first: j will never be sent.
func (e *engine) dispatch(j *job) bool {
	if e.feed.Err() != nil {
		return false
	}
	runNow, err := e.lanes.admit(e.feed, j)
	if err != nil {
		return false
	}
	if !runNow {
		return true // parked
	}
	select {
	case e.jobs <- j:
		return true
	case <-e.feed.Done():
		e.lanes.release(j)
		return false
	}
}

// work runs the records handed to it, each followed by the records
// parked behind it for the same customer.
func (e *engine) work() {
	for j := range e.jobs {
		e.runLane(j)
	}
}

// runLane settles j, then each record parked behind it for the same
// customer, in input order.
func (e *engine) runLane(j *job) {
	for {
		e.emit(e.settle(j))
		next, ok := e.lanes.next(j)
		if !ok {
			return
		}
		j = next
	}
}

// settle is what becomes of j when its turn comes: not sent when the
// feed has ended, held back behind its customer's failed record, failed
// when invalid, or run.
func (e *engine) settle(j *job) Outcome {
	if stop := e.cfg.stop; stop != nil && stop.Err() != nil {
		e.halt(context.Cause(stop)) // AfterFunc may not have run yet
	}
	// runCtx too: its children (feed, calls) are canceled one by one, so a
	// record failed by the canceled calls can be noted before feed reads
	// as ended, and its customer's next record would be held back as
	// FailedPrecondition instead of reported as not sent.
	if e.feed.Err() != nil || e.runCtx.Err() != nil {
		out := e.notSent(j)
		e.inc.unsent(j)
		return out
	}
	if held, ok := e.failed.holdBack(j); ok {
		if j.rec.Err != nil {
			held.Err = e.stamp(j.rec.Err) // its own fault, whatever came before it
		}
		e.inc.unsent(j)
		return held
	}
	var out Outcome
	if j.rec.Err != nil {
		out = Outcome{Seq: j.seq, Record: j.rec, Status: Failed, Err: e.stamp(j.rec.Err)}
		e.inc.unsent(j)
	} else {
		select {
		case e.sending <- struct{}{}:
		case <-e.feed.Done():
			out := e.notSent(j) // its turn came, but not a slot to send it in
			e.inc.unsent(j)
			return out
		}
		// Noted before the feed is looked at again: whoever reads started
		// after the feed ended knows that no later record goes out.
		e.noteStarted(j.seq)
		if e.feed.Err() != nil {
			// The slot and the end of the feed came together.
			<-e.sending
			out := e.notSent(j)
			e.inc.unsent(j)
			return out
		}
		out = e.runRecord(j)
		e.streak.record(out)
	}
	e.failed.note(j, out)
	return out
}

// noteStarted raises started to seq.
func (e *engine) noteStarted(seq int) {
	for {
		cur := e.started.Load()
		if int64(seq) <= cur || e.started.CompareAndSwap(cur, int64(seq)) {
			return
		}
	}
}

// startedUpTo returns the highest seq of a record whose calls were
// started, -1 if none was. Read once the feed has ended, no record after
// it is ever sent: settle notes a record as started before it looks at
// the feed a last time, so a record noted later sees the feed ended.
func (e *engine) startedUpTo() int {
	return int(e.started.Load())
}

// drainOnceFed reports, the moment the feed ends, the records queued for
// a worker that will now never be sent: without it they would wait for
// the records in flight, and a kill in between would leave them
// unreported. Records parked behind a customer in flight are not taken
// here: they are reported right after it (runLane), so that each
// customer's outcomes stay in input order, as a failures file needs.
func (e *engine) drainOnceFed(workersDone <-chan struct{}) {
	select {
	case <-e.feed.Done():
	case <-workersDone:
		return // every record was run or reported
	}
	for {
		select {
		case j, ok := <-e.jobs:
			if !ok {
				return
			}
			e.runLane(j) // the feed has ended: it reports j and its lane as not sent
		default:
			return
		}
	}
}

// notSent reports a record the run never sent, with why the feed ended:
// a halt, else WithStop's cause once stop has ended (ctx may have ended
// the feed in the instant before stop's own hook ran), else the feed's.
func (e *engine) notSent(j *job) Outcome {
	err := context.Cause(e.feed)
	var h *Halt
	if !errors.As(err, &h) && e.cfg.stop != nil && e.cfg.stop.Err() != nil {
		err = context.Cause(e.cfg.stop)
	}
	if err == nil {
		err = context.Cause(e.ctx)
	}
	if err == nil {
		err = context.Canceled
	}
	return Outcome{Seq: j.seq, Record: j.rec, Status: NotSent, Err: err}
}

// stamp names the vendor in an error found before any client saw the
// record (a Reader knows no vendor), so every error says which vendor it
// is about. The error is copied: a record's error is its own.
func (e *engine) stamp(err error) error {
	var ae *adapter.Error
	if !errors.As(err, &ae) || ae.Vendor != "" {
		return err
	}
	own := *ae
	own.Vendor = e.vendor
	return &own
}

// failedCustomers remembers the input line of the first failed record
// of each customer in a run, so that the customer's later records are
// held back: sending one would apply the customer's records out of input
// order once the failed one is fixed and pushed again. Failures of a run
// are reported anyway, so the map grows no faster than they do.
type failedCustomers struct {
	mu    sync.Mutex
	first map[string]int
}

func newFailedCustomers() *failedCustomers { return &failedCustomers{first: map[string]int{}} }

// holdBack returns the outcome of j when an earlier record of its
// customer failed: FailedPrecondition, nothing sent. Both end among the
// failures, in order.
func (f *failedCustomers) holdBack(j *job) (Outcome, bool) {
	if !j.keyed {
		return Outcome{}, false
	}
	f.mu.Lock()
	line, failed := f.first[j.key]
	f.mu.Unlock()
	if !failed {
		return Outcome{}, false
	}
	return Outcome{Seq: j.seq, Record: j.rec, Status: Failed, Err: &adapter.Error{Code: adapter.FailedPrecondition, Field: "id",
		Message: fmt.Sprintf("not sent: an earlier update of this customer (line %d) failed, and this one must not overtake it; push both again in order", line)}}, true
}

// note remembers j's customer when out is its first failure.
func (f *failedCustomers) note(j *job, out Outcome) {
	if out.Status != Failed && out.Status != NotSent || !j.keyed {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, seen := f.first[j.key]; !seen {
		f.first[j.key] = j.rec.Line
	}
}
