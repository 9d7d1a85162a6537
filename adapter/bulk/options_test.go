package bulk_test

import (
	"context"
	"fmt"
	"io"
	"iter"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/syncstate"
	"github.com/custsync/custsync/adapter/syncstate/sqlite"
)

// requireInvalidOption checks that err is the InvalidArgument *Error of
// a refused option or argument, its message holding want.
func requireInvalidOption(t *testing.T, err error, want string) {
	t.Helper()
	_ = invalidOptionError(t, err, want)
}

// invalidOptionError checks that err is the InvalidArgument *Error of a
// refused option or argument, its message holding want, and returns it.
func invalidOptionError(t *testing.T, err error, want string) *adapter.Error {
	t.Helper()
	var e *adapter.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, adapter.InvalidArgument, e.Code)
	assert.ErrorIs(t, err, adapter.InvalidArgument)
	assert.Contains(t, e.Message, want)
	return e
}

// sliceReader is a Reader over updates held in memory. It counts the
// records read, and writes a failure as "<line> <code>".
type sliceReader struct {
	updates []*adapter.CustomerUpdate
	read    atomic.Int64
}

func (r *sliceReader) Next() (bulk.Record, error) {
	n := int(r.read.Load())
	if n == len(r.updates) {
		return bulk.Record{}, io.EOF
	}
	r.read.Add(1)
	return bulk.Record{Line: n + 1, Update: r.updates[n]}, nil
}

func (r *sliceReader) AppendFailure(dst []byte, rec bulk.Record, f bulk.Failure) []byte {
	return fmt.Appendf(dst, "%d %s\n", rec.Line, f.Code)
}

func readerOf(updates iter.Seq[*adapter.CustomerUpdate]) *sliceReader {
	r := &sliceReader{}
	for u := range updates {
		r.updates = append(r.updates, u)
	}
	return r
}

// countingStore is a state store that counts the calls made to it.
type countingStore struct {
	syncstate.Store
	calls atomic.Int32
}

func (s *countingStore) Get(ctx context.Context, k syncstate.Key) (syncstate.Record, bool, error) {
	s.calls.Add(1)
	return s.Store.Get(ctx, k)
}

func (s *countingStore) GetMany(ctx context.Context, keys []syncstate.Key) (map[syncstate.Key]syncstate.Record, error) {
	s.calls.Add(1)
	return s.Store.GetMany(ctx, keys)
}

func (s *countingStore) Put(ctx context.Context, entries ...syncstate.Entry) error {
	s.calls.Add(1)
	return s.Store.Put(ctx, entries...)
}

// optionCase is one list of options given to a run: refused when want
// names the option and the value as the error must ("CALL" standing for
// Updates or Run), accepted when want is "".
type optionCase struct {
	name string
	opts []bulk.Option
	want string
}

// optionCases lists every Option with a refused value (where one exists)
// and one at the edge of the valid range; WithFailures, which only Run
// takes, has a test of its own.
func optionCases(store syncstate.Store) []optionCase {
	one := func(o bulk.Option) []bulk.Option { return []bulk.Option{o} }
	withState := func(o bulk.Option) []bulk.Option { return []bulk.Option{bulk.WithState(store), o} }
	return []optionCase{
		{"WithConcurrency refuses 0", one(bulk.WithConcurrency(0)), "WithConcurrency(0): must be from 1 to 1024"},
		{"WithConcurrency refuses a negative count", one(bulk.WithConcurrency(-4)), "WithConcurrency(-4): must be from 1 to 1024"},
		{"WithConcurrency refuses more than 1024", one(bulk.WithConcurrency(1025)), "WithConcurrency(1025): must be from 1 to 1024"},
		{"WithConcurrency accepts 1", one(bulk.WithConcurrency(1)), ""},
		{"WithConcurrency accepts 1024", one(bulk.WithConcurrency(1024)), ""},
		{"WithRecordAttempts refuses 0", one(bulk.WithRecordAttempts(0)), "WithRecordAttempts(0): must be at least 1"},
		{"WithRecordAttempts accepts 1", one(bulk.WithRecordAttempts(1)), ""},
		{"WithRecordPause refuses a negative pause", one(bulk.WithRecordPause(-time.Millisecond)), "WithRecordPause(-1ms): must be 0 or more"},
		{"WithRecordPause accepts 0", one(bulk.WithRecordPause(0)), ""},
		{"WithHaltAfter refuses a negative count", one(bulk.WithHaltAfter(-1)), "WithHaltAfter(-1): must be 0 (never halt on a streak) or more"},
		{"WithHaltAfter accepts 0", one(bulk.WithHaltAfter(0)), ""},
		{"WithStop refuses nil", one(bulk.WithStop(nil)), "WithStop(nil): no context given"}, //nolint:staticcheck // the nil is the case under test
		{"WithStop accepts a context", one(bulk.WithStop(context.Background())), ""},
		{"WithCallOptions refuses an invalid call option", one(bulk.WithCallOptions(adapter.WithMaxRetries(1), adapter.WithAttemptTimeout(-time.Second))), "WithCallOptions: WithAttemptTimeout(-1s): must be positive"},
		{"WithCallOptions refuses a nil call option", one(bulk.WithCallOptions(nil)), "WithCallOptions: option 1 of the list is nil"},
		{"WithCallOptions accepts valid call options", one(bulk.WithCallOptions(adapter.WithMaxRetries(0), adapter.WithAttemptTimeout(time.Nanosecond))), ""},
		{"WithUnreachableAfter refuses a negative duration", one(bulk.WithUnreachableAfter(-time.Second)), "WithUnreachableAfter(-1s): must be 0 (never halt on it) or more"},
		{"WithSilentAfter refuses a negative duration", one(bulk.WithSilentAfter(-time.Second)), "WithSilentAfter(-1s): must be 0 (never halt on it) or more"},
		{"WithUnreachableAfter accepts 0", one(bulk.WithUnreachableAfter(0)), ""},
		// The booleans have no invalid value: both are accepted.
		{"WithDryRun accepts true", one(bulk.WithDryRun(true)), ""},
		{"WithDryRun accepts false", one(bulk.WithDryRun(false)), ""},
		{"WithState refuses nil", one(bulk.WithState(nil)), "WithState(nil): no store given"},
		{"WithState refuses a nil store in the interface", one(bulk.WithState((*sqlite.Store)(nil))), "WithState(nil): no store given"},
		{"WithState accepts a store", one(bulk.WithState(store)), ""},
		{"WithRefreshAfter refuses a negative duration", withState(bulk.WithRefreshAfter(-time.Hour)), "WithRefreshAfter(-1h0m0s): must be 0 (never refresh) or more"},
		{"WithRefreshAfter accepts 0", withState(bulk.WithRefreshAfter(0)), ""},
		{"WithRefreshAfter refuses a run without a state store", one(bulk.WithRefreshAfter(time.Hour)), "CALL: WithRefreshAfter and WithForce need a state store (WithState)"},
		{"WithForce accepts true", withState(bulk.WithForce(true)), ""},
		{"WithForce accepts false", withState(bulk.WithForce(false)), ""},
		{"WithForce refuses a run without a state store", one(bulk.WithForce(true)), "CALL: WithRefreshAfter and WithForce need a state store (WithState)"},
		{"WithObserver refuses nil", one(bulk.WithObserver(nil)), "WithObserver(nil): no function given"},
		{"WithObserver accepts a function", one(bulk.WithObserver(func(bulk.Outcome) {})), ""},
		{"WithFailures refuses nil", one(bulk.WithFailures(nil)), "WithFailures(nil): no failures file given"},
		{"a nil option is refused", []bulk.Option{bulk.WithConcurrency(2), nil}, "CALL: option 2 of the list is nil"},
	}
}

func TestEveryOptionRefusesAnInvalidValueOnceBeforeAnythingIsReadOrSent(t *testing.T) {
	store := &countingStore{Store: newStore(t)}
	for _, tt := range optionCases(store) {
		t.Run(tt.name, func(t *testing.T) {
			t.Run("from Updates", func(t *testing.T) {
				c := &scriptedClient{}
				var pulled atomic.Int64
				calls := store.calls.Load()
				outs, err := bulk.Updates(context.Background(), c, stream(5, &pulled), tt.opts...)
				if tt.want == "" {
					require.NoError(t, err)
					n := 0
					for out := range outs {
						require.NoError(t, out.Err)
						n++
					}
					assert.Equal(t, 5, n, "every update comes back")
					return
				}
				e := invalidOptionError(t, err, strings.ReplaceAll(tt.want, "CALL", "Updates"))
				assert.Equal(t, "fake", e.Vendor, "the error names the client's vendor")
				assert.Nil(t, outs)
				assert.Zero(t, pulled.Load(), "nothing was read")
				assert.Zero(t, c.done.Load(), "nothing was sent")
				assert.Equal(t, calls, store.calls.Load(), "the store was not used")
			})
			t.Run("from Run", func(t *testing.T) {
				c := &scriptedClient{}
				in := readerOf(stream(5, nil))
				calls := store.calls.Load()
				report, err := bulk.Run(context.Background(), c, in, tt.opts...)
				if tt.want == "" {
					require.NoError(t, err)
					assert.Equal(t, 5, report.Records)
					assert.Equal(t, 5, report.Succeeded+report.Unchanged, "every record went through")
					return
				}
				e := invalidOptionError(t, err, strings.ReplaceAll(tt.want, "CALL", "Run"))
				assert.Equal(t, "fake", e.Vendor)
				assert.Nil(t, report)
				assert.Zero(t, in.read.Load(), "nothing was read")
				assert.Zero(t, c.done.Load(), "nothing was sent")
				assert.Equal(t, calls, store.calls.Load(), "the store was not used")
			})
		})
	}
}

func TestWithFailuresIsRunsAlone(t *testing.T) {
	failures, err := bulk.CreateFailures(filepath.Join(t.TempDir(), "failures.jsonl"), true)
	require.NoError(t, err)
	c := &scriptedClient{}
	var pulled atomic.Int64
	outs, err := bulk.Updates(context.Background(), c, stream(5, &pulled), bulk.WithFailures(failures))
	requireInvalidOption(t, err, "Updates: WithFailures is for Run")
	assert.Nil(t, outs)
	assert.Zero(t, pulled.Load())

	report, err := bulk.Run(context.Background(), c, readerOf(stream(5, nil)), bulk.WithFailures(failures))
	require.NoError(t, err)
	assert.Equal(t, 5, report.Succeeded)
	where, err := failures.Close()
	require.NoError(t, err)
	assert.Empty(t, where, "nothing failed")
	assert.EqualValues(t, 5, c.done.Load())
}

func TestARunWithoutAClientOrInputIsRefusedOnce(t *testing.T) {
	c := &scriptedClient{}
	for name, nothing := range map[string]bulk.Client{"no client": nil, "a nil *adapter.Client": (*adapter.Client)(nil)} {
		t.Run(name, func(t *testing.T) {
			var pulled atomic.Int64
			outs, err := bulk.Updates(context.Background(), nothing, stream(2, &pulled))
			requireInvalidOption(t, err, "Updates: no client given")
			assert.Nil(t, outs)
			assert.Zero(t, pulled.Load())

			in := readerOf(stream(2, nil))
			report, err := bulk.Run(context.Background(), nothing, in)
			requireInvalidOption(t, err, "Run: no client given")
			assert.Nil(t, report)
			assert.Zero(t, in.read.Load())
		})
	}
	t.Run("no updates", func(t *testing.T) {
		outs, err := bulk.Updates(context.Background(), c, nil)
		e := invalidOptionError(t, err, "Updates: no updates given")
		assert.Equal(t, "fake", e.Vendor)
		assert.Nil(t, outs)
	})
	t.Run("no input", func(t *testing.T) {
		for _, in := range []bulk.Reader{nil, (*bulk.JSONLReader)(nil)} {
			report, err := bulk.Run(context.Background(), c, in)
			e := invalidOptionError(t, err, "Run: no input given")
			assert.Equal(t, "fake", e.Vendor)
			assert.Nil(t, report)
		}
	})
	assert.Zero(t, c.done.Load(), "nothing was sent")
}

func TestARefusedRunThroughAClientNamesTheVendor(t *testing.T) {
	var requests atomic.Int32
	c, _ := newFake(t, func(w http.ResponseWriter, _ *http.Request) { requests.Add(1); w.WriteHeader(http.StatusOK) })
	for name, opts := range map[string][]bulk.Option{
		"without a state store": {bulk.WithRecordAttempts(0)},
		"with a state store":    {bulk.WithState(newStore(t)), bulk.WithRecordAttempts(0)},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := bulk.Updates(context.Background(), c, stream(3, nil), opts...)
			e := invalidOptionError(t, err, "WithRecordAttempts(0)")
			assert.Equal(t, "fake", e.Vendor)
			assert.Equal(t, "fake: InvalidArgument: WithRecordAttempts(0): must be at least 1 (1 tries each record once)", err.Error())
		})
	}
	assert.Zero(t, requests.Load())
}

func TestARunWithStateRefusesAnInvalidCallOptionBeforeUsingTheStore(t *testing.T) {
	var requests atomic.Int32
	c, _ := newFake(t, func(w http.ResponseWriter, _ *http.Request) { requests.Add(1); w.WriteHeader(http.StatusOK) })
	store := &countingStore{Store: newStore(t)}
	_, err := bulk.Updates(context.Background(), c, stream(3, nil), bulk.WithState(store), bulk.WithCallOptions(adapter.WithMaxRetries(-1)))
	requireInvalidOption(t, err, "WithCallOptions: WithMaxRetries(-1)")
	assert.Zero(t, requests.Load())
	assert.Zero(t, store.calls.Load(), "the store was neither read nor written")
}

func TestOptionsAtTheEdgeOfTheirRangeWork(t *testing.T) {
	// A record pause of 0 tries a failed record again at once, and a
	// concurrency of 1 runs one record at a time.
	c := &scriptedClient{fail: func(_ *adapter.CustomerUpdate, call int) error {
		if call == 1 {
			return &adapter.Error{Code: adapter.Unavailable, Retryable: true}
		}
		return nil
	}}
	n := 0
	for out := range runUpdates(t, context.Background(), c, stream(4, nil), bulk.WithRecordPause(0), bulk.WithConcurrency(1)) {
		require.NoError(t, out.Err)
		assert.Equal(t, 2, out.Calls)
		n++
	}
	assert.Equal(t, 4, n)
	assert.EqualValues(t, 1, c.maxSeen.Load())
}
