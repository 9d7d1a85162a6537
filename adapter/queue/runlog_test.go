package queue_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/queue"
	"github.com/custsync/custsync/adapter/syncstate"
	"github.com/custsync/custsync/adapter/syncstate/postgres"
	"github.com/custsync/custsync/sandbox"
)

// openStore opens a state store in a database of its own, apart from the
// queue's.
func openStore(t *testing.T) *postgres.Store {
	t.Helper()
	store, err := postgres.Open(context.Background(), server.NewDatabase(t))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, store.Close()) })
	return store
}

// finishedRun waits, for at most 30 s, until the run log holds a finished
// run, and returns the runs it holds: a run is recorded as finished just
// after the queue finished it.
func finishedRun(t *testing.T, log syncstate.RunLog) []syncstate.Run {
	t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(30 * time.Second); ; {
		runs, err := log.Runs(ctx, syncstate.RunFilter{})
		require.NoError(t, err)
		if len(runs) > 0 && runs[0].Finished() || time.Now().After(deadline) {
			return runs
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestAQueueRunIsOneRunOfTheRunLogWithItsFailures(t *testing.T) {
	ctx := context.Background()
	q, _ := newQueue(t)
	v := newVendor(t, 30)
	store := openStore(t)
	lines := strings.Split(strings.TrimSuffix(input(60, 30, 1), "\n"), "\n")
	// An invalid record naming customer 10 (it holds its later record
	// back), a customer the vendor does not hold, and a line naming none.
	lines[9] = `{"id":"` + sandbox.SyntheticID(vendor, 10) + `","name":5}`
	lines[19] = `{"id":"S-99999","name":"L20-r1"}`
	lines[29] = `not json at all`
	id, err := q.Enqueue(ctx, strings.NewReader(strings.Join(lines, "\n")+"\n"),
		queue.Job{Vendor: vendor, Account: account, Input: "/data/customers.jsonl", Shards: 4})
	require.NoError(t, err)

	startWorker(t, q, v, queue.WithState(store))
	startWorker(t, q, v, queue.WithState(store))
	run := wait(t, q, id)
	require.Equal(t, queue.Finished, run.State)
	require.Equal(t, 4, run.Report.Failed, "the three lines and the record held back behind line 10")

	runs := finishedRun(t, store)
	require.Len(t, runs, 1, "one run, however many workers ran its shards")
	logged := runs[0]
	client, err := accounts{root: v.srv.URL}.Client(ctx, vendor, account)
	require.NoError(t, err)
	assert.True(t, logged.Finished())
	assert.Equal(t, string(vendor), logged.Vendor)
	assert.Equal(t, client.Account(), logged.Account)
	assert.Equal(t, "/data/customers.jsonl", logged.Input)
	assert.NotZero(t, logged.PID)
	assert.Equal(t, 60, logged.Records)
	assert.Equal(t, run.Report.Succeeded, logged.Succeeded)
	assert.Equal(t, 56, logged.Succeeded+logged.Unchanged)
	assert.Equal(t, 4, logged.Failed)
	assert.Zero(t, logged.NotSent)
	byCode := map[string]int{}
	for code, n := range run.Report.ByCode {
		byCode[code.String()] = n
	}
	assert.Equal(t, byCode, logged.ByCode)
	assert.Empty(t, logged.Stop)
	assert.Equal(t, 1, logged.ExitCode, "some records failed")
	assert.Empty(t, logged.FailuresFile)

	for _, tt := range []struct {
		name string
		id   string
		line int
		code string
	}{
		{"an invalid record is its customer's failure, not the record it held back", sandbox.SyntheticID(vendor, 10), 10, adapter.InvalidArgument.String()},
		{"a customer the vendor does not hold", "S-99999", 20, adapter.NotFound.String()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			key := syncstate.Key{Vendor: string(vendor), Account: client.Account(), Key: client.Key(&adapter.CustomerUpdate{ID: tt.id})}
			f, ok, err := store.LastFailure(ctx, key)
			require.NoError(t, err)
			require.True(t, ok, "no failure recorded for %s", tt.id)
			assert.Equal(t, logged.ID, f.RunID)
			assert.Equal(t, tt.line, f.Line)
			assert.Equal(t, tt.code, f.Code)
		})
	}
	key := syncstate.Key{Vendor: string(vendor), Account: client.Account(), Key: client.Key(&adapter.CustomerUpdate{ID: sandbox.SyntheticID(vendor, 11)})}
	_, ok, err := store.LastFailure(ctx, key)
	require.NoError(t, err)
	assert.False(t, ok, "a customer whose records went through has no failure")
}

// gatedStore holds StartRun until released, so that the shards that start
// meanwhile must wait for the one recording the run.
type gatedStore struct {
	*postgres.Store
	release chan struct{}
	starts  atomic.Int64
}

func (s *gatedStore) StartRun(ctx context.Context, r syncstate.Run) (int64, error) {
	s.starts.Add(1)
	select {
	case <-s.release:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	return s.Store.StartRun(ctx, r)
}

func TestShardsStartingAtOnceRecordTheRunOnce(t *testing.T) {
	ctx := context.Background()
	q, url := newQueue(t)
	v := newVendor(t, 40)
	store := &gatedStore{Store: openStore(t), release: make(chan struct{})}
	const shards = 8
	id, err := q.Enqueue(ctx, strings.NewReader(input(80, 40, 1)), queue.Job{Vendor: vendor, Account: account, Shards: shards})
	require.NoError(t, err)
	startWorker(t, q, v, queue.WithState(store), queue.WithPerAccount(shards/2))
	startWorker(t, q, v, queue.WithState(store), queue.WithPerAccount(shards/2))

	// Every other shard waits for the run's lock while the first records
	// the run.
	conn := connect(t, url)
	waiting := 0
	for deadline := time.Now().Add(30 * time.Second); waiting < shards-1 && time.Now().Before(deadline); {
		require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`).Scan(&waiting))
		time.Sleep(20 * time.Millisecond)
	}
	require.Equal(t, shards-1, waiting, "the shards that started while the run was being recorded")
	assert.Equal(t, int64(1), store.starts.Load(), "one shard records the run while the others wait")
	close(store.release)

	run := wait(t, q, id)
	assert.Equal(t, 80, run.Report.Succeeded)
	runs := finishedRun(t, store)
	require.Len(t, runs, 1)
	assert.Equal(t, int64(1), store.starts.Load(), "the shards that waited found the run recorded")
	assert.Equal(t, 80, runs[0].Succeeded)
	assert.Equal(t, 0, runs[0].ExitCode)
}

func TestAHaltedQueueRunIsRecordedAsAHaltedPush(t *testing.T) {
	ctx := context.Background()
	q, _ := newQueue(t)
	v := newVendor(t, 20)
	store := openStore(t)
	id, err := q.Enqueue(ctx, strings.NewReader(input(40, 20, 1)), queue.Job{Vendor: vendor, Account: wrongKey, Shards: 4})
	require.NoError(t, err)
	startWorker(t, q, v, queue.WithState(store))
	startWorker(t, q, v, queue.WithState(store))
	run := wait(t, q, id)
	require.NotNil(t, run.Report.Halt)

	runs := finishedRun(t, store)
	require.Len(t, runs, 1)
	logged := runs[0]
	assert.True(t, logged.Finished())
	assert.Equal(t, "halted: "+run.Report.Halt.Reason, logged.Stop)
	assert.Equal(t, 3, logged.ExitCode, "not every record was tried")
	assert.Equal(t, []int{40, 0, 0, run.Report.Failed, run.Report.NotSent},
		[]int{logged.Records, logged.Succeeded, logged.Unchanged, logged.Failed, logged.NotSent})
	assert.Positive(t, logged.NotSent)
}

func TestADatabaseOfTheFirstQueueSchemaIsMigrated(t *testing.T) {
	ctx := context.Background()
	_, url := newQueue(t)
	conn := connect(t, url)
	// The first schema: no run log column.
	_, err := conn.Exec(ctx, "ALTER TABLE custsync_queue_runs DROP COLUMN log_run; UPDATE custsync_queue_schema SET version = 1")
	require.NoError(t, err)
	_, err = queue.Open(ctx, url)
	require.ErrorIs(t, err, queue.ErrNotMigrated)
	assert.ErrorContains(t, err, "version 1 of 2")

	require.NoError(t, queue.Migrate(ctx, url))
	q, err := queue.Open(ctx, url)
	require.NoError(t, err)
	q.Close()
	var column int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM information_schema.columns
		WHERE table_name = 'custsync_queue_runs' AND column_name = 'log_run'`).Scan(&column))
	assert.Equal(t, 1, column)
}

// brokenLog is a store whose run log records runs and refuses every
// failure and every run's end.
type brokenLog struct{ *postgres.Store }

func (brokenLog) PutFailures(context.Context, ...syncstate.Failure) error {
	return errors.New("the run log is full")
}

func (brokenLog) FinishRun(context.Context, syncstate.Run) error {
	return errors.New("the run log is full")
}

// lockedBuffer is a log destination that workers write at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestARunLogThatRefusesWritesFailsNoShardAndIsLogged(t *testing.T) {
	ctx := context.Background()
	q, _ := newQueue(t)
	v := newVendor(t, 10)
	store := brokenLog{openStore(t)}
	lines := strings.Split(strings.TrimSuffix(input(20, 10, 1), "\n"), "\n")
	lines[4] = `{"id":"S-99999","name":"L5-r1"}`
	id, err := q.Enqueue(ctx, strings.NewReader(strings.Join(lines, "\n")+"\n"), queue.Job{Vendor: vendor, Account: account, Shards: 2})
	require.NoError(t, err)
	var logs lockedBuffer
	stop := startWorker(t, q, v, queue.WithState(store), queue.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	run := wait(t, q, id)
	stop() // the run's end is recorded, or not, before the worker stops

	assert.Equal(t, []int{20, 19, 1}, []int{run.Report.Records, run.Report.Succeeded, run.Report.Failed}, "every shard finished")
	out := logs.String()
	assert.Contains(t, out, "could not record the shard's failures")
	assert.Contains(t, out, "could not record how the run ended")
	assert.Contains(t, out, "the run log is full")
	assert.NotContains(t, out, "the shard failed", "no shard's job failed for the run log")
	runs, err := store.Runs(ctx, syncstate.RunFilter{})
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.False(t, runs[0].Finished(), "listed as unfinished, as a push whose end could not be recorded")
}
