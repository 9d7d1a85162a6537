package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/syncstate"
	"github.com/custsync/custsync/adapter/vendors"
)

// waitPause is how long a shard's job is snoozed while it must wait: for
// an earlier run of its account, or for the live worker that holds it.
const waitPause = 2 * time.Second

// defaultRescueAfter is WithRescueAfter's default.
const defaultRescueAfter = time.Minute

// Worker runs shard jobs.
type Worker struct {
	// running is Run's ctx: its end ends the shards (see work).
	running  context.Context
	q        *Queue
	accounts Accounts
	cfg      workerConfig
	client   *river.Client[pgx.Tx]
	logger   *slog.Logger
	// runLog is the state store's run log, nil when it keeps none: a
	// run is recorded in it as one run, whichever workers run its shards.
	runLog syncstate.RunLog
}

// NewWorker returns a worker of q's jobs for the accounts accounts serves.
func NewWorker(q *Queue, accounts Accounts, opts ...WorkerOption) (*Worker, error) {
	if q == nil || accounts == nil {
		return nil, &adapter.Error{Code: adapter.InvalidArgument, Message: "queue: NewWorker needs a queue and accounts"}
	}
	cfg := workerConfig{perAccount: 1, rescueAfter: defaultRescueAfter}
	for _, opt := range opts {
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	names := accounts.Names()
	if len(names) == 0 {
		return nil, &adapter.Error{Code: adapter.InvalidArgument, Field: "accounts", Message: "queue: the worker serves no account"}
	}
	queues := make(map[string]river.QueueConfig, len(names))
	for _, name := range names {
		if err := CheckAccount(name); err != nil {
			return nil, err
		}
		queues[queueOf(name)] = river.QueueConfig{MaxWorkers: cfg.perAccount}
	}
	w := &Worker{q: q, accounts: accounts, cfg: cfg, logger: cfg.logger}
	if log, ok := cfg.state.(syncstate.RunLog); ok {
		w.runLog = log
	}
	if w.logger == nil {
		w.logger = discardLogger
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &shardWorker{w: w}); err != nil {
		return nil, err
	}
	riverLogger := discardLogger
	if cfg.logger != nil {
		// River's own information (leader elections, queue polls) is
		// noise to the worker's user; its warnings are not.
		riverLogger = slog.New(riverLogs{Handler: cfg.logger.Handler()})
	}
	client, err := river.NewClient(riverpgxv5.New(q.pool), &river.Config{
		Queues:  queues,
		Workers: workers,
		// River rescues a job only once its timeout has passed: the
		// timeout is the rescue delay, and a shard runs past it (see work).
		JobTimeout:           cfg.rescueAfter,
		RescueStuckJobsAfter: cfg.rescueAfter,
		MaxAttempts:          maxAttempts,
		RetryPolicy:          retryPolicy{},
		Logger:               riverLogger,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	w.client = client
	return w, nil
}

// riverLogs passes on River's warnings and errors, but for those about a
// job running past its timeout: a shard does, by design (see work).
type riverLogs struct{ slog.Handler }

func (h riverLogs) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}

func (h riverLogs) Handle(ctx context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "appears to be stuck") {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h riverLogs) WithAttrs(attrs []slog.Attr) slog.Handler {
	return riverLogs{h.Handler.WithAttrs(attrs)}
}

func (h riverLogs) WithGroup(name string) slog.Handler {
	return riverLogs{h.Handler.WithGroup(name)}
}

// retryPolicy retries a shard whose job failed after a pause that grows
// with its failed attempts, up to 5 minutes, and a rescued one at once: a
// job's attempts grow only with failures, since a snooze gives its attempt
// back.
type retryPolicy struct{}

func (retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	n := time.Duration(max(job.Attempt, 1))
	return time.Now().Add(min(n*n*time.Second, 5*time.Minute))
}

// Run works jobs until ctx is canceled (in-flight requests are abandoned,
// and their jobs rescued later) or the stop of WithStop is done (see
// there); it returns once every running shard has ended.
func (w *Worker) Run(ctx context.Context) error {
	w.running = ctx
	if err := w.client.Start(ctx); err != nil {
		return fmt.Errorf("queue: starting the worker: %w", err)
	}
	var stop <-chan struct{}
	if w.cfg.stop != nil {
		stop = w.cfg.stop.Done()
	}
	select {
	case <-w.client.Stopped():
		return nil
	case <-ctx.Done():
		// Canceling Start's ctx stops the client hard: the shards' ctx
		// ends too.
		<-w.client.Stopped()
		return nil
	case <-stop:
		// Fetch no more jobs; the running shards see the same stop and
		// release their jobs.
		if err := w.client.Stop(ctx); err != nil {
			<-w.client.Stopped()
		}
		return nil
	}
}

// shardWorker is River's worker of shard jobs.
type shardWorker struct {
	river.WorkerDefaults[shardArgs]
	w *Worker
}

func (sw *shardWorker) Work(ctx context.Context, job *river.Job[shardArgs]) error {
	err := sw.w.work(ctx, job)
	var snooze *rivertype.JobSnoozeError
	if err != nil && !errors.As(err, &snooze) {
		sw.w.logger.Warn("queue: the shard failed; it is run again later", "run", job.Args.Run, "shard", job.Args.Shard,
			"attempt", job.Attempt, "err", err)
	}
	return err
}

// runRow is what a worker reads of a run.
type runRow struct {
	vendor, account, input string
	force                  bool
	halt                   *bulk.Halt
}

func (w *Worker) readRun(ctx context.Context, id int64) (runRow, error) {
	var (
		r          runRow
		haltReason *string
		haltSetup  bool
	)
	err := w.q.pool.QueryRow(ctx, `SELECT vendor, account, input, force, halt_reason, halt_setup FROM custsync_queue_runs WHERE id = $1`, id).
		Scan(&r.vendor, &r.account, &r.input, &r.force, &haltReason, &haltSetup)
	if haltReason != nil {
		r.halt = &bulk.Halt{Reason: *haltReason, Setup: haltSetup}
	}
	return r, err
}

func (w *Worker) shardFinished(ctx context.Context, args shardArgs) (bool, error) {
	var finished bool
	err := w.q.pool.QueryRow(ctx, `SELECT finished_at IS NOT NULL FROM custsync_queue_shards WHERE run_id = $1 AND shard = $2`,
		args.Run, args.Shard).Scan(&finished)
	return finished, err
}

// shardLock is the advisory lock key of a shard.
func shardLock(args shardArgs) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "custsync queue shard %d/%d", args.Run, args.Shard)
	return int64(h.Sum64()) //nolint:gosec // a lock key: any 64 bits will do
}

func (w *Worker) work(jobCtx context.Context, job *river.Job[shardArgs]) error {
	// River cancels a job's ctx at its timeout, which is the rescue delay
	// (River rescues no job before): a shard runs on past it, until Run's
	// ctx ends. A rescued copy of its job meanwhile finds it locked and
	// waits.
	ctx, cancel := context.WithCancel(context.WithoutCancel(jobCtx))
	defer cancel()
	defer context.AfterFunc(w.running, cancel)()
	args := job.Args
	log := w.logger.With("run", args.Run, "shard", args.Shard, "attempt", job.Attempt)
	finished, err := w.shardFinished(ctx, args)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		log.Warn("queue: the shard's run is gone; dropping its job")
		return nil
	case err != nil:
		return err
	case finished:
		// A rescued job whose shard another worker finished.
		return nil
	}
	run, err := w.readRun(ctx, args.Run)
	if err != nil {
		return err
	}
	var earlier bool
	err = w.q.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM custsync_queue_runs r JOIN custsync_queue_shards s ON s.run_id = r.id
		WHERE r.vendor = $1 AND r.account = $2 AND r.id < $3 AND r.finished_at IS NULL AND s.finished_at IS NULL)`,
		run.vendor, run.account, args.Run).Scan(&earlier)
	if err != nil {
		return err
	}
	if earlier {
		log.Debug("queue: waiting for an earlier run of the account")
		return river.JobSnooze(waitPause)
	}

	// The lock lives as long as this connection's session: a worker
	// killed mid-shard takes it along. The connection is the shard's own,
	// not the pool's, which would otherwise run dry with a worker's slots
	// all taken.
	conn, err := pgx.ConnectConfig(ctx, w.q.connConfig.Copy())
	if err != nil {
		return err
	}
	key := shardLock(args)
	var locked bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&locked); err != nil {
		closeLock(ctx, conn)
		return err
	}
	if !locked {
		closeLock(ctx, conn)
		log.Debug("queue: the shard is being run by another worker; waiting")
		return river.JobSnooze(waitPause)
	}
	defer closeLock(ctx, conn)

	// Read again under the lock: the worker that held it may have finished
	// the shard, or halted the run.
	if finished, err := w.shardFinished(ctx, args); err != nil || finished {
		return err
	}
	if run, err = w.readRun(ctx, args.Run); err != nil {
		return err
	}
	if _, err := w.q.pool.Exec(ctx, `UPDATE custsync_queue_shards SET started_at = coalesce(started_at, now()) WHERE run_id = $1 AND shard = $2`,
		args.Run, args.Shard); err != nil {
		return err
	}
	if job.Attempt > 1 {
		log.Info("queue: running the shard again")
	} else {
		log.Info("queue: running the shard")
	}
	var out shardOutcome
	if run.halt != nil {
		out, err = w.notSent(ctx, args, run)
	} else {
		out, err = w.send(ctx, args, run, conn, log)
	}
	if err != nil {
		return err
	}
	if out.released {
		log.Info("queue: the worker stopped; released the shard", "records", out.report.Records)
		return river.JobSnooze(0)
	}
	if w.runLog != nil {
		// Before the outcome is committed: a shard run again after a
		// crash records its failures again, and the run log keeps the
		// first of each customer's.
		w.putFailures(ctx, out.logFailures, log)
	}
	runDone, logRun, err := w.finish(ctx, job, out)
	if err != nil {
		return err
	}
	r := out.report
	log.Info("queue: finished the shard", "records", r.Records, "succeeded", r.Succeeded, "unchanged", r.Unchanged,
		"failed", r.Failed, "notSent", r.NotSent, "halted", r.Halt != nil)
	if runDone && w.runLog != nil && logRun != 0 {
		w.finishLoggedRun(ctx, args.Run, logRun, log)
	}
	return nil
}

// closeLock closes the shard's lock connection, which releases the lock.
func closeLock(ctx context.Context, conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = conn.Close(ctx) // the session ends, and its locks with it, however the goodbye goes
}

// shardOutcome is what a shard's run came to.
type shardOutcome struct {
	report   *bulk.Report
	failures []failureLine
	// logFailures are the failures the run log keeps (see
	// bulk.RunFailure), when the run is recorded there.
	logFailures []syncstate.Failure
	// released is set when the worker's stop or ctx ended the shard
	// before every record was tried: nothing of it is recorded, and
	// its job runs again.
	released bool
}

// failureLine is a line of a run's failures file.
type failureLine struct {
	line int
	body []byte
}

// send runs the shard's records through the account's client; conn is the
// connection that holds the shard's lock.
func (w *Worker) send(ctx context.Context, args shardArgs, run runRow, conn *pgx.Conn, log *slog.Logger) (shardOutcome, error) {
	client, err := w.accounts.Client(ctx, vendors.Name(run.vendor), run.account)
	if err != nil {
		return shardOutcome{}, fmt.Errorf("queue: the client of %s account %q: %w", run.vendor, run.account, err)
	}
	if client.Vendor() != run.vendor {
		return shardOutcome{}, fmt.Errorf("queue: the client of %s account %q is a %s client", run.vendor, run.account, client.Vendor())
	}
	var logRun int64
	if w.runLog != nil {
		logRun = w.startLoggedRun(ctx, conn, args.Run, run, client, log)
	}
	in := w.q.shardReader(ctx, args)
	var out shardOutcome
	opts := append([]bulk.Option(nil), w.cfg.bulkOptions...)
	if w.cfg.state != nil {
		opts = append(opts, bulk.WithState(w.cfg.state))
	}
	if run.force {
		opts = append(opts, bulk.WithForce(true))
	}
	if w.cfg.stop != nil {
		opts = append(opts, bulk.WithStop(w.cfg.stop))
	}
	opts = append(opts, bulk.WithObserver(func(o bulk.Outcome) {
		if o.Status == bulk.Failed || o.Status == bulk.NotSent {
			f := o.Failure(run.vendor)
			out.failures = append(out.failures, failureLine{line: o.Record.Line, body: in.AppendFailure(nil, o.Record, f)})
		}
		if logRun == 0 {
			return
		}
		if f, ok := bulk.RunFailure(client, logRun, o, time.Now()); ok {
			out.logFailures = append(out.logFailures, f)
		}
	}))
	report, err := bulk.Run(ctx, client, in, opts...)
	if err != nil {
		return shardOutcome{}, err
	}
	out.report = report
	switch {
	case report.ReadErr != nil:
		return shardOutcome{}, fmt.Errorf("queue: reading the shard's records: %w", report.ReadErr)
	case ctx.Err() != nil, report.NotSent > 0 && report.Halt == nil:
		// Only a stop or ctx leaves records not sent without a halt;
		// ctx cuts those in flight short too.
		out.released = true
	}
	return out, nil
}

// notSent reports every record of a shard of a halted run as not sent,
// as a halted bulk run reports those it did not reach.
func (w *Worker) notSent(ctx context.Context, args shardArgs, run runRow) (shardOutcome, error) {
	in := w.q.shardReader(ctx, args)
	report := &bulk.Report{Started: time.Now(), ByCode: map[adapter.Code]int{}, Halt: run.halt}
	var out shardOutcome
	f := bulk.Failure{Vendor: run.vendor, ErrorInfo: bulk.ErrorInfo{
		Code: adapter.Canceled, Message: "not sent: the run halted: " + run.halt.Reason, Retryable: true}}
	for {
		rec, err := in.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return shardOutcome{}, fmt.Errorf("queue: reading the shard's records: %w", err)
		}
		report.Records++
		report.NotSent++
		report.ByCode[adapter.Canceled]++
		f.Line = rec.Line
		out.failures = append(out.failures, failureLine{line: rec.Line, body: in.AppendFailure(nil, rec, f)})
	}
	report.Elapsed = time.Since(report.Started)
	out.report = report
	return out, nil
}

// finish records a shard's outcome and completes its job, in one
// transaction: a shard is counted once, whichever worker ran it last.
// runDone is set when the shard was the run's last to finish, and logRun
// is then the run's ID in the run log (0 when none recorded it).
func (w *Worker) finish(ctx context.Context, job *river.Job[shardArgs], out shardOutcome) (runDone bool, logRun int64, err error) {
	args, r := job.Args, out.report
	byCode, err := json.Marshal(r.ByCode)
	if err != nil {
		return false, 0, err
	}
	dropped, err := json.Marshal(nonNil(r.Dropped))
	if err != nil {
		return false, 0, err
	}
	mismatched, err := json.Marshal(nonNil(r.Mismatched))
	if err != nil {
		return false, 0, err
	}
	tx, err := w.q.pool.Begin(ctx)
	if err != nil {
		return false, 0, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit; after a failure, the error returned says what went wrong
	// The run's row first: shards finishing at once take turns, so that
	// the last one sees every other finished.
	if _, err := tx.Exec(ctx, `SELECT 1 FROM custsync_queue_runs WHERE id = $1 FOR UPDATE`, args.Run); err != nil {
		return false, 0, err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM custsync_queue_failures WHERE run_id = $1 AND shard = $2`, args.Run, args.Shard); err != nil {
		return false, 0, err
	}
	if len(out.failures) > 0 {
		rows := make([][]any, len(out.failures))
		for i, f := range out.failures {
			rows[i] = []any{args.Run, args.Shard, int64(f.line), f.body}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"custsync_queue_failures"}, []string{"run_id", "shard", "line", "body"},
			pgx.CopyFromRows(rows)); err != nil {
			return false, 0, err
		}
	}
	tag, err := tx.Exec(ctx, `UPDATE custsync_queue_shards SET finished_at = now(), records = $3,
		succeeded = $4, unchanged = $5, failed = $6, not_sent = $7, finalized = $8, by_code = $9, dropped = $10, mismatched = $11
		WHERE run_id = $1 AND shard = $2 AND finished_at IS NULL`,
		args.Run, args.Shard, r.Records, r.Succeeded, r.Unchanged, r.Failed, r.NotSent, r.Finalized, byCode, dropped, mismatched)
	if err != nil {
		return false, 0, err
	}
	if tag.RowsAffected() == 0 {
		return false, 0, nil // finished already, by a worker that held the lock before
	}
	// The shard's records are in its outcome now: what failed is in its
	// failures, the rest went through.
	if _, err := tx.Exec(ctx, `DELETE FROM custsync_queue_records WHERE run_id = $1 AND shard = $2`, args.Run, args.Shard); err != nil {
		return false, 0, err
	}
	if r.Halt != nil {
		// The first halt is the run's: the shards after it were not sent
		// because of it.
		if _, err := tx.Exec(ctx, `UPDATE custsync_queue_runs SET halt_reason = $2, halt_setup = $3 WHERE id = $1 AND halt_reason IS NULL`,
			args.Run, r.Halt.Reason, r.Halt.Setup); err != nil {
			return false, 0, err
		}
	}
	var logged *int64
	err = tx.QueryRow(ctx, `UPDATE custsync_queue_runs SET finished_at = now()
		WHERE id = $1 AND finished_at IS NULL AND NOT EXISTS (SELECT 1 FROM custsync_queue_shards WHERE run_id = $1 AND finished_at IS NULL)
		RETURNING log_run`,
		args.Run).Scan(&logged)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return false, 0, err
	default:
		runDone = true
		if logged != nil {
			logRun = *logged
		}
	}
	// A job rescued while this worker ran is not running any more: it is
	// left as it is, and completes at once when it runs next. One that is
	// gone altogether does not undo the shard's outcome either.
	if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job); err != nil && !errors.Is(err, rivertype.ErrNotFound) {
		return false, 0, err
	}
	if err := tx.Commit(ctx); err != nil {
		return false, 0, err
	}
	return runDone, logRun, nil
}

func nonNil(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}
