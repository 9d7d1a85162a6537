package adapter_test

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
)

// scriptedUpdater answers each update from fail; it tracks concurrency.
type scriptedUpdater struct {
	fail     func(u *adapter.CustomerUpdate, call int) error
	delay    time.Duration
	mu       sync.Mutex
	calls    map[string]int
	inFlight atomic.Int32
	maxSeen  atomic.Int32
	done     atomic.Int32
}

func (s *scriptedUpdater) Update(ctx context.Context, u *adapter.CustomerUpdate, _ ...adapter.CallOption) (*adapter.Result, error) {
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

func TestUpdateAllReportsEveryRecordExactlyOnce(t *testing.T) {
	boom := &adapter.Error{Code: adapter.InvalidArgument, Message: "bad", Attempts: 1}
	u := &scriptedUpdater{fail: func(u *adapter.CustomerUpdate, _ int) error {
		if u.ID[0] == 'c' {
			return boom
		}
		return nil
	}}
	seen := map[int]bool{}
	var ok, failed int
	for out := range adapter.UpdateAll(context.Background(), u, stream(500, nil), adapter.WithConcurrency(8)) {
		require.False(t, seen[out.Seq], "seq %d reported twice", out.Seq)
		seen[out.Seq] = true
		require.NotNil(t, out.Update, "the input travels with its outcome")
		if out.Err != nil {
			failed++
			assert.Equal(t, boom, out.Err)
			assert.Nil(t, out.Result)
			assert.Equal(t, 1, out.Calls, "a non-retryable failure is not tried again")
			continue
		}
		ok++
		assert.Equal(t, "v"+out.Update.ID, out.Result.VendorID)
	}
	assert.Len(t, seen, 500)
	assert.Equal(t, 500, ok+failed)
	assert.Equal(t, 20, failed) // ids starting with 'c': i%26 == 2
	assert.LessOrEqual(t, u.maxSeen.Load(), int32(8), "concurrency is bounded")
}

func TestUpdateAllReadsOnlyALittleAhead(t *testing.T) {
	var pulled atomic.Int64
	u := &scriptedUpdater{delay: time.Millisecond}
	const concurrency = 4
	maxAhead := int64(0)
	for range adapter.UpdateAll(context.Background(), u, stream(2000, &pulled), adapter.WithConcurrency(concurrency)) {
		if ahead := pulled.Load() - int64(u.done.Load()); ahead > maxAhead {
			maxAhead = ahead
		}
	}
	// In flight + queued + one in the reader's hand + outcomes buffered:
	// independent of the stream's length, which is what keeps memory flat.
	assert.LessOrEqual(t, maxAhead, int64(4*concurrency+2))
}

func TestUpdateAllTriesRetryableFailuresAgainAsAWhole(t *testing.T) {
	u := &scriptedUpdater{fail: func(_ *adapter.CustomerUpdate, call int) error {
		if call < 3 {
			return &adapter.Error{Code: adapter.Unavailable, Retryable: true, Attempts: 3}
		}
		return nil
	}}
	for out := range adapter.UpdateAll(context.Background(), u, stream(10, nil), adapter.WithRecordPause(time.Millisecond)) {
		assert.NoError(t, out.Err)
		assert.Equal(t, 3, out.Calls)
	}

	u = &scriptedUpdater{fail: func(*adapter.CustomerUpdate, int) error {
		return &adapter.Error{Code: adapter.Unavailable, Retryable: true, Attempts: 3}
	}}
	for out := range adapter.UpdateAll(context.Background(), u, stream(3, nil), adapter.WithRecordPause(time.Millisecond), adapter.WithRecordAttempts(2)) {
		assert.ErrorIs(t, out.Err, adapter.Unavailable)
		assert.Equal(t, 2, out.Calls)
		assert.True(t, out.Attempted)
	}
}

func TestUpdateAllReportsRecordsNeverAttemptedWhenCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	u := &scriptedUpdater{delay: 5 * time.Millisecond}
	var attempted, notAttempted int
	for out := range adapter.UpdateAll(ctx, u, stream(300, nil), adapter.WithConcurrency(2)) {
		if out.Seq == 10 {
			cancel()
		}
		if out.Attempted {
			attempted++
			continue
		}
		notAttempted++
		assert.True(t, errors.Is(out.Err, context.Canceled), "never-attempted records carry ctx's error: %v", out.Err)
	}
	assert.Equal(t, 300, attempted+notAttempted, "every record is reported")
	assert.Greater(t, notAttempted, 200)
}

func TestBreakingOutOfUpdateAllStopsItsWork(t *testing.T) {
	var pulled atomic.Int64
	u := &scriptedUpdater{delay: time.Millisecond}
	n := 0
	for range adapter.UpdateAll(context.Background(), u, stream(100000, &pulled)) {
		n++
		if n == 5 {
			break
		}
	}
	assert.Less(t, pulled.Load(), int64(100), "the stream is not read to the end")
	// goleak (TestMain) checks that no goroutine outlives the loop.
}

func TestUpdateAllHaltsWhenTheVendorKeepsFailing(t *testing.T) {
	down := &adapter.Error{Vendor: "fake", Code: adapter.Unavailable, Retryable: true, Attempts: 3, Message: "down"}
	u := &scriptedUpdater{fail: func(*adapter.CustomerUpdate, int) error { return down }}
	var attempted, halted int
	for out := range adapter.UpdateAll(context.Background(), u, stream(1000, nil),
		adapter.WithConcurrency(2), adapter.WithRecordAttempts(1), adapter.WithHaltAfter(10)) {
		require.Error(t, out.Err)
		if out.Attempted {
			attempted++
			assert.Equal(t, down, out.Err)
			continue
		}
		halted++
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
	u := &scriptedUpdater{fail: func(u *adapter.CustomerUpdate, _ int) error {
		if u.ID[0] == 'a' { // every 26th record: NotFound, an answer
			return &adapter.Error{Code: adapter.NotFound, Attempts: 1}
		}
		return &adapter.Error{Code: adapter.Unavailable, Retryable: true, Attempts: 1}
	}}
	n := 0
	for out := range adapter.UpdateAll(context.Background(), u, stream(300, nil),
		adapter.WithConcurrency(1), adapter.WithRecordAttempts(1), adapter.WithHaltAfter(30)) {
		assert.True(t, out.Attempted, "never halted: the streak never reaches 30")
		n++
	}
	assert.Equal(t, 300, n)
}

func TestBreakingOutAfterCancelingStopsReadingToo(t *testing.T) {
	var pulled atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	u := &scriptedUpdater{delay: time.Millisecond}
	n := 0
	for range adapter.UpdateAll(ctx, u, stream(1_000_000, &pulled)) {
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
	u := &scriptedUpdater{delay: 20 * time.Millisecond}
	var done, notSent int
	for out := range adapter.UpdateAll(context.Background(), u, stream(200, nil), adapter.WithConcurrency(4), adapter.WithStop(stop)) {
		if out.Seq == 0 {
			stopNow(stopped)
		}
		if out.Attempted {
			require.NoError(t, out.Err, "records in flight finish normally")
			done++
			continue
		}
		assert.ErrorIs(t, out.Err, stopped)
		notSent++
	}
	assert.Equal(t, 200, done+notSent)
	// In flight when stop fired: the 3 beside record 0, and those workers
	// picked up while record 0's outcome travelled to this loop.
	assert.LessOrEqual(t, done, 2*4+1, "only records already in flight finish")
	assert.Equal(t, int32(done), u.done.Load(), "nothing else reached the vendor")
}
