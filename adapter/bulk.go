package adapter

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"sync/atomic"
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
	Calls     int  // Update calls made for this record (see WithRecordAttempts)
}

// Bulk defaults.
const (
	DefaultConcurrency    = 4
	DefaultRecordAttempts = 5
	// DefaultHaltAfter is how many records in a row may fail retryably
	// before a run stops starting new ones: the vendor is down, and a
	// nightly batch should say so within minutes, not crawl for days.
	DefaultHaltAfter = 50
	// recordRetryPause is the first pause before a record whose call failed
	// retryably is tried again; it doubles with each further call.
	recordRetryPause = 2 * time.Second
)

type bulkConfig struct {
	concurrency    int
	recordAttempts int
	recordPause    time.Duration
	haltAfter      int
	stop           context.Context
	callOptions    []CallOption
}

// BulkOption configures UpdateAll.
type BulkOption func(*bulkConfig)

// WithConcurrency bounds the updates in flight (default DefaultConcurrency).
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
// had n calls; 1 disables it. Default DefaultRecordAttempts.
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
// rest are reported as not attempted, with an Unavailable error saying
// why. A success or a non-retryable failure (the vendor answered) resets
// the count. 0 never halts. Default DefaultHaltAfter.
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
// Every record not sent is reported with Attempted false and stop's cause
// (context.Cause) as its error. The custsync command wires its first
// Ctrl-C to stop and its second to ctx.
func WithStop(stop context.Context) BulkOption {
	return func(c *bulkConfig) { c.stop = stop }
}

// WithCallOptions applies options to every Update call of the run.
func WithCallOptions(opts ...CallOption) BulkOption {
	return func(c *bulkConfig) { c.callOptions = append(c.callOptions, opts...) }
}

type bulkJob struct {
	seq    int
	update *CustomerUpdate
}

// UpdateAll sends a stream of updates through u with bounded concurrency
// and yields one Outcome per update, in completion order. Memory stays
// flat however long the stream is: at most a few updates per worker are
// held at a time.
//
// When ctx ends, updates in flight finish with ctx's error and every
// update not yet sent (including the rest of the stream, which is still
// read) is yielded with Attempted false and ctx's error, so nothing goes
// unreported. The same holds when the run halts because the vendor keeps
// failing (see WithHaltAfter). Stopping the iteration early (break)
// cancels the run and waits for its goroutines.
func UpdateAll(ctx context.Context, u Updater, updates iter.Seq[*CustomerUpdate], opts ...BulkOption) iter.Seq[Outcome] {
	cfg := bulkConfig{concurrency: DefaultConcurrency, recordAttempts: DefaultRecordAttempts,
		recordPause: recordRetryPause, haltAfter: DefaultHaltAfter}
	for _, o := range opts {
		o(&cfg)
	}
	return func(yield func(Outcome) bool) {
		runCtx, stop := context.WithCancel(ctx)
		defer stop()
		// feed ends when the run should start no more records: ctx ended,
		// the consumer left, or the vendor kept failing (its cause says so).
		feed, halt := context.WithCancelCause(runCtx)
		defer halt(nil)
		if cfg.stop != nil {
			unhook := context.AfterFunc(cfg.stop, func() { halt(context.Cause(cfg.stop)) })
			defer unhook()
		}
		// gone is set when the consumer breaks out of the loop: then nobody
		// is left to report to, whatever state ctx is in.
		var gone atomic.Bool
		streak := &failureStreak{limit: cfg.haltAfter, halt: halt}
		jobs := make(chan bulkJob, cfg.concurrency)
		outcomes := make(chan Outcome, cfg.concurrency)
		var wg sync.WaitGroup

		// The reader hands updates to the workers; once the feed ends it
		// keeps reading and reports the rest as never attempted.
		wg.Go(func() {
			defer close(jobs)
			seq := 0
			for update := range updates {
				job := bulkJob{seq: seq, update: update}
				seq++
				if feed.Err() == nil {
					select {
					case jobs <- job:
						continue
					case <-feed.Done():
					}
				}
				if gone.Load() {
					return // the consumer stopped early: nobody is left to report to
				}
				outcomes <- notAttempted(ctx, feed, job)
			}
		})
		for range cfg.concurrency {
			wg.Go(func() {
				for job := range jobs {
					if cfg.stop != nil && cfg.stop.Err() != nil {
						halt(context.Cause(cfg.stop)) // AfterFunc may not have run yet
					}
					if feed.Err() != nil {
						outcomes <- notAttempted(ctx, feed, job)
						continue
					}
					out := runRecord(runCtx, feed, u, job, cfg)
					streak.record(out)
					outcomes <- out
				}
			})
		}
		go func() { wg.Wait(); close(outcomes) }()

		for out := range outcomes {
			if !yield(out) {
				gone.Store(true)
				stop()
				for range outcomes { // unblock the goroutines until they finish
				}
				return
			}
		}
	}
}

// notAttempted reports a record the run never sent: ctx's error when ctx
// ended, else why the feed stopped.
func notAttempted(ctx, feed context.Context, job bulkJob) Outcome {
	err := ctx.Err()
	if err == nil {
		err = context.Cause(feed)
	}
	if err == nil {
		err = context.Canceled
	}
	return Outcome{Seq: job.seq, Update: job.update, Err: err}
}

// runRecord updates one record, trying it again as a whole while the
// failure is retryable, attempts remain, and the run still feeds records.
func runRecord(ctx, feed context.Context, u Updater, job bulkJob, cfg bulkConfig) Outcome {
	out := Outcome{Seq: job.seq, Update: job.update}
	pause := cfg.recordPause
	for {
		probe := &attemptProbe{}
		res, err := u.Update(context.WithValue(ctx, attemptProbeKey{}, probe), job.update, cfg.callOptions...)
		out.Calls++
		out.Result, out.Err = res, err
		if probe.reported { // a *Client: it knows whether anything went out
			out.Attempted = out.Attempted || probe.attempts > 0
		} else {
			out.Attempted = out.Attempted || sent(err)
		}
		if err == nil || !retryable(err) || out.Calls >= cfg.recordAttempts {
			return out
		}
		if sleep(feed, pause) != nil {
			return out // keep the last real error
		}
		pause *= 2
	}
}

// failureStreak counts records in a row that ended in a retryable failure
// and halts the feed when there are too many.
type failureStreak struct {
	limit int
	halt  context.CancelCauseFunc
	mu    sync.Mutex
	n     int
}

func (s *failureStreak) record(out Outcome) {
	if s.limit <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if out.Err == nil || !retryable(out.Err) {
		s.n = 0 // the vendor answered
		return
	}
	s.n++
	if s.n == s.limit {
		halted := &Error{Code: Unavailable, Retryable: true, Err: out.Err,
			Message: fmt.Sprintf("not sent: the run stopped after %d records in a row failed with retryable errors (last: %v)", s.limit, out.Err)}
		var last *Error
		if errors.As(out.Err, &last) {
			halted.Vendor = last.Vendor
		}
		s.halt(halted)
	}
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
