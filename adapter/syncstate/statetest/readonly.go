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

// ReadOnlyHarness gives RunReadOnly storage and two ways to open it.
type ReadOnlyHarness interface {
	// NewReadOnlyStorage makes new, empty storage for one test, as
	// Harness.NewStorage does, and returns a function that opens a
	// writable handle onto it and one that opens a read-only handle. The
	// handles are the suite's to close.
	NewReadOnlyStorage(t testing.TB) (open, openReadOnly func() (syncstate.Store, error))
}

// ReadOnlyHarnessFunc adapts a function to ReadOnlyHarness.
type ReadOnlyHarnessFunc func(t testing.TB) (open, openReadOnly func() (syncstate.Store, error))

// NewReadOnlyStorage calls f.
func (f ReadOnlyHarnessFunc) NewReadOnlyStorage(t testing.TB) (open, openReadOnly func() (syncstate.Store, error)) {
	return f(t)
}

// RunReadOnly runs the suite's part on stores opened read-only: they
// read what writable ones wrote, see what they write meanwhile, and
// refuse every Put. That a read-only store changes nothing in its
// storage is each store's own test: the suite cannot see the storage.
func RunReadOnly(t *testing.T, h ReadOnlyHarness) {
	ctx := context.Background()
	written := []syncstate.Entry{
		entry("upwell", "a", `["ACME","C-1"]`, "d1", at),
		entry("upwell", "a", `["ACME","C-2"]`, "d2", at.Add(time.Second)),
		entry("bluetape", "b", "Ärger ' \" ; -- 客户", "d3", at),
		entry("billbee", "a", strings.Repeat("k", 200), longDigest("long", syncstate.MaxFieldBytes), at),
	}
	keys := func(entries []syncstate.Entry) []syncstate.Key {
		var out []syncstate.Key
		for _, e := range entries {
			out = append(out, e.Key)
		}
		return out
	}
	missing := syncstate.Key{Vendor: "upwell", Account: "a", Key: `["ACME","C-3"]`}

	t.Run("a read-only store of storage never written holds no record", func(t *testing.T) {
		_, openReadOnly := h.NewReadOnlyStorage(t)
		s := opened(t, openReadOnly)
		_, ok := mustGet(t, s, written[0].Key)
		assert.False(t, ok)
		assert.Empty(t, mustGetMany(t, s, keys(written)))
		held, err := s.Holds(ctx, "upwell", "a")
		require.NoError(t, err)
		assert.False(t, held)
	})

	t.Run("a read-only store reads what a writable one wrote", func(t *testing.T) {
		open, openReadOnly := h.NewReadOnlyStorage(t)
		w, err := open()
		require.NoError(t, err)
		require.NoError(t, w.Put(ctx, written...))
		conflicted := entry("upwell", "a", `["ACME","C-1"]`, "stale", at.Add(time.Minute))
		seen := "not what is stored"
		conflicted.IfDigest, conflicted.Conflict = &seen, "conflict"
		require.NoError(t, w.Put(ctx, conflicted))
		require.NoError(t, w.Close())

		want := map[syncstate.Key]syncstate.Record{}
		for _, e := range written {
			want[e.Key] = e.Record
		}
		want[conflicted.Key] = syncstate.Record{Digest: "conflict", VendorID: conflicted.VendorID, SyncedAt: conflicted.SyncedAt}
		for range 2 { // and again, on a second handle
			s := opened(t, openReadOnly)
			assert.Equal(t, want, mustGetMany(t, s, append(keys(written), missing)))
			for k, r := range want {
				got, ok := mustGet(t, s, k)
				require.True(t, ok, "%s", k)
				assert.Equal(t, r, got, "%s", k)
			}
			_, ok := mustGet(t, s, missing)
			assert.False(t, ok)
			for _, acct := range []struct {
				vendor, account string
				held            bool
			}{{"upwell", "a", true}, {"bluetape", "b", true}, {"upwell", "b", false}} {
				held, err := s.Holds(ctx, acct.vendor, acct.account)
				require.NoError(t, err)
				assert.Equal(t, acct.held, held, "%s/%s", acct.vendor, acct.account)
			}
			require.NoError(t, s.Close())
		}
	})

	t.Run("a read-only store sees what writers commit while it is open", func(t *testing.T) {
		open, openReadOnly := h.NewReadOnlyStorage(t)
		first, err := open()
		require.NoError(t, err)
		require.NoError(t, first.Put(ctx, written[0]))
		require.NoError(t, first.Close())
		s := opened(t, openReadOnly) // opened while no writer is
		assert.Len(t, mustGetMany(t, s, keys(written)), 1)

		w := opened(t, open)
		for i, e := range written[1:] {
			require.NoError(t, w.Put(ctx, e))
			assert.Len(t, mustGetMany(t, s, keys(written)), i+2, "as soon as Put returned")
		}
		late := opened(t, openReadOnly) // opened while a writer is
		assert.Len(t, mustGetMany(t, late, keys(written)), len(written))
		mark := entry("upwell", "a", `["ACME","C-1"]`, "unconfirmed", at.Add(-time.Hour))
		require.NoError(t, w.Put(ctx, mark))
		for _, r := range []syncstate.Store{s, late} {
			got, _ := mustGet(t, r, mark.Key)
			assert.Equal(t, mark.Record, got, "a replaced record reads as replaced")
		}
		require.NoError(t, w.Close())
		for _, r := range []syncstate.Store{s, late} {
			assert.Len(t, mustGetMany(t, r, keys(written)), len(written), "and after the writer closed")
		}
	})

	t.Run("concurrent lookups on a read-only store agree while a writer writes", func(t *testing.T) {
		open, openReadOnly := h.NewReadOnlyStorage(t)
		w := opened(t, open)
		require.NoError(t, w.Put(ctx, written...))
		s := opened(t, openReadOnly)
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := range 50 {
				if err := w.Put(ctx, entry("upwell", "a", fmt.Sprint("bg-", i), "d", at)); err != nil {
					t.Error(err)
					return
				}
			}
		})
		for range 4 {
			wg.Go(func() {
				for range 25 {
					got, err := s.GetMany(ctx, keys(written))
					if err != nil {
						t.Error(err)
						return
					}
					assert.Len(t, got, len(written))
				}
			})
		}
		wg.Wait()
	})

	t.Run("Put on a read-only store fails with ErrReadOnly and writes nothing", func(t *testing.T) {
		open, openReadOnly := h.NewReadOnlyStorage(t)
		empty := opened(t, openReadOnly)
		assert.ErrorIs(t, empty.Put(ctx, written[0]), syncstate.ErrReadOnly, "on storage never written")

		w, err := open()
		require.NoError(t, err)
		require.NoError(t, w.Put(ctx, written[0]))
		require.NoError(t, w.Close())
		s := opened(t, openReadOnly)
		changed := entry("upwell", "a", `["ACME","C-1"]`, "changed", at)
		assert.ErrorIs(t, s.Put(ctx, changed, written[1]), syncstate.ErrReadOnly)
		assert.ErrorIs(t, s.Put(ctx), syncstate.ErrReadOnly, "even with no entry")

		check := opened(t, open)
		assert.Equal(t, map[syncstate.Key]syncstate.Record{written[0].Key: written[0].Record}, mustGetMany(t, check, keys(written)))
	})

	t.Run("a read-only store answers a canceled context with its error", func(t *testing.T) {
		open, openReadOnly := h.NewReadOnlyStorage(t)
		w, err := open()
		require.NoError(t, err)
		require.NoError(t, w.Put(ctx, written...))
		require.NoError(t, w.Close())
		s := opened(t, openReadOnly)
		canceled, cancel := context.WithCancel(ctx)
		cancel()
		got, err := s.GetMany(canceled, keys(written))
		assert.ErrorIs(t, err, context.Canceled)
		assert.Nil(t, got)
		assert.Len(t, mustGetMany(t, s, keys(written)), len(written), "the store still answers on a live context")
	})

	t.Run("a closed read-only store says so", func(t *testing.T) {
		_, openReadOnly := h.NewReadOnlyStorage(t)
		s, err := openReadOnly()
		require.NoError(t, err)
		require.NoError(t, s.Close())
		_, _, err = s.Get(ctx, written[0].Key)
		assert.ErrorIs(t, err, syncstate.ErrClosed)
		_, err = s.GetMany(ctx, keys(written))
		assert.ErrorIs(t, err, syncstate.ErrClosed)
		assert.ErrorIs(t, s.Put(ctx, written[0]), syncstate.ErrClosed)
		assert.NoError(t, s.Close(), "closing twice is harmless")
	})
}
