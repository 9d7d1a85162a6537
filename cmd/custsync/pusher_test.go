package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
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

// newPushRun prepares an in-process push of input through u, as push
// does; run runs it.
//
//nolint:revive // context-as-argument: stop and abort are the push's two signals under test, not a call's context
func newPushRun(t *testing.T, input string, u adapter.Updater, concurrency int, stop, abort context.Context, every time.Duration) *pushRun {
	t.Helper()
	path := filepath.Join(t.TempDir(), "failures.jsonl")
	log, err := createFailureLog(path, true)
	require.NoError(t, err)
	stderr := &syncBuffer{}
	p := &pusher{
		vendor: specs.Upwell, updater: u,
		settings: pushSettings{concurrency: concurrency, recordAttempts: defaultRecordAttempts, haltAfter: defaultHaltAfter},
		lines:    newLineReader(strings.NewReader(input)), failures: log,
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
	_, err := r.p.failures.close()
	require.NoError(t, err)
}

// runPusher pushes input through u in-process, as push does.
//
//nolint:revive // context-as-argument: as newPushRun
func runPusher(t *testing.T, input string, u adapter.Updater, concurrency int, stop, abort context.Context, every time.Duration) pushRun {
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
	assert.Less(t, growth, int64(8<<20), "the live heap grew by %d KiB over %d records", growth>>10, records-2_000)
}

func TestPushInterrupts(t *testing.T) {
	t.Parallel()

	t.Run("the first interrupt sends no more records and lets those in flight finish", func(t *testing.T) {
		t.Parallel()
		const records, concurrency, before = 500, 4, 50
		stop, interrupt := context.WithCancel(context.Background())
		// The last `concurrency` updates up to number `before` are held
		// until all of them are in flight; then, with UpdateAll's queue
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
			stop, interrupt := context.WithCancel(context.Background())
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
			// (and could not be): UpdateAll's queue is full by then.
			select {
			case <-run.p.feed.Done():
			case <-time.After(10 * time.Second):
				return fmt.Errorf("the feed did not end")
			}
			return nil
		}}
		run = newPushRun(t, jsonl(records, 0), u, concurrency, context.Background(), context.Background(), time.Hour)
		// The first failure cannot be written: a descriptor open for reading only.
		readOnly, err := os.Open(run.p.failures.temp)
		require.NoError(t, err)
		require.NoError(t, run.p.failures.f.Close())
		run.p.failures.f = readOnly
		run.run(t)

		require.Error(t, run.report.writeErr)
		assert.False(t, run.report.interrupted)
		assert.ErrorIs(t, context.Cause(run.p.feed), errFailuresUnwritable, "the feed says why it ended")
		calls := int(u.calls.Load())
		assert.LessOrEqual(t, calls, failing+concurrency, "records that were only queued were sent after the failures file failed")
		assert.Equal(t, calls-1, run.report.ok)
		assert.Equal(t, 1, run.report.failed)
		assert.Equal(t, records-run.report.ok-1, run.report.notSent, "every failure but the first is a record not sent")
		assert.NoFileExists(t, run.failures, "nothing could be written")
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
		assert.Contains(t, run.stderr.String(), "a third interrupt kills push, leaving the failures so far in "+run.p.failures.temp)
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
	input := writeFile(t, dir, "customers.jsonl", "")
	sameSecond := writeFile(t, dir, "customers.failures-billbee-20261201T100327Z.jsonl", "{}\n")
	sameSecondInfo, err := os.Stat(sameSecond)
	require.NoError(t, err)
	inputInfo, err := os.Stat(input)
	require.NoError(t, err)
	other := writeFile(t, dir, "other.jsonl", "")
	otherInfo, err := os.Stat(other)
	require.NoError(t, err)
	link := filepath.Join(dir, "link.jsonl")
	require.NoError(t, os.Symlink(input, link))
	started := time.Date(2026, 12, 1, 11, 3, 27, 0, time.FixedZone("CET", 3600))

	for _, tc := range []struct {
		name, flag, input string
		in                os.FileInfo
		want, wantErr     string
	}{
		{name: "a .jsonl input gets a file of the run's own next to it, named with the vendor and the UTC start", input: input, in: inputInfo,
			want: filepath.Join(dir, "customers.failures-billbee-20261201T100327Z.jsonl")},
		{name: "another input gets the name appended", input: filepath.Join(dir, "export.txt"), want: filepath.Join(dir, "export.txt.failures-billbee-20261201T100327Z.jsonl")},
		{name: "an earlier run's failures file is named after the original input", input: filepath.Join(dir, "customers.failures-billbee-20261130T220000Z.jsonl"),
			want: filepath.Join(dir, "customers.failures-billbee-20261201T100327Z.jsonl")},
		{name: "an earlier run's failures file of standard input gets the standard input name", input: filepath.Join(dir, "failures-billbee-20261130T220000Z-2.jsonl"),
			want: filepath.Join(dir, "failures-billbee-20261201T100327Z.jsonl")},
		{name: "standard input gets a file in the working directory", input: "-", want: "failures-billbee-20261201T100327Z.jsonl"},
		{name: "--failures names the file", flag: "/tmp/x.jsonl", input: input, in: inputInfo, want: "/tmp/x.jsonl"},
		{name: "the input file is refused", flag: filepath.Join(dir, ".", "customers.jsonl"), input: input, in: inputInfo, wantErr: "is the input file"},
		{name: "the input file through a link is refused", flag: link, input: input, in: inputInfo, wantErr: "is the input file"},
		{name: "standard input redirected from the failures file is refused", flag: input, input: "-", in: inputInfo, wantErr: "is standard input"},
		{name: "standard input redirected from another file is fine", flag: input, input: "-", in: otherInfo, want: input},
		{name: "standard input that is not a file is fine", flag: input, input: "-", want: input},
		{name: "a failures file pushed in the second it was written keeps the default name, published under the next free one",
			input: sameSecond, in: sameSecondInfo, want: sameSecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, explicit, err := failuresPath(tc.flag, tc.input, tc.in, "billbee", started)
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.flag != "", explicit)
		})
	}
}

func TestStaleFailuresAreFoundWhereTheRunWrites(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mine := writeFile(t, dir, "customers.failures-upwell-20261130T220000Z.jsonl.partial-1a2b3c4d", "{}\n{}\n")
	explicitStale := writeFile(t, dir, "fixed.jsonl.partial-0000beef", "{}\n")
	writeFile(t, dir, "other.failures-upwell-20261130T220000Z.jsonl.partial-1a2b3c4d", "{}\n") // another input's
	writeFile(t, dir, "customers.failures-upwell-20261130T220000Z.jsonl", "{}\n")              // finished, not stale

	path := defaultFailuresPath(filepath.Join(dir, "customers.jsonl"), "upwell", time.Now())
	assert.Equal(t, []staleFile{{path: mine, lines: 2}}, staleFailures(path, false))
	assert.Equal(t, []staleFile{{path: explicitStale, lines: 1}}, staleFailures(filepath.Join(dir, "fixed.jsonl"), true))
}

// partials lists the temporary failures files in dir.
func partials(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*"+partialInfix+"*"))
	require.NoError(t, err)
	return names
}

func TestFailureLog(t *testing.T) {
	t.Parallel()
	failure := func(id string) (payload, failureInfo) {
		return payload{object: []byte(`{"id":"` + id + `"}`)}, failureInfo{Line: 1, Vendor: "upwell", errorInfo: errorInfo{Code: adapter.NotFound, Message: "gone"}}
	}
	const earlier = `{"id":"EARLIER","_error":{}}` + "\n"
	lines := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, `{"id":"A%d","_error":{"line":1,"vendor":"upwell","code":"NotFound","message":"gone","httpStatus":0,"vendorCode":"","retryable":false}}`+"\n", i)
		}
		return b.String()
	}

	for _, tc := range []struct {
		name string
		// setup prepares dir and returns the --failures path, and the file
		// the failures must end up in.
		setup      func(t *testing.T, dir string) (path, resolved string)
		explicit   bool // the path came from --failures
		failures   int
		breakWrite bool   // the temporary file cannot be written
		wantFile   string // the content of resolved at the end; "" for no file
	}{
		{
			name: "failures replace the --failures file, only at the end",
			setup: func(t *testing.T, dir string) (string, string) {
				p := writeFile(t, dir, "f.jsonl", earlier)
				return p, p
			},
			explicit: true,
			failures: 2,
			wantFile: lines(2),
		},
		{
			name: "no failures leave the --failures file of an earlier run alone",
			setup: func(t *testing.T, dir string) (string, string) {
				p := writeFile(t, dir, "f.jsonl", earlier)
				return p, p
			},
			explicit: true,
			failures: 0,
			wantFile: earlier,
		},
		{
			name:     "no failures and no earlier file leave no file",
			setup:    func(_ *testing.T, dir string) (string, string) { p := filepath.Join(dir, "f.jsonl"); return p, p },
			failures: 0,
		},
		{
			name:     "a new failures file is created",
			setup:    func(_ *testing.T, dir string) (string, string) { p := filepath.Join(dir, "f.jsonl"); return p, p },
			failures: 1,
			wantFile: lines(1),
		},
		{
			name: "through a symbolic link the file is replaced and the link kept",
			setup: func(t *testing.T, dir string) (string, string) {
				require.NoError(t, os.Mkdir(filepath.Join(dir, "real"), 0o755))
				resolved := writeFile(t, filepath.Join(dir, "real"), "f.jsonl", earlier)
				link := filepath.Join(dir, "link.jsonl")
				require.NoError(t, os.Symlink(resolved, link))
				return link, resolved
			},
			explicit: true,
			failures: 1,
			wantFile: lines(1),
		},
		{
			name: "failures that could not be written keep the failures file of an earlier run",
			setup: func(t *testing.T, dir string) (string, string) {
				p := writeFile(t, dir, "f.jsonl", earlier)
				return p, p
			},
			explicit:   true,
			failures:   1,
			breakWrite: true,
			wantFile:   earlier,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path, resolved := tc.setup(t, dir)
			before, _ := os.ReadFile(resolved)
			log, err := createFailureLog(path, tc.explicit)
			require.NoError(t, err)
			require.Len(t, partials(t, filepath.Dir(resolved)), 1, "the temporary file is created next to the failures file at once")
			assert.Equal(t, partials(t, filepath.Dir(resolved))[0], log.writingTo())
			if tc.breakWrite {
				readOnly, err := os.Open(log.temp)
				require.NoError(t, err)
				require.NoError(t, log.f.Close())
				log.f = readOnly
			}
			for i := range tc.failures {
				err := log.write(failure(fmt.Sprintf("A%d", i)))
				if tc.breakWrite {
					require.Error(t, err)
					continue
				}
				require.NoError(t, err)
				data, err := os.ReadFile(log.writingTo())
				require.NoError(t, err)
				assert.Equal(t, i+1, strings.Count(string(data), "\n"), "each failure is on disk as soon as it is written")
			}
			during, _ := os.ReadFile(resolved)
			assert.Equal(t, string(before), string(during), "the failures file is left alone until the end")

			where, err := log.close()
			require.NoError(t, err)
			assert.Empty(t, partials(t, filepath.Dir(resolved)), "the temporary file is gone")
			if tc.wantFile == "" {
				assert.Empty(t, where)
				assert.NoFileExists(t, resolved)
				return
			}
			if tc.failures == 0 {
				assert.Empty(t, where, "no failures, no failures file")
			}
			data, err := os.ReadFile(resolved)
			require.NoError(t, err)
			assert.Equal(t, tc.wantFile, string(data))
			if !tc.breakWrite && tc.failures > 0 {
				assert.Equal(t, path, where)
			}
			if path != resolved {
				target, err := os.Readlink(path)
				require.NoError(t, err)
				assert.Equal(t, resolved, target, "the link still points to the failures file")
			}
		})
	}

	t.Run("a default name never replaces a file that exists", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		path := writeFile(t, dir, "in.failures-upwell-20261201T100327Z.jsonl", earlier)
		second := filepath.Join(dir, "in.failures-upwell-20261201T100327Z-2.jsonl")
		writeFile(t, dir, filepath.Base(second), earlier)
		log, err := createFailureLog(path, false)
		require.NoError(t, err)
		require.NoError(t, log.write(failure("A0")))
		where, err := log.close()
		require.NoError(t, err)
		assert.Equal(t, filepath.Join(dir, "in.failures-upwell-20261201T100327Z-3.jsonl"), where)
		for _, p := range []string{path, second} {
			data, err := os.ReadFile(p)
			require.NoError(t, err)
			assert.Equal(t, earlier, string(data), "%s was not this run's to replace", p)
		}
		data, err := os.ReadFile(where)
		require.NoError(t, err)
		assert.Equal(t, lines(1), string(data))
		assert.Empty(t, partials(t, dir))
	})

	t.Run("a path that cannot hold a failures file fails at once", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		dangling := filepath.Join(dir, "dangling.jsonl")
		require.NoError(t, os.Symlink(filepath.Join(dir, "nothing"), dangling))
		for path, want := range map[string]string{
			dir: "is a directory",
			filepath.Join(dir, "no", "such", "f.jsonl"): "no such file or directory",
			dangling: "symbolic link to nothing",
		} {
			_, err := createFailureLog(path, true)
			var ue *usageError
			require.ErrorAs(t, err, &ue, path)
			assert.ErrorContains(t, err, want)
		}
		assert.Empty(t, partials(t, dir))
	})

	t.Run("a device is written to and never replaced or removed", func(t *testing.T) {
		t.Parallel()
		for _, path := range []string{os.DevNull} {
			log, err := createFailureLog(path, true)
			require.NoError(t, err)
			assert.Empty(t, log.temp)
			require.NoError(t, log.write(failure("A0")))
			where, err := log.close()
			require.NoError(t, err)
			assert.Equal(t, path, where)
			info, err := os.Stat(path)
			require.NoError(t, err)
			assert.NotZero(t, info.Mode()&os.ModeDevice)
		}
	})
}

func TestOutcomeError(t *testing.T) {
	t.Parallel()
	vendorErr := &adapter.Error{Vendor: "upwell", Code: adapter.NotFound, HTTPStatus: 404, Attempts: 1}
	halted := &adapter.Error{Code: adapter.Unavailable, Retryable: true, Message: "not sent: the run stopped"}
	netErr := errors.New("connection reset")
	for _, tc := range []struct {
		name      string
		err       error
		attempted bool
		want      error
	}{
		{"a vendor's answer is kept", vendorErr, true, vendorErr},
		{"a network error is kept", netErr, true, netErr},
		{"a run halted by a failing vendor keeps its reason", halted, false, halted},
		{"a record an interrupt kept from being sent (stop's or abort's bare Canceled) is not sent", context.Canceled, false, errNotSent},
		{"a record not sent with the interrupt's cause is not sent", errNotSent, false, errNotSent},
		{"a record not sent because the failures file failed says so", errFailuresUnwritable, false, errFailuresUnwritable},
		{"a record aborted in flight may have been applied", context.Canceled, true, errAborted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := outcomeError(adapter.Outcome{Err: tc.err, Attempted: tc.attempted})
			assert.Same(t, tc.want, got)
			assert.Equal(t, tc.want.Error(), got.Error())
		})
	}
}
