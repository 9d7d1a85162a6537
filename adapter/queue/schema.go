package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/custsync/custsync/internal/pgschema"
)

// migrationLock is the advisory lock key that serializes Migrate: its own,
// not the state store's, since both may share a database.
const migrationLock = 0x63737175 // "csqu"

// migrations build the queue's own tables; custsync_queue_schema.version
// counts those applied. Append, never edit.
var migrations = []string{
	// 1: runs, their shards, the shards' records, and the failures of
	// finished shards.
	`CREATE TABLE custsync_queue_runs (
		id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		vendor      text        NOT NULL,
		account     text        NOT NULL,
		input       text        NOT NULL,
		shards      integer     NOT NULL,
		force       boolean     NOT NULL,
		enqueued_at timestamptz NOT NULL,
		finished_at timestamptz,          -- NULL until every shard finished
		halt_reason text,                 -- NULL unless a shard halted the run
		halt_setup  boolean     NOT NULL DEFAULT false
	);
	CREATE INDEX custsync_queue_runs_unfinished ON custsync_queue_runs (vendor, account, id) WHERE finished_at IS NULL;
	CREATE TABLE custsync_queue_shards (
		run_id      bigint      NOT NULL REFERENCES custsync_queue_runs ON DELETE CASCADE,
		shard       integer     NOT NULL,
		records     bigint      NOT NULL, -- as enqueued
		started_at  timestamptz,
		finished_at timestamptz,
		succeeded   bigint      NOT NULL DEFAULT 0,
		unchanged   bigint      NOT NULL DEFAULT 0,
		failed      bigint      NOT NULL DEFAULT 0,
		not_sent    bigint      NOT NULL DEFAULT 0,
		finalized   bigint      NOT NULL DEFAULT 0,
		by_code     jsonb       NOT NULL DEFAULT '{}', -- code -> count
		dropped     jsonb       NOT NULL DEFAULT '{}', -- field -> count
		mismatched  jsonb       NOT NULL DEFAULT '{}', -- field -> count
		PRIMARY KEY (run_id, shard)
	);
	-- A shard's records, as JSON lines in input order, in chunks of about
	-- a MiB, so that neither Enqueue nor a worker holds a shard in memory;
	-- lines holds each record's line in the input.
	CREATE TABLE custsync_queue_records (
		run_id  bigint   NOT NULL,
		shard   integer  NOT NULL,
		chunk   integer  NOT NULL,
		lines   bigint[] NOT NULL,
		payload bytea    NOT NULL,
		PRIMARY KEY (run_id, shard, chunk),
		FOREIGN KEY (run_id, shard) REFERENCES custsync_queue_shards ON DELETE CASCADE
	);
	CREATE TABLE custsync_queue_failures (
		run_id bigint  NOT NULL,
		shard  integer NOT NULL,
		line   bigint  NOT NULL,
		body   bytea   NOT NULL, -- the failures file's line
		PRIMARY KEY (run_id, line),
		FOREIGN KEY (run_id, shard) REFERENCES custsync_queue_shards ON DELETE CASCADE
	)`,
	// 2: the run's ID in the workers' run log (syncstate.RunLog), set by
	// the first shard to start; NULL while none recorded it.
	`ALTER TABLE custsync_queue_runs ADD COLUMN log_run bigint`,
}

// schema is the queue's own tables and how they came to be.
var schema = pgschema.Schema{Name: "queue schema", Table: "custsync_queue_schema", Migrations: migrations}

// discardLogger silences River where the caller gave no logger.
var discardLogger = slog.New(slog.DiscardHandler)

// connect opens a pool on url; its errors never carry the password.
func connect(ctx context.Context, url string) (*pgxpool.Pool, *pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's parse errors can quote the URL, password included.
		return nil, nil, errors.New("queue: the connection URL is malformed (want postgres://user:password@host:port/database)")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("queue %s: %w", pgschema.Where(cfg), err)
	}
	return pool, cfg, nil
}

// migrate runs River's migrations and the queue's under a session lock
// held by a connection of its own: River's migrator runs on other
// connections of the pool, in transactions of its own.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return err
	}
	defer func() {
		// Closing the connection would release the lock as well: a
		// failed unlock costs nothing but the connection.
		if _, err := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLock); err != nil {
			_ = conn.Conn().Close(context.WithoutCancel(ctx)) // the unlock's error says enough
		}
	}()
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: discardLogger})
	if err != nil {
		return err
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrating River's schema: %w", err)
	}
	return migrateOwn(ctx, conn.Conn())
}

func migrateOwn(ctx context.Context, conn *pgx.Conn) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit; after a failure, the error returned says what went wrong
	if err := schema.Migrate(ctx, tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// notMigrated is ErrNotMigrated saying what is missing and what to run.
func notMigrated(what string) error {
	return fmt.Errorf("%w (%s): run `custsync migrate --queue URL`", ErrNotMigrated, what)
}

// checkMigrated fails with ErrNotMigrated unless River's schema and the
// queue's are current; it writes nothing.
func checkMigrated(ctx context.Context, pool *pgxpool.Pool) error {
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: discardLogger})
	if err != nil {
		return err
	}
	res, err := migrator.Validate(ctx, nil)
	switch {
	case pgschema.IsUndefinedTable(err):
		return notMigrated("River's tables are missing")
	case err != nil:
		return err
	case !res.OK:
		return notMigrated("River's schema is not current")
	}
	version, err := schema.Version(ctx, pool)
	switch {
	case err != nil:
		return err
	case version == 0:
		return notMigrated("the queue's tables are missing")
	case version < len(migrations):
		return notMigrated(fmt.Sprintf("the queue's schema is at version %d of %d", version, len(migrations)))
	}
	return nil
}
