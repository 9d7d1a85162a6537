package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/specs"
)

// fakeUpdater stands in for a vendor client, so the pipeline can be
// driven fast and deterministically without HTTP.
type fakeUpdater struct {
	calls  atomic.Int64
	update func(ctx context.Context, n int64, u *adapter.CustomerUpdate) error
}

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

// runPusher pushes input through u in-process, as push does.
func runPusher(t *testing.T, input string, u adapter.Updater, concurrency int, stop, abort context.Context, every time.Duration) pushRun {
	t.Helper()
	path := filepath.Join(t.TempDir(), "failures.jsonl")
	log, err := createFailureLog(path)
	require.NoError(t, err)
	stderr := &syncBuffer{}
	p := &pusher{
		vendor: specs.Upwell, updater: u, concurrency: concurrency,
		lines: newLineReader(strings.NewReader(input)), failures: log,
		stop: stop, abort: abort,
		newProgress: func(snapshot func() counts) progress {
			return newProgress(stderr, false, int64(len(input)), every, snapshot)
		},
	}
	report := p.run()
	require.NoError(t, log.close())
	return pushRun{p: p, report: report, failures: path, stderr: stderr}
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
	t.Parallel()
	const records, concurrency = 20_000, 16
	input := jsonl(records, 300)

	// Live heap, measured after a full GC at two points of the run: a
	// pipeline that kept lines or outcomes would grow by ~records*300 bytes
	// between them.
	var mu sync.Mutex
	var early, late uint64
	measure := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
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

	// The structural guarantee: what push holds per record is bounded by
	// UpdateAll's in-flight window (its job and outcome queues and its
	// workers, each `concurrency` deep, plus one record on each side), not
	// by the input.
	assert.LessOrEqual(t, run.p.maxPending, 3*concurrency+2)
	assert.Empty(t, run.p.pending)

	mu.Lock()
	defer mu.Unlock()
	growth := int64(late) - int64(early)
	t.Logf("live heap after %d records: %d KiB; after %d: %d KiB", 1_000, early>>10, records-1_000, late>>10)
	assert.Less(t, growth, int64(2<<20), "the live heap grew by %d KiB over %d records", growth>>10, records-2_000)
}

func TestPushInterrupts(t *testing.T) {
	t.Parallel()

	t.Run("the first interrupt sends no more records and lets those in flight finish", func(t *testing.T) {
		t.Parallel()
		const records, concurrency, before = 500, 4, 50
		stop, interrupt := context.WithCancel(context.Background())
		u := &fakeUpdater{update: func(ctx context.Context, n int64, _ *adapter.CustomerUpdate) error {
			if n == before {
				interrupt()
			}
			return ctx.Err() // in flight: the run's context must still be live
		}}
		run := runPusher(t, jsonl(records, 0), u, concurrency, stop, context.Background(), time.Hour)
		assert.True(t, run.report.interrupted)
		assert.Equal(t, records, run.report.ok+run.report.failed)
		assert.Equal(t, run.report.failed, run.report.notSent, "every failure is a record not sent")
		assert.EqualValues(t, run.report.ok, u.calls.Load(), "every record sent succeeded")
		assert.LessOrEqual(t, run.report.ok, before+3*concurrency+2, "records beyond the in-flight window were sent")
		failures := readFailures(t, run.failures)
		assert.Len(t, failures, run.report.failed)
		for id, f := range failures {
			assert.Equal(t, "Canceled", f.Error.Code, id)
		}
		assert.Contains(t, run.stderr.String(), "interrupted: sending no more records")
	})

	t.Run("the second interrupt aborts the updates in flight", func(t *testing.T) {
		t.Parallel()
		const records, concurrency = 100, 4
		abort, abortNow := context.WithCancel(context.Background())
		stop, stopNow := context.WithCancel(abort)
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

	t.Run("off a terminal, a progress line is printed every period", func(t *testing.T) {
		t.Parallel()
		u := &fakeUpdater{update: func(context.Context, int64, *adapter.CustomerUpdate) error {
			time.Sleep(2 * time.Millisecond)
			return nil
		}}
		run := runPusher(t, jsonl(100, 0), u, 1, context.Background(), context.Background(), 20*time.Millisecond)
		assert.Equal(t, 100, run.report.ok)
		assert.Regexp(t, `push: \d+ done \(\d+ ok, 0 failed\), \d+\.\d/s`, run.stderr.String())
	})

	t.Run("on a terminal, a progress bar is drawn and cleared", func(t *testing.T) {
		t.Parallel()
		var stderr bytes.Buffer
		bar := newProgress(&stderr, true, 1000, time.Hour, nil)
		bar.advance(400, counts{ok: 3, failed: 1})
		bar.note("push: line 2: upwell: NotFound")
		bar.advance(600, counts{ok: 5, failed: 1})
		bar.finish()
		assert.Contains(t, stderr.String(), "push: 5 ok, 1 failed")
		assert.Contains(t, stderr.String(), "line 2: upwell: NotFound")
	})
}

func TestFailuresPath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input := filepath.Join(dir, "customers.jsonl")
	require.NoError(t, os.WriteFile(input, nil, 0o644))
	for _, tc := range []struct{ flag, input, want string }{
		{"", input, filepath.Join(dir, "customers.failures.jsonl")},
		{"", filepath.Join(dir, "export.txt"), filepath.Join(dir, "export.txt.failures.jsonl")},
		{"", "-", "failures.jsonl"},
		{"/tmp/x.jsonl", input, "/tmp/x.jsonl"},
	} {
		got, err := failuresPath(tc.flag, tc.input)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got)
	}
	_, err := failuresPath(filepath.Join(dir, ".", "customers.jsonl"), input)
	assert.ErrorContains(t, err, "is the input file")
}
