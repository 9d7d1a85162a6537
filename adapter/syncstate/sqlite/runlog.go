package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

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
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO runs (vendor, account, input, host, pid, started_at) VALUES (?, ?, ?, ?, ?, ?)`,
		r.Vendor, r.Account, r.Input, r.Host, r.PID, formatTime(r.Started))
	if err != nil {
		return 0, s.failed(ctx, "recording a run", err)
	}
	id, err := res.LastInsertId()
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
		return fmt.Errorf("sqlite state %s: %w", s.path, err)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE runs SET ended_at = ?, records = ?, succeeded = ?, unchanged = ?, failed = ?,
		not_sent = ?, by_code = ?, stop = ?, exit_code = ?, failures_file = ?
		WHERE id = ? AND vendor = ? AND account = ?`,
		formatTime(r.Ended), r.Records, r.Succeeded, r.Unchanged, r.Failed, r.NotSent, string(byCode), r.Stop, r.ExitCode,
		r.FailuresFile, r.ID, r.Vendor, r.Account)
	if err != nil {
		return s.failed(ctx, fmt.Sprintf("recording run %d", r.ID), err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("sqlite state %s: there is no run %d of %s/%s to finish", s.path, r.ID, r.Vendor, r.Account)
	}
	return nil
}

// putFailure writes one failure unless its customer holds one of the
// same run or a newer one.
const putFailure = `INSERT INTO failures (vendor, account, key, run_id, failed_at, line, code, message, http_status,
	vendor_code, retryable, field, request_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (vendor, account, key) DO UPDATE SET
	run_id = excluded.run_id, failed_at = excluded.failed_at, line = excluded.line, code = excluded.code,
	message = excluded.message, http_status = excluded.http_status, vendor_code = excluded.vendor_code,
	retryable = excluded.retryable, field = excluded.field, request_id = excluded.request_id
WHERE excluded.run_id > failures.run_id`

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
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.failed(ctx, "recording failures", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit; after a failure, the error returned says what went wrong
	stmt, err := tx.PrepareContext(ctx, putFailure)
	if err != nil {
		return s.failed(ctx, "recording failures", err)
	}
	defer stmt.Close() //nolint:errcheck // closed with the transaction
	for _, f := range failures {
		if _, err := stmt.ExecContext(ctx, f.Vendor, f.Account, f.Key.Key, f.RunID, formatTime(f.At), f.Line, f.Code, f.Message,
			f.HTTPStatus, f.VendorCode, f.Retryable, f.Field, f.RequestID); err != nil {
			return s.failed(ctx, fmt.Sprintf("recording the failure of %s", f.Key), err)
		}
	}
	if err := tx.Commit(); err != nil {
		return s.failed(ctx, "recording failures", err)
	}
	return nil
}

// runColumns are what scanRun reads, in its order.
const runColumns = `id, vendor, account, input, host, pid, started_at, ended_at, records, succeeded, unchanged, failed,
	not_sent, by_code, stop, exit_code, failures_file`

// Runs lists the runs f selects, newest first; see syncstate.RunLog.
func (s *Store) Runs(ctx context.Context, f syncstate.RunFilter) ([]syncstate.Run, error) {
	if s.closed.Load() {
		return nil, syncstate.ErrClosed
	}
	limit := f.Limit
	if limit <= 0 {
		limit = -1 // SQLite's "no limit"
	}
	var runs []syncstate.Run
	err := s.readLog(ctx, func(db *sql.DB) error {
		runs = runs[:0]
		rows, err := db.QueryContext(ctx, `SELECT `+runColumns+` FROM runs
			WHERE (?1 = '' OR vendor = ?1) AND (?2 = '' OR account = ?2) ORDER BY id DESC LIMIT ?3`,
			f.Vendor, f.Account, limit)
		if err != nil {
			return err
		}
		defer rows.Close() //nolint:errcheck // rows.Err reports what matters
		for rows.Next() {
			r, err := scanRun(rows)
			if err != nil {
				return err
			}
			runs = append(runs, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, s.failed(ctx, "reading the runs", err)
	}
	return runs, nil
}

// Run returns the run with the given ID; see syncstate.RunLog.
func (s *Store) Run(ctx context.Context, id int64) (syncstate.Run, bool, error) {
	return s.oneRun(ctx, fmt.Sprintf("reading run %d", id), `SELECT `+runColumns+` FROM runs WHERE id = ?`, id)
}

// RunAt returns the run of vendor's account running at t; see
// syncstate.RunLog.
func (s *Store) RunAt(ctx context.Context, vendor, account string, t time.Time) (syncstate.Run, bool, error) {
	at := formatTime(t)
	return s.oneRun(ctx, fmt.Sprintf("reading the run of %s/%s at %s", vendor, account, at),
		`SELECT `+runColumns+` FROM runs
		WHERE vendor = ?1 AND account = ?2 AND started_at <= ?3 AND (ended_at IS NULL OR ended_at >= ?3)
		ORDER BY started_at DESC, id DESC LIMIT 1`, vendor, account, at)
}

func (s *Store) oneRun(ctx context.Context, what, query string, args ...any) (syncstate.Run, bool, error) {
	if s.closed.Load() {
		return syncstate.Run{}, false, syncstate.ErrClosed
	}
	var r syncstate.Run
	found := false
	err := s.readLog(ctx, func(db *sql.DB) error {
		var err error
		r, err = scanRun(db.QueryRowContext(ctx, query, args...))
		found = err == nil
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return syncstate.Run{}, false, s.failed(ctx, what, err)
	}
	return r, found, nil
}

// LastFailure returns the failure recorded for k; see syncstate.RunLog.
func (s *Store) LastFailure(ctx context.Context, k syncstate.Key) (syncstate.Failure, bool, error) {
	if s.closed.Load() {
		return syncstate.Failure{}, false, syncstate.ErrClosed
	}
	var f syncstate.Failure
	found := false
	err := s.readLog(ctx, func(db *sql.DB) error {
		var at string
		f = syncstate.Failure{Key: k}
		err := db.QueryRowContext(ctx, `SELECT run_id, failed_at, line, code, message, http_status, vendor_code, retryable,
			field, request_id FROM failures WHERE vendor = ? AND account = ? AND key = ?`, k.Vendor, k.Account, k.Key).
			Scan(&f.RunID, &at, &f.Line, &f.Code, &f.Message, &f.HTTPStatus, &f.VendorCode, &f.Retryable, &f.Field, &f.RequestID)
		found = err == nil
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return nil
		case err != nil:
			return err
		}
		f.At, err = parseTime(k, at)
		return err
	})
	if err != nil {
		return syncstate.Failure{}, false, s.failed(ctx, "reading the failure of "+k.String(), err)
	}
	return f, found, nil
}

// readLog runs f on connections that read the run log, unless the file
// has none yet (no schema, or one older than the run log): f is then not
// called, and the log reads as empty.
func (s *Store) readLog(ctx context.Context, f func(db *sql.DB) error) error {
	return s.read(ctx, func(rd *reader) error {
		if rd == nil {
			return nil
		}
		if rd.version < runLogSchema {
			// A live read-only store may have been opened before a
			// writer migrated the file.
			version, err := schemaOf(ctx, rd.db)
			if err != nil || version < runLogSchema {
				return err
			}
		}
		return f(rd.db)
	})
}

type scanner interface{ Scan(dest ...any) error }

func scanRun(row scanner) (syncstate.Run, error) {
	var r syncstate.Run
	var started, byCode string
	var ended sql.NullString
	var exit sql.NullInt64
	err := row.Scan(&r.ID, &r.Vendor, &r.Account, &r.Input, &r.Host, &r.PID, &started, &ended, &r.Records, &r.Succeeded,
		&r.Unchanged, &r.Failed, &r.NotSent, &byCode, &r.Stop, &exit, &r.FailuresFile)
	if err != nil {
		return syncstate.Run{}, err
	}
	if r.Started, err = time.Parse(syncstate.TimeLayout, started); err != nil {
		return syncstate.Run{}, fmt.Errorf("run %d has a malformed started_at %q", r.ID, started)
	}
	if ended.Valid {
		if r.Ended, err = time.Parse(syncstate.TimeLayout, ended.String); err != nil {
			return syncstate.Run{}, fmt.Errorf("run %d has a malformed ended_at %q", r.ID, ended.String)
		}
	}
	r.ExitCode = int(exit.Int64)
	if r.ByCode, err = syncstate.DecodeByCode(r.ID, byCode); err != nil {
		return syncstate.Run{}, err
	}
	return r, nil
}

// writable refuses writes to a closed or read-only store.
func (s *Store) writable() error {
	switch {
	case s.closed.Load():
		return syncstate.ErrClosed
	case s.ro != nil:
		return fmt.Errorf("sqlite state %s: %w", s.path, syncstate.ErrReadOnly)
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
	return fmt.Errorf("sqlite state %s: %s: %w", s.path, what, err)
}

func formatTime(t time.Time) string { return syncstate.Normalize(t).Format(syncstate.TimeLayout) }
