package adapter

import (
	"context"
	"fmt"
	"iter"
	"sync"
	"sync/atomic"

	"github.com/custsync/custsync/adapter/internal/fieldname"
)

// bulkRun is one run of UpdateAll, in parts with one job each:
//
//   - read and dispatch admit the input in order, keying each update by
//     its customer (jobOf) and parking it behind that customer's update
//     in flight (keyLanes, bulkorder.go);
//   - the workers (work, runLane) run a customer's updates one after the
//     other, holding back those behind a failure (failedCustomers);
//   - runRecord (bulkrecord.go) makes a record's calls, trying it again
//     while its failure is retryable;
//   - the halting rules (failureStreak, reachability, bulkhalt.go) end
//     the feed when the vendor is down;
//   - drainOnceFed reports, once the feed ends, what will never be sent,
//     and deliver hands every outcome to the consumer.
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
	failed   *failedCustomers
	jobs     chan bulkJob
	outcomes chan Outcome
	// gone is set when the consumer breaks out of the loop: then nobody
	// is left to report to, whatever state ctx is in.
	gone atomic.Bool
}

// bulkJob is one update of the input on its way through a run.
type bulkJob struct {
	seq    int
	update *CustomerUpdate
	key    string // the vendor's key for the record, when keyed
	keyed  bool   // false for a nil update, which addresses no record
}

func newBulkRun(ctx context.Context, u Updater, cfg bulkConfig) *bulkRun {
	r := &bulkRun{ctx: ctx, u: u, cfg: cfg,
		lanes:    newKeyLanes(parkedPerWorker * cfg.concurrency),
		failed:   newFailedCustomers(),
		jobs:     make(chan bulkJob, cfg.concurrency),
		outcomes: make(chan Outcome, cfg.concurrency),
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

// deliver yields the run's outcomes as they come. When the consumer stops
// early it cancels the run and drains the outcomes until the run's
// goroutines have finished, so none is left blocked.
func (r *bulkRun) deliver(yield func(Outcome) bool) {
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

// read admits the input in order and hands updates to the workers; once
// the feed ends it keeps reading and reports the rest as not sent.
func (r *bulkRun) read(updates iter.Seq[*CustomerUpdate]) {
	defer close(r.jobs)
	seq := 0
	for update := range updates {
		job := r.jobOf(seq, update)
		seq++
		if r.dispatch(job) {
			continue
		}
		if r.gone.Load() {
			return // the consumer stopped early: nobody is left to report to
		}
		r.outcomes <- r.notSent(job)
	}
}

// jobOf is the update at input position seq, keyed by its customer
// unless it addresses none (nil) or the run keeps no order.
func (r *bulkRun) jobOf(seq int, update *CustomerUpdate) bulkJob {
	job := bulkJob{seq: seq, update: update}
	if update != nil && !r.cfg.unordered {
		job.key, job.keyed = r.cfg.keyOf(update), true
	}
	return job
}

// dispatch hands job to a worker, or parks it behind its customer's
// update in flight (the worker on that customer runs it next). It returns
// false when the feed ended first: job will never be sent.
func (r *bulkRun) dispatch(job bulkJob) bool {
	if r.feed.Err() != nil {
		return false
	}
	runNow, err := r.lanes.admit(r.feed, job)
	if err != nil {
		return false
	}
	if !runNow {
		return true // parked
	}
	select {
	case r.jobs <- job:
		return true
	case <-r.feed.Done():
		r.lanes.release(job)
		return false
	}
}

// work runs the updates handed to it, each followed by the updates parked
// behind it for the same key.
func (r *bulkRun) work() {
	for job := range r.jobs {
		r.runLane(job)
	}
}

// runLane settles job, then each update parked behind it for the same
// customer, in input order.
func (r *bulkRun) runLane(job bulkJob) {
	for {
		r.outcomes <- r.settle(job)
		next, ok := r.lanes.next(job)
		if !ok {
			return
		}
		job = next
	}
}

// settle is what becomes of job when its turn comes: not sent when the
// feed has ended, held back behind its customer's failed update, or run.
func (r *bulkRun) settle(job bulkJob) Outcome {
	if stop := r.cfg.stop; stop != nil && stop.Err() != nil {
		r.halt(context.Cause(stop)) // AfterFunc may not have run yet
	}
	// runCtx too: its children (feed, calls) are canceled one by one, so a
	// record failed by the canceled calls can be noted before feed reads
	// as ended, and its customer's next update would be held back as
	// FailedPrecondition instead of reported as not sent.
	if r.feed.Err() != nil || r.runCtx.Err() != nil {
		return r.notSent(job)
	}
	if held, ok := r.failed.holdBack(job); ok {
		return held
	}
	out := r.runRecord(job)
	r.streak.record(out)
	r.failed.note(job, out)
	return out
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

// failedCustomers remembers the input position of the first failed update
// of each customer in a run, so that the customer's later updates are
// held back: sending one would apply the customer's updates out of input
// order once the failed one is fixed and pushed again. Failures of a run
// are reported anyway, so the map grows no faster than they do.
type failedCustomers struct {
	mu    sync.Mutex
	first map[string]int
}

func newFailedCustomers() *failedCustomers { return &failedCustomers{first: map[string]int{}} }

// holdBack returns the outcome of job when an earlier update of its
// customer failed: FailedPrecondition, Calls 0, nothing sent. Both end
// among the failures, in order.
func (f *failedCustomers) holdBack(job bulkJob) (Outcome, bool) {
	if !job.keyed {
		return Outcome{}, false
	}
	f.mu.Lock()
	first, failed := f.first[job.key]
	f.mu.Unlock()
	if !failed {
		return Outcome{}, false
	}
	return Outcome{Seq: job.seq, Update: job.update, Err: &Error{Code: FailedPrecondition, Field: fieldname.ID,
		Message: fmt.Sprintf("not sent: an earlier update of this customer (input record %d) failed, and this one must not overtake it; push both again in order", first+1)}}, true
}

// note remembers job's customer when out is its first failure.
func (f *failedCustomers) note(job bulkJob, out Outcome) {
	if out.Err == nil || !job.keyed {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, seen := f.first[job.key]; !seen {
		f.first[job.key] = job.seq
	}
}
