package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// fakeUpdater stands in for a vendor client, so the pipeline can be
// driven fast and deterministically without HTTP.
type fakeUpdater struct {
	calls  atomic.Int64
	update func(ctx context.Context, n int64, u *adapter.CustomerUpdate) error
}

func (f *fakeUpdater) Key(u *adapter.CustomerUpdate) string { return u.ID }
func (f *fakeUpdater) Vendor() string                       { return "upwell" }
func (f *fakeUpdater) Account() string                      { return "fake" }

func (f *fakeUpdater) Update(ctx context.Context, u *adapter.CustomerUpdate, _ ...adapter.CallOption) (*adapter.Result, error) {
	n := f.calls.Add(1)
	if f.update != nil {
		if err := f.update(ctx, n, u); err != nil {
			return nil, err
		}
	}
	return &adapter.Result{Vendor: "upwell", ID: u.ID, VendorID: "v-" + u.ID, HTTPStatus: 200, Attempts: 1, Sent: u.SetFields(), Dropped: []string{}}, nil
}

type pushRun struct {
	p        *pusher
	report   pushReport
	failures string // path
	stderr   *syncBuffer
}

// newPushRun prepares an in-process push of input through u, as push
// does; run runs it.
//
//nolint:revive // context-as-argument: stop and abort are the push's two signals under test, not a call's context
func newPushRun(t *testing.T, input string, u bulk.Client, concurrency int, stop, abort context.Context, every time.Duration) *pushRun {
	t.Helper()
	return newPushRunTo(t, filepath.Join(t.TempDir(), "failures.jsonl"), input, u, concurrency, stop, abort, every)
}

// newPushRunTo is newPushRun with the failures file at path.
//
//nolint:revive // context-as-argument: as newPushRun
func newPushRunTo(t *testing.T, path, input string, u bulk.Client, concurrency int, stop, abort context.Context, every time.Duration) *pushRun {
	t.Helper()
	log, err := bulk.CreateFailures(path, true)
	require.NoError(t, err)
	stderr := &syncBuffer{}
	p := &pusher{
		vendor: specs.Upwell, client: u,
		settings: pushSettings{concurrency: concurrency, recordAttempts: defaultRecordAttempts, haltAfter: defaultHaltAfter},
		input:    &countingReader{Reader: bulk.NewJSONLReader(strings.NewReader(input))}, failures: log,
		stop: stop, abort: abort,
		newProgress: func(snapshot func() counts) progress {
			return newProgress(stderr, false, int64(len(input)), every, snapshot)
		},
	}
	return &pushRun{p: p, failures: path, stderr: stderr}
}

func (r *pushRun) run(t *testing.T) {
	t.Helper()
	r.report = r.p.run()
	_, err := r.p.failures.Close()
	if r.report.writeErr == nil {
		require.NoError(t, err)
	}
}

// runPusher pushes input through u in-process, as push does.
//
//nolint:revive // context-as-argument: as newPushRun
func runPusher(t *testing.T, input string, u bulk.Client, concurrency int, stop, abort context.Context, every time.Duration) pushRun {
	t.Helper()
	r := newPushRun(t, input, u, concurrency, stop, abort, every)
	r.run(t)
	return *r
}

// jsonl returns n customer lines, each padded with metadata to about
// `size` bytes, so that holding lines would show in the heap.
func jsonl(n, size int) string {
	var b strings.Builder
	pad := strings.Repeat("x", max(size-60, 0))
	for i := range n {
		fmt.Fprintf(&b, `{"id": "S-%06d", "name": "Customer %d", "metadata": {"pad": "%s"}}`+"\n", i+1, i+1, pad)
	}
	return b.String()
}

func TestPushMemoryStaysFlat(t *testing.T) {
	// Not parallel: it reads the whole process's heap, and other tests'
	// allocations made it fail once under load (2,061 KiB against 2 MiB).
	// Go runs it before any parallel test resumes.
	const records, concurrency, lineBytes = 20_000, 16, 1500
	input := jsonl(records, lineBytes)

	// Live heap, measured after a full GC at two points of the run: a
	// pipeline that kept lines or outcomes would grow by ~records*lineBytes
	// (27 MB) between them; one that does not moves by a few MiB either way
	// with what is in flight at the two moments.
	var mu sync.Mutex
	var early, late uint64
	// The live heap as the GC marked it, not HeapAlloc: the workers go on
	// allocating between the end of runtime.GC and any read of MemStats,
	// which made HeapAlloc swing by several MiB from run to run.
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	measure := func() uint64 {
		runtime.GC()
		metrics.Read(live)
		return live[0].Value.Uint64()
	}
	u := &fakeUpdater{update: func(_ context.Context, n int64, _ *adapter.CustomerUpdate) error {
		switch n {
		case 1_000:
			mu.Lock()
			early = measure()
			mu.Unlock()
		case records - 1_000:
			mu.Lock()
			late = measure()
			mu.Unlock()
		}
		return nil
	}}
	run := runPusher(t, input, u, concurrency, context.Background(), context.Background(), time.Hour)
	assert.Equal(t, records, run.report.ok)
	assert.Zero(t, run.report.failed)
	assert.NoFileExists(t, run.failures, "no failures, no failures file")

	// The structural guarantee: the records read and not yet settled are
	// bounded by the engine's in-flight window (its job and outcome queues
	// and its workers, each `concurrency` deep, plus one record on each
	// side), not by the input.
	assert.LessOrEqual(t, run.p.maxPending, int64(3*concurrency+2))

	mu.Lock()
	defer mu.Unlock()
	growth := int64(late) - int64(early)
	t.Logf("live heap after %d records: %d KiB; after %d: %d KiB", 1_000, early>>10, records-1_000, late>>10)
	assert.Less(t, growth, int64(8<<20), "the live heap grew by %d KiB over %d records", growth>>10, records-2_000)
}

func TestPushInterrupts(t *testing.T) {
	t.Parallel()

	t.Run("the first interrupt sends no more records and lets those in flight finish", func(t *testing.T) {
		t.Parallel()
		const records, concurrency, before = 500, 4, 50
		stop, cancelStop := context.WithCancelCause(context.Background())
		interrupt := func() { cancelStop(errNotSent) }
		// The last `concurrency` updates up to number `before` are held
		// until all of them are in flight; then, with the engine's queue
		// filled behind them, the interrupt comes, and they finish.
		release := make(chan struct{})
		u := &fakeUpdater{update: func(ctx context.Context, n int64, _ *adapter.CustomerUpdate) error {
			switch {
			case n == before:
				time.Sleep(20 * time.Millisecond) // the reader fills the queue
				interrupt()
				close(release)
			case n > before-concurrency && n < before:
				<-release
			}
			return ctx.Err() // in flight: the run's context must still be live
		}}
		run := runPusher(t, jsonl(records, 0), u, concurrency, stop, context.Background(), time.Hour)
		assert.True(t, run.report.interrupted)
		assert.Equal(t, records, run.report.ok+run.report.notSent)
		assert.Zero(t, run.report.failed, "no record failed: those not sent are counted apart")
		assert.EqualValues(t, run.report.ok, u.calls.Load(), "every record sent succeeded")
		assert.Equal(t, before, run.report.ok, "exactly the records in flight finished: none queued was sent after the interrupt")
		failures := readFailures(t, run.failures)
		assert.Len(t, failures, run.report.notSent)
		for id, f := range failures {
			assert.Equal(t, "Canceled", f.Error.Code, id)
			assert.Contains(t, f.Error.Message, "not sent: the push was interrupted", id)
		}
		assert.Contains(t, run.stderr.String(), "interrupted: sending no more records")
	})

	t.Run("the first interrupt ends the retrying of records in flight", func(t *testing.T) {
		t.Parallel()
		// The fake clock of a synctest bubble: had the pause before the
		// next attempt (2s) been waited out, the bubble's clock would show
		// it; a loaded machine cannot change what it shows.
		synctest.Test(t, func(t *testing.T) {
			const records, concurrency = 100, 4
			stop, cancelStop := context.WithCancelCause(context.Background())
			interrupt := func() { cancelStop(errNotSent) }
			u := &fakeUpdater{update: func(_ context.Context, n int64, _ *adapter.CustomerUpdate) error {
				if n == concurrency {
					interrupt() // every worker now waits to try its record again
				}
				return &adapter.Error{Vendor: "upwell", Code: adapter.Unavailable, HTTPStatus: 503, Message: "down", Retryable: true, Attempts: 1}
			}}
			run := newPushRun(t, jsonl(records, 0), u, concurrency, stop, context.Background(), time.Hour)
			start := time.Now()
			run.run(t)
			assert.Less(t, time.Since(start), time.Second, "the pause before trying a record again (2s) was not waited out")
			assert.EqualValues(t, concurrency, u.calls.Load(), "no record was tried again")
			assert.Equal(t, concurrency, run.report.failed)
			assert.Equal(t, records-concurrency, run.report.notSent)
			codes := map[string]int{}
			for _, f := range readFailures(t, run.failures) {
				codes[f.Error.Code]++
			}
			assert.Equal(t, map[string]int{"Unavailable": concurrency, "Canceled": records - concurrency}, codes,
				"the records tried keep their last real error")
		})
	})

	t.Run("a failures file that cannot be written stops the sending at once", func(t *testing.T) {
		t.Parallel()
		const records, concurrency, failing = 200, 4, 10
		var run *pushRun
		u := &fakeUpdater{update: func(_ context.Context, n int64, _ *adapter.CustomerUpdate) error {
			switch {
			case n < failing:
				time.Sleep(time.Millisecond)
				return nil
			case n == failing:
				return &adapter.Error{Vendor: "upwell", Code: adapter.NotFound, HTTPStatus: 404, Message: "no such customer"}
			}
			// Later records are held until the failure has been recorded
			// (and could not be): the engine's queue is full by then.
			for deadline := time.Now().Add(10 * time.Second); run.p.snapshot().failed == 0; {
				if time.Now().After(deadline) {
					return fmt.Errorf("the failure was not recorded")
				}
				time.Sleep(time.Millisecond)
			}
			return nil
		}}
		// The first failure cannot be written: a full disk.
		run = newPushRunTo(t, "/dev/full", jsonl(records, 0), u, concurrency, context.Background(), context.Background(), time.Hour)
		run.run(t)

		require.Error(t, run.report.writeErr)
		assert.False(t, run.report.interrupted)
		calls := int(u.calls.Load())
		assert.LessOrEqual(t, calls, failing+concurrency, "records that were only queued were sent after the failures file failed")
		assert.Equal(t, calls-1, run.report.ok)
		assert.Equal(t, 1, run.report.failed)
		assert.Equal(t, records-run.report.ok-1, run.report.notSent, "every failure but the first is a record not sent")
		assert.Equal(t, records-run.report.ok, run.report.byCode["Canceled"]+run.report.byCode["NotFound"])
	})

	t.Run("the second interrupt aborts the updates in flight", func(t *testing.T) {
		t.Parallel()
		const records, concurrency = 100, 4
		abort, cancelAbort := context.WithCancelCause(context.Background())
		stop, cancelStop := context.WithCancelCause(abort)
		stopNow, abortNow := func() { cancelStop(errNotSent) }, func() { cancelAbort(errAborted) }
		defer stopNow()
		u := &fakeUpdater{update: func(ctx context.Context, n int64, _ *adapter.CustomerUpdate) error {
			if n <= 10 {
				return nil
			}
			if n == concurrency+10 {
				stopNow()
				abortNow()
			}
			<-ctx.Done() // a vendor that never answers
			return ctx.Err()
		}}
		run := runPusher(t, jsonl(records, 0), u, concurrency, stop, abort, time.Hour)
		assert.Equal(t, 10, run.report.ok)
		failures := readFailures(t, run.failures)
		require.Len(t, failures, records-10)
		aborted := 0
		for _, f := range failures {
			assert.Equal(t, "Canceled", f.Error.Code)
			if strings.Contains(f.Error.Message, "may or may not have applied") {
				aborted++
			} else {
				assert.Contains(t, f.Error.Message, "not sent")
			}
		}
		assert.Equal(t, concurrency, aborted, "the records in flight are told apart from those never sent")
		assert.Contains(t, run.stderr.String(), "a third interrupt kills push, leaving the failures so far in "+run.p.failures.Writing())
	})
}

func TestPushReportsFailuresAndProgress(t *testing.T) {
	t.Parallel()

	t.Run("failed records are listed on stderr, then only in the file", func(t *testing.T) {
		t.Parallel()
		u := &fakeUpdater{update: func(context.Context, int64, *adapter.CustomerUpdate) error {
			return &adapter.Error{Vendor: "upwell", Code: adapter.Unavailable, HTTPStatus: 503, Message: "down for maintenance", Retryable: false}
		}}
		run := runPusher(t, jsonl(maxNotes+5, 0)+"\n\n", u, 2, context.Background(), context.Background(), time.Hour)
		assert.Equal(t, maxNotes+5, run.report.failed)
		stderr := run.stderr.String()
		assert.Equal(t, maxNotes, strings.Count(stderr, "Unavailable"))
		assert.Contains(t, stderr, "further failures are listed only in "+run.failures)
		for _, f := range readFailures(t, run.failures) {
			assert.Equal(t, 503, f.Error.HTTPStatus)
			assert.Equal(t, "down for maintenance", f.Error.Message)
		}
	})

	t.Run("without a failures file, as in a dry run, every failed record is listed on stderr", func(t *testing.T) {
		t.Parallel()
		u := &fakeUpdater{update: func(context.Context, int64, *adapter.CustomerUpdate) error {
			return &adapter.Error{Vendor: "upwell", Code: adapter.Unavailable, HTTPStatus: 503, Message: "down for maintenance", Retryable: false}
		}}
		r := newPushRun(t, jsonl(maxNotes+5, 0), u, 2, context.Background(), context.Background(), time.Hour)
		_, err := r.p.failures.Close()
		require.NoError(t, err)
		r.p.failures, r.p.settings.dryRun = nil, true
		report := r.p.run()
		assert.Equal(t, maxNotes+5, report.failed)
		stderr := r.stderr.String()
		assert.Equal(t, maxNotes+5, strings.Count(stderr, "Unavailable"))
		assert.NotContains(t, stderr, "further failures")
		assert.NoFileExists(t, r.failures)
	})

	t.Run("off a terminal, a progress line is printed every period", func(t *testing.T) {
		t.Parallel()
		u := &fakeUpdater{update: func(context.Context, int64, *adapter.CustomerUpdate) error {
			time.Sleep(2 * time.Millisecond)
			return nil
		}}
		run := runPusher(t, jsonl(100, 0), u, 1, context.Background(), context.Background(), 20*time.Millisecond)
		assert.Equal(t, 100, run.report.ok)
		assert.Regexp(t, `push: \d+ done \(\d+ sent, 0 failed\), \d+\.\d records/s`, run.stderr.String())
	})

	t.Run("off a terminal, the lines say when the vendor throttles and records are retried", func(t *testing.T) {
		t.Parallel()
		srv := sandbox.NewServer()
		t.Cleanup(srv.Close)
		srv.FailNext(specs.Upwell, 3, sandbox.FaultTooManyRequests)
		c, err := upwell.New(upwell.Config{APIKey: sandbox.UpwellAPIKey, SourceSystem: sandbox.UpwellSourceSystem},
			adapter.WithBaseURL(srv.URL(specs.Upwell)), adapter.WithRateLimiter(nil), adapter.WithRetryBackoff(30*time.Millisecond, 30*time.Millisecond))
		require.NoError(t, err)
		run := runPusher(t, jsonl(20, 0), c, 1, context.Background(), context.Background(), 10*time.Millisecond)
		assert.Equal(t, 20, run.report.ok+run.report.failed, "every record was answered")
		assert.Contains(t, run.stderr.String(), "the vendor is throttling (", "a line after the 429s says so")
		assert.LessOrEqual(t, strings.Count(run.stderr.String(), "the vendor is throttling"), 3, "only lines after 429s")
	})

	t.Run("on a terminal, a progress bar is drawn and cleared", func(t *testing.T) {
		t.Parallel()
		var stderr bytes.Buffer
		bar := newBarProgress(&stderr, 1000, 0) // every advance redraws
		bar.advance(400, counts{sent: 3, failed: 1, elapsed: time.Second})
		bar.note("push: line 2: upwell: NotFound")
		bar.advance(600, counts{sent: 4, unchanged: 1, failed: 1, elapsed: time.Second})
		bar.finish()
		assert.Contains(t, stderr.String(), "push: 3 sent, 1 failed, 4.0 records/s")
		assert.Contains(t, stderr.String(), "push: 4 sent, 1 unchanged, 1 failed, 6.0 records/s", "unchanged apart from sent")
		assert.Contains(t, stderr.String(), "line 2: upwell: NotFound")
		assert.NotContains(t, stderr.String(), "B/s", "records per second, not bytes")
	})

	t.Run("on a terminal, records not sent never fill the bar", func(t *testing.T) {
		t.Parallel()
		var stderr bytes.Buffer
		bar := newBarProgress(&stderr, 1000, 0)
		bar.advance(400, counts{sent: 4, elapsed: time.Second})
		for n := 1; n <= 6; n++ {
			bar.advance(0, counts{sent: 4, notSent: n, elapsed: time.Second})
		}
		bar.finish()
		assert.Contains(t, stderr.String(), "40%")
		assert.NotContains(t, stderr.String(), "100%")
	})

	t.Run("on a terminal, the bar says when the vendor throttles", func(t *testing.T) {
		t.Parallel()
		var stderr bytes.Buffer
		bar := newBarProgress(&stderr, 1000, 0)
		bar.advance(100, counts{sent: 1, elapsed: time.Second})
		bar.advance(100, counts{sent: 2, throttled: 1, lastTrouble: time.Now(), elapsed: time.Second})
		bar.finish()
		assert.Contains(t, stderr.String(), "(the vendor is throttling or failing; retrying)")
	})
}

func TestProgressTroubleSaysWhatTheVendorDidSinceTheLineBefore(t *testing.T) {
	for _, tc := range []struct {
		before, now counts
		want        string
	}{
		{counts{}, counts{}, ""},
		{counts{throttled: 2}, counts{throttled: 2, failing: 0}, ""},
		{counts{throttled: 2}, counts{throttled: 3}, "the vendor is throttling (1 answer 429), retrying"},
		{counts{}, counts{failing: 4}, "the vendor is failing (4 failed attempts: 5xx, timeouts or network errors), retrying"},
		{counts{}, counts{throttled: 1, failing: 1}, "the vendor is throttling and failing (1 answer 429, 1 failed attempt), retrying"},
	} {
		assert.Equal(t, tc.want, tc.now.trouble(tc.before))
	}
}

func partials(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.partial-*"))
	require.NoError(t, err)
	return names
}
