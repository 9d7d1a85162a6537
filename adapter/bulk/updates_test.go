package bulk_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
)

// scriptedClient answers each update from fail; it tracks concurrency.
// It is a Client of a vendor named "fake" that keys customers by id.
type scriptedClient struct {
	fail     func(u *adapter.CustomerUpdate, call int) error
	delay    time.Duration
	mu       sync.Mutex
	calls    map[string]int
	inFlight atomic.Int32
	maxSeen  atomic.Int32
	done     atomic.Int32
}

func (s *scriptedClient) Update(ctx context.Context, u *adapter.CustomerUpdate, _ ...adapter.CallOption) (*adapter.Result, error) {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		m := s.maxSeen.Load()
		if n <= m || s.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	s.mu.Lock()
	if s.calls == nil {
		s.calls = map[string]int{}
	}
	s.calls[u.ID]++
	call := s.calls[u.ID]
	s.mu.Unlock()
	defer s.done.Add(1)
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if s.fail != nil {
		if err := s.fail(u, call); err != nil {
			return nil, err
		}
	}
	return &adapter.Result{ID: u.ID, VendorID: "v" + u.ID, Attempts: 1}, nil
}

func (*scriptedClient) Key(u *adapter.CustomerUpdate) string { return u.ID }
func (*scriptedClient) Vendor() string                       { return "fake" }
func (*scriptedClient) Account() string                      { return "fake-account" }

// stream yields n updates of distinct customers, counting in pulled
// (when given) the updates read from it.
func stream(n int, pulled *atomic.Int64) iter.Seq[*adapter.CustomerUpdate] {
	return func(yield func(*adapter.CustomerUpdate) bool) {
		for i := range n {
			if pulled != nil {
				pulled.Add(1)
			}
			if !yield(&adapter.CustomerUpdate{ID: itoa(i), Name: adapter.Set("n")}) {
				return
			}
		}
	}
}

func itoa(i int) string { return fmt.Sprintf("%c-%d", 'a'+i%26, i) }

// runUpdates is bulk.Updates for options that are valid, under ctx.
func runUpdates(t testing.TB, ctx context.Context, c bulk.Client, updates iter.Seq[*adapter.CustomerUpdate], opts ...bulk.Option) iter.Seq[bulk.Outcome] {
	t.Helper()
	outs, err := bulk.Updates(ctx, c, updates, opts...)
	require.NoError(t, err)
	return outs
}

func TestARunReportsEveryRecordExactlyOnce(t *testing.T) {
	boom := &adapter.Error{Code: adapter.InvalidArgument, Message: "bad", Attempts: 1}
	c := &scriptedClient{fail: func(u *adapter.CustomerUpdate, _ int) error {
		if u.ID[0] == 'c' {
			return boom
		}
		return nil
	}}
	seen := map[int]bool{}
	var ok, failed int
	for out := range runUpdates(t, context.Background(), c, stream(500, nil), bulk.WithConcurrency(8)) {
		require.False(t, seen[out.Seq], "seq %d reported twice", out.Seq)
		seen[out.Seq] = true
		require.NotNil(t, out.Record.Update, "the input travels with its outcome")
		assert.Equal(t, out.Seq+1, out.Record.Line, "an update's line is its place in the stream, from 1")
		if out.Err != nil {
			failed++
			assert.Equal(t, bulk.Failed, out.Status)
			assert.Equal(t, boom, out.Err)
			assert.Nil(t, out.Result)
			assert.Equal(t, 1, out.Calls, "a non-retryable failure is not tried again")
			continue
		}
		ok++
		assert.Equal(t, bulk.Succeeded, out.Status)
		assert.Equal(t, "v"+out.Record.Update.ID, out.Result.VendorID)
	}
	assert.Len(t, seen, 500)
	assert.Equal(t, 500, ok+failed)
	assert.Equal(t, 20, failed) // ids starting with 'c': i%26 == 2
	assert.LessOrEqual(t, c.maxSeen.Load(), int32(8), "concurrency is bounded")
}

func TestARunReadsOnlyALittleAhead(t *testing.T) {
	var pulled atomic.Int64
	c := &scriptedClient{delay: time.Millisecond}
	const concurrency = 4
	maxAhead := int64(0)
	for range runUpdates(t, context.Background(), c, stream(2000, &pulled), bulk.WithConcurrency(concurrency)) {
		if ahead := pulled.Load() - int64(c.done.Load()); ahead > maxAhead {
			maxAhead = ahead
		}
	}
	// In flight + queued + one in the reader's hand + outcomes buffered:
	// independent of the stream's length, which is what keeps memory flat.
	assert.LessOrEqual(t, maxAhead, int64(4*concurrency+2))
}

func TestARunTriesRetryableFailuresAgainAsAWhole(t *testing.T) {
	c := &scriptedClient{fail: func(_ *adapter.CustomerUpdate, call int) error {
		if call < 3 {
			return &adapter.Error{Code: adapter.Unavailable, Retryable: true, Attempts: 3}
		}
		return nil
	}}
	n := 0
	for out := range runUpdates(t, context.Background(), c, stream(10, nil), bulk.WithRecordPause(time.Millisecond)) {
		assert.NoError(t, out.Err)
		assert.Equal(t, bulk.Succeeded, out.Status)
		assert.Equal(t, 3, out.Calls)
		n++
	}
	assert.Equal(t, 10, n)

	t.Run("until its attempts are spent", func(t *testing.T) {
		c := &scriptedClient{fail: func(*adapter.CustomerUpdate, int) error {
			return &adapter.Error{Code: adapter.Unavailable, Retryable: true, Attempts: 3}
		}}
		n := 0
		for out := range runUpdates(t, context.Background(), c, stream(3, nil), bulk.WithRecordPause(time.Millisecond), bulk.WithRecordAttempts(2)) {
			assert.ErrorIs(t, out.Err, adapter.Unavailable)
			assert.Equal(t, bulk.Failed, out.Status)
			assert.Equal(t, 2, out.Calls)
			assert.True(t, out.Attempted)
			n++
		}
		assert.Equal(t, 3, n)
	})
}

func TestACanceledRunReportsTheRecordsItNeverAttempted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := &scriptedClient{delay: 5 * time.Millisecond}
	var attempted, notAttempted int
	for out := range runUpdates(t, ctx, c, stream(300, nil), bulk.WithConcurrency(2)) {
		if out.Seq == 10 {
			cancel()
		}
		if out.Attempted {
			attempted++
			continue
		}
		notAttempted++
		assert.Equal(t, bulk.NotSent, out.Status)
		assert.Zero(t, out.Calls)
		assert.ErrorIs(t, out.Err, context.Canceled, "never-attempted records carry ctx's error")
	}
	assert.Equal(t, 300, attempted+notAttempted, "every record is reported")
	assert.Greater(t, notAttempted, 200)
}

func TestBreakingOutOfTheOutcomesStopsTheRun(t *testing.T) {
	var pulled atomic.Int64
	c := &scriptedClient{delay: time.Millisecond}
	n := 0
	for range runUpdates(t, context.Background(), c, stream(100000, &pulled)) {
		n++
		if n == 5 {
			break
		}
	}
	assert.Less(t, pulled.Load(), int64(100), "the stream is not read to the end")
	// goleak (TestMain) checks that no goroutine outlives the loop.
}

func TestARunHaltsWhenTheVendorKeepsFailing(t *testing.T) {
	down := &adapter.Error{Vendor: "fake", Code: adapter.Unavailable, Retryable: true, Attempts: 3, Message: "down"}
	c := &scriptedClient{fail: func(*adapter.CustomerUpdate, int) error { return down }}
	var attempted, halted int
	for out := range runUpdates(t, context.Background(), c, stream(1000, nil),
		bulk.WithConcurrency(2), bulk.WithRecordAttempts(1), bulk.WithHaltAfter(10)) {
		require.Error(t, out.Err)
		if out.Attempted {
			attempted++
			assert.Equal(t, bulk.Failed, out.Status)
			assert.Equal(t, down, out.Err)
			continue
		}
		halted++
		assert.Equal(t, bulk.NotSent, out.Status)
		var e *adapter.Error
		require.ErrorAs(t, out.Err, &e)
		assert.Equal(t, adapter.Unavailable, e.Code)
		assert.Equal(t, "fake", e.Vendor)
		assert.Contains(t, e.Message, "10 records in a row")
	}
	assert.Equal(t, 1000, attempted+halted, "every record is reported")
	assert.LessOrEqual(t, attempted, 10+2, "no new record starts after the halt, beyond those already handed out")
}

func TestAnswersFromTheVendorResetTheFailureStreak(t *testing.T) {
	c := &scriptedClient{fail: func(u *adapter.CustomerUpdate, _ int) error {
		if u.ID[0] == 'a' { // every 26th record: NotFound, an answer
			return &adapter.Error{Code: adapter.NotFound, Attempts: 1}
		}
		return &adapter.Error{Code: adapter.Unavailable, Retryable: true, Attempts: 1}
	}}
	n := 0
	for out := range runUpdates(t, context.Background(), c, stream(300, nil),
		bulk.WithConcurrency(1), bulk.WithRecordAttempts(1), bulk.WithHaltAfter(30)) {
		assert.True(t, out.Attempted, "never halted: the streak never reaches 30")
		n++
	}
	assert.Equal(t, 300, n)
}

func TestBreakingOutAfterCancelingStopsReadingToo(t *testing.T) {
	var pulled atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := &scriptedClient{delay: time.Millisecond}
	n := 0
	for range runUpdates(t, ctx, c, stream(1_000_000, &pulled)) {
		n++
		if n == 5 {
			cancel()
			break
		}
	}
	assert.Less(t, pulled.Load(), int64(1000), "nobody is left to report to, so the stream is not drained")
}

func TestWithStopFinishesWhatIsInFlightAndStartsNothingMore(t *testing.T) {
	stop, stopNow := context.WithCancelCause(context.Background())
	defer stopNow(nil)
	stopped := errors.New("stopped by the operator")
	c := &scriptedClient{delay: 20 * time.Millisecond}
	var done, notSent int
	for out := range runUpdates(t, context.Background(), c, stream(200, nil), bulk.WithConcurrency(4), bulk.WithStop(stop)) {
		if out.Seq == 0 {
			stopNow(stopped)
		}
		if out.Attempted {
			require.NoError(t, out.Err, "records in flight finish normally")
			done++
			continue
		}
		assert.Equal(t, bulk.NotSent, out.Status)
		assert.ErrorIs(t, out.Err, stopped)
		notSent++
	}
	assert.Equal(t, 200, done+notSent)
	// In flight when stop fired: the 3 beside record 0, and those workers
	// picked up while record 0's outcome travelled to this loop.
	assert.LessOrEqual(t, done, 2*4+1, "only records already in flight finish")
	assert.Equal(t, int32(done), c.done.Load(), "nothing else reached the vendor")
}
