package adapter

import (
	"context"
	"errors"
	"iter"
	"sync"
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
	// recordRetryPause is the first pause before a record whose call failed
	// retryably is tried again; it doubles with each further call.
	recordRetryPause = 2 * time.Second
)

type bulkConfig struct {
	concurrency    int
	recordAttempts int
	recordPause    time.Duration
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

// WithRecordAttempts sets how many times a record whose update failed
// with a retryable error (after the client's own retries) is tried again
// as a whole, with growing pauses; 1 disables it. Default DefaultRecordAttempts.
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
// unreported. Stopping the iteration early (break) cancels the run and
// waits for its goroutines.
func UpdateAll(ctx context.Context, u Updater, updates iter.Seq[*CustomerUpdate], opts ...BulkOption) iter.Seq[Outcome] {
	cfg := bulkConfig{concurrency: DefaultConcurrency, recordAttempts: DefaultRecordAttempts, recordPause: recordRetryPause}
	for _, o := range opts {
		o(&cfg)
	}
	return func(yield func(Outcome) bool) {
		runCtx, stop := context.WithCancel(ctx)
		defer stop()
		jobs := make(chan bulkJob, cfg.concurrency)
		outcomes := make(chan Outcome, cfg.concurrency)
		var wg sync.WaitGroup

		// The reader hands updates to the workers; once ctx ends it keeps
		// reading and reports the rest as never attempted.
		wg.Go(func() {
			defer close(jobs)
			seq := 0
			for update := range updates {
				job := bulkJob{seq: seq, update: update}
				seq++
				if runCtx.Err() == nil {
					select {
					case jobs <- job:
						continue
					case <-runCtx.Done():
					}
				}
				if ctx.Err() == nil {
					return // the consumer stopped early: nobody is left to report to
				}
				outcomes <- notAttempted(ctx, job)
			}
		})
		for range cfg.concurrency {
			wg.Go(func() {
				for job := range jobs {
					outcomes <- runRecord(runCtx, u, job, cfg)
				}
			})
		}
		go func() { wg.Wait(); close(outcomes) }()

		for out := range outcomes {
			if !yield(out) {
				stop()
				for range outcomes { // unblock the goroutines until they finish
				}
				return
			}
		}
	}
}

func notAttempted(ctx context.Context, job bulkJob) Outcome {
	err := ctx.Err()
	if err == nil {
		err = context.Canceled
	}
	return Outcome{Seq: job.seq, Update: job.update, Err: err}
}

// runRecord updates one record, trying it again as a whole while the
// failure is retryable and attempts remain.
func runRecord(ctx context.Context, u Updater, job bulkJob, cfg bulkConfig) Outcome {
	out := Outcome{Seq: job.seq, Update: job.update}
	if ctx.Err() != nil {
		return notAttempted(ctx, job)
	}
	pause := cfg.recordPause
	for {
		res, err := u.Update(ctx, job.update, cfg.callOptions...)
		out.Calls++
		out.Result, out.Err = res, err
		out.Attempted = out.Attempted || sent(err)
		if err == nil || !retryable(err) || out.Calls >= cfg.recordAttempts {
			return out
		}
		if sleep(ctx, pause) != nil {
			return out // keep the last real error; ctx's end is reported by later records
		}
		pause *= 2
	}
}

// sent reports whether a failed call reached the network.
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
