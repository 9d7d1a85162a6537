package queue_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/queue"
	"github.com/custsync/custsync/adapter/syncstate/postgres"
	"github.com/custsync/custsync/sandbox"
)

// workerProcessEnv, set to "<database URL> <sandbox URL>", makes the test
// binary a worker process (see TestMain) that a test kills.
const workerProcessEnv = "CUSTSYNC_QUEUE_TEST_WORKER"

// runWorkerProcess is the worker TestAKilledWorkersShardIsRescued kills
// with SIGKILL: it works the queue of spec (see workerProcessEnv) until
// then.
func runWorkerProcess(spec string) error {
	url, root, _ := strings.Cut(spec, " ")
	ctx := context.Background()
	q, err := queue.Open(ctx, url)
	if err != nil {
		return err
	}
	store, err := postgres.Open(ctx, url)
	if err != nil {
		return err
	}
	w, err := queue.NewWorker(q, accounts{root: root}, queue.WithState(store), queue.WithBulkOptions(bulk.WithConcurrency(2)))
	if err != nil {
		return err
	}
	return w.Run(ctx) // until killed
}

func TestAKilledWorkersShardIsRescuedAndItsConfirmedRecordsAreNotSentAgain(t *testing.T) {
	ctx := context.Background()
	q, url := newQueue(t)
	v := newVendor(t, 20)
	const records, beforeKill = 60, 30
	var arrived atomic.Int64
	release := make(chan struct{})
	v.hold = func(r *http.Request) {
		if r.Method == http.MethodPut && arrived.Add(1) > beforeKill {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	}
	id, err := q.Enqueue(ctx, strings.NewReader(input(records, 20, 1)), queue.Job{Vendor: vendor, Account: account, Shards: 1})
	require.NoError(t, err)

	var logs bytes.Buffer
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), workerProcessEnv+"="+url+" "+v.srv.URL)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	// The worker has confirmed beforeKill records and has its next two in
	// flight (held here) when it is killed.
	deadline := time.Now().Add(30 * time.Second)
	for arrived.Load() < beforeKill+2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait() // killed: its exit status says so and nothing more
	require.GreaterOrEqual(t, arrived.Load(), int64(beforeKill+2), "the worker process did not get that far:\n%s", logs.String())
	close(release)

	conn := connect(t, url)
	// The killed worker was River's leader, whose term would run out in
	// 15 s: end it now. And let the job be running for longer than the
	// rescue delay, so that the new leader's first look rescues it.
	_, err = conn.Exec(ctx, `DELETE FROM river_leader`)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `SELECT pg_sleep(greatest(0, 1.5 - extract(epoch FROM now() - attempted_at))) FROM river_job`)
	require.NoError(t, err)
	store, err := postgres.Open(ctx, url)
	require.NoError(t, err)
	defer func() { assert.NoError(t, store.Close()) }()
	startWorker(t, q, v, queue.WithState(store), queue.WithRescueAfter(time.Second))
	run := wait(t, q, id)

	assert.Equal(t, records, run.Report.Records)
	assert.Equal(t, records, run.Report.Succeeded+run.Report.Unchanged)
	assert.Positive(t, run.Report.Unchanged, "what the killed worker confirmed is not sent again")
	received := v.received()
	// At most the records in flight, or confirmed but not yet durable in
	// the state store, when the worker died are sent twice.
	assert.LessOrEqual(t, len(received), records+4)
	assert.GreaterOrEqual(t, len(received), records)
	for c := 1; c <= 20; c++ {
		got, ok := v.sb.Customer(vendor, sandbox.SyntheticID(vendor, c))
		require.True(t, ok)
		assert.Equal(t, lastName(records, 20, c), got["name"], "customer %d ends with its last record", c)
	}
}

// lastName is the name input(records, customers, 1) sets last for
// customer c.
func lastName(records, customers, c int) string {
	last := 0
	for i := range records {
		if i%customers+1 == c {
			last = i + 1
		}
	}
	return "L" + itoa(last) + "-r1"
}

func TestAShardLockedByAnotherWorkerWaitsAndRunsOnce(t *testing.T) {
	ctx := context.Background()
	q, url := newQueue(t)
	v := newVendor(t, 5)
	id, err := q.Enqueue(ctx, strings.NewReader(input(10, 5, 1)), queue.Job{Vendor: vendor, Account: account, Shards: 1})
	require.NoError(t, err)
	conn := connect(t, url)
	_, err = conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, queue.ShardLock(id, 0))
	require.NoError(t, err)

	startWorker(t, q, v)
	snoozes := 0
	for deadline := time.Now().Add(20 * time.Second); snoozes < 2 && time.Now().Before(deadline); {
		require.NoError(t, conn.QueryRow(ctx, `SELECT coalesce((metadata->>'snoozes')::int, 0) FROM river_job`).Scan(&snoozes))
		time.Sleep(50 * time.Millisecond)
	}
	require.GreaterOrEqual(t, snoozes, 2, "the job was not snoozed")
	assert.Empty(t, v.received(), "nothing is sent while another worker holds the shard")
	run, err := q.Run(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, queue.Queued, run.State)

	_, err = conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, queue.ShardLock(id, 0))
	require.NoError(t, err)
	run = wait(t, q, id)
	assert.Equal(t, 10, run.Report.Succeeded)
	assert.Len(t, v.received(), 10, "each record is sent once")
}

func TestALiveWorkersShardThatRiverRescuesIsNotRunTwice(t *testing.T) {
	ctx := context.Background()
	q, url := newQueue(t)
	v := newVendor(t, 10)
	var arrived atomic.Int64
	release := make(chan struct{})
	v.hold = func(r *http.Request) {
		if r.Method == http.MethodPut {
			arrived.Add(1)
			<-release
		}
	}
	id, err := q.Enqueue(ctx, strings.NewReader(input(20, 10, 1)), queue.Job{Vendor: vendor, Account: account, Shards: 1})
	require.NoError(t, err)
	// The rescue delay is River's job timeout: the shard's job outlives it.
	startWorker(t, q, v, queue.WithRescueAfter(time.Second))
	for deadline := time.Now().Add(20 * time.Second); arrived.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	require.Positive(t, arrived.Load())

	conn := connect(t, url)
	_, err = conn.Exec(ctx, `SELECT pg_sleep(greatest(0, 1.5 - extract(epoch FROM now() - attempted_at))) FROM river_job`)
	require.NoError(t, err)
	// River's rescuer, once the job ran past its timeout, makes it
	// available again (only its leader's first look, or one every 30 s,
	// would: do it now).
	_, err = conn.Exec(ctx, `UPDATE river_job SET state = 'available', scheduled_at = now() WHERE state = 'running'`)
	require.NoError(t, err)
	startWorker(t, q, v)
	snoozes := 0
	for deadline := time.Now().Add(20 * time.Second); snoozes < 1 && time.Now().Before(deadline); {
		require.NoError(t, conn.QueryRow(ctx, `SELECT coalesce((metadata->>'snoozes')::int, 0) FROM river_job`).Scan(&snoozes))
		time.Sleep(50 * time.Millisecond)
	}
	require.Positive(t, snoozes, "the rescued job waits for the live worker")
	close(release)

	run := wait(t, q, id)
	assert.Equal(t, 20, run.Report.Records)
	assert.Equal(t, 20, run.Report.Succeeded)
	assert.Len(t, v.received(), 20, "each record is sent once: the first worker's shard ran on past River's timeout")
	// The rescued job completes once it finds its shard finished.
	state := ""
	for deadline := time.Now().Add(20 * time.Second); state != "completed" && time.Now().Before(deadline); {
		require.NoError(t, conn.QueryRow(ctx, `SELECT state FROM river_job`).Scan(&state))
		time.Sleep(50 * time.Millisecond)
	}
	assert.Equal(t, "completed", state)
}

func TestAStoppedWorkerReleasesItsShardToAnother(t *testing.T) {
	ctx := context.Background()
	q, url := newQueue(t)
	v := newVendor(t, 10)
	const records, beforeStop = 40, 10
	var arrived atomic.Int64
	reached := make(chan struct{})
	release := make(chan struct{})
	v.hold = func(r *http.Request) {
		if r.Method != http.MethodPut {
			return
		}
		switch n := arrived.Add(1); {
		case n == beforeStop:
			close(reached)
			<-release
		case n > beforeStop:
			<-release
		}
	}
	id, err := q.Enqueue(ctx, strings.NewReader(input(records, 10, 1)), queue.Job{Vendor: vendor, Account: account, Shards: 1})
	require.NoError(t, err)
	store, err := postgres.Open(ctx, url)
	require.NoError(t, err)
	defer func() { assert.NoError(t, store.Close()) }()

	stop, stopNow := context.WithCancel(ctx)
	w, err := queue.NewWorker(q, accounts{root: v.srv.URL}, queue.WithState(store), queue.WithStop(stop))
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	select {
	case <-reached:
	case <-time.After(20 * time.Second):
		t.Fatal("the worker sent no record")
	}
	stopNow()
	close(release) // what is in flight finishes
	require.NoError(t, <-done)
	run, err := q.Run(ctx, id)
	require.NoError(t, err)
	assert.Zero(t, run.ShardsDone, "a stopped shard is not recorded")
	sentFirst := len(v.received())
	assert.Less(t, sentFirst, records)

	startWorker(t, q, v, queue.WithState(store))
	run = wait(t, q, id)
	assert.Equal(t, records, run.Report.Records)
	assert.Equal(t, records, run.Report.Succeeded+run.Report.Unchanged)
	assert.Equal(t, sentFirst, run.Report.Unchanged, "what the stopped worker confirmed is not sent again")
	assert.Len(t, v.received(), records)
}
