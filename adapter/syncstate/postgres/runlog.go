package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/custsync/custsync/adapter/syncstate"
)

var _ syncstate.RunLog = (*Store)(nil)

// StartRun records r as started; see syncstate.RunLog.
func (s *Store) StartRun(ctx context.Context, r syncstate.Run) (int64, error) {
	if err := s.writable(); err != nil {
		return 0, err
	}
	r.Ended = time.Time{}
	if err := r.Check(); err != nil {
		return 0, err
	}
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO custsync_runs (vendor, account, input, host, pid, started_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		r.Vendor, r.Account, r.Input, r.Host, r.PID, syncstate.Normalize(r.Started)).Scan(&id)
	if err != nil {
		return 0, s.failed(ctx, "recording a run", err)
	}
	return id, nil
}

// FinishRun records how the run r.ID ended; see syncstate.RunLog.
func (s *Store) FinishRun(ctx context.Context, r syncstate.Run) error {
	if err := s.writable(); err != nil {
		return err
	}
	if err := r.CheckEnd(); err != nil {
		return err
	}
	byCode, err := syncstate.EncodeByCode(r.ByCode)
	if err != nil {
		return fmt.Errorf("postgres state: %w", err)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE custsync_runs SET ended_at = $1, records = $2, succeeded = $3, unchanged = $4,
		failed = $5, not_sent = $6, by_code = $7::jsonb, stop = $8, exit_code = $9, failures_file = $10
		WHERE id = $11 AND vendor = $12 AND account = $13`,
		syncstate.Normalize(r.Ended), r.Records, r.Succeeded, r.Unchanged, r.Failed, r.NotSent, string(byCode), r.Stop,
		r.ExitCode, r.FailuresFile, r.ID, r.Vendor, r.Account)
	if err != nil {
		return s.failed(ctx, fmt.Sprintf("recording run %d", r.ID), err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("postgres state: there is no run %d of %s/%s to finish", r.ID, r.Vendor, r.Account)
	}
	return nil
}

// putFailure writes one failure unless its customer holds one of the
// same run or a newer one.
const putFailure = `INSERT INTO custsync_failures AS f (vendor, account, key, run_id, failed_at, line, code, message,
	http_status, vendor_code, retryable, field, request_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT (vendor, account, key) DO UPDATE SET
	run_id = excluded.run_id, failed_at = excluded.failed_at, line = excluded.line, code = excluded.code,
	message = excluded.message, http_status = excluded.http_status, vendor_code = excluded.vendor_code,
	retryable = excluded.retryable, field = excluded.field, request_id = excluded.request_id
WHERE excluded.run_id > f.run_id`

// PutFailures records failures in one transaction; see syncstate.RunLog.
func (s *Store) PutFailures(ctx context.Context, failures ...syncstate.Failure) error {
	if err := s.writable(); err != nil {
		return err
	}
	for _, f := range failures {
		if err := f.Check(); err != nil {
			return err
		}
	}
	if len(failures) == 0 {
		return nil
	}
	// One batch is one implicit transaction (see commit).
	var batch pgx.Batch
	for _, f := range failures {
		batch.Queue(putFailure, f.Vendor, f.Account, f.Key.Key, f.RunID, syncstate.Normalize(f.At), f.Line, f.Code, f.Message,
			f.HTTPStatus, f.VendorCode, f.Retryable, f.Field, f.RequestID)
	}
	if err := s.pool.SendBatch(ctx, &batch).Close(); err != nil {
		return s.failed(ctx, fmt.Sprintf("recording %d failures", len(failures)), err)
	}
	return nil
}

// runColumns are what scanRun reads, in its order.
const runColumns = `id, vendor, account, input, host, pid, started_at, ended_at, records, succeeded, unchanged, failed,
	not_sent, by_code::text, stop, exit_code, failures_file`

// Runs lists the runs f selects, newest first; see syncstate.RunLog.
func (s *Store) Runs(ctx context.Context, f syncstate.RunFilter) ([]syncstate.Run, error) {
	if s.closed.Load() {
		return nil, syncstate.ErrClosed
	}
	if !s.keepsLog() || !storable(syncstate.Key{Vendor: f.Vendor, Account: f.Account}) {
		return nil, ctx.Err()
	}
	var limit *int
	if f.Limit > 0 {
		limit = &f.Limit
	}
	rows, err := s.pool.Query(ctx, `SELECT `+runColumns+` FROM custsync_runs
		WHERE ($1 = '' OR vendor = $1) AND ($2 = '' OR account = $2) ORDER BY id DESC LIMIT $3`,
		f.Vendor, f.Account, limit)
	if err != nil {
		return nil, s.failed(ctx, "reading the runs", err)
	}
	defer rows.Close()
	var runs []syncstate.Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, s.failed(ctx, "reading the runs", err)
		}
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.failed(ctx, "reading the runs", err)
	}
	return runs, nil
}

// Run returns the run with the given ID; see syncstate.RunLog.
func (s *Store) Run(ctx context.Context, id int64) (syncstate.Run, bool, error) {
	return s.oneRun(ctx, fmt.Sprintf("reading run %d", id), `SELECT `+runColumns+` FROM custsync_runs WHERE id = $1`, id)
}

// RunAt returns the run of vendor's account running at t; see
// syncstate.RunLog.
func (s *Store) RunAt(ctx context.Context, vendor, account string, t time.Time) (syncstate.Run, bool, error) {
	if !storable(syncstate.Key{Vendor: vendor, Account: account}) {
		return syncstate.Run{}, false, ctx.Err()
	}
	return s.oneRun(ctx, fmt.Sprintf("reading the run of %s/%s at %s", vendor, account, t.UTC().Format(syncstate.TimeLayout)),
		`SELECT `+runColumns+` FROM custsync_runs
		WHERE vendor = $1 AND account = $2 AND started_at <= $3 AND (ended_at IS NULL OR ended_at >= $3)
		ORDER BY started_at DESC, id DESC LIMIT 1`, vendor, account, syncstate.Normalize(t))
}

func (s *Store) oneRun(ctx context.Context, what, query string, args ...any) (syncstate.Run, bool, error) {
	if s.closed.Load() {
		return syncstate.Run{}, false, syncstate.ErrClosed
	}
	if !s.keepsLog() {
		return syncstate.Run{}, false, ctx.Err()
	}
	r, err := scanRun(s.pool.QueryRow(ctx, query, args...))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return syncstate.Run{}, false, nil
	case err != nil:
		return syncstate.Run{}, false, s.failed(ctx, what, err)
	}
	return r, true, nil
}

// LastFailure returns the failure recorded for k; see syncstate.RunLog.
func (s *Store) LastFailure(ctx context.Context, k syncstate.Key) (syncstate.Failure, bool, error) {
	if s.closed.Load() {
		return syncstate.Failure{}, false, syncstate.ErrClosed
	}
	if !s.keepsLog() || !storable(k) {
		return syncstate.Failure{}, false, ctx.Err()
	}
	f := syncstate.Failure{Key: k}
	err := s.pool.QueryRow(ctx, `SELECT run_id, failed_at, line, code, message, http_status, vendor_code, retryable, field,
		request_id FROM custsync_failures WHERE vendor = $1 AND account = $2 AND key = $3`, k.Vendor, k.Account, k.Key).
		Scan(&f.RunID, &f.At, &f.Line, &f.Code, &f.Message, &f.HTTPStatus, &f.VendorCode, &f.Retryable, &f.Field, &f.RequestID)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return syncstate.Failure{}, false, nil
	case err != nil:
		return syncstate.Failure{}, false, s.failed(ctx, "reading the failure of "+k.String(), err)
	}
	f.At = f.At.UTC()
	return f, true, nil
}

func scanRun(row pgx.Row) (syncstate.Run, error) {
	var r syncstate.Run
	var ended *time.Time
	var exit *int
	var byCode string
	err := row.Scan(&r.ID, &r.Vendor, &r.Account, &r.Input, &r.Host, &r.PID, &r.Started, &ended, &r.Records, &r.Succeeded,
		&r.Unchanged, &r.Failed, &r.NotSent, &byCode, &r.Stop, &exit, &r.FailuresFile)
	if err != nil {
		return syncstate.Run{}, err
	}
	r.Started = r.Started.UTC()
	if ended != nil {
		r.Ended = ended.UTC()
	}
	if exit != nil {
		r.ExitCode = *exit
	}
	if r.ByCode, err = syncstate.DecodeByCode(r.ID, byCode); err != nil {
		return syncstate.Run{}, err
	}
	return r, nil
}

// keepsLog reports whether the schema has the run log: a read-only
// store of an older schema, or of none, reads as holding no run, as it
// found the database when it was opened.
func (s *Store) keepsLog() bool { return !s.empty && s.version >= runLogSchema }

// writable refuses writes to a closed or read-only store.
func (s *Store) writable() error {
	switch {
	case s.closed.Load():
		return syncstate.ErrClosed
	case s.writer == nil:
		return fmt.Errorf("postgres state: %w", syncstate.ErrReadOnly)
	}
	return nil
}

// failed wraps err of doing what, or returns the context's error when it
// ended.
func (s *Store) failed(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if s.closed.Load() {
		return syncstate.ErrClosed
	}
	return fmt.Errorf("postgres state: %s: %w", what, err)
}
