// Package sqlite is the embedded sync state store: one SQLite file,
// created on first use, written through modernc.org/sqlite (pure Go, no
// cgo, so `go install` works everywhere and cross-compiles).
//
// The file is in WAL mode: readers never wait for the writer, and several
// processes can share the file (each write takes SQLite's write lock,
// waiting up to BusyTimeout for another process's). One writer goroutine
// per Store commits concurrent Puts together, on one connection of its
// own. A Put has reached the disk when it returns (synchronous=FULL),
// except where syncstate.Store.Put allows a lazy write: a commit whose
// every entry created a record it expected absent is only written to the
// WAL (synchronous=NORMAL), which a crash of the process never loses,
// and is synced with the next commit that is not lazy, the first one
// LazySyncEvery or more after the last synced one, or Close. A new file
// is created
// readable by its owner only (0600), as are SQLite's files beside it.
// OpenReadOnly reads the file without writing it or anything beside it,
// with no write permission needed.
//
// # Inspecting the state
//
// The schema version is the file's user_version; the records are in one
// table:
//
//	$ sqlite3 custsync-state.db 'SELECT vendor, key, vendor_id, synced_at FROM records ORDER BY synced_at DESC LIMIT 5'
//	$ sqlite3 custsync-state.db 'SELECT vendor, count(*), max(synced_at) FROM records GROUP BY vendor'
//	$ sqlite3 custsync-state.db "DELETE FROM records WHERE vendor = 'billbee' AND key = '100000150176895'"  # re-send one
//
// synced_at is UTC text ("2026-12-01T02:00:07.123456Z"), so text order is
// time order. Deleting a row only makes the next push send that record
// again.
//
// The run log (syncstate.RunLog) is in two more tables: runs, one row
// per run (ended_at and exit_code NULL until it finished), and failures,
// one row per customer that failed, with the failure of its newest run:
//
//	$ sqlite3 custsync-state.db 'SELECT id, vendor, started_at, ended_at, failed, not_sent, exit_code FROM runs ORDER BY id DESC LIMIT 5'
//	$ sqlite3 custsync-state.db "SELECT key, run_id, line, code, message FROM failures WHERE vendor = 'billbee'"
//
// Neither is read by a run: deleting rows of either forgets history, and
// changes nothing a push sends.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	sqlitedriver "modernc.org/sqlite" // the database/sql driver "sqlite"

	"github.com/custsync/custsync/adapter/syncstate"
	"github.com/custsync/custsync/adapter/syncstate/internal/groupcommit"
)

// BusyTimeout is how long a write waits for another process's write lock.
const BusyTimeout = 30 * time.Second

// maxBatch bounds the records committed in one transaction.
const maxBatch = 1000

// LazySyncEvery bounds how long a run's lazy writes (see
// syncstate.Store.Put) stay in the WAL unsynced: a commit this long or
// longer after the last synced one is synced, lazy or not.
const LazySyncEvery = time.Second

// migrations build the schema; the file's user_version counts those
// applied. Append, never edit: a file written by an older custsync is
// brought up to date by the migrations it has not had.
var migrations = []string{
	// 1: the records, keyed by vendor, account and the vendor's key.
	`CREATE TABLE records (
		vendor    TEXT NOT NULL,
		account   TEXT NOT NULL,
		key       TEXT NOT NULL,
		digest    TEXT NOT NULL,
		vendor_id TEXT NOT NULL,
		synced_at TEXT NOT NULL, -- UTC, fixed width, to the microsecond
		PRIMARY KEY (vendor, account, key)
	) WITHOUT ROWID`,
	// 2: the run log (syncstate.RunLog): the runs, and each customer's
	// last failure.
	`CREATE TABLE runs (
		id            INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused, even after a DELETE
		vendor        TEXT    NOT NULL,
		account       TEXT    NOT NULL,
		input         TEXT    NOT NULL,
		host          TEXT    NOT NULL,
		pid           INTEGER NOT NULL,
		started_at    TEXT    NOT NULL, -- UTC, as records.synced_at
		ended_at      TEXT,             -- NULL until the run finished
		records       INTEGER NOT NULL DEFAULT 0,
		succeeded     INTEGER NOT NULL DEFAULT 0,
		unchanged     INTEGER NOT NULL DEFAULT 0,
		failed        INTEGER NOT NULL DEFAULT 0,
		not_sent      INTEGER NOT NULL DEFAULT 0,
		by_code       TEXT    NOT NULL DEFAULT '{}', -- a JSON object: code -> count
		stop          TEXT    NOT NULL DEFAULT '',
		exit_code     INTEGER,          -- NULL until the run finished
		failures_file TEXT    NOT NULL DEFAULT ''
	);
	CREATE INDEX runs_by_account ON runs (vendor, account, started_at);
	CREATE TABLE failures (
		vendor      TEXT    NOT NULL,
		account     TEXT    NOT NULL,
		key         TEXT    NOT NULL,
		run_id      INTEGER NOT NULL,
		failed_at   TEXT    NOT NULL, -- UTC, as records.synced_at
		line        INTEGER NOT NULL,
		code        TEXT    NOT NULL,
		message     TEXT    NOT NULL,
		http_status INTEGER NOT NULL,
		vendor_code TEXT    NOT NULL,
		retryable   INTEGER NOT NULL,
		field       TEXT    NOT NULL,
		request_id  TEXT    NOT NULL,
		PRIMARY KEY (vendor, account, key)
	) WITHOUT ROWID`,
}

// runLogSchema is the first schema that keeps the run log.
const runLogSchema = 2

// SchemaVersion is the schema this package writes.
var SchemaVersion = len(migrations)

// Store is a sync state store in one SQLite file.
type Store struct {
	// The connections and statements of a store opened with Open; nil
	// when it was opened read-only.
	db      *sql.DB
	getMany *sql.Stmt
	w       *writeConn
	writer  *groupcommit.Committer
	// ro reads a store opened with OpenReadOnly; nil otherwise.
	ro     *readOnly
	path   string
	closed atomic.Bool
}

var _ syncstate.Store = (*Store)(nil)

// Open opens the state file at path, creating it (not its directory) and
// its schema on first use and migrating an older schema. A file written
// by a newer custsync, or that is not a custsync state file, is refused.
//
// The state names customers, so a new file is created with mode 0600,
// whatever the umask; SQLite gives its -wal and -shm files the mode of
// the state file. An existing file keeps its mode. A path that is a
// symbolic link to nothing is refused rather than followed, since
// creating the link's target would write wherever whoever planted the
// link chose; so is a -wal, -shm or -journal file that is a symbolic link.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	if err := create(path); err != nil {
		return nil, fmt.Errorf("sqlite state %s: %w", path, err)
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)") // the writer's own connection sets it per commit
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate") // take the write lock at BEGIN: no upgrade deadlocks between processes
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite state %s: %w", path, err)
	}
	s := &Store{db: db, path: path}
	if err := s.migrateInTurn(ctx); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	if s.w, err = openWriteConn(ctx, db); err != nil {
		return nil, errors.Join(fmt.Errorf("sqlite state %s: %w", path, err), db.Close())
	}
	if s.getMany, err = db.PrepareContext(ctx, getMany); err != nil {
		return nil, errors.Join(fmt.Errorf("sqlite state %s: %w", path, err), s.w.close(), db.Close())
	}
	s.writer = groupcommit.New(s.commit, maxBatch)
	return s, nil
}

// checkPath refuses a path that Open and OpenReadOnly cannot use.
func checkPath(path string) error {
	if path == "" {
		return errors.New("sqlite state: the path is empty")
	}
	if strings.ContainsAny(path, "?#") {
		return fmt.Errorf("sqlite state: %q: the path may not contain '?' or '#'", path)
	}
	if dir := filepath.Dir(path); dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return fmt.Errorf("sqlite state: the directory of %s: %w", path, err)
		}
	}
	return nil
}

// create makes an empty state file at path, mode 0600, unless something
// is there, and refuses the symbolic links Open documents. O_CREATE with
// O_EXCL never follows a link at path, dangling or not (POSIX).
func create(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		// The umask may have taken bits from 0600; set exactly 0600.
		err = f.Chmod(0o600)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	case !errors.Is(err, fs.ErrExist):
		return err
	}
	return refuseLinks(path)
}

// refuseLinks refuses a path that is a symbolic link to nothing, and
// companion files that are symbolic links: SQLite would create them
// where the link points.
func refuseLinks(path string) error {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			target, _ := os.Readlink(path)
			return fmt.Errorf("the path is a symbolic link to %q, which does not exist; refusing to create it", target)
		}
	}
	// SQLite opens its companion files next to the file the path resolves to.
	bases := []string{path}
	if resolved, err := filepath.EvalSymlinks(path); err == nil && resolved != path {
		bases = append(bases, resolved)
	}
	for _, base := range bases {
		for _, suffix := range []string{"-wal", "-shm", "-journal"} {
			if fi, err := os.Lstat(base + suffix); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
				return fmt.Errorf("%s is a symbolic link; refusing to let SQLite write through it", base+suffix)
			}
		}
	}
	return nil
}

// migrateInTurn runs migrate, and again while another process holds the
// file. Pushes started together on one file meet here, and some of
// SQLite's lock transitions (switching a new file to WAL, recovering the
// WAL index, lock upgrades it refuses to avoid deadlock) answer
// SQLITE_BUSY at once instead of consulting the busy timeout: seen as
// "database is locked" failing one of two pushes started together. Open
// waits its turn, up to BusyTimeout.
func (s *Store) migrateInTurn(ctx context.Context) error {
	deadline := time.Now().Add(BusyTimeout)
	pause := 5 * time.Millisecond
	for {
		err := s.migrate(ctx)
		if err == nil || !isBusy(err) || time.Now().Add(pause).After(deadline) {
			return err
		}
		t := time.NewTimer(pause + rand.N(pause))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		pause = min(2*pause, 250*time.Millisecond)
	}
}

// isBusy reports SQLITE_BUSY and SQLITE_LOCKED, with their extended codes.
func isBusy(err error) bool {
	var e *sqlitedriver.Error
	if !errors.As(err, &e) {
		return false
	}
	code := e.Code() & 0xff
	return code == 5 || code == 6
}

func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite state %s: %w", s.path, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit; after a failure, the error returned says what went wrong
	version, err := schemaOf(ctx, tx)
	if err != nil {
		return fmt.Errorf("sqlite state %s: %w", s.path, err)
	}
	for i := version; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("sqlite state %s: migrating to schema %d: %w", s.path, i+1, err)
		}
	}
	if version == len(migrations) {
		return nil
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migrations))); err != nil {
		return fmt.Errorf("sqlite state %s: %w", s.path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite state %s: %w", s.path, err)
	}
	return nil
}

// schemaOf returns the schema version of the file q reads, 0 for a file
// with no schema yet, and refuses a file written by a newer custsync or
// by another program.
func schemaOf(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}) (int, error) {
	var version int
	if err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return 0, fmt.Errorf("not a readable SQLite file: %w", err)
	}
	if version > len(migrations) {
		return 0, fmt.Errorf("schema version %d was written by a newer custsync (this one knows up to %d); upgrade custsync", version, len(migrations))
	}
	if version == 0 {
		// A new file is empty; a file with tables but no version is someone else's.
		var tables int
		if err := q.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&tables); err != nil {
			return 0, err
		}
		if tables > 0 {
			return 0, errors.New("the file holds other tables and no custsync schema version; not a custsync state file")
		}
	}
	return version, nil
}

// reader is what lookups run on: connections to the file and the lookup
// statement prepared on them, and the file's schema version.
type reader struct {
	db      *sql.DB
	getMany *sql.Stmt
	version int
}

// read runs f on the store's reader. For a store opened read-only, f may
// run more than once (see readOnly.read), and with nil while the store
// holds no records.
func (s *Store) read(ctx context.Context, f func(r *reader) error) error {
	if s.ro != nil {
		return s.ro.read(ctx, f)
	}
	return f(&reader{db: s.db, getMany: s.getMany, version: len(migrations)})
}

// Get returns the record stored for k.
func (s *Store) Get(ctx context.Context, k syncstate.Key) (syncstate.Record, bool, error) {
	if s.closed.Load() {
		return syncstate.Record{}, false, syncstate.ErrClosed
	}
	var r syncstate.Record
	var at string
	found := false
	err := s.read(ctx, func(rd *reader) error {
		found = false
		if rd == nil {
			return nil
		}
		err := rd.db.QueryRowContext(ctx,
			`SELECT digest, vendor_id, synced_at FROM records WHERE vendor = ? AND account = ? AND key = ?`,
			k.Vendor, k.Account, k.Key).Scan(&r.Digest, &r.VendorID, &at)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		found = err == nil
		return err
	})
	switch {
	case err != nil:
		if ctx.Err() != nil {
			return syncstate.Record{}, false, ctx.Err()
		}
		return syncstate.Record{}, false, fmt.Errorf("sqlite state %s: reading %s: %w", s.path, k, err)
	case !found:
		return syncstate.Record{}, false, nil
	}
	if r.SyncedAt, err = parseTime(k, at); err != nil {
		return syncstate.Record{}, false, fmt.Errorf("sqlite state %s: %w", s.path, err)
	}
	return r, true, nil
}

func parseTime(k syncstate.Key, at string) (time.Time, error) {
	t, err := time.Parse(syncstate.TimeLayout, at)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s has a malformed synced_at %q", k, at)
	}
	return t, nil
}

// Holds reports whether any record of vendor's account is stored; see
// syncstate.Store.
func (s *Store) Holds(ctx context.Context, vendor, account string) (bool, error) {
	if s.closed.Load() {
		return false, syncstate.ErrClosed
	}
	held := false
	err := s.read(ctx, func(rd *reader) error {
		held = false
		if rd == nil {
			return nil
		}
		return rd.db.QueryRowContext(ctx,
			`SELECT EXISTS (SELECT 1 FROM records WHERE vendor = ? AND account = ?)`, vendor, account).Scan(&held)
	})
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, fmt.Errorf("sqlite state %s: reading %s/%s: %w", s.path, vendor, account, err)
	}
	return held, nil
}

// getMany looks up the keys given as one JSON array of [vendor,
// account, key] arrays: one statement whatever the number of keys,
// prepared once, each key one primary-key search (CROSS JOIN fixes the
// order of the loops).
const getMany = `SELECT k.key, r.digest, r.vendor_id, r.synced_at
FROM json_each(?1) AS k CROSS JOIN records AS r
WHERE r.vendor = k.value ->> 0 AND r.account = k.value ->> 1 AND r.key = k.value ->> 2`

// GetMany returns the records stored for keys in one query; see
// syncstate.Store.
func (s *Store) GetMany(ctx context.Context, keys []syncstate.Key) (map[syncstate.Key]syncstate.Record, error) {
	if s.closed.Load() {
		return nil, syncstate.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	found := make(map[syncstate.Key]syncstate.Record, len(keys))
	seen := make(map[syncstate.Key]struct{}, len(keys))
	asked := make([][3]string, 0, len(keys))
	for _, k := range keys {
		if _, ok := seen[k]; ok || !storable(k) {
			continue
		}
		seen[k] = struct{}{}
		asked = append(asked, [3]string{k.Vendor, k.Account, k.Key})
	}
	if len(asked) == 0 {
		return found, nil
	}
	arg, err := json.Marshal(asked)
	if err != nil {
		return nil, fmt.Errorf("sqlite state %s: %w", s.path, err)
	}
	err = s.read(ctx, func(rd *reader) error {
		clear(found)
		if rd == nil {
			return nil
		}
		return lookUp(ctx, rd, string(arg), asked, found)
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if s.closed.Load() {
			return nil, syncstate.ErrClosed
		}
		return nil, fmt.Errorf("sqlite state %s: reading %d records: %w", s.path, len(asked), err)
	}
	return found, nil
}

// lookUp runs getMany for the keys asked (arg is their JSON) on rd,
// adding the records found to found.
func lookUp(ctx context.Context, rd *reader, arg string, asked [][3]string, found map[syncstate.Key]syncstate.Record) error {
	rows, err := rd.getMany.QueryContext(ctx, arg)
	if err != nil {
		return err
	}
	defer rows.Close() //nolint:errcheck // rows.Err reports what matters
	for rows.Next() {
		var i int
		var r syncstate.Record
		var at string
		if err := rows.Scan(&i, &r.Digest, &r.VendorID, &at); err != nil {
			return err
		}
		if i < 0 || i >= len(asked) {
			return fmt.Errorf("a lookup answered key number %d of %d", i, len(asked))
		}
		k := syncstate.Key{Vendor: asked[i][0], Account: asked[i][1], Key: asked[i][2]}
		if r.SyncedAt, err = parseTime(k, at); err != nil {
			return err
		}
		found[k] = r
	}
	return rows.Err()
}

// storable reports whether Put could have stored k: it refuses NUL
// bytes and invalid UTF-8, and JSON cannot carry invalid UTF-8 (the key
// would be looked up as another), so such a key is left out, as absent.
func storable(k syncstate.Key) bool {
	for _, v := range []string{k.Vendor, k.Account, k.Key} {
		if strings.ContainsRune(v, 0) || !utf8.ValidString(v) {
			return false
		}
	}
	return true
}

// Put stores entries durably; see syncstate.Store. A store opened
// read-only refuses it with syncstate.ErrReadOnly.
func (s *Store) Put(ctx context.Context, entries ...syncstate.Entry) error {
	if s.ro != nil {
		if s.closed.Load() {
			return syncstate.ErrClosed
		}
		return fmt.Errorf("sqlite state %s: %w", s.path, syncstate.ErrReadOnly)
	}
	for _, e := range entries {
		if err := e.Check(); err != nil {
			return err
		}
	}
	return s.writer.Put(ctx, entries)
}

// upsert writes one entry. ?7 is 1 for a conditional entry, ?8 the
// digest it expects ("" for none, which never matches a stored row), ?9
// the digest written when that no longer holds. Every entry writes:
// synced_at is data, never a condition.
const upsert = `INSERT INTO records (vendor, account, key, digest, vendor_id, synced_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT (vendor, account, key) DO UPDATE SET
	digest = CASE WHEN ?7 = 0 OR records.digest IN (?8, excluded.digest) THEN excluded.digest ELSE ?9 END,
	vendor_id = excluded.vendor_id, synced_at = excluded.synced_at`

// createOnly writes an entry that expects no record, if there is none: it
// changes no row when there is one, and the entry is then written with
// upsert, which writes its conflict digest.
const createOnly = `INSERT INTO records (vendor, account, key, digest, vendor_id, synced_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING`

// writeConn is the writer's own connection: the synchronous setting
// applies to a connection and must be chosen before BEGIN, so the
// writer begins and commits its transactions itself, with statements
// prepared once on it (a statement prepared on the pool would be
// prepared again for every transaction on a pinned connection).
type writeConn struct {
	conn           *sql.Conn
	begin, commit  *sql.Stmt
	rollback       *sql.Stmt
	upsert, create *sql.Stmt
	createN        [maxCreateRows + 1]*sql.Stmt // createOnly for n rows, prepared when first used
	args           []any                        // createRows' arguments, kept for the next commit
	synced         time.Time                    // when the last synced commit ended
	lazy           bool                         // a commit since then was not synced
	full           bool                         // the connection's synchronous setting is FULL
}

func openWriteConn(ctx context.Context, db *sql.DB) (*writeConn, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	w := &writeConn{conn: conn, synced: time.Now()}
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		{&w.begin, "BEGIN IMMEDIATE"}, {&w.commit, "COMMIT"}, {&w.rollback, "ROLLBACK"},
		{&w.upsert, upsert}, {&w.create, createOnly},
	} {
		if *p.stmt, err = conn.PrepareContext(ctx, p.query); err != nil {
			return nil, errors.Join(err, w.close())
		}
	}
	if err := w.setFull(ctx, true); err != nil {
		return nil, errors.Join(err, w.close())
	}
	return w, nil
}

// setFull sets the connection's synchronous level: FULL, or NORMAL. The
// PRAGMA runs from its text each time, never as a prepared statement:
// SQLite applies it when it is prepared, and stepping a prepared one
// again does nothing.
func (w *writeConn) setFull(ctx context.Context, full bool) error {
	level := "NORMAL"
	if full {
		level = "FULL"
	}
	if _, err := w.conn.ExecContext(ctx, "PRAGMA synchronous = "+level); err != nil {
		return err
	}
	w.full = full
	return nil
}

// close releases the writer's statements and connection, syncing lazy
// writes first: a checkpoint syncs the WAL before it copies it.
func (w *writeConn) close() error {
	var errs []error
	if w.lazy {
		_, err := w.conn.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
		errs = append(errs, err)
	}
	for _, st := range append([]*sql.Stmt{w.begin, w.commit, w.rollback, w.upsert, w.create}, w.createN[:]...) {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(append(errs, w.conn.Close())...)
}

// lazyEntry reports whether a lost write of e leaves its key as it was:
// e expects no record, so if it creates one, losing it makes the key
// absent again.
func lazyEntry(e syncstate.Entry) bool { return e.IfDigest != nil && *e.IfDigest == "" }

// commit writes entries in one transaction, in order, synced unless it
// may be lazy (see Store). An entry that expects no record and finds
// one writes its conflict digest, which must not be lost: the commit is
// then synced afterwards, by a checkpoint.
func (s *Store) commit(ctx context.Context, entries []syncstate.Entry) error {
	w := s.w
	lazy := time.Since(w.synced) < LazySyncEvery
	for _, e := range entries {
		lazy = lazy && lazyEntry(e)
	}
	// ctx bounds the wait for another process's write lock, at BEGIN.
	// Once it is taken no statement waits for another process, and
	// without a deadline the driver watches no context per statement.
	write := context.WithoutCancel(ctx)
	if lazy == w.full {
		if err := w.setFull(write, !lazy); err != nil {
			return fmt.Errorf("sqlite state %s: %w", s.path, err)
		}
	}
	if _, err := w.begin.ExecContext(ctx); err != nil {
		return fmt.Errorf("sqlite state %s: %w", s.path, err)
	}
	conflicted, err := s.writeEntries(write, entries)
	if err == nil {
		if _, err = w.commit.ExecContext(write); err != nil {
			err = fmt.Errorf("sqlite state %s: commit: %w", s.path, err)
		}
	}
	if err != nil {
		// The error returned says what went wrong; a failed COMMIT may have
		// rolled back already.
		_, _ = w.rollback.ExecContext(write)
		return err
	}
	switch {
	case !lazy:
		w.synced, w.lazy = time.Now(), false
	case conflicted:
		// With synchronous=NORMAL a checkpoint syncs the WAL first.
		if _, err := w.conn.ExecContext(write, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
			return fmt.Errorf("sqlite state %s: syncing: %w", s.path, err)
		}
		w.synced, w.lazy = time.Now(), false
	default:
		w.lazy = true
	}
	return nil
}

// writeEntries writes entries in order, and reports whether an entry
// that expected no record found one. Runs of such entries are created
// by one statement each (createRows), which is most of a first night's
// writes; the rest are written one statement each.
func (s *Store) writeEntries(ctx context.Context, entries []syncstate.Entry) (conflicted bool, err error) {
	for len(entries) > 0 {
		n := 0
		for n < len(entries) && n < maxCreateRows && lazyEntry(entries[n]) {
			n++
		}
		if n > 1 {
			created, err := s.createRows(ctx, entries[:n])
			if err != nil {
				return false, err
			}
			if created == n {
				entries = entries[n:]
				continue
			}
			// A record was there: write them again one by one, which
			// leaves each one just created as it is and writes the
			// conflict digest where one was there before.
			conflicted = true
		}
		if n == 0 {
			n = 1
		}
		for _, e := range entries[:n] {
			c, err := s.writeEntry(ctx, e)
			if err != nil {
				return false, err
			}
			conflicted = conflicted || c
		}
		entries = entries[n:]
	}
	return conflicted, nil
}

// maxCreateRows bounds the rows of one createRows statement.
const maxCreateRows = 64

// createRows runs createOnly for entries in one statement, and returns
// how many records it created.
func (s *Store) createRows(ctx context.Context, entries []syncstate.Entry) (int, error) {
	w := s.w
	stmt := w.createN[len(entries)]
	if stmt == nil {
		var q strings.Builder
		q.WriteString("INSERT INTO records (vendor, account, key, digest, vendor_id, synced_at) VALUES ")
		for i := range entries {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(?,?,?,?,?,?)")
		}
		q.WriteString(" ON CONFLICT DO NOTHING")
		var err error
		if stmt, err = w.conn.PrepareContext(ctx, q.String()); err != nil {
			return 0, fmt.Errorf("sqlite state %s: %w", s.path, err)
		}
		w.createN[len(entries)] = stmt
	}
	args := w.args[:0]
	var last time.Time
	var at string
	for _, e := range entries {
		if !e.SyncedAt.Equal(last) || at == "" {
			// A commit's entries mostly share their time.
			last, at = e.SyncedAt, syncstate.Normalize(e.SyncedAt).Format(syncstate.TimeLayout)
		}
		args = append(args, e.Vendor, e.Account, e.Key.Key, e.Digest, e.VendorID, at)
	}
	defer func() { clear(args); w.args = args[:0] }()
	res, err := stmt.ExecContext(ctx, args...)
	if err != nil {
		return 0, fmt.Errorf("sqlite state %s: writing %d records: %w", s.path, len(entries), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlite state %s: writing %d records: %w", s.path, len(entries), err)
	}
	return int(n), nil
}

// writeEntry writes one entry, and reports whether it expected no record
// and found one.
func (s *Store) writeEntry(ctx context.Context, e syncstate.Entry) (conflicted bool, err error) {
	w := s.w
	at := syncstate.Normalize(e.SyncedAt).Format(syncstate.TimeLayout)
	if lazyEntry(e) {
		res, err := w.create.ExecContext(ctx, e.Vendor, e.Account, e.Key.Key, e.Digest, e.VendorID, at)
		if err != nil {
			return false, fmt.Errorf("sqlite state %s: writing %s: %w", s.path, e.Key, err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 1 {
			return false, nil
		}
		conflicted = true
	}
	conditional, expect := 0, ""
	if e.IfDigest != nil {
		conditional, expect = 1, *e.IfDigest
	}
	if _, err := w.upsert.ExecContext(ctx, e.Vendor, e.Account, e.Key.Key, e.Digest, e.VendorID, at, conditional, expect, e.Conflict); err != nil {
		return false, fmt.Errorf("sqlite state %s: writing %s: %w", s.path, e.Key, err)
	}
	return conflicted, nil
}

// Close waits for Puts in progress, then closes the file.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	if s.ro != nil {
		return s.ro.close()
	}
	s.writer.Close()
	return errors.Join(s.w.close(), s.getMany.Close(), s.db.Close())
}

// Path is the state file's path.
func (s *Store) Path() string { return s.path }
