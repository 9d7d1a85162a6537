package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter/syncstate"
	"github.com/custsync/custsync/adapter/syncstate/postgres"
	"github.com/custsync/custsync/adapter/syncstate/statetest"
	"github.com/custsync/custsync/internal/pgtest"
)

var server *pgtest.Server

// TestMain starts a throwaway PostgreSQL server for the package.
func TestMain(m *testing.M) { pgtest.Main(m, func(s *pgtest.Server) { server = s }) }

func newStorage(t testing.TB) func() (syncstate.Store, error) {
	url := server.NewDatabase(t)
	return func() (syncstate.Store, error) { return postgres.Open(context.Background(), url) }
}

func TestConformance(t *testing.T) {
	statetest.Run(t, statetest.HarnessFunc(newStorage))
}

func newReadOnlyStorage(t testing.TB) (open, openReadOnly func() (syncstate.Store, error)) {
	url := server.NewDatabase(t)
	return func() (syncstate.Store, error) { return postgres.Open(context.Background(), url) },
		func() (syncstate.Store, error) { return postgres.OpenReadOnly(context.Background(), url) }
}

func TestConformanceReadOnly(t *testing.T) {
	statetest.RunReadOnly(t, statetest.ReadOnlyHarnessFunc(newReadOnlyStorage))
}

func BenchmarkStore(b *testing.B) {
	statetest.Benchmark(b, statetest.HarnessFunc(newStorage))
}

func TestOpenRecordsTheSchemaVersionAndRefusesANewerOne(t *testing.T) {
	ctx := context.Background()
	url := server.NewDatabase(t)
	s, err := postgres.Open(ctx, url)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer func() { assert.NoError(t, conn.Close(ctx)) }()
	var version int
	require.NoError(t, conn.QueryRow(ctx, "SELECT version FROM custsync_schema").Scan(&version))
	assert.Equal(t, postgres.SchemaVersion, version)

	_, err = conn.Exec(ctx, "UPDATE custsync_schema SET version = version + 1")
	require.NoError(t, err)
	_, err = postgres.Open(ctx, url)
	assert.ErrorContains(t, err, "newer custsync")
}

func TestAPutThatFailsInTheDatabaseWritesNoneOfItsRecords(t *testing.T) {
	// A key PostgreSQL cannot index (over its 2,704-byte limit for a
	// btree entry, and incompressible) passes Check but fails in the
	// database, after the statements before it ran.
	s, err := newStorage(t)()
	require.NoError(t, err)
	defer func() { assert.NoError(t, s.Close()) }()
	random := make([]byte, 1500)
	_, err = rand.Read(random)
	require.NoError(t, err)
	at := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	first := syncstate.Entry{Key: syncstate.Key{Vendor: "upwell", Account: "a", Key: "A"}, Record: syncstate.Record{Digest: "d", SyncedAt: at}}
	unindexable := syncstate.Entry{Key: syncstate.Key{Vendor: "upwell", Account: "a", Key: "B" + hex.EncodeToString(random)},
		Record: syncstate.Record{Digest: "d", SyncedAt: at}}
	require.NoError(t, unindexable.Check())

	err = s.Put(context.Background(), first, unindexable)
	require.ErrorContains(t, err, "index row")
	got, err := s.GetMany(context.Background(), []syncstate.Key{first.Key, unindexable.Key})
	require.NoError(t, err)
	assert.Empty(t, got, "the statement that ran before the failure was rolled back with it")

	require.NoError(t, s.Put(context.Background(), first), "the store goes on")
}

func TestConcurrentFirstOpensAgreeOnOneSchema(t *testing.T) {
	url := server.NewDatabase(t)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			s, err := postgres.Open(context.Background(), url)
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	for range 8 {
		assert.NoError(t, <-errs)
	}
}

func TestOpenErrorsNeverShowThePassword(t *testing.T) {
	for _, url := range []string{
		"postgres://custsync:s3cret-pw@127.0.0.1:1/state?sslmode=disable&connect_timeout=1",
		"postgres://custsync:s3cret-pw@[::1:bad/state",
	} {
		_, err := postgres.Open(context.Background(), url)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "s3cret-pw")
	}
}

func BenchmarkSecondNight(b *testing.B) {
	statetest.BenchmarkSecondNight(b, statetest.HarnessFunc(newStorage))
}

func BenchmarkPutConcurrent(b *testing.B) {
	statetest.BenchmarkPutConcurrent(b, statetest.HarnessFunc(newStorage))
}

func BenchmarkGetMany(b *testing.B) {
	statetest.BenchmarkGetMany(b, statetest.HarnessFunc(newStorage))
}

// pgState is every row of custsync's tables, each with its xmin, which a
// write changes even when it writes the same values; nil where there is
// no table.
func pgState(t *testing.T, url string) []string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer func() { assert.NoError(t, conn.Close(ctx)) }()
	var rows []string
	for _, q := range []struct{ table, query string }{
		{"custsync_schema", `SELECT format('schema %s %s', xmin, version) FROM custsync_schema`},
		{"custsync_sync_records", `SELECT format('record %s %s %s %s %s %s %s', xmin, vendor, account, key, digest, vendor_id, synced_at)
			FROM custsync_sync_records ORDER BY vendor, account, key`},
		{"custsync_runs", `SELECT format('run %s %s', xmin, r) FROM custsync_runs AS r ORDER BY id`},
		{"custsync_failures", `SELECT format('failure %s %s', xmin, f) FROM custsync_failures AS f ORDER BY vendor, account, key`},
	} {
		var exists bool
		require.NoError(t, conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", q.table).Scan(&exists))
		if !exists {
			continue
		}
		r, err := conn.Query(ctx, q.query)
		require.NoError(t, err)
		got, err := pgx.CollectRows(r, pgx.RowTo[string])
		require.NoError(t, err)
		rows = append(rows, got...)
	}
	return rows
}

func TestOpenReadOnlyWritesNothing(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	k := syncstate.Key{Vendor: "billbee", Account: "a", Key: "1"}
	written := func(t *testing.T) string {
		url := server.NewDatabase(t)
		s, err := postgres.Open(ctx, url)
		require.NoError(t, err)
		require.NoError(t, s.Put(ctx, syncstate.Entry{Key: k, Record: syncstate.Record{Digest: "d", SyncedAt: at}}))
		require.NoError(t, s.Close())
		return url
	}
	tests := []struct {
		name     string
		database func(t *testing.T) string
		found    bool
	}{
		{"a database no store wrote", func(t *testing.T) string { return server.NewDatabase(t) }, false},
		{"a database a store wrote", written, true},
		{"a database of the schema before the run log", func(t *testing.T) string {
			return previousDatabase(t, []syncstate.Entry{{Key: k, Record: syncstate.Record{Digest: "d", SyncedAt: at}}})
		}, true},
		{"a database with runs and failures", func(t *testing.T) string {
			url := written(t)
			s, err := postgres.Open(ctx, url)
			require.NoError(t, err)
			id, err := s.StartRun(ctx, syncstate.Run{Vendor: k.Vendor, Account: k.Account, Started: at})
			require.NoError(t, err)
			require.NoError(t, s.PutFailures(ctx, syncstate.Failure{Key: k, RunID: id, At: at, Code: "NotFound"}))
			require.NoError(t, s.Close())
			return url
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := tt.database(t)
			before := pgState(t, url)
			s, err := postgres.OpenReadOnly(ctx, url)
			require.NoError(t, err)
			_, ok, err := s.Get(ctx, k)
			require.NoError(t, err)
			assert.Equal(t, tt.found, ok)
			got, err := s.GetMany(ctx, []syncstate.Key{k})
			require.NoError(t, err)
			assert.Len(t, got, map[bool]int{true: 1}[tt.found], "one record where a store wrote one")
			err = s.Put(ctx, syncstate.Entry{Key: k, Record: syncstate.Record{Digest: "changed", SyncedAt: at}})
			assert.ErrorIs(t, err, syncstate.ErrReadOnly)
			_, err = s.Runs(ctx, syncstate.RunFilter{Limit: 10})
			require.NoError(t, err)
			_, _, err = s.RunAt(ctx, k.Vendor, k.Account, at)
			require.NoError(t, err)
			_, _, err = s.LastFailure(ctx, k)
			require.NoError(t, err)
			_, err = s.StartRun(ctx, syncstate.Run{Vendor: k.Vendor, Account: k.Account, Started: at})
			assert.ErrorIs(t, err, syncstate.ErrReadOnly)
			err = s.PutFailures(ctx, syncstate.Failure{Key: k, RunID: 1, At: at, Code: "NotFound"})
			assert.ErrorIs(t, err, syncstate.ErrReadOnly)
			require.NoError(t, s.Close())
			assert.Equal(t, before, pgState(t, url), "no table created, no row written, not even with the same values")
		})
	}
}

func TestOpenReadOnlyRefusesASchemaItCannotRead(t *testing.T) {
	ctx := context.Background()
	url := server.NewDatabase(t)
	s, err := postgres.Open(ctx, url)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer func() { assert.NoError(t, conn.Close(ctx)) }()
	_, err = conn.Exec(ctx, "UPDATE custsync_schema SET version = version + 1")
	require.NoError(t, err)
	before := pgState(t, url)

	_, err = postgres.OpenReadOnly(ctx, url)
	assert.ErrorContains(t, err, "newer custsync")
	assert.Equal(t, before, pgState(t, url))

	_, err = postgres.OpenReadOnly(ctx, "postgres://custsync:s3cret-pw@127.0.0.1:1/state?sslmode=disable&connect_timeout=1")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cret-pw")
}

// previousStorage is a database as custsync wrote it before the run log
// (schema 1), holding entries.
func previousStorage(t testing.TB, entries []syncstate.Entry) (open, openReadOnly func() (syncstate.Store, error)) {
	ctx := context.Background()
	url := previousDatabase(t, entries)
	return func() (syncstate.Store, error) { return postgres.Open(ctx, url) },
		func() (syncstate.Store, error) { return postgres.OpenReadOnly(ctx, url) }
}

// previousDatabase is a new database as custsync wrote it before the run
// log (schema 1), holding entries. The schema is spelled out, not taken
// from the package: it is what older binaries wrote.
func previousDatabase(t testing.TB, entries []syncstate.Entry) string {
	ctx := context.Background()
	url := server.NewDatabase(t)
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer func() { assert.NoError(t, conn.Close(ctx)) }()
	_, err = conn.Exec(ctx, `CREATE TABLE custsync_schema (version integer NOT NULL);
	INSERT INTO custsync_schema (version) VALUES (1);
	CREATE TABLE custsync_sync_records (
		vendor    text        NOT NULL,
		account   text        NOT NULL,
		key       text        NOT NULL,
		digest    text        NOT NULL,
		vendor_id text        NOT NULL,
		synced_at timestamptz NOT NULL,
		PRIMARY KEY (vendor, account, key)
	)`)
	require.NoError(t, err)
	for _, e := range entries {
		_, err := conn.Exec(ctx, `INSERT INTO custsync_sync_records VALUES ($1, $2, $3, $4, $5, $6)`,
			e.Vendor, e.Account, e.Key.Key, e.Digest, e.VendorID, e.SyncedAt)
		require.NoError(t, err)
	}
	return url
}

func TestConformanceRunLog(t *testing.T) {
	statetest.RunRunLog(t, statetest.RunLogHarnessFuncs{ReadOnly: newReadOnlyStorage, Previous: previousStorage})
}

// TestARoleWithoutCREATEKeepsTheRunLog: once the tables exist, a role
// with SELECT, INSERT and UPDATE on them records runs and failures, as it
// records records (the package doc says so).
func TestARoleWithoutCREATEKeepsTheRunLog(t *testing.T) {
	ctx := context.Background()
	url := server.NewDatabase(t)
	s, err := postgres.Open(ctx, url)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer func() { assert.NoError(t, conn.Close(ctx)) }()
	role := fmt.Sprintf("pusher_%d", time.Now().UnixNano())
	_, err = conn.Exec(ctx, fmt.Sprintf(`CREATE ROLE %[1]s LOGIN;
		REVOKE CREATE ON SCHEMA public FROM PUBLIC;
		GRANT SELECT ON custsync_schema TO %[1]s;
		GRANT SELECT, INSERT, UPDATE ON custsync_sync_records, custsync_runs, custsync_failures TO %[1]s`, role))
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = conn.Exec(ctx, fmt.Sprintf("DROP OWNED BY %[1]s; DROP ROLE %[1]s", role))
	})

	s, err = postgres.Open(ctx, strings.Replace(url, "postgres://postgres@", "postgres://"+role+"@", 1))
	require.NoError(t, err)
	defer func() { assert.NoError(t, s.Close()) }()
	at := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	k := syncstate.Key{Vendor: "upwell", Account: "a", Key: "1"}
	require.NoError(t, s.Put(ctx, syncstate.Entry{Key: k, Record: syncstate.Record{Digest: "d", SyncedAt: at}}))
	run := syncstate.Run{Vendor: "upwell", Account: "a", Started: at}
	run.ID, err = s.StartRun(ctx, run)
	require.NoError(t, err)
	require.NoError(t, s.PutFailures(ctx, syncstate.Failure{Key: k, RunID: run.ID, At: at, Code: "NotFound"}))
	require.NoError(t, s.PutFailures(ctx, syncstate.Failure{Key: k, RunID: run.ID + 1, At: at, Code: "Internal"}), "an update of the failure")
	run.Ended = at.Add(time.Minute)
	require.NoError(t, s.FinishRun(ctx, run))
	runs, err := s.Runs(ctx, syncstate.RunFilter{})
	require.NoError(t, err)
	assert.Len(t, runs, 1)
}
