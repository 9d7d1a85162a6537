package adapter_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/driver"
	"github.com/custsync/custsync/adapter/syncstate"
	"github.com/custsync/custsync/adapter/syncstate/sqlite"
)

// vendorLog is a fake vendor that records the name of every PUT it
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

// push runs updates one by one through s, as a run with one customer's
// updates in input order would.
func push(t *testing.T, s *adapter.Syncer, updates ...*adapter.CustomerUpdate) []*adapter.Result {
	t.Helper()
	var out []*adapter.Result
	for _, u := range updates {
		res, err := s.Update(context.Background(), u)
		require.NoError(t, err, "%s", u.ID)
		out = append(out, res)
	}
	return out
}

func TestSyncerSendsOnlyWhatChangedSinceTheLastConfirmedRun(t *testing.T) {
	vendor := &vendorLog{}
	c, _ := newFake(t, vendor.handle)
	store := newStore(t)
	s := newSyncer(t, c, store)

	push(t, s, named("C-1", "Acme"), named("C-2", "Bolt"), named("C-3", "Cog"))
	assert.Equal(t, []string{"Acme", "Bolt", "Cog"}, vendor.received(), "the first night sends everything")

	vendor.reset()
	results := push(t, s, named("C-1", "Acme"), named("C-2", "Bolt 2"), named("C-3", "Cog"))
	assert.Equal(t, []string{"Bolt 2"}, vendor.received(), "the second night sends only the change")
	assert.True(t, results[0].Skipped)
	assert.True(t, results[0].Unchanged)
	assert.Equal(t, "v-C-1", results[0].VendorID, "the vendor id comes from the store")
	assert.Zero(t, results[0].Attempts)
	assert.False(t, results[1].Skipped)

	rec, ok, err := store.Get(context.Background(), syncstate.Key{Vendor: "fake", Account: c.Account(), Key: "fake:C-2"})
	require.NoError(t, err)
	require.True(t, ok)
	want, err := named("C-2", "Bolt 2").Digest()
	require.NoError(t, err)
	assert.Equal(t, want, rec.Digest)
}

func TestSyncerNeverSkipsALaterUpdateAfterAnEarlierOneOfTheSameKeyChangedTheRecord(t *testing.T) {
	vendor := &vendorLog{}
	c, _ := newFake(t, vendor.handle)
	s := newSyncer(t, c, newStore(t))
	push(t, s, named("C-1", "Acme"))

	vendor.reset()
	// Tonight's input has C-1 twice: a change, then last night's value back.
	push(t, s, named("C-1", "Acme Corp"), named("C-1", "Acme"))
	assert.Equal(t, []string{"Acme Corp", "Acme"}, vendor.received(), "the vendor ends with the last update")
}

func TestSyncerForgetsTheConfirmationOfARecordWhoseUpdateMayHaveLanded(t *testing.T) {
	vendor := &vendorLog{fail: map[string]bool{"Acme Corp": true}}
	c, _ := newFake(t, vendor.handle)
	store := newStore(t)
	s := newSyncer(t, c, store)
	push(t, s, named("C-1", "Acme"))

	vendor.reset()
	_, err := s.Update(context.Background(), named("C-1", "Acme Corp"))
	require.Error(t, err, "the vendor answered 503: the update may or may not have landed")
	rec, ok, err := store.Get(context.Background(), syncstate.Key{Vendor: "fake", Account: c.Account(), Key: "fake:C-1"})
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "unconfirmed", rec.Digest, "never recorded as synced")

	push(t, s, named("C-1", "Acme"))
	assert.Equal(t, []string{"Acme Corp", "Acme"}, vendor.received(), "last night's value is sent again")
}

func TestSyncerLeavesTheStoreAloneForARecordThatWasNeverSent(t *testing.T) {
	vendor := &vendorLog{}
	c, d := newFake(t, vendor.handle)
	d.validate = func(u *adapter.CustomerUpdate) error {
		if n, _ := u.Name.Value(); n == "bad" {
			return driver.InvalidField(driver.FieldName, "is bad")
		}
		return nil
	}
	store := newStore(t)
	s := newSyncer(t, c, store)
	push(t, s, named("C-1", "Acme"))

	_, err := s.Update(context.Background(), named("C-1", "bad"))
	assert.ErrorIs(t, err, adapter.InvalidArgument)
	_, err = s.Update(context.Background(), &adapter.CustomerUpdate{ID: "", Name: adapter.Set("x")})
	assert.ErrorIs(t, err, adapter.InvalidArgument)

	vendor.reset()
	results := push(t, s, named("C-1", "Acme"))
	assert.True(t, results[0].Skipped, "the refused update did not disturb the confirmation")
	assert.Empty(t, vendor.received())
}

func TestSyncerRefreshesOldConfirmationsAndForceSendsEverything(t *testing.T) {
	vendor := &vendorLog{}
	c, _ := newFake(t, vendor.handle)
	store := newStore(t)
	now := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	push(t, newSyncer(t, c, store, adapter.WithClock(clock)), named("C-1", "Acme"))

	tests := []struct {
		name  string
		later time.Duration
		opts  []adapter.SyncOption
		sent  bool
	}{
		{"a confirmation younger than the refresh age is skipped", 23 * time.Hour, []adapter.SyncOption{adapter.WithRefreshAfter(24 * time.Hour)}, false},
		{"a confirmation older than the refresh age is sent again", 25 * time.Hour, []adapter.SyncOption{adapter.WithRefreshAfter(24 * time.Hour)}, true},
		{"without a refresh age an old confirmation is skipped", 1000 * time.Hour, nil, false},
		{"force sends a confirmed record", 0, []adapter.SyncOption{adapter.WithForce(true)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vendor.reset()
			later := func() time.Time { return now.Add(tt.later) }
			s := newSyncer(t, c, store, append([]adapter.SyncOption{adapter.WithClock(later)}, tt.opts...)...)
			res := push(t, s, named("C-1", "Acme"))[0]
			assert.Equal(t, tt.sent, !res.Skipped)
			assert.Equal(t, tt.sent, len(vendor.received()) == 1)
			if tt.sent { // and it is recorded at the new time, so the refresh does not repeat
				rec, _, err := store.Get(context.Background(), syncstate.Key{Vendor: "fake", Account: c.Account(), Key: "fake:C-1"})
				require.NoError(t, err)
				assert.Equal(t, later(), rec.SyncedAt)
				now = later()
			}
		})
	}
}

func TestSyncerDryRunReadsTheStoreAndWritesNothing(t *testing.T) {
	vendor := &vendorLog{}
	c, d := newFake(t, vendor.handle)
	d.method = http.MethodGet // a driver that reads first, as Billbee does
	store := newStore(t)
	s := newSyncer(t, c, store)
	push(t, s, named("C-1", "Acme"))
	vendor.reset()

	skipped, err := s.Update(context.Background(), named("C-1", "Acme"), adapter.WithDryRun(true))
	require.NoError(t, err)
	assert.True(t, skipped.Skipped)
	_, err = s.Update(context.Background(), named("C-2", "Bolt"), adapter.WithDryRun(true))
	require.NoError(t, err)
	_, ok, err := store.Get(context.Background(), syncstate.Key{Vendor: "fake", Account: c.Account(), Key: "fake:C-2"})
	require.NoError(t, err)
	assert.False(t, ok, "a dry run records nothing")

	d.method = http.MethodPut
	_, err = s.Update(context.Background(), named("C-3", "Cog"), adapter.WithDryRun(true))
	assert.ErrorContains(t, err, "dry run", "and writes nothing to the vendor")
	assert.Equal(t, []string{"Bolt"}, vendor.received(), "only the read of C-2 went out")
}

func TestSyncerFailsRetryablyAndSendsNothingWhenTheStoreIsDown(t *testing.T) {
	vendor := &vendorLog{}
	c, _ := newFake(t, vendor.handle)
	store := newStore(t)
	require.NoError(t, store.Close())
	_, err := newSyncer(t, c, store).Update(context.Background(), named("C-1", "Acme"))
	require.Error(t, err)
	assert.Equal(t, adapter.Unavailable, adapter.CodeOf(err))
	var e *adapter.Error
	require.ErrorAs(t, err, &e)
	assert.True(t, e.Retryable, "a bulk run tries again, and halts if the store stays down")
	assert.ErrorIs(t, err, syncstate.ErrClosed)
	assert.Empty(t, vendor.received())
}

func TestUpdateAllThroughASyncerReportsSkippedRecordsAsNotAttempted(t *testing.T) {
	vendor := &vendorLog{}
	c, _ := newFake(t, vendor.handle)
	s := newSyncer(t, c, newStore(t))
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
	run := func(us []*adapter.CustomerUpdate) (sent, skipped int) {
		for out := range adapter.UpdateAll(context.Background(), s, slices.Values(us), adapter.WithConcurrency(8)) {
			require.NoError(t, out.Err)
			if out.Result.Skipped {
				skipped++
				assert.False(t, out.Attempted)
			} else {
				sent++
				assert.True(t, out.Attempted)
			}
		}
		return sent, skipped
	}
	sent, skipped := run(updates(0))
	assert.Equal(t, 200, sent)
	assert.Zero(t, skipped)
	vendor.reset()
	sent, skipped = run(updates(0))
	assert.Zero(t, sent)
	assert.Equal(t, 200, skipped)
	assert.Empty(t, vendor.received(), "an unchanged second night sends nothing")
	vendor.reset()
	sent, skipped = run(updates(2))
	assert.Equal(t, 2, sent)
	assert.Equal(t, 198, skipped)
	assert.Len(t, vendor.received(), 2)
}

func TestUpdateAllThroughASyncerSendsALaterDuplicateThatEqualsLastNight(t *testing.T) {
	vendor := &vendorLog{}
	c, _ := newFake(t, vendor.handle)
	s := newSyncer(t, c, newStore(t))
	push(t, s, named("C-1", "Acme"))
	vendor.reset()

	tonight := []*adapter.CustomerUpdate{named("C-1", "Acme Corp"), named("C-2", "Bolt"), named("C-1", "Acme")}
	for out := range adapter.UpdateAll(context.Background(), s, slices.Values(tonight), adapter.WithConcurrency(8)) {
		require.NoError(t, out.Err)
		assert.False(t, out.Result.Skipped, "update %d", out.Seq)
	}
	var c1 []string
	for _, name := range vendor.received() {
		if name != "Bolt" {
			c1 = append(c1, name)
		}
	}
	assert.Equal(t, []string{"Acme Corp", "Acme"}, c1, "C-1's updates both go out, in input order")
}

// newSyncer is adapter.NewSyncer for options that are valid.
func newSyncer(t testing.TB, c *adapter.Client, store syncstate.Store, opts ...adapter.SyncOption) *adapter.Syncer {
	t.Helper()
	s, err := adapter.NewSyncer(c, store, opts...)
	require.NoError(t, err)
	return s
}
