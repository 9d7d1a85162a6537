package queue

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/syncstate"
)

// runLogTimeout bounds each write to the run log, and the wait for
// another shard's: a store that hangs must not keep a shard from
// finishing. The run log decides nothing a shard sends.
const runLogTimeout = 30 * time.Second

// failureBatch is how many failures one PutFailures call records.
const failureBatch = 256

// runLogLock is the advisory lock key that serializes recording run id in
// the run log.
func runLogLock(id int64) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "custsync queue run log %d", id)
	return int64(h.Sum64()) //nolint:gosec // a lock key: any 64 bits will do
}

// startLoggedRun returns the run log's ID of run id, recording the run
// first when no shard has: under a transaction-scoped lock on the run, so
// that shards starting at once on many workers record it once. conn is
// the shard's own connection (see work): a shard waiting for the lock
// takes no connection of the pool, which River needs. It returns 0,
// having logged why, when it cannot: the shard runs on, its failures
// unrecorded.
func (w *Worker) startLoggedRun(ctx context.Context, conn *pgx.Conn, id int64, run runRow, client bulk.Client, log *slog.Logger) int64 {
	logRun, err := w.recordRunOnce(ctx, conn, id, run, client)
	if err != nil {
		log.Warn("queue: the state store could not record the run; the shard runs without recording its failures", "err", err)
		return 0
	}
	return logRun
}

func (w *Worker) recordRunOnce(ctx context.Context, conn *pgx.Conn, id int64, run runRow, client bulk.Client) (int64, error) {
	// The wait for the lock is bounded by the server, not by ctx: a
	// canceled query closes its connection, and with it the shard's lock.
	tx, err := conn.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit; after a failure, the error returned says what went wrong
	if _, err := tx.Exec(ctx, fmt.Sprintf(`SET LOCAL lock_timeout = %d`, runLogTimeout.Milliseconds())); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, runLogLock(id)); err != nil {
		return 0, err
	}
	var logRun *int64
	if err := tx.QueryRow(ctx, `SELECT log_run FROM custsync_queue_runs WHERE id = $1`, id).Scan(&logRun); err != nil {
		return 0, err
	}
	if logRun != nil {
		return *logRun, nil
	}
	host, _ := os.Hostname() // "" when unknown: the run is still worth recording
	startCtx, cancel := context.WithTimeout(ctx, runLogTimeout)
	defer cancel()
	started, err := w.runLog.StartRun(startCtx, syncstate.Run{
		Vendor: client.Vendor(), Account: client.Account(), Input: syncstate.StorableText(run.input),
		Host: syncstate.StorableText(host), PID: os.Getpid(), Started: time.Now(),
	})
	if err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `UPDATE custsync_queue_runs SET log_run = $2 WHERE id = $1`, id, started); err != nil {
		return 0, fmt.Errorf("run %d of the run log is recorded, but not as the queue's run: %w", started, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("run %d of the run log is recorded, but not as the queue's run: %w", started, err)
	}
	return started, nil
}

// putFailures records a finished shard's failures in the run log, in
// batches; the first batch that fails ends their recording, having
// logged why.
func (w *Worker) putFailures(ctx context.Context, failures []syncstate.Failure, log *slog.Logger) {
	for len(failures) > 0 {
		batch := failures[:min(len(failures), failureBatch)]
		failures = failures[len(batch):]
		putCtx, cancel := context.WithTimeout(ctx, runLogTimeout)
		err := w.runLog.PutFailures(putCtx, batch...)
		cancel()
		if err != nil {
			log.Warn("queue: the state store could not record the shard's failures; the run's failures file has them all",
				"failures", len(batch)+len(failures), "err", err)
			return
		}
	}
}

// finishLoggedRun records in the run log how run id, recorded there as
// logRun, ended; a failure is logged, the run is already finished.
func (w *Worker) finishLoggedRun(ctx context.Context, id, logRun int64, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), runLogTimeout)
	defer cancel()
	if err := w.recordEnd(ctx, id, logRun); err != nil {
		log.Warn("queue: the state store could not record how the run ended; it is listed as unfinished", "logRun", logRun, "err", err)
	}
}

func (w *Worker) recordEnd(ctx context.Context, id, logRun int64) error {
	run, err := w.q.Run(ctx, RunID(id))
	if err != nil {
		return err
	}
	logged, ok, err := w.runLog.Run(ctx, logRun)
	switch {
	case err != nil:
		return err
	case !ok:
		return errors.New("the run log has no such run")
	}
	r := run.Report
	logged.Ended = time.Now()
	if logged.Ended.Before(logged.Started) {
		logged.Ended = logged.Started // the clocks of the workers that started and ended it disagree
	}
	logged.Records, logged.Succeeded, logged.Unchanged, logged.Failed, logged.NotSent = r.Records, r.Succeeded, r.Unchanged, r.Failed, r.NotSent
	logged.ByCode = make(map[string]int, len(r.ByCode))
	for code, n := range r.ByCode {
		logged.ByCode[code.String()] = n
	}
	if r.Halt != nil {
		logged.Stop = syncstate.StorableText("halted: " + r.Halt.Reason)
	}
	logged.ExitCode = exitCode(r)
	return w.runLog.FinishRun(ctx, logged)
}

// exitCode is the exit status the run log keeps for a run that ended as
// r, as for a run in one process: 0 when every record went through or was
// unchanged, 1 when some failed, 3 when not every record was tried.
func exitCode(r bulk.Report) int {
	switch {
	case r.NotSent > 0 || r.Halt != nil:
		return 3
	case r.Failed > 0:
		return 1
	}
	return 0
}
