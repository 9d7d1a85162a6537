package bulk_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/driver"
	"github.com/custsync/custsync/adapter/syncstate"
	"github.com/custsync/custsync/adapter/syncstate/sqlite"
)

// vendorLog is a fake vendor that records the name of every request it
// receives and fails the names in fail with 503.
type vendorLog struct {
	mu   sync.Mutex
	got  []string
	fail map[string]bool
}

func (v *vendorLog) handle(w http.ResponseWriter, r *http.Request) {
	buf := make([]byte, 256)
	n, _ := r.Body.Read(buf)
	name := string(buf[:n])
	v.mu.Lock()
	v.got = append(v.got, name)
	fail := v.fail[name]
	v.mu.Unlock()
	if fail {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (v *vendorLog) received() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return slices.Clone(v.got)
}

func (v *vendorLog) reset() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.got = nil
}

func newStore(t *testing.T) syncstate.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func named(id, name string) *adapter.CustomerUpdate {
	return &adapter.CustomerUpdate{ID: id, Name: adapter.Set(name)}
}

// pushWithState runs updates through c with store, as a night's push
// would, and returns the outcomes in input order.
func pushWithState(t *testing.T, c bulk.Client, store syncstate.Store, updates []*adapter.CustomerUpdate, opts ...bulk.Option) []bulk.Outcome {
	t.Helper()
	outs := make([]bulk.Outcome, len(updates))
	for out := range runUpdates(t, context.Background(), c, slices.Values(updates), append([]bulk.Option{bulk.WithState(store)}, opts...)...) {
		outs[out.Seq] = out
	}
	return outs
}

// stored is what store holds for the fake vendor's customer id.
func stored(t *testing.T, store syncstate.Store, c *adapter.Client, id string) (syncstate.Record, bool) {
	t.Helper()
	rec, ok, err := store.Get(context.Background(), syncstate.Key{Vendor: "fake", Account: c.Account(), Key: "fake:" + id})
	require.NoError(t, err)
	return rec, ok
}

// digestPart is the part of u's digest a state store keeps of it (see
// the package doc: 96 bits of it).
func digestPart(t *testing.T, u *adapter.CustomerUpdate) string {
	t.Helper()
	d, err := u.Digest()
	require.NoError(t, err)
	return d[len("v1:") : len("v1:")+24]
}

func TestARunWithStateSendsOnlyWhatChangedSinceTheLastConfirmedRun(t *testing.T) {
	vendor := &vendorLog{}
	c, _ := newFake(t, vendor.handle)
	store := newStore(t)

	pushWithState(t, c, store, []*adapter.CustomerUpdate{named("C-1", "Acme"), named("C-2", "Bolt"), named("C-3", "Cog")})
	assert.ElementsMatch(t, []string{"Acme", "Bolt", "Cog"}, vendor.received(), "the first night sends everything")

	vendor.reset()
	outs := pushWithState(t, c, store, []*adapter.CustomerUpdate{named("C-1", "Acme"), named("C-2", "Bolt 2"), named("C-3", "Cog")})
	assert.Equal(t, []string{"Bolt 2"}, vendor.received(), "the second night sends only the change")
	assert.Equal(t, []bulk.Status{bulk.Unchanged, bulk.Succeeded, bulk.Unchanged}, []bulk.Status{outs[0].Status, outs[1].Status, outs[2].Status})
	assert.True(t, outs[0].Result.Skipped)
	assert.True(t, outs[0].Result.Unchanged)
	assert.Equal(t, "v-C-1", outs[0].Result.VendorID, "the vendor id comes from the store")
	assert.Zero(t, outs[0].Result.Attempts)
	assert.Zero(t, outs[0].Calls)
	assert.False(t, outs[1].Result.Skipped)

	rec, ok := stored(t, store, c, "C-2")
	require.True(t, ok)
	assert.Contains(t, rec.Digest, digestPart(t, named("C-2", "Bolt 2")), "the store holds what the vendor confirmed tonight")
	assert.NotContains(t, rec.Digest, digestPart(t, named("C-2", "Bolt")))
	assert.Equal(t, "v-C-2", rec.VendorID)
}

func TestARunWithStateSendsALaterRecordEqualToLastNightAfterAnEarlierOneChangedTheCustomer(t *testing.T) {
	vendor := &vendorLog{}
	c, _ := newFake(t, vendor.handle)
	store := newStore(t)
	pushWithState(t, c, store, []*adapter.CustomerUpdate{named("C-1", "Acme")})

	vendor.reset()
	// Tonight's input has C-1 twice, with C-2 between: a change, then last
	// night's value back.
	outs := pushWithState(t, c, store, []*adapter.CustomerUpdate{named("C-1", "Acme Corp"), named("C-2", "Bolt"), named("C-1", "Acme")},
		bulk.WithConcurrency(8))
	for _, out := range outs {
		require.NoError(t, out.Err)
		assert.Equal(t, bulk.Succeeded, out.Status, "update %d", out.Seq)
		assert.False(t, out.Result.Skipped, "update %d", out.Seq)
	}
	var c1 []string
	for _, name := range vendor.received() {
		if name != "Bolt" {
			c1 = append(c1, name)
		}
	}
	assert.Equal(t, []string{"Acme Corp", "Acme"}, c1, "C-1's updates both go out, in input order: the vendor ends with the last")
}

func TestARunWithStateForgetsTheConfirmationOfARecordThatMayHaveLanded(t *testing.T) {
	vendor := &vendorLog{fail: map[string]bool{"Acme Corp": true}}
	c, _ := newFake(t, vendor.handle)
	store := newStore(t)
	pushWithState(t, c, store, []*adapter.CustomerUpdate{named("C-1", "Acme")})

	vendor.reset()
	outs := pushWithState(t, c, store, []*adapter.CustomerUpdate{named("C-1", "Acme Corp")}, bulk.WithRecordAttempts(1))
	require.Error(t, outs[0].Err, "the vendor answered 503: the update may or may not have landed")
	assert.Equal(t, bulk.Failed, outs[0].Status)
	assert.True(t, outs[0].Attempted)
	rec, ok := stored(t, store, c, "C-1")
	require.True(t, ok)
	assert.NotContains(t, rec.Digest, digestPart(t, named("C-1", "Acme")), "last night's confirmation is forgotten")
	assert.NotContains(t, rec.Digest, digestPart(t, named("C-1", "Acme Corp")), "never recorded as synced")

	outs = pushWithState(t, c, store, []*adapter.CustomerUpdate{named("C-1", "Acme")})
	assert.Equal(t, bulk.Succeeded, outs[0].Status)
	assert.Equal(t, []string{"Acme Corp", "Acme"}, vendor.received(), "last night's value is sent again")
}

func TestARunWithStateLeavesTheStoreAloneForARecordThatWasNeverSent(t *testing.T) {
	vendor := &vendorLog{}
	c, d := newFake(t, vendor.handle)
	d.validate = func(u *adapter.CustomerUpdate) error {
		if nameOf(u) == "bad" {
			return driver.InvalidField(driver.FieldName, "is bad")
		}
		return nil
	}
	store := newStore(t)
	pushWithState(t, c, store, []*adapter.CustomerUpdate{named("C-1", "Acme")})
	before, _ := stored(t, store, c, "C-1")

	vendor.reset()
	outs := pushWithState(t, c, store, []*adapter.CustomerUpdate{named("C-1", "bad"), {ID: "", Name: adapter.Set("x")}})
	for _, out := range outs {
		assert.ErrorIs(t, out.Err, adapter.InvalidArgument)
		assert.Equal(t, bulk.Failed, out.Status)
		assert.False(t, out.Attempted)
	}
	after, _ := stored(t, store, c, "C-1")
	assert.Equal(t, before, after, "the refused update did not touch the confirmation")

	outs = pushWithState(t, c, store, []*adapter.CustomerUpdate{named("C-1", "Acme")})
	assert.Equal(t, bulk.Unchanged, outs[0].Status, "the refused update did not disturb the confirmation")
	assert.True(t, outs[0].Result.Skipped)
	assert.Empty(t, vendor.received())
}

func TestARunWithStateRefreshesOldConfirmationsAndForceSendsEverything(t *testing.T) {
	vendor := &vendorLog{}
	c, _ := newFake(t, vendor.handle)
	store := newStore(t)
	now := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	pushWithState(t, c, store, []*adapter.CustomerUpdate{named("C-1", "Acme")}, bulk.WithClock(func() time.Time { return now }))

	tests := []struct {
		name  string
		later time.Duration
		opts  []bulk.Option
		sent  bool
	}{
		{"a confirmation younger than the refresh age is skipped", 23 * time.Hour, []bulk.Option{bulk.WithRefreshAfter(24 * time.Hour)}, false},
		{"a confirmation older than the refresh age is sent again", 25 * time.Hour, []bulk.Option{bulk.WithRefreshAfter(24 * time.Hour)}, true},
		{"without a refresh age an old confirmation is skipped", 1000 * time.Hour, nil, false},
		{"force sends a confirmed record", 0, []bulk.Option{bulk.WithForce(true)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vendor.reset()
			later := now.Add(tt.later)
			opts := append([]bulk.Option{bulk.WithClock(func() time.Time { return later })}, tt.opts...)
			out := pushWithState(t, c, store, []*adapter.CustomerUpdate{named("C-1", "Acme")}, opts...)[0]
			require.NoError(t, out.Err)
			assert.Equal(t, tt.sent, !out.Result.Skipped)
			assert.Equal(t, tt.sent, out.Status == bulk.Succeeded)
			assert.Equal(t, tt.sent, len(vendor.received()) == 1)
			if tt.sent { // and it is recorded at the new time, so the refresh does not repeat
				rec, _ := stored(t, store, c, "C-1")
				assert.Equal(t, later, rec.SyncedAt)
				now = later
			}
		})
	}
}

func TestADryRunWithStateReadsTheStoreAndWritesNothing(t *testing.T) {
	vendor := &vendorLog{}
	c, d := newFake(t, vendor.handle)
	store := newStore(t)
	pushWithState(t, c, store, []*adapter.CustomerUpdate{named("C-1", "Acme")})
	vendor.reset()

	d.method = http.MethodGet // a driver that reads first, as Billbee's does
	outs := pushWithState(t, c, store, []*adapter.CustomerUpdate{named("C-1", "Acme"), named("C-2", "Bolt")}, bulk.WithDryRun(true))
	assert.Equal(t, bulk.Unchanged, outs[0].Status)
	assert.True(t, outs[0].Result.Skipped, "the store is read")
	require.NoError(t, outs[1].Err)
	assert.Equal(t, bulk.Succeeded, outs[1].Status)
	_, ok := stored(t, store, c, "C-2")
	assert.False(t, ok, "a dry run records nothing")

	d.method = http.MethodPut
	outs = pushWithState(t, c, store, []*adapter.CustomerUpdate{named("C-3", "Cog")}, bulk.WithDryRun(true))
	assert.ErrorContains(t, outs[0].Err, "dry run", "and writes nothing to the vendor")
	_, ok = stored(t, store, c, "C-3")
	assert.False(t, ok)
	assert.Equal(t, []string{"Bolt"}, vendor.received(), "only the read of C-2 went out")
}

func TestARunWithAStoreThatIsDownHaltsRetryablyAndSendsNothing(t *testing.T) {
	vendor := &vendorLog{}
	c, _ := newFake(t, vendor.handle)
	store := newStore(t)
	require.NoError(t, store.Close())
	n := 0
	for out := range runUpdates(t, context.Background(), c, stream(20, nil), bulk.WithState(store)) {
		n++
		assert.Equal(t, bulk.NotSent, out.Status)
		assert.False(t, out.Attempted)
		var e *adapter.Error
		require.ErrorAs(t, out.Err, &e)
		assert.Equal(t, adapter.Unavailable, e.Code)
		assert.True(t, e.Retryable, "a later run may succeed")
		assert.ErrorIs(t, out.Err, syncstate.ErrClosed)
		var halt *bulk.Halt
		require.ErrorAs(t, out.Err, &halt)
		assert.Equal(t, "the sync state store could not be read", halt.Reason)
	}
	assert.Equal(t, 20, n, "every record is reported")
	assert.Empty(t, vendor.received())
}

func TestARunWithStateReportsUnchangedRecordsAsNotAttempted(t *testing.T) {
	vendor := &vendorLog{}
	c, _ := newFake(t, vendor.handle)
	store := newStore(t)
	updates := func(changed int) []*adapter.CustomerUpdate {
		var out []*adapter.CustomerUpdate
		for i := range 200 {
			name := fmt.Sprint("Customer ", i)
			if i < changed {
				name += " (changed)"
			}
			out = append(out, named(fmt.Sprint("C-", i), name))
		}
		return out
	}
	run := func(us []*adapter.CustomerUpdate) (sent, unchanged int) {
		for _, out := range pushWithState(t, c, store, us, bulk.WithConcurrency(8)) {
			require.NoError(t, out.Err)
			if out.Status == bulk.Unchanged {
				unchanged++
				assert.True(t, out.Result.Skipped)
				assert.False(t, out.Attempted)
			} else {
				sent++
				assert.True(t, out.Attempted)
			}
		}
		return sent, unchanged
	}
	sent, unchanged := run(updates(0))
	assert.Equal(t, 200, sent)
	assert.Zero(t, unchanged)
	vendor.reset()
	sent, unchanged = run(updates(0))
	assert.Zero(t, sent)
	assert.Equal(t, 200, unchanged)
	assert.Empty(t, vendor.received(), "an unchanged second night sends nothing")
	vendor.reset()
	sent, unchanged = run(updates(2))
	assert.Equal(t, 2, sent)
	assert.Equal(t, 198, unchanged)
	assert.Len(t, vendor.received(), 2)
}

func TestConfirmedRecordsReadsWhatARunStored(t *testing.T) {
	vendor := &vendorLog{fail: map[string]bool{"Acme Corp": true}}
	c, _ := newFake(t, vendor.handle)
	store := newStore(t)
	digest := func(id string) string {
		t.Helper()
		rec, ok := stored(t, store, c, id)
		require.True(t, ok, id)
		return rec.Digest
	}
	confirmed := func(id string) []any {
		n, whole := bulk.ConfirmedRecords(digest(id))
		return []any{n, whole}
	}

	pushWithState(t, c, store, []*adapter.CustomerUpdate{named("C-1", "Acme"), named("C-1", "Acme 2"), named("C-2", "Bolt")})
	assert.Equal(t, []any{2, true}, confirmed("C-1"), "both records, and nothing else")
	assert.Equal(t, []any{1, true}, confirmed("C-2"))

	outs := pushWithState(t, c, store, []*adapter.CustomerUpdate{named("C-1", "Acme"), named("C-1", "Acme Corp")}, bulk.WithRecordAttempts(1))
	require.Equal(t, bulk.Failed, outs[1].Status)
	assert.Equal(t, []any{1, false}, confirmed("C-1"), "the first record, then one that may or may not be at the vendor")

	outs = pushWithState(t, c, store, []*adapter.CustomerUpdate{named("C-3", "Acme Corp")}, bulk.WithRecordAttempts(1))
	require.Equal(t, bulk.Failed, outs[0].Status)
	assert.Equal(t, []any{0, false}, confirmed("C-3"), "a first record that may or may not be at the vendor")

	n, whole := bulk.ConfirmedRecords("v1:" + strings.Repeat("0123456789abcdef", 4))
	assert.Equal(t, []any{1, true}, []any{n, whole}, "an older custsync's digest of one update")
	for _, d := range []string{"unconfirmed", "", "conflict", "s1:x/zz"} {
		n, whole := bulk.ConfirmedRecords(d)
		assert.Equal(t, []any{0, false}, []any{n, whole}, "%q", d)
	}
}
