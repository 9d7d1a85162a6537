package statetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter/syncstate"
)

// RunLogHarness gives RunRunLog storage: new storage, as
// ReadOnlyHarness does, and storage as the store's previous schema
// version left it, before it kept a run log.
type RunLogHarness interface {
	ReadOnlyHarness
	// NewPreviousStorage makes storage for one test as the schema version
	// before the run log left it, holding entries as that version wrote
	// them, and returns openers onto it as NewReadOnlyStorage does.
	NewPreviousStorage(t testing.TB, entries []syncstate.Entry) (open, openReadOnly func() (syncstate.Store, error))
}

// RunLogHarnessFuncs adapts two functions to RunLogHarness.
type RunLogHarnessFuncs struct {
	ReadOnly func(t testing.TB) (open, openReadOnly func() (syncstate.Store, error))
	Previous func(t testing.TB, entries []syncstate.Entry) (open, openReadOnly func() (syncstate.Store, error))
}

// NewReadOnlyStorage calls f.ReadOnly.
func (f RunLogHarnessFuncs) NewReadOnlyStorage(t testing.TB) (open, openReadOnly func() (syncstate.Store, error)) {
	return f.ReadOnly(t)
}

// NewPreviousStorage calls f.Previous.
func (f RunLogHarnessFuncs) NewPreviousStorage(t testing.TB, entries []syncstate.Entry) (open, openReadOnly func() (syncstate.Store, error)) {
	return f.Previous(t, entries)
}

// runLogOf returns s's run log, failing the test when s keeps none.
func runLogOf(t testing.TB, s syncstate.Store) syncstate.RunLog {
	t.Helper()
	log, ok := s.(syncstate.RunLog)
	require.True(t, ok, "%T implements syncstate.RunLog", s)
	return log
}

// openedLog opens a handle, closed when the test ends, and its run log.
func openedLog(t testing.TB, open func() (syncstate.Store, error)) (syncstate.Store, syncstate.RunLog) {
	t.Helper()
	s := opened(t, open)
	return s, runLogOf(t, s)
}

func newRun(vendor, account string, started time.Time) syncstate.Run {
	return syncstate.Run{Vendor: vendor, Account: account, Input: "/exports/customers.jsonl", Host: "night-1", PID: 4711, Started: started}
}

func finished(r syncstate.Run, id int64, ended time.Time) syncstate.Run {
	r.ID, r.Ended = id, ended
	r.Records, r.Succeeded, r.Unchanged, r.Failed, r.NotSent = 10, 5, 2, 2, 1
	r.ByCode = map[string]int{"NotFound": 1, "InvalidArgument": 1, "Canceled": 1}
	r.Stop, r.ExitCode, r.FailuresFile = "interrupted", 3, "/exports/customers.failures-upwell-20261130T020007Z.jsonl"
	return r
}

func failure(k syncstate.Key, run int64, line int, code string, failedAt time.Time) syncstate.Failure {
	return syncstate.Failure{Key: k, RunID: run, At: failedAt, Line: line, Code: code, Message: fmt.Sprintf("%s at line %d", code, line),
		HTTPStatus: 404, VendorCode: "E-404", Retryable: false, Field: "id", RequestID: "req-1"}
}

func mustStart(t testing.TB, log syncstate.RunLog, r syncstate.Run) int64 {
	t.Helper()
	id, err := log.StartRun(context.Background(), r)
	require.NoError(t, err)
	require.Positive(t, id)
	return id
}

func mustRuns(t testing.TB, log syncstate.RunLog, f syncstate.RunFilter) []syncstate.Run {
	t.Helper()
	runs, err := log.Runs(context.Background(), f)
	require.NoError(t, err)
	return runs
}

func idsOf(runs []syncstate.Run) []int64 {
	ids := make([]int64, 0, len(runs))
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	return ids
}

// RunRunLog runs the suite's part on the run log (syncstate.RunLog):
// writable stores record runs and failures and read them back, read-only
// ones read them and refuse every write, and storage of the previous
// schema is read as holding no run until Open migrates it.
func RunRunLog(t *testing.T, h RunLogHarness) {
	ctx := context.Background()
	storage := func(t *testing.T) func() (syncstate.Store, error) {
		open, _ := h.NewReadOnlyStorage(t)
		return open
	}
	cust := syncstate.Key{Vendor: "upwell", Account: "a", Key: `["ACME","C-1"]`}

	t.Run("a started run is listed unfinished, and reads back as recorded once finished", func(t *testing.T) {
		_, log := openedLog(t, storage(t))
		local := time.Date(2026, 11, 30, 3, 0, 7, 123456789, time.FixedZone("CET", 3600))
		r := newRun("upwell", "a", local)
		r.ID, r.Ended, r.ExitCode, r.Records = 99, local.Add(time.Hour), 7, 5 // ignored by StartRun
		id := mustStart(t, log, r)

		want := newRun("upwell", "a", at)
		want.ID, want.ByCode = id, map[string]int{}
		runs := mustRuns(t, log, syncstate.RunFilter{})
		require.Len(t, runs, 1)
		assert.Equal(t, want, runs[0], "UTC to the microsecond, unfinished, counting nothing")
		assert.False(t, runs[0].Finished())
		assert.Equal(t, time.UTC, runs[0].Started.Location())

		done := finished(want, id, at.Add(90*time.Second+time.Nanosecond))
		require.NoError(t, log.FinishRun(ctx, done))
		done.Ended = at.Add(90 * time.Second)
		got, ok, err := log.Run(ctx, id)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, done, got)
		assert.True(t, got.Finished())
		assert.Equal(t, []syncstate.Run{done}, mustRuns(t, log, syncstate.RunFilter{}))

		_, ok, err = log.Run(ctx, id+1)
		require.NoError(t, err)
		assert.False(t, ok, "a run never started is not found")
	})

	t.Run("a run that counted nothing finishes with no codes and exit 0", func(t *testing.T) {
		_, log := openedLog(t, storage(t))
		r := newRun("billbee", "b", at)
		r.ID = mustStart(t, log, r)
		r.Ended = at.Add(time.Second)
		require.NoError(t, log.FinishRun(ctx, r))
		got, ok, err := log.Run(ctx, r.ID)
		require.NoError(t, err)
		require.True(t, ok)
		r.ByCode = map[string]int{}
		assert.Equal(t, r, got)
	})

	t.Run("runs are listed newest first, by vendor and account, up to the limit", func(t *testing.T) {
		_, log := openedLog(t, storage(t))
		var ids []int64
		for i, acct := range []struct{ vendor, account string }{
			{"upwell", "a"}, {"billbee", "a"}, {"upwell", "b"}, {"upwell", "a"}, {"upwell", "a"},
		} {
			// The last run starts earliest: IDs, not clocks, order the list.
			ids = append(ids, mustStart(t, log, newRun(acct.vendor, acct.account, at.Add(time.Duration(10-i*i)*time.Minute))))
		}
		for i := 1; i < len(ids); i++ {
			assert.Greater(t, ids[i], ids[i-1], "IDs grow in the order runs are recorded")
		}
		for _, tt := range []struct {
			name   string
			filter syncstate.RunFilter
			want   []int64
		}{
			{"every run", syncstate.RunFilter{}, []int64{ids[4], ids[3], ids[2], ids[1], ids[0]}},
			{"the last two", syncstate.RunFilter{Limit: 2}, []int64{ids[4], ids[3]}},
			{"one vendor's", syncstate.RunFilter{Vendor: "upwell"}, []int64{ids[4], ids[3], ids[2], ids[0]}},
			{"one account's", syncstate.RunFilter{Vendor: "upwell", Account: "a", Limit: 10}, []int64{ids[4], ids[3], ids[0]}},
			{"an account of another vendor", syncstate.RunFilter{Vendor: "bluetape", Account: "a"}, []int64{}},
			{"an account no run could have", syncstate.RunFilter{Account: "a\x00"}, []int64{}},
		} {
			assert.Equal(t, tt.want, idsOf(mustRuns(t, log, tt.filter)), tt.name)
		}
	})

	t.Run("FinishRun of a run not recorded fails and records nothing", func(t *testing.T) {
		_, log := openedLog(t, storage(t))
		id := mustStart(t, log, newRun("upwell", "a", at))
		for _, r := range []syncstate.Run{
			finished(newRun("upwell", "a", at), id+1, at.Add(time.Minute)),
			finished(newRun("upwell", "b", at), id, at.Add(time.Minute)),
			finished(newRun("billbee", "a", at), id, at.Add(time.Minute)),
		} {
			assert.Error(t, log.FinishRun(ctx, r), "run %d of %s/%s", r.ID, r.Vendor, r.Account)
		}
		got, _, err := log.Run(ctx, id)
		require.NoError(t, err)
		assert.False(t, got.Finished())
		assert.Error(t, log.FinishRun(ctx, newRun("upwell", "a", at)), "a run without its end")
	})

	t.Run("invalid runs are refused by name and nothing is recorded", func(t *testing.T) {
		_, log := openedLog(t, storage(t))
		id := mustStart(t, log, newRun("upwell", "a", at))
		for _, tt := range []struct {
			name, field string
			edit        func(*syncstate.Run)
		}{
			{"an empty vendor", "Vendor", func(r *syncstate.Run) { r.Vendor = "" }},
			{"a blank account", "Account", func(r *syncstate.Run) { r.Account = " " }},
			{"a zero start", "Started", func(r *syncstate.Run) { r.Started = time.Time{} }},
			{"an input with a NUL byte", "Input", func(r *syncstate.Run) { r.Input = "in\x00put" }},
			{"a host that is not UTF-8", "Host", func(r *syncstate.Run) { r.Host = "M\xfcller" }},
			{"an oversized failures path", "FailuresFile", func(r *syncstate.Run) { r.FailuresFile = strings.Repeat("f", syncstate.MaxFieldBytes+1) }},
			{"a negative count", "Failed", func(r *syncstate.Run) { r.Failed = -1 }},
			{"a code with no name", "ByCode", func(r *syncstate.Run) { r.ByCode = map[string]int{"": 1} }},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := finished(newRun("upwell", "a", at), id, at.Add(time.Minute))
				tt.edit(&r)
				_, err := log.StartRun(ctx, r)
				assert.ErrorContains(t, err, tt.field)
				assert.ErrorContains(t, log.FinishRun(ctx, r), tt.field)
			})
		}
		assert.Equal(t, []int64{id}, idsOf(mustRuns(t, log, syncstate.RunFilter{})))
		got, _, err := log.Run(ctx, id)
		require.NoError(t, err)
		assert.False(t, got.Finished())
	})

	t.Run("RunAt finds the run that was running at a time", func(t *testing.T) {
		_, log := openedLog(t, storage(t))
		start := func(vendor, account string, from, to time.Duration) int64 {
			r := newRun(vendor, account, at.Add(from))
			id := mustStart(t, log, r)
			if to >= 0 {
				require.NoError(t, log.FinishRun(ctx, finished(r, id, at.Add(to))))
			}
			return id
		}
		first := start("upwell", "a", 0, 10*time.Minute)
		overlapping := start("upwell", "a", 5*time.Minute, 20*time.Minute)
		other := start("upwell", "b", 30*time.Minute, 40*time.Minute)
		killed := start("upwell", "a", time.Hour, -1)
		for _, tt := range []struct {
			name    string
			account string
			t       time.Duration
			want    int64 // 0: none
		}{
			{"at its start", "a", 0, first},
			{"before any run", "a", -time.Second, 0},
			{"while one ran", "a", 4 * time.Minute, first},
			{"while two ran: the one started last", "a", 6 * time.Minute, overlapping},
			{"at its end", "a", 20 * time.Minute, overlapping},
			{"between runs", "a", 25 * time.Minute, 0},
			{"another account's run", "b", 35 * time.Minute, other},
			{"not another account's", "a", 35 * time.Minute, 0},
			{"an unfinished run, any time after its start", "a", 48 * time.Hour, killed},
		} {
			got, ok, err := log.RunAt(ctx, "upwell", tt.account, at.Add(tt.t))
			require.NoError(t, err, tt.name)
			assert.Equal(t, tt.want != 0, ok, tt.name)
			assert.Equal(t, tt.want, got.ID, tt.name)
		}
		_, ok, err := log.RunAt(ctx, "billbee", "a", at.Add(4*time.Minute))
		require.NoError(t, err)
		assert.False(t, ok, "another vendor's")
	})

	t.Run("a customer's last failure is its newest run's first", func(t *testing.T) {
		open := storage(t)
		_, log := openedLog(t, open)
		_, ok, err := log.LastFailure(ctx, cust)
		require.NoError(t, err)
		assert.False(t, ok, "none recorded")

		one := mustStart(t, log, newRun("upwell", "a", at))
		two := mustStart(t, log, newRun("upwell", "a", at.Add(time.Hour)))
		local := time.Date(2026, 11, 30, 4, 0, 7, 123456789, time.FixedZone("CET", 3600))
		first := failure(cust, two, 4, "NotFound", local)
		heldBack := failure(cust, two, 9, "FailedPrecondition", local.Add(time.Second))
		require.NoError(t, log.PutFailures(ctx, first, heldBack))
		require.NoError(t, log.PutFailures(ctx, failure(cust, two, 12, "FailedPrecondition", local.Add(2*time.Second))))
		require.NoError(t, log.PutFailures(ctx, failure(cust, one, 2, "Unavailable", local.Add(3*time.Second))),
			"an older run's failure, recorded late")

		want := first
		want.At = time.Date(2026, 11, 30, 3, 0, 7, 123456000, time.UTC)
		_, reader := openedLog(t, open)
		for _, l := range []syncstate.RunLog{log, reader} {
			got, ok, err := l.LastFailure(ctx, cust)
			require.NoError(t, err)
			require.True(t, ok)
			assert.Equal(t, want, got)
			assert.Equal(t, time.UTC, got.At.Location())
		}

		three := mustStart(t, log, newRun("upwell", "a", at.Add(2*time.Hour)))
		next := failure(cust, three, 1, "PermissionDenied", at.Add(2*time.Hour))
		next.HTTPStatus, next.Retryable, next.Field, next.RequestID, next.VendorCode = 0, true, "", "", ""
		require.NoError(t, log.PutFailures(ctx, next))
		got, _, err := log.LastFailure(ctx, cust)
		require.NoError(t, err)
		assert.Equal(t, next, got, "a newer run's failure replaces it")

		for _, k := range []syncstate.Key{
			{Vendor: "upwell", Account: "b", Key: cust.Key}, {Vendor: "billbee", Account: "a", Key: cust.Key},
			{Vendor: "upwell", Account: "a", Key: `["ACME","C-2"]`}, {Vendor: "upwell", Account: "a", Key: "k\x00"},
		} {
			_, ok, err := log.LastFailure(ctx, k)
			require.NoError(t, err, "%s", k)
			assert.False(t, ok, "%s", k)
		}
	})

	t.Run("invalid failures are refused by name and none of the call is recorded", func(t *testing.T) {
		_, log := openedLog(t, storage(t))
		id := mustStart(t, log, newRun("upwell", "a", at))
		good := failure(cust, id, 3, "NotFound", at)
		other := syncstate.Key{Vendor: "upwell", Account: "a", Key: "other"}
		for _, tt := range []struct {
			name, field string
			edit        func(*syncstate.Failure)
		}{
			{"an empty key", "Key", func(f *syncstate.Failure) { f.Key.Key = "" }},
			{"no code", "Code", func(f *syncstate.Failure) { f.Code = "" }},
			{"no run", "RunID", func(f *syncstate.Failure) { f.RunID = 0 }},
			{"a zero time", "At", func(f *syncstate.Failure) { f.At = time.Time{} }},
			{"a negative line", "Line", func(f *syncstate.Failure) { f.Line = -1 }},
			{"a message with a NUL byte", "Message", func(f *syncstate.Failure) { f.Message = "a\x00b" }},
			{"an oversized message", "Message", func(f *syncstate.Failure) { f.Message = strings.Repeat("m", syncstate.MaxFieldBytes+1) }},
			{"a request id that is not UTF-8", "RequestID", func(f *syncstate.Failure) { f.RequestID = "\xff" }},
		} {
			t.Run(tt.name, func(t *testing.T) {
				bad := failure(other, id, 4, "NotFound", at)
				tt.edit(&bad)
				assert.ErrorContains(t, log.PutFailures(ctx, good, bad), tt.field)
			})
		}
		_, ok, err := log.LastFailure(ctx, cust)
		require.NoError(t, err)
		assert.False(t, ok, "the valid failure of each call was not recorded either")
		require.NoError(t, log.PutFailures(ctx), "no failure is no error")
	})

	t.Run("runs started through several handles at once get IDs of their own", func(t *testing.T) {
		open := storage(t)
		logs := []syncstate.RunLog{}
		for range 3 {
			_, l := openedLog(t, open)
			logs = append(logs, l)
		}
		const perHandle = 10
		var mu sync.Mutex
		seen := map[int64]bool{}
		var wg sync.WaitGroup
		for i, l := range logs {
			wg.Go(func() {
				for j := range perHandle {
					id, err := l.StartRun(ctx, newRun("upwell", fmt.Sprint("acct-", i), at.Add(time.Duration(j)*time.Second)))
					if !assert.NoError(t, err) {
						return
					}
					mu.Lock()
					seen[id] = true
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		assert.Len(t, seen, len(logs)*perHandle)
		assert.Len(t, mustRuns(t, logs[0], syncstate.RunFilter{}), len(logs)*perHandle)
	})

	t.Run("the run log survives closing and reopening, beside the records", func(t *testing.T) {
		open := storage(t)
		s, log := openedLog(t, open)
		r := newRun("upwell", "a", at)
		id := mustStart(t, log, r)
		require.NoError(t, log.FinishRun(ctx, finished(r, id, at.Add(time.Minute))))
		require.NoError(t, log.PutFailures(ctx, failure(cust, id, 3, "NotFound", at)))
		require.NoError(t, s.Put(ctx, entry("upwell", "a", `["ACME","C-2"]`, "d", at)))
		require.NoError(t, s.Close())

		s, log = openedLog(t, open)
		got, ok, err := log.Run(ctx, id)
		require.NoError(t, err)
		require.True(t, ok)
		want := finished(r, id, at.Add(time.Minute))
		assert.Equal(t, want, got)
		_, ok, err = log.LastFailure(ctx, cust)
		require.NoError(t, err)
		assert.True(t, ok)
		_, ok = mustGet(t, s, syncstate.Key{Vendor: "upwell", Account: "a", Key: `["ACME","C-2"]`})
		assert.True(t, ok)
		assert.Greater(t, mustStart(t, log, r), id, "IDs keep growing")
	})

	t.Run("a closed store's run log says so", func(t *testing.T) {
		s, err := storage(t)()
		require.NoError(t, err)
		log := runLogOf(t, s)
		require.NoError(t, s.Close())
		_, err = log.StartRun(ctx, newRun("upwell", "a", at))
		assert.ErrorIs(t, err, syncstate.ErrClosed)
		assert.ErrorIs(t, log.FinishRun(ctx, finished(newRun("upwell", "a", at), 1, at)), syncstate.ErrClosed)
		assert.ErrorIs(t, log.PutFailures(ctx, failure(cust, 1, 1, "NotFound", at)), syncstate.ErrClosed)
		_, err = log.Runs(ctx, syncstate.RunFilter{})
		assert.ErrorIs(t, err, syncstate.ErrClosed)
		_, _, err = log.Run(ctx, 1)
		assert.ErrorIs(t, err, syncstate.ErrClosed)
		_, _, err = log.RunAt(ctx, "upwell", "a", at)
		assert.ErrorIs(t, err, syncstate.ErrClosed)
		_, _, err = log.LastFailure(ctx, cust)
		assert.ErrorIs(t, err, syncstate.ErrClosed)
	})

	runRunLogReadOnly(t, h, cust)
	runRunLogPrevious(t, h, cust)
}

// runRunLogReadOnly: a read-only store reads the run log and writes none
// of it.
func runRunLogReadOnly(t *testing.T, h RunLogHarness, cust syncstate.Key) {
	ctx := context.Background()
	t.Run("a read-only store of storage never written holds no run and no failure", func(t *testing.T) {
		_, openReadOnly := h.NewReadOnlyStorage(t)
		_, log := openedLog(t, openReadOnly)
		assert.Empty(t, mustRuns(t, log, syncstate.RunFilter{}))
		_, ok, err := log.Run(ctx, 1)
		require.NoError(t, err)
		assert.False(t, ok)
		_, ok, err = log.RunAt(ctx, "upwell", "a", at)
		require.NoError(t, err)
		assert.False(t, ok)
		_, ok, err = log.LastFailure(ctx, cust)
		require.NoError(t, err)
		assert.False(t, ok)
	})

	t.Run("a read-only store reads the run log and refuses to write it", func(t *testing.T) {
		open, openReadOnly := h.NewReadOnlyStorage(t)
		_, w := openedLog(t, open)
		r := newRun("upwell", "a", at)
		id := mustStart(t, w, r)
		require.NoError(t, w.PutFailures(ctx, failure(cust, id, 3, "NotFound", at)))
		_, log := openedLog(t, openReadOnly)

		running, ok, err := log.RunAt(ctx, "upwell", "a", at.Add(time.Minute))
		require.NoError(t, err)
		require.True(t, ok)
		assert.False(t, running.Finished(), "a run in progress reads as unfinished")
		done := finished(r, id, at.Add(time.Minute))
		require.NoError(t, w.FinishRun(ctx, done))
		assert.Equal(t, []syncstate.Run{done}, mustRuns(t, log, syncstate.RunFilter{}), "and as finished once it is")
		got, ok, err := log.LastFailure(ctx, cust)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, failure(cust, id, 3, "NotFound", at), got)

		_, err = log.StartRun(ctx, r)
		assert.ErrorIs(t, err, syncstate.ErrReadOnly)
		assert.ErrorIs(t, log.FinishRun(ctx, finished(r, id, at.Add(time.Hour))), syncstate.ErrReadOnly)
		assert.ErrorIs(t, log.PutFailures(ctx, failure(cust, id+1, 1, "Internal", at)), syncstate.ErrReadOnly)
		assert.ErrorIs(t, log.PutFailures(ctx), syncstate.ErrReadOnly, "even with no failure")
		assert.Equal(t, []syncstate.Run{done}, mustRuns(t, w, syncstate.RunFilter{}), "nothing was written")
	})
}

// runRunLogPrevious: storage of the schema before the run log is read
// as it is by a read-only store, and migrated by Open.
func runRunLogPrevious(t *testing.T, h RunLogHarness, cust syncstate.Key) {
	ctx := context.Background()
	entries := []syncstate.Entry{
		entry("upwell", "a", `["ACME","C-1"]`, "d1", at),
		entry("billbee", "b", "100000150176895", "d2", at.Add(time.Second)),
	}
	keys := []syncstate.Key{entries[0].Key, entries[1].Key}
	records := map[syncstate.Key]syncstate.Record{entries[0].Key: entries[0].Record, entries[1].Key: entries[1].Record}

	t.Run("a read-only store of the previous schema reads its records and holds no run", func(t *testing.T) {
		_, openReadOnly := h.NewPreviousStorage(t, entries)
		s, log := openedLog(t, openReadOnly)
		assert.Equal(t, records, mustGetMany(t, s, keys))
		assert.Empty(t, mustRuns(t, log, syncstate.RunFilter{}))
		_, ok, err := log.RunAt(ctx, "upwell", "a", at)
		require.NoError(t, err)
		assert.False(t, ok)
		_, ok, err = log.LastFailure(ctx, cust)
		require.NoError(t, err)
		assert.False(t, ok)
		_, err = log.StartRun(ctx, newRun("upwell", "a", at))
		assert.ErrorIs(t, err, syncstate.ErrReadOnly)
	})

	t.Run("Open migrates the previous schema, keeping its records, and then keeps a run log", func(t *testing.T) {
		open, openReadOnly := h.NewPreviousStorage(t, entries)
		s, log := openedLog(t, open)
		assert.Equal(t, records, mustGetMany(t, s, keys))
		id := mustStart(t, log, newRun("upwell", "a", at))
		require.NoError(t, log.PutFailures(ctx, failure(cust, id, 1, "NotFound", at)))
		require.NoError(t, s.Close())

		for _, o := range []func() (syncstate.Store, error){open, openReadOnly} {
			s, log := openedLog(t, o)
			assert.Equal(t, records, mustGetMany(t, s, keys))
			assert.Equal(t, []int64{id}, idsOf(mustRuns(t, log, syncstate.RunFilter{})))
			_, ok, err := log.LastFailure(ctx, cust)
			require.NoError(t, err)
			assert.True(t, ok)
		}
	})
}
