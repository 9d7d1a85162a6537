// Package postgres is the sync state store in a PostgreSQL database, for
// runs with no persistent disk (containers, CI runners) and for several
// machines sharing one sync. It uses pgx (v5) and writes each record with
// INSERT ... ON CONFLICT, so concurrent pushes on one database stay
// correct: a confirmation is written only if no other writer confirmed
// the customer since it was read (else the record is marked for sending
// again), whatever the commit order or the writers' clocks.
//
// Open creates the table on first use (custsync_sync_records, in the
// connection's search_path) and records the schema version in
// custsync_schema; concurrent first opens serialize on an advisory lock.
// Concurrent Puts of one Store share one transaction. A transaction whose
// every entry creates a record it expected absent (a first night) is
// committed with synchronous_commit off, the lazy write syncstate.Store.Put
// allows: the server flushes it within a few hundred milliseconds
// (wal_writer_delay) instead of before it answers. OpenReadOnly reads
// the tables and writes nothing, not even them.
//
// The run log (syncstate.RunLog) is in custsync_runs, one row per run,
// and custsync_failures, one row per customer that failed; a run reads
// neither. Migrating to it creates both, so the first Open of a newer
// custsync needs CREATE on the schema again; runs then need only SELECT,
// INSERT and UPDATE, as records do.
package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/custsync/custsync/adapter/syncstate"
	"github.com/custsync/custsync/adapter/syncstate/internal/groupcommit"
	"github.com/custsync/custsync/internal/pgschema"
)

// maxBatch bounds the records committed in one transaction.
const maxBatch = 1000

// migrationLock is the advisory lock key that serializes migrations.
const migrationLock = 0x63757374 // "cust"

// migrations build the schema; custsync_schema.version counts those
// applied. Append, never edit.
var migrations = []string{
	// 1: the records, keyed by vendor, account and the vendor's key.
	`CREATE TABLE custsync_sync_records (
		vendor    text        NOT NULL,
		account   text        NOT NULL,
		key       text        NOT NULL,
		digest    text        NOT NULL,
		vendor_id text        NOT NULL,
		synced_at timestamptz NOT NULL,
		PRIMARY KEY (vendor, account, key)
	)`,
	// 2: the run log (syncstate.RunLog): the runs, and each customer's
	// last failure.
	`CREATE TABLE custsync_runs (
		id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		vendor        text        NOT NULL,
		account       text        NOT NULL,
		input         text        NOT NULL,
		host          text        NOT NULL,
		pid           integer     NOT NULL,
		started_at    timestamptz NOT NULL,
		ended_at      timestamptz,          -- NULL until the run finished
		records       bigint      NOT NULL DEFAULT 0,
		succeeded     bigint      NOT NULL DEFAULT 0,
		unchanged     bigint      NOT NULL DEFAULT 0,
		failed        bigint      NOT NULL DEFAULT 0,
		not_sent      bigint      NOT NULL DEFAULT 0,
		by_code       jsonb       NOT NULL DEFAULT '{}', -- code -> count
		stop          text        NOT NULL DEFAULT '',
		exit_code     integer,              -- NULL until the run finished
		failures_file text        NOT NULL DEFAULT ''
	);
	CREATE INDEX custsync_runs_by_account ON custsync_runs (vendor, account, started_at);
	CREATE TABLE custsync_failures (
		vendor      text        NOT NULL,
		account     text        NOT NULL,
		key         text        NOT NULL,
		run_id      bigint      NOT NULL,
		failed_at   timestamptz NOT NULL,
		line        bigint      NOT NULL,
		code        text        NOT NULL,
		message     text        NOT NULL,
		http_status integer     NOT NULL,
		vendor_code text        NOT NULL,
		retryable   boolean     NOT NULL,
		field       text        NOT NULL,
		request_id  text        NOT NULL,
		PRIMARY KEY (vendor, account, key)
	)`,
}

// runLogSchema is the first schema that keeps the run log.
const runLogSchema = 2

// SchemaVersion is the schema this package writes.
var SchemaVersion = len(migrations)

// Store is a sync state store in a PostgreSQL database.
type Store struct {
	pool   *pgxpool.Pool
	writer *groupcommit.Committer // nil when read-only
	// empty says that a read-only store found no table: it holds no
	// record.
	empty bool
	// version is the schema version: this package's, or for a read-only
	// store the one it found (an older one reads as it is).
	version int
	closed  atomic.Bool
}

var _ syncstate.Store = (*Store)(nil)

// Open connects to the database at url (postgres://user@host/db?...,
// or a key=value connection string), creating or migrating the schema. A
// schema written by a newer custsync is refused. Errors never carry the
// password.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's parse errors can quote the URL, password included.
		return nil, errors.New("postgres state: the connection URL is malformed (want postgres://user:password@host:port/database)")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres state %s: %w", pgschema.Where(cfg), err)
	}
	s := &Store{pool: pool, version: len(migrations)}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres state %s: %w", pgschema.Where(cfg), err)
	}
	s.writer = groupcommit.New(s.commit, maxBatch)
	return s, nil
}

// OpenReadOnly connects to the database at url, as Open does, for
// reading only, as a dry run reads it: it creates, migrates and writes
// nothing, and Put fails with syncstate.ErrReadOnly. Its sessions are
// read-only too (default_transaction_read_only), so that no statement of
// its can write. A database without custsync's tables is a store with no
// records, and stays one while the store is open; a schema written by a
// newer custsync is refused, as Open refuses it. An older schema is read
// as it is, not migrated: what it lacks (the run log) reads as empty.
func OpenReadOnly(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, errors.New("postgres state: the connection URL is malformed (want postgres://user:password@host:port/database)")
	}
	cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres state %s: %w", pgschema.Where(cfg), err)
	}
	version, err := schemaOf(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres state %s: %w", pgschema.Where(cfg), err)
	}
	return &Store{pool: pool, empty: version == 0, version: version}, nil
}

// schema is the store's tables and how they came to be.
var schema = pgschema.Schema{Name: "schema", Table: "custsync_schema", Migrations: migrations}

// schemaOf reads the schema version without writing: 0 where Open has
// not made the tables yet. A version newer than this package's is
// refused.
func schemaOf(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	return schema.Version(ctx, pool)
}

// uniqueViolation is PostgreSQL's SQLSTATE for a key already there.
const uniqueViolation = "23505"

func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit; after a failure, the error returned says what went wrong
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock); err != nil {
		return err
	}
	if err := schema.Migrate(ctx, tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// Get returns the record stored for k.
func (s *Store) Get(ctx context.Context, k syncstate.Key) (syncstate.Record, bool, error) {
	if s.closed.Load() {
		return syncstate.Record{}, false, syncstate.ErrClosed
	}
	if s.empty {
		return syncstate.Record{}, false, ctx.Err()
	}
	var r syncstate.Record
	err := s.pool.QueryRow(ctx,
		`SELECT digest, vendor_id, synced_at FROM custsync_sync_records WHERE vendor = $1 AND account = $2 AND key = $3`,
		k.Vendor, k.Account, k.Key).Scan(&r.Digest, &r.VendorID, &r.SyncedAt)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return syncstate.Record{}, false, nil
	case err != nil:
		if ctx.Err() != nil {
			return syncstate.Record{}, false, ctx.Err()
		}
		return syncstate.Record{}, false, fmt.Errorf("postgres state: reading %s: %w", k, err)
	}
	r.SyncedAt = r.SyncedAt.UTC()
	return r, true, nil
}

// Holds reports whether any record of vendor's account is stored; see
// syncstate.Store.
func (s *Store) Holds(ctx context.Context, vendor, account string) (bool, error) {
	if s.closed.Load() {
		return false, syncstate.ErrClosed
	}
	if s.empty || !storable(syncstate.Key{Vendor: vendor, Account: account}) {
		return false, ctx.Err()
	}
	var held bool
	err := s.pool.QueryRow(ctx,
		`SELECT EXISTS (SELECT 1 FROM custsync_sync_records WHERE vendor = $1 AND account = $2)`, vendor, account).Scan(&held)
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, fmt.Errorf("postgres state: reading %s/%s: %w", vendor, account, err)
	}
	return held, nil
}

// getMany looks keys up in one query: three arrays, unnested side by
// side, drive a join on the primary key.
const getMany = `SELECT r.vendor, r.account, r.key, r.digest, r.vendor_id, r.synced_at
FROM unnest($1::text[], $2::text[], $3::text[]) AS k(vendor, account, key)
JOIN custsync_sync_records AS r ON r.vendor = k.vendor AND r.account = k.account AND r.key = k.key`

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
	vendors, accounts, ks := make([]string, 0, len(keys)), make([]string, 0, len(keys)), make([]string, 0, len(keys))
	for _, k := range keys {
		if _, ok := seen[k]; ok || !storable(k) {
			continue
		}
		seen[k] = struct{}{}
		vendors, accounts, ks = append(vendors, k.Vendor), append(accounts, k.Account), append(ks, k.Key)
	}
	if len(ks) == 0 || s.empty {
		return found, nil
	}
	rows, err := s.pool.Query(ctx, getMany, vendors, accounts, ks)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if s.closed.Load() {
			return nil, syncstate.ErrClosed
		}
		return nil, fmt.Errorf("postgres state: reading %d records: %w", len(ks), err)
	}
	defer rows.Close()
	for rows.Next() {
		var k syncstate.Key
		var r syncstate.Record
		if err := rows.Scan(&k.Vendor, &k.Account, &k.Key, &r.Digest, &r.VendorID, &r.SyncedAt); err != nil {
			return nil, fmt.Errorf("postgres state: reading %d records: %w", len(ks), err)
		}
		r.SyncedAt = r.SyncedAt.UTC()
		found[k] = r
	}
	if err := rows.Err(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("postgres state: reading %d records: %w", len(ks), err)
	}
	return found, nil
}

// storable reports whether PostgreSQL can hold k's text: a key it cannot
// (a NUL byte, invalid UTF-8; Put refuses those) has no record, and
// asking for it would fail the whole query.
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
	if s.writer == nil {
		if s.closed.Load() {
			return syncstate.ErrClosed
		}
		return fmt.Errorf("postgres state: %w", syncstate.ErrReadOnly)
	}
	for _, e := range entries {
		if err := e.Check(); err != nil {
			return err
		}
	}
	return s.writer.Put(ctx, entries)
}

// upsert writes one entry. $7 is true for a conditional entry, $8 the
// digest it expects ("" for none, which never matches a stored row), $9
// the digest written when that no longer holds. Every entry writes:
// synced_at is data, never a condition.
const upsert = `INSERT INTO custsync_sync_records AS r (vendor, account, key, digest, vendor_id, synced_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (vendor, account, key) DO UPDATE SET
	digest = CASE WHEN NOT $7::boolean OR r.digest IN ($8::text, excluded.digest) THEN excluded.digest ELSE $9::text END,
	vendor_id = excluded.vendor_id, synced_at = excluded.synced_at`

// insertAll writes the entries of a lazy commit (see Store), one
// statement for all, when every one creates a record: a first night's
// commit. A key already there fails it whole, with a unique violation,
// and createSome runs instead. Without ON CONFLICT the server checks
// each key once, as it inserts it, not once before as well: a quarter
// less server CPU per record than createSome.
const insertAll = `INSERT INTO custsync_sync_records (vendor, account, key, digest, vendor_id, synced_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])`

// createSome writes the entries of a lazy commit that create a record,
// skipping keys already there, and returns the keys it created.
const createSome = insertAll + `
ON CONFLICT DO NOTHING
RETURNING vendor, account, key`

func (s *Store) commit(ctx context.Context, entries []syncstate.Entry) error {
	// Rows are locked in key order, so two stores committing overlapping
	// keys cannot deadlock. The sort is stable: entries for one key keep
	// their order, and the later one wins.
	sorted := append([]syncstate.Entry(nil), entries...)
	slices.SortStableFunc(sorted, func(a, b syncstate.Entry) int { return compareKeys(a.Key, b.Key) })
	lazy := true
	for _, e := range sorted {
		lazy = lazy && lazyEntry(e)
	}
	if lazy {
		created, err := s.create(ctx, sorted)
		if err != nil {
			return err
		}
		if created == nil {
			return nil // every one created, as on most of a first night's commits
		}
		// An entry that found a record is written as any other, which
		// writes its conflict digest, synchronously. Of entries for one
		// key, only the first can have created it.
		sorted = slices.DeleteFunc(sorted, func(e syncstate.Entry) bool {
			first := created[e.Key]
			delete(created, e.Key)
			return first
		})
		if len(sorted) == 0 {
			return nil
		}
	}
	// One batch, no BEGIN or COMMIT: PostgreSQL runs a batch (statements
	// up to one Sync, or one multi-statement query in the simple
	// protocol) as one implicit transaction, all or none, and answers
	// once it is durable. BEGIN and COMMIT would cost two more round trips
	// per commit.
	var batch pgx.Batch
	for _, e := range sorted {
		conditional, expect := false, ""
		if e.IfDigest != nil {
			conditional, expect = true, *e.IfDigest
		}
		batch.Queue(upsert, e.Vendor, e.Account, e.Key.Key, e.Digest, e.VendorID, syncstate.Normalize(e.SyncedAt), conditional, expect, e.Conflict)
	}
	if err := s.pool.SendBatch(ctx, &batch).Close(); err != nil {
		return fmt.Errorf("postgres state: writing %d records: %w", len(sorted), err)
	}
	return nil
}

// lazyEntry reports whether a lost write of e leaves its key as it was:
// e expects no record, so if it creates one, losing it makes the key
// absent again.
func lazyEntry(e syncstate.Entry) bool { return e.IfDigest != nil && *e.IfDigest == "" }

// create writes entries that expect no record, in one implicit
// transaction that does not wait for the server's disk, and returns the
// keys created: nil when insertAll created every one, else those
// createSome created, which skips keys already there.
func (s *Store) create(ctx context.Context, entries []syncstate.Entry) (map[syncstate.Key]bool, error) {
	n := len(entries)
	vendors, accounts, keys := make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
	digests, ids, at := make([]string, 0, n), make([]string, 0, n), make([]time.Time, 0, n)
	for _, e := range entries {
		vendors, accounts, keys = append(vendors, e.Vendor), append(accounts, e.Account), append(keys, e.Key.Key)
		digests, ids, at = append(digests, e.Digest), append(ids, e.VendorID), append(at, syncstate.Normalize(e.SyncedAt))
	}
	// Local to the transaction: the connection returns to the pool as it
	// was.
	const lazyCommit = `SELECT set_config('synchronous_commit', 'off', true)`
	var batch pgx.Batch
	batch.Queue(lazyCommit)
	batch.Queue(insertAll, vendors, accounts, keys, digests, ids, at)
	err := s.pool.SendBatch(ctx, &batch).Close()
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return nil, nil
	case !errors.As(err, &pgErr) || pgErr.Code != uniqueViolation:
		return nil, fmt.Errorf("postgres state: writing %d records: %w", n, err)
	}
	created := make(map[syncstate.Key]bool, n)
	batch = pgx.Batch{}
	batch.Queue(lazyCommit)
	batch.Queue(createSome, vendors, accounts, keys, digests, ids, at).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var k syncstate.Key
			if err := rows.Scan(&k.Vendor, &k.Account, &k.Key); err != nil {
				return err
			}
			created[k] = true
		}
		return rows.Err()
	})
	if err := s.pool.SendBatch(ctx, &batch).Close(); err != nil {
		return nil, fmt.Errorf("postgres state: writing %d records: %w", n, err)
	}
	return created, nil
}

// compareKeys orders keys by vendor, account, then the vendor's key.
func compareKeys(a, b syncstate.Key) int {
	return cmp.Or(strings.Compare(a.Vendor, b.Vendor), strings.Compare(a.Account, b.Account), strings.Compare(a.Key, b.Key))
}

// Close waits for Puts in progress, then closes the connections.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	if s.writer != nil {
		s.writer.Close()
	}
	s.pool.Close()
	return nil
}
