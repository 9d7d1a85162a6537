package bulk_test

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/driver"
)

// orderClient records, per customer, the order in which updates reach it
// and whether two were ever in flight at once.
type orderClient struct {
	delay func(u *adapter.CustomerUpdate) time.Duration
	fail  func(u *adapter.CustomerUpdate, call int) error
	key   func(u *adapter.CustomerUpdate) string // nil: the id

	mu       sync.Mutex
	inFlight map[string]int
	overlaps []string
	applied  map[string][]string // key -> names, in the order they were applied
	calls    map[string]int      // name -> calls
	maxAll   int
	nowAll   int
}

func (o *orderClient) Key(u *adapter.CustomerUpdate) string {
	if o.key != nil {
		return o.key(u)
	}
	return u.ID
}

func (*orderClient) Vendor() string  { return "fake" }
func (*orderClient) Account() string { return "fake-account" }

func (o *orderClient) Update(ctx context.Context, u *adapter.CustomerUpdate, _ ...adapter.CallOption) (*adapter.Result, error) {
	k := o.Key(u)
	name := nameOf(u)
	o.mu.Lock()
	if o.inFlight == nil {
		o.inFlight, o.applied, o.calls = map[string]int{}, map[string][]string{}, map[string]int{}
	}
	o.inFlight[k]++
	if o.inFlight[k] > 1 {
		o.overlaps = append(o.overlaps, name)
	}
	o.nowAll++
	o.maxAll = max(o.maxAll, o.nowAll)
	o.calls[name]++
	call := o.calls[name]
	o.mu.Unlock()
	defer func() {
		o.mu.Lock()
		o.inFlight[k]--
		o.nowAll--
		o.mu.Unlock()
	}()
	if o.delay != nil {
		select {
		case <-time.After(o.delay(u)):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if o.fail != nil {
		if err := o.fail(u, call); err != nil {
			return nil, err
		}
	}
	o.mu.Lock()
	o.applied[k] = append(o.applied[k], name)
	o.mu.Unlock()
	return &adapter.Result{ID: u.ID, VendorID: "v" + u.ID, Attempts: 1}, nil
}

func nameOf(u *adapter.CustomerUpdate) string {
	name, _ := u.Name.Value()
	return name
}

// repeated yields n updates over ids customers in turn (id i%ids), each
// named "<id> #<k>" with k counting that customer's updates from 1.
func repeated(n, ids int) iter.Seq[*adapter.CustomerUpdate] {
	return func(yield func(*adapter.CustomerUpdate) bool) {
		for i := range n {
			id := fmt.Sprintf("C-%d", i%ids)
			if !yield(&adapter.CustomerUpdate{ID: id, Name: adapter.Set(fmt.Sprintf("%s #%d", id, i/ids+1))}) {
				return
			}
		}
	}
}

func wantInOrder(n, ids int) map[string][]string {
	want := map[string][]string{}
	for u := range repeated(n, ids) {
		want[u.ID] = append(want[u.ID], nameOf(u))
	}
	return want
}

func TestARunKeepsEachCustomersRecordsInInputOrder(t *testing.T) {
	for _, tc := range []struct {
		name         string
		records, ids int
	}{
		{"one customer 200 times at concurrency 16", 200, 1},
		{"three customers interleaved", 300, 3},
		{"many customers, each a few times", 1000, 97},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &orderClient{delay: func(*adapter.CustomerUpdate) time.Duration {
				return time.Duration(time.Now().UnixNano()%3) * 100 * time.Microsecond
			}}
			yielded := map[string][]string{}
			for out := range runUpdates(t, context.Background(), c, repeated(tc.records, tc.ids), bulk.WithConcurrency(16)) {
				require.NoError(t, out.Err)
				yielded[out.Record.Update.ID] = append(yielded[out.Record.Update.ID], nameOf(out.Record.Update))
			}
			want := wantInOrder(tc.records, tc.ids)
			assert.Empty(t, c.overlaps, "two updates of one customer were in flight together")
			assert.Equal(t, want, c.applied, "each customer's updates reach the vendor in input order")
			assert.Equal(t, want, yielded, "each customer's outcomes are yielded in input order")
		})
	}
}

func TestARunKeysCustomersByTheClientsOwnKey(t *testing.T) {
	// Two spellings of one record, as Upwell's default sourceSystem makes
	// "C-1" and {"sourceSystem": "ACME", "id": "C-1"} the same customer.
	c := &orderClient{
		key:   func(u *adapter.CustomerUpdate) string { return strings.ToUpper(u.ID) },
		delay: func(*adapter.CustomerUpdate) time.Duration { return time.Millisecond },
	}
	updates := func(yield func(*adapter.CustomerUpdate) bool) {
		for i := range 40 {
			id := "c-1"
			if i%2 == 1 {
				id = "C-1"
			}
			if !yield(&adapter.CustomerUpdate{ID: id, Name: adapter.Set(fmt.Sprint(i))}) {
				return
			}
		}
	}
	for out := range runUpdates(t, context.Background(), c, updates, bulk.WithConcurrency(8)) {
		require.NoError(t, out.Err)
	}
	assert.Empty(t, c.overlaps, "updates with equal keys were in flight together")
	require.Len(t, c.applied["C-1"], 40)
	for i, name := range c.applied["C-1"] {
		assert.Equal(t, fmt.Sprint(i), name)
	}
}

func TestARunLetsOtherCustomersFlowWhileOneWaits(t *testing.T) {
	release := make(chan struct{})
	var othersDone atomic.Int32
	c := &orderClient{}
	c.delay = func(cu *adapter.CustomerUpdate) time.Duration {
		if cu.ID == "HOT" && nameOf(cu) == "HOT 1" {
			<-release // the first update of HOT hangs until every other customer is done
		}
		return 0
	}
	updates := func(yield func(*adapter.CustomerUpdate) bool) {
		for i := range 200 {
			u := &adapter.CustomerUpdate{ID: fmt.Sprintf("other-%d", i), Name: adapter.Set("x")}
			if i%10 == 0 {
				u = &adapter.CustomerUpdate{ID: "HOT", Name: adapter.Set(fmt.Sprintf("HOT %d", i/10+1))}
			}
			if !yield(u) {
				return
			}
		}
	}
	var hot []string
	// Without the setup check: HOT 1, the first record, may be the one
	// sent alone to prove the setup, and it waits for the others.
	for out := range runUpdates(t, context.Background(), c, updates, bulk.WithConcurrency(4), bulk.WithSetupCheck(0)) {
		require.NoError(t, out.Err)
		if out.Record.Update.ID != "HOT" {
			if othersDone.Add(1) == 180 {
				close(release)
			}
			continue
		}
		assert.EqualValues(t, 180, othersDone.Load(), "HOT's updates come after every other customer, which did not wait for it")
		hot = append(hot, nameOf(out.Record.Update))
	}
	assert.Equal(t, []string{"HOT 1", "HOT 2", "HOT 3", "HOT 4", "HOT 5", "HOT 6", "HOT 7", "HOT 8", "HOT 9", "HOT 10", "HOT 11", "HOT 12", "HOT 13", "HOT 14", "HOT 15", "HOT 16", "HOT 17", "HOT 18", "HOT 19", "HOT 20"}, hot)
	assert.Empty(t, c.overlaps)
}

func TestARunReadsABoundedWayAheadWhenOneCustomerRepeats(t *testing.T) {
	const records, concurrency = 100_000, 4
	var pulled atomic.Int64
	var done atomic.Int64
	c := &scriptedClient{}
	updates := func(yield func(*adapter.CustomerUpdate) bool) {
		for i := range records {
			pulled.Add(1)
			if !yield(&adapter.CustomerUpdate{ID: "SAME", Name: adapter.Set(fmt.Sprint(i))}) {
				return
			}
		}
	}
	var maxAhead int64
	next := 0
	for out := range runUpdates(t, context.Background(), c, updates, bulk.WithConcurrency(concurrency)) {
		require.NoError(t, out.Err)
		require.Equal(t, next, out.Seq, "one customer's outcomes come in input order")
		next++
		maxAhead = max(maxAhead, pulled.Load()-done.Add(1))
	}
	assert.Equal(t, records, next)
	// 64 parked per worker, one in flight, one in the reader's hand, and
	// the outcome queue: independent of how often the customer repeats.
	assert.LessOrEqual(t, maxAhead, int64(64*concurrency+2*concurrency+2))
	assert.Equal(t, int32(1), c.maxSeen.Load(), "never two in flight for the customer")
}

func TestARunFinishesARecordsRetriesBeforeTheCustomersNextRecord(t *testing.T) {
	c := &orderClient{fail: func(cu *adapter.CustomerUpdate, call int) error {
		if nameOf(cu) == "C-0 #1" && call < 3 {
			return &adapter.Error{Code: adapter.Unavailable, Retryable: true, Attempts: 1}
		}
		return nil
	}}
	var calls []int
	for out := range runUpdates(t, context.Background(), c, repeated(20, 2), bulk.WithConcurrency(8), bulk.WithRecordPause(time.Millisecond)) {
		require.NoError(t, out.Err)
		if out.Record.Update.ID == "C-0" {
			calls = append(calls, out.Calls)
		}
	}
	assert.Equal(t, []int{3, 1, 1, 1, 1, 1, 1, 1, 1, 1}, calls)
	assert.Equal(t, wantInOrder(20, 2), c.applied, "C-0 #2 waited for the third call of C-0 #1")
	assert.Empty(t, c.overlaps)
}

func TestAStoppedRunReportsParkedRecordsInInputOrder(t *testing.T) {
	// Stopped while each customer's first update is in flight: the later
	// ones are not sent, and are reported after the one ahead of them, in
	// input order, so that a failures file written from the outcomes
	// keeps each customer's order (reported before, they overtook it).
	stop, stopNow := context.WithCancelCause(context.Background())
	defer stopNow(nil)
	stopped := fmt.Errorf("operator said stop")
	release := make(chan struct{})
	c := &orderClient{delay: func(cu *adapter.CustomerUpdate) time.Duration {
		if strings.HasSuffix(nameOf(cu), "#1") {
			<-release
		}
		return 0
	}}
	const records, ids = 100, 4
	go func() {
		assert.Eventually(t, func() bool {
			c.mu.Lock()
			defer c.mu.Unlock()
			return c.nowAll == ids
		}, 10*time.Second, time.Millisecond)
		// A record's turn checks the stop itself: releasing right after
		// it holds the parked records back whenever the run hears of it.
		stopNow(stopped)
		close(release)
	}()
	yielded := map[string][]string{}
	notSent := 0
	for out := range runUpdates(t, context.Background(), c, repeated(records, ids), bulk.WithConcurrency(ids), bulk.WithStop(stop),
		bulk.WithSetupCheck(0)) { // every customer's first update in flight at once
		yielded[out.Record.Update.ID] = append(yielded[out.Record.Update.ID], nameOf(out.Record.Update))
		if out.Calls > 0 {
			require.NoError(t, out.Err)
			continue
		}
		assert.Equal(t, bulk.NotSent, out.Status)
		assert.ErrorIs(t, out.Err, stopped)
		notSent++
	}
	assert.Equal(t, records-ids, notSent)
	assert.Equal(t, wantInOrder(records, ids), yielded, "each customer's outcomes, sent or not, in input order")
}

func TestARunHoldsBackACustomersLaterRecordsOnceOneFails(t *testing.T) {
	// C-0 #2 fails for good; C-0 #3 and #4 must not overtake it, or pushing
	// the fixed failure again would apply the older update last. C-1 flows.
	c := &orderClient{fail: func(cu *adapter.CustomerUpdate, _ int) error {
		if nameOf(cu) == "C-0 #2" {
			return &adapter.Error{Code: adapter.InvalidArgument, Field: driver.FieldEmail, Message: "refused"}
		}
		return nil
	}}
	var failed, held []string
	succeeded := 0
	for out := range runUpdates(t, context.Background(), c, repeated(8, 2), bulk.WithConcurrency(4)) {
		switch {
		case out.Err == nil:
			succeeded++
		case adapter.CodeOf(out.Err) == adapter.FailedPrecondition:
			held = append(held, nameOf(out.Record.Update))
			assert.Equal(t, bulk.Failed, out.Status)
			assert.Zero(t, out.Calls, "a held-back update is never sent")
			assert.False(t, out.Attempted)
			assert.Contains(t, out.Err.Error(), "(line 3)", "it names the failed update's line")
		default:
			failed = append(failed, nameOf(out.Record.Update))
		}
	}
	assert.Equal(t, []string{"C-0 #2"}, failed)
	assert.Equal(t, []string{"C-0 #3", "C-0 #4"}, held, "held back, in input order")
	assert.Equal(t, 5, succeeded, "C-0 #1 and every update of C-1")
	assert.Equal(t, []string{"C-0 #1"}, c.applied["C-0"])
	assert.Len(t, c.applied["C-1"], 4)
}
