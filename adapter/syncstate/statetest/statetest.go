// Package statetest is the conformance suite every syncstate.Store
// passes, after gocloud's drivertest: one set of cases, run by the SQLite
// and the PostgreSQL store against real storage.
package statetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter/syncstate"
)

// Harness gives the suite storage. NewStorage makes new, empty storage
// (a file, a database) for one test and returns a function that opens a
// handle onto it; the suite calls that function more than once to reopen
// the store and to have several handles (as several processes would)
// write it at the same time. The handles are the suite's to close.
type Harness interface {
	NewStorage(t testing.TB) (open func() (syncstate.Store, error))
}

// HarnessFunc adapts a function to Harness.
type HarnessFunc func(t testing.TB) func() (syncstate.Store, error)

// NewStorage calls f.
func (f HarnessFunc) NewStorage(t testing.TB) func() (syncstate.Store, error) { return f(t) }

// at is a fixed instant with microseconds, the precision stores keep.
var at = time.Date(2026, 11, 30, 2, 0, 7, 123456000, time.UTC)

func entry(vendor, account, key, digest string, syncedAt time.Time) syncstate.Entry {
	return syncstate.Entry{
		Key:    syncstate.Key{Vendor: vendor, Account: account, Key: key},
		Record: syncstate.Record{Digest: digest, VendorID: "vid-" + key, SyncedAt: syncedAt},
	}
}

// opened opens a handle and closes it when the test ends.
func opened(t testing.TB, open func() (syncstate.Store, error)) syncstate.Store {
	t.Helper()
	s, err := open()
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func mustGet(t testing.TB, s syncstate.Store, k syncstate.Key) (syncstate.Record, bool) {
	t.Helper()
	r, ok, err := s.Get(context.Background(), k)
	require.NoError(t, err)
	return r, ok
}

func mustGetMany(t testing.TB, s syncstate.Store, keys []syncstate.Key) map[syncstate.Key]syncstate.Record {
	t.Helper()
	got, err := s.GetMany(context.Background(), keys)
	require.NoError(t, err)
	return got
}

// Run runs the suite.
func Run(t *testing.T, h Harness) {
	ctx := context.Background()
	runGetMany(t, h)
	runLongDigests(t, h)

	t.Run("Holds tells an account with records from one without", func(t *testing.T) {
		s := opened(t, h.NewStorage(t))
		holds := func(vendor, account string) bool {
			t.Helper()
			held, err := s.Holds(ctx, vendor, account)
			require.NoError(t, err)
			return held
		}
		assert.False(t, holds("upwell", "a"), "a new store holds nothing")
		require.NoError(t, s.Put(ctx, entry("upwell", "a", `["ACME","C-1"]`, "d1", at)))
		assert.True(t, holds("upwell", "a"))
		assert.False(t, holds("upwell", "b"), "another account of the vendor")
		assert.False(t, holds("billbee", "a"), "the same account name at another vendor")
		assert.False(t, holds("upwell", "a\x00"), "an account no Put could have written")
		require.NoError(t, s.Close())
		_, err := s.Holds(ctx, "upwell", "a")
		assert.ErrorIs(t, err, syncstate.ErrClosed)
	})

	t.Run("a key never written is not found", func(t *testing.T) {
		s := opened(t, h.NewStorage(t))
		_, ok := mustGet(t, s, syncstate.Key{Vendor: "billbee", Account: "acct", Key: "1"})
		assert.False(t, ok)
	})

	t.Run("a record reads back as written, in UTC to the microsecond", func(t *testing.T) {
		s := opened(t, h.NewStorage(t))
		local := time.Date(2026, 11, 30, 3, 0, 7, 123456789, time.FixedZone("CET", 3600))
		e := entry("billbee", "acct", "100000150176895", "v1:abc", local)
		require.NoError(t, s.Put(ctx, e))
		got, ok := mustGet(t, s, e.Key)
		require.True(t, ok)
		assert.Equal(t, "v1:abc", got.Digest)
		assert.Equal(t, "vid-100000150176895", got.VendorID)
		assert.Equal(t, time.Date(2026, 11, 30, 2, 0, 7, 123456000, time.UTC), got.SyncedAt)
		assert.Equal(t, time.UTC, got.SyncedAt.Location())
	})

	t.Run("vendor, account and key each tell records apart", func(t *testing.T) {
		s := opened(t, h.NewStorage(t))
		entries := []syncstate.Entry{
			entry("upwell", "a", `["ACME","C-1"]`, "d1", at),
			entry("bluetape", "a", `["ACME","C-1"]`, "d2", at),
			entry("upwell", "b", `["ACME","C-1"]`, "d3", at),
			entry("upwell", "a", `["ACME","C-2"]`, "d4", at),
			entry("upwell", "a", `["ACME","C-1"] `, "d5", at),
			entry("upwell", "a/b", "c", "d6", at), // no separator can make two keys collide
			entry("upwell", "a", "b/c", "d7", at),
			entry("upwell", "a", "Ärger ' \" ; -- 客户", "d8", at),
			entry("upwell", "a", strings.Repeat("k", syncstate.MaxFieldBytes-len("vid-")), "d9", at),
		}
		require.NoError(t, s.Put(ctx, entries...))
		var keys []syncstate.Key
		for _, e := range entries {
			got, ok := mustGet(t, s, e.Key)
			if assert.True(t, ok, "%s", e.Key) {
				assert.Equal(t, e.Digest, got.Digest, "%s", e.Key)
			}
			keys = append(keys, e.Key)
		}
		missing := syncstate.Key{Vendor: "upwell", Account: "a", Key: `["ACME","C-3"]`}
		_, ok := mustGet(t, s, missing)
		assert.False(t, ok)

		many := mustGetMany(t, s, append(keys, missing))
		assert.Len(t, many, len(entries))
		for _, e := range entries {
			assert.Equal(t, e.Record, many[e.Key], "%s", e.Key)
		}
	})

	t.Run("a newer confirmation replaces the record", func(t *testing.T) {
		s := opened(t, h.NewStorage(t))
		require.NoError(t, s.Put(ctx, entry("billbee", "a", "1", "old", at)))
		newer := entry("billbee", "a", "1", "new", at.Add(time.Second))
		newer.VendorID = "changed"
		require.NoError(t, s.Put(ctx, newer))
		got, _ := mustGet(t, s, newer.Key)
		assert.Equal(t, newer.Record, got)
	})

	t.Run("an equally recent confirmation replaces the record", func(t *testing.T) {
		s := opened(t, h.NewStorage(t))
		require.NoError(t, s.Put(ctx, entry("billbee", "a", "1", "first", at)))
		require.NoError(t, s.Put(ctx, entry("billbee", "a", "1", "second", at)))
		got, _ := mustGet(t, s, syncstate.Key{Vendor: "billbee", Account: "a", Key: "1"})
		assert.Equal(t, "second", got.Digest)
	})

	t.Run("a mark written with an older SyncedAt still replaces the record", func(t *testing.T) {
		// The mark's writer runs on a machine whose clock is behind: had
		// the store kept the newer time, it would claim a confirmed value
		// the vendor may no longer hold, and the next run would skip it.
		open := h.NewStorage(t)
		confirmer, marker := opened(t, open), opened(t, open)
		k := syncstate.Key{Vendor: "billbee", Account: "a", Key: "1"}
		require.NoError(t, confirmer.Put(ctx, entry("billbee", "a", "1", "confirmed", at)))
		mark := entry("billbee", "a", "1", "unconfirmed", at.Add(-time.Hour))
		require.NoError(t, marker.Put(ctx, mark))
		for _, s := range []syncstate.Store{confirmer, marker} {
			got, ok := mustGet(t, s, k)
			require.True(t, ok)
			assert.Equal(t, mark.Record, got, "the later write stands, with its own time")
		}
		require.NoError(t, marker.Put(ctx, entry("billbee", "a", "1", "again", at.Add(-2*time.Hour))))
		got, _ := mustGet(t, confirmer, k)
		assert.Equal(t, "again", got.Digest, "each unconditional write replaces the one before it")
	})

	t.Run("a conditional confirmation is written only over the record its writer read", func(t *testing.T) {
		// Two pushes confirming one customer: the vendor's order of their
		// writes is unknown, so neither digest may stand, or the store
		// could skip a record the vendor holds otherwise.
		conditional := func(e syncstate.Entry, seen string) syncstate.Entry {
			e.IfDigest, e.Conflict = &seen, "conflict"
			return e
		}
		k := syncstate.Key{Vendor: "upwell", Account: "a", Key: "1"}
		s := opened(t, h.NewStorage(t))
		require.NoError(t, s.Put(ctx, conditional(entry("upwell", "a", "1", "first", at), "")))
		got, _ := mustGet(t, s, k)
		assert.Equal(t, "first", got.Digest, "nothing was there, as its writer read")

		require.NoError(t, s.Put(ctx, conditional(entry("upwell", "a", "1", "second", at.Add(time.Second)), "first")))
		got, _ = mustGet(t, s, k)
		assert.Equal(t, "second", got.Digest, "the record its writer read")

		require.NoError(t, s.Put(ctx, conditional(entry("upwell", "a", "1", "stale", at.Add(2*time.Second)), "first")))
		got, _ = mustGet(t, s, k)
		assert.Equal(t, "conflict", got.Digest, "another writer confirmed in between")

		// Two writers that both read "conflict" and sent the same update.
		require.NoError(t, s.Put(ctx, conditional(entry("upwell", "a", "1", "same", at.Add(3*time.Second)), "conflict")))
		require.NoError(t, s.Put(ctx, conditional(entry("upwell", "a", "1", "same", at.Add(4*time.Second)), "conflict")))
		got, _ = mustGet(t, s, k)
		assert.Equal(t, "same", got.Digest, "the same update confirmed twice is no conflict")

		require.NoError(t, s.Put(ctx, conditional(entry("upwell", "a", "1", "late", at.Add(-time.Hour)), "same")))
		got, _ = mustGet(t, s, k)
		assert.Equal(t, "late", got.Digest, "an older clock does not drop a conditional confirmation")

		require.NoError(t, s.Put(ctx, conditional(entry("upwell", "a", "2", "x", at), "y")))
		got, _ = mustGet(t, s, syncstate.Key{Vendor: "upwell", Account: "a", Key: "2"})
		assert.Equal(t, "x", got.Digest, "a record read but gone since (never, in practice) is written")

		bad := entry("upwell", "a", "3", "x", at)
		seen := ""
		bad.IfDigest = &seen
		assert.ErrorContains(t, s.Put(ctx, bad), "Conflict is empty")
	})

	t.Run("entries that expect no record create it, or write their conflict digest where one is", func(t *testing.T) {
		// A run's first night is such entries only; stores may write them
		// lazily (see Put), never with another outcome.
		create := func(key, digest string) syncstate.Entry {
			e := entry("upwell", "a", key, digest, at)
			none := ""
			e.IfDigest, e.Conflict = &none, "conflict-"+key
			return e
		}
		open := h.NewStorage(t)
		s := opened(t, open)
		require.NoError(t, s.Put(ctx, entry("upwell", "a", "there", "theirs", at), entry("upwell", "a", "same", "ours", at)))
		require.NoError(t, s.Put(ctx,
			create("new-1", "d1"),
			create("there", "d2"),  // another writer's record is there
			create("same", "ours"), // the same update, written by another writer
			create("twice", "d3"),
			create("twice", "d4"), // the first entry's record is there
			create("new-2", "d5"),
		))
		require.NoError(t, s.Put(ctx, create("new-3", "d6"), entry("upwell", "a", "plain", "d7", at), create("there", "d8")))
		want := map[string]string{
			"new-1": "d1", "there": "conflict-there", "same": "ours", "twice": "conflict-twice", "new-2": "d5",
			"new-3": "d6", "plain": "d7",
		}
		for key, digest := range want {
			got, ok := mustGet(t, s, syncstate.Key{Vendor: "upwell", Account: "a", Key: key})
			require.True(t, ok, key)
			assert.Equal(t, digest, got.Digest, key)
		}
		require.NoError(t, s.Put(ctx, create("alone", "d9")))
		require.NoError(t, s.Close())
		got, ok := mustGet(t, opened(t, open), syncstate.Key{Vendor: "upwell", Account: "a", Key: "alone"})
		require.True(t, ok, "a record created last is there after Close")
		assert.Equal(t, "d9", got.Digest)
	})

	t.Run("one Put with a key twice keeps the later entry", func(t *testing.T) {
		s := opened(t, h.NewStorage(t))
		require.NoError(t, s.Put(ctx,
			entry("billbee", "a", "1", "first", at),
			entry("billbee", "a", "2", "other", at),
			entry("billbee", "a", "1", "second", at),
		))
		got, _ := mustGet(t, s, syncstate.Key{Vendor: "billbee", Account: "a", Key: "1"})
		assert.Equal(t, "second", got.Digest)
	})

	t.Run("records survive closing and reopening", func(t *testing.T) {
		open := h.NewStorage(t)
		s, err := open()
		require.NoError(t, err)
		var entries []syncstate.Entry
		for i := range 50 {
			entries = append(entries, entry("upwell", "a", fmt.Sprint("C-", i), fmt.Sprint("d", i), at))
		}
		require.NoError(t, s.Put(ctx, entries...))
		require.NoError(t, s.Close())

		again := opened(t, open)
		for _, e := range entries {
			got, ok := mustGet(t, again, e.Key)
			require.True(t, ok, "%s", e.Key)
			assert.Equal(t, e.Record, got)
		}
	})

	t.Run("invalid entries are refused by name and nothing of the Put is written", func(t *testing.T) {
		good := entry("billbee", "a", "1", "d", at)
		tests := []struct {
			name  string
			edit  func(*syncstate.Entry)
			field string
		}{
			{"an empty vendor", func(e *syncstate.Entry) { e.Vendor = "" }, "Vendor"},
			{"an empty account", func(e *syncstate.Entry) { e.Account = " " }, "Account"},
			{"an empty key", func(e *syncstate.Entry) { e.Key.Key = "" }, "Key"},
			{"an empty digest", func(e *syncstate.Entry) { e.Digest = "" }, "Digest"},
			{"a zero time", func(e *syncstate.Entry) { e.SyncedAt = time.Time{} }, "SyncedAt"},
			{"a NUL in the key", func(e *syncstate.Entry) { e.Key.Key = "a\x00b" }, "Key"},
			{"an oversized vendor id", func(e *syncstate.Entry) { e.VendorID = strings.Repeat("x", syncstate.MaxFieldBytes+1) }, "VendorID"},
		}
		s := opened(t, h.NewStorage(t))
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				bad := entry("billbee", "a", "2", "d", at)
				tt.edit(&bad)
				err := s.Put(ctx, good, bad)
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.field)
				_, ok := mustGet(t, s, good.Key)
				assert.False(t, ok, "the valid entry of the refused Put was not written")
			})
		}
	})

	t.Run("a Put with a canceled context writes nothing", func(t *testing.T) {
		s := opened(t, h.NewStorage(t))
		canceled, cancel := context.WithCancel(ctx)
		cancel()
		e := entry("billbee", "a", "1", "d", at)
		err := s.Put(canceled, e)
		if err == nil {
			// A store may take the Put before it sees ctx; then it must be there.
			_, ok := mustGet(t, s, e.Key)
			assert.True(t, ok, "a Put that returned nil is stored")
			return
		}
		assert.ErrorIs(t, err, context.Canceled)
		_, ok := mustGet(t, s, e.Key)
		assert.False(t, ok)
	})

	t.Run("a closed store says so", func(t *testing.T) {
		s, err := h.NewStorage(t)()
		require.NoError(t, err)
		require.NoError(t, s.Close())
		assert.ErrorIs(t, s.Put(ctx, entry("billbee", "a", "1", "d", at)), syncstate.ErrClosed)
		_, _, err = s.Get(ctx, syncstate.Key{Vendor: "billbee", Account: "a", Key: "1"})
		assert.ErrorIs(t, err, syncstate.ErrClosed)
		_, err = s.GetMany(ctx, []syncstate.Key{{Vendor: "billbee", Account: "a", Key: "1"}})
		assert.ErrorIs(t, err, syncstate.ErrClosed)
		assert.NoError(t, s.Close(), "closing twice is harmless")
	})

	t.Run("concurrent writers through several handles lose nothing", func(t *testing.T) {
		open := h.NewStorage(t)
		handles := []syncstate.Store{opened(t, open), opened(t, open), opened(t, open)}
		const writers, perWriter = 12, 40
		var wg sync.WaitGroup
		var failed atomic.Int32
		for w := range writers {
			s := handles[w%len(handles)]
			wg.Go(func() {
				for i := range perWriter {
					own := entry("upwell", "a", fmt.Sprintf("w%d-%d", w, i), fmt.Sprint("d", i), at)
					// Every writer also confirms one shared key, each at its own time.
					shared := entry("upwell", "a", "shared", fmt.Sprintf("w%d-%d", w, i), at.Add(time.Duration(w*perWriter+i)*time.Millisecond))
					if err := s.Put(ctx, own, shared); err != nil {
						failed.Add(1)
						t.Errorf("writer %d: %v", w, err)
						return
					}
				}
			})
		}
		wg.Wait()
		require.Zero(t, failed.Load())
		check := opened(t, open)
		for w := range writers {
			for i := range perWriter {
				got, ok := mustGet(t, check, syncstate.Key{Vendor: "upwell", Account: "a", Key: fmt.Sprintf("w%d-%d", w, i)})
				require.True(t, ok, "writer %d record %d", w, i)
				assert.Equal(t, fmt.Sprint("d", i), got.Digest)
			}
		}
		// Each writer's Puts commit one after another, so the last commit
		// of all is some writer's last Put: that write stands, whatever
		// the times the writers gave.
		got, _ := mustGet(t, check, syncstate.Key{Vendor: "upwell", Account: "a", Key: "shared"})
		var last []string
		for w := range writers {
			last = append(last, fmt.Sprintf("w%d-%d", w, perWriter-1))
		}
		assert.Contains(t, last, got.Digest, "the shared key holds a writer's last write")
	})

	t.Run("readers see each write as soon as Put returns, while others write", func(t *testing.T) {
		open := h.NewStorage(t)
		writer, reader := opened(t, open), opened(t, open)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() { // background load on the same store
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := writer.Put(ctx, entry("bluetape", "a", fmt.Sprint("bg-", i%50), "d", at)); err != nil && !errors.Is(err, syncstate.ErrClosed) {
					t.Error(err)
					return
				}
			}
		})
		for i := range 30 {
			e := entry("bluetape", "a", fmt.Sprint("fg-", i), "d", at)
			require.NoError(t, writer.Put(ctx, e))
			_, ok := mustGet(t, reader, e.Key)
			assert.True(t, ok, "record %d", i)
		}
		close(stop)
		wg.Wait()
	})
}

// Benchmark measures records/s of Put from 1 and 16 concurrent writers
// (a bulk run's workers), one record per Put, and of Get.
func Benchmark(b *testing.B, h Harness) {
	ctx := context.Background()
	for _, writers := range []int{1, 16} {
		b.Run(fmt.Sprintf("Put/writers=%d", writers), func(b *testing.B) {
			s := opened(b, h.NewStorage(b))
			var next atomic.Int64
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for range writers {
				wg.Go(func() {
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						if err := s.Put(ctx, entry("billbee", "acct", fmt.Sprint(i), "v1:0123456789abcdef", at)); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
		})
	}
	b.Run("Get", func(b *testing.B) {
		s := opened(b, h.NewStorage(b))
		var entries []syncstate.Entry
		for i := range 1000 {
			entries = append(entries, entry("billbee", "acct", fmt.Sprint(i), "v1:0123456789abcdef", at))
		}
		require.NoError(b, s.Put(ctx, entries...))
		b.ResetTimer()
		start := time.Now()
		for i := range b.N {
			if _, ok, err := s.Get(ctx, entries[i%len(entries)].Key); err != nil || !ok {
				b.Fatal(ok, err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
	})
}

// runGetMany is the suite's part on batched lookups.
func runGetMany(t *testing.T, h Harness) {
	ctx := context.Background()
	key := func(i int) syncstate.Key {
		return syncstate.Key{Vendor: "upwell", Account: "a", Key: fmt.Sprint("C-", i)}
	}

	t.Run("GetMany of no keys finds nothing", func(t *testing.T) {
		s := opened(t, h.NewStorage(t))
		require.NoError(t, s.Put(ctx, entry("upwell", "a", "C-1", "d", at)))
		assert.Empty(t, mustGetMany(t, s, nil))
		assert.Empty(t, mustGetMany(t, s, []syncstate.Key{}))
	})

	t.Run("GetMany answers a key asked twice once", func(t *testing.T) {
		s := opened(t, h.NewStorage(t))
		e := entry("upwell", "a", "C-1", "d1", at)
		require.NoError(t, s.Put(ctx, e))
		got := mustGetMany(t, s, []syncstate.Key{e.Key, key(2), e.Key, key(2), e.Key})
		assert.Equal(t, map[syncstate.Key]syncstate.Record{e.Key: e.Record}, got)
	})

	t.Run("GetMany leaves out the keys with no record", func(t *testing.T) {
		s := opened(t, h.NewStorage(t))
		require.NoError(t, s.Put(ctx, entry("upwell", "a", "C-2", "d2", at), entry("upwell", "a", "C-4", "d4", at)))
		got := mustGetMany(t, s, []syncstate.Key{key(1), key(2), key(3), key(4), key(5)})
		assert.Len(t, got, 2)
		assert.Equal(t, "d2", got[key(2)].Digest)
		assert.Equal(t, "d4", got[key(4)].Digest)
		for _, k := range []syncstate.Key{key(1), key(3), key(5)} {
			assert.NotContains(t, got, k)
		}
		other := syncstate.Key{Vendor: "bluetape", Account: "a", Key: "C-2"}
		assert.Empty(t, mustGetMany(t, s, []syncstate.Key{other}), "the same customer key at another vendor is another record")
	})

	t.Run("GetMany finds 1,000 records among 1,500 keys in one call", func(t *testing.T) {
		s := opened(t, h.NewStorage(t))
		var entries []syncstate.Entry
		var keys []syncstate.Key
		for i := range 1500 {
			keys = append(keys, key(i))
			if i%3 != 2 { // every third key has no record
				entries = append(entries, entry("upwell", "a", fmt.Sprint("C-", i), fmt.Sprint("d", i), at.Add(time.Duration(i)*time.Microsecond)))
			}
		}
		require.NoError(t, s.Put(ctx, entries...))
		require.Len(t, entries, 1000)
		got := mustGetMany(t, s, keys)
		assert.Len(t, got, 1000)
		for _, e := range entries {
			assert.Equal(t, e.Record, got[e.Key], "%s", e.Key)
		}
	})

	t.Run("GetMany sees each record as soon as Put returns, through any handle", func(t *testing.T) {
		open := h.NewStorage(t)
		writer, reader := opened(t, open), opened(t, open)
		var keys []syncstate.Key
		for i := range 20 {
			e := entry("upwell", "a", fmt.Sprint("C-", i), fmt.Sprint("d", i), at)
			require.NoError(t, writer.Put(ctx, e))
			keys = append(keys, e.Key)
			for _, s := range []syncstate.Store{writer, reader} {
				got := mustGetMany(t, s, keys)
				require.Len(t, got, i+1)
				assert.Equal(t, e.Record, got[e.Key])
			}
		}
		mark := entry("upwell", "a", "C-0", "unconfirmed", at.Add(-time.Minute))
		require.NoError(t, writer.Put(ctx, mark))
		assert.Equal(t, mark.Record, mustGetMany(t, reader, keys[:1])[mark.Key], "a replaced record reads as replaced")
	})

	t.Run("GetMany with a canceled context fails with the context's error", func(t *testing.T) {
		s := opened(t, h.NewStorage(t))
		e := entry("upwell", "a", "C-1", "d", at)
		require.NoError(t, s.Put(ctx, e))
		canceled, cancel := context.WithCancel(ctx)
		cancel()
		got, err := s.GetMany(canceled, []syncstate.Key{e.Key, key(2)})
		assert.ErrorIs(t, err, context.Canceled)
		assert.Nil(t, got)
		assert.Len(t, mustGetMany(t, s, []syncstate.Key{e.Key}), 1, "the store still answers on a live context")
	})

	t.Run("GetMany on a closed store says so", func(t *testing.T) {
		s, err := h.NewStorage(t)()
		require.NoError(t, err)
		require.NoError(t, s.Put(ctx, entry("upwell", "a", "C-1", "d", at)))
		require.NoError(t, s.Close())
		got, err := s.GetMany(ctx, []syncstate.Key{key(1)})
		assert.ErrorIs(t, err, syncstate.ErrClosed)
		assert.Nil(t, got)
	})

	t.Run("keys that no Put could store are absent, not an error", func(t *testing.T) {
		s := opened(t, h.NewStorage(t))
		e := entry("upwell", "a", "C-1", "d", at)
		require.NoError(t, s.Put(ctx, e))
		got := mustGetMany(t, s, []syncstate.Key{
			e.Key,
			{Vendor: "upwell", Account: "a", Key: "C-\x001"},
			{Vendor: "upwell", Account: "a", Key: "M\xfcller"},
			{Vendor: "upwell", Account: "a", Key: strings.Repeat("k", 3*syncstate.MaxFieldBytes)},
			{Vendor: "upwell", Account: "a", Key: ""},
		})
		assert.Equal(t, map[syncstate.Key]syncstate.Record{e.Key: e.Record}, got)
	})
}

// longDigest is a digest of n bytes that does not compress, as a
// sequence of row digests would not.
func longDigest(seed string, n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		sum := sha256.Sum256([]byte(fmt.Sprint(seed, i)))
		b.WriteString(hex.EncodeToString(sum[:]))
	}
	return b.String()[:n]
}

// runLongDigests checks that a digest of MaxFieldBytes is an ordinary
// value: stored, read back, compared by a condition and written on a
// conflict.
func runLongDigests(t *testing.T, h Harness) {
	ctx := context.Background()
	t.Run("a digest of MaxFieldBytes is stored, read and compared whole", func(t *testing.T) {
		open := h.NewStorage(t)
		s := opened(t, open)
		first, second := longDigest("first", syncstate.MaxFieldBytes), longDigest("second", syncstate.MaxFieldBytes)
		conflict := longDigest("conflict", syncstate.MaxFieldBytes)
		e := entry("upwell", "a", "C-1", first, at)
		e.VendorID = longDigest("vendor", syncstate.MaxFieldBytes)
		require.NoError(t, s.Put(ctx, e))
		got, ok := mustGet(t, s, e.Key)
		require.True(t, ok)
		assert.Equal(t, e.Record, got)

		// A condition on a digest that differs only in its last byte fails.
		almost := first[:len(first)-1] + "x"
		stale := entry("upwell", "a", "C-1", second, at)
		stale.IfDigest, stale.Conflict = &almost, conflict
		require.NoError(t, s.Put(ctx, stale))
		assert.Equal(t, conflict, mustGetMany(t, s, []syncstate.Key{e.Key})[e.Key].Digest)

		fresh := entry("upwell", "a", "C-1", second, at)
		fresh.IfDigest, fresh.Conflict = &conflict, "c"
		require.NoError(t, s.Put(ctx, fresh))
		require.NoError(t, s.Close())
		again := opened(t, open)
		got, _ = mustGet(t, again, e.Key)
		assert.Equal(t, second, got.Digest, "the whole digest survives reopening")
	})
}

// PutConcurrentRecords and PutConcurrentWriters shape
// BenchmarkPutConcurrent: a bulk run's workers, each confirming one
// record per Put.
const (
	PutConcurrentRecords = 20_000
	PutConcurrentWriters = 16
)

// BenchmarkPutConcurrent measures records/s of PutConcurrentRecords
// entries Put one per call from PutConcurrentWriters goroutines, each Put
// returning once durable, as a bulk run's workers confirm records. Group
// commit is what makes this fast: one durable commit per record would run
// at the disk's fsync rate.
func BenchmarkPutConcurrent(b *testing.B, h Harness) {
	ctx := context.Background()
	s := opened(b, h.NewStorage(b))
	round := 0
	cpu := cpuTime()
	for b.Loop() {
		round++
		var next atomic.Int64
		var wg sync.WaitGroup
		for range PutConcurrentWriters {
			wg.Go(func() {
				for {
					i := next.Add(1)
					if i > PutConcurrentRecords {
						return
					}
					e := entry("upwell", "acct", fmt.Sprintf("r%d-C-%d", round, i), "v1:0123456789abcdef0123456789abcdef", at)
					if err := s.Put(ctx, e); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	b.ReportMetric(float64(round*PutConcurrentRecords)/b.Elapsed().Seconds(), "records/s")
	reportCPU(b, cpu, round*PutConcurrentRecords)
}

// GetManyStored and GetManyBatch shape BenchmarkGetMany: a second night's
// lookups, a batch of keys at a time.
const (
	GetManyStored = 100_000
	GetManyBatch  = 512
)

// BenchmarkGetMany measures records/s of GetMany over a store holding
// GetManyStored records, GetManyBatch keys per call, every key found.
func BenchmarkGetMany(b *testing.B, h Harness) {
	ctx := context.Background()
	s := opened(b, h.NewStorage(b))
	keys := make([]syncstate.Key, 0, GetManyStored)
	entries := make([]syncstate.Entry, 0, 1000)
	for i := range GetManyStored {
		e := entry("upwell", "acct", fmt.Sprintf(`["ERP","C-%07d"]`, i), "v1:0123456789abcdef0123456789abcdef", at)
		keys = append(keys, e.Key)
		if entries = append(entries, e); len(entries) == cap(entries) {
			require.NoError(b, s.Put(ctx, entries...))
			entries = entries[:0]
		}
	}
	require.NoError(b, s.Put(ctx, entries...))
	found := 0
	cpu := cpuTime()
	for i := 0; b.Loop(); i++ {
		from := (i * GetManyBatch) % (len(keys) - GetManyBatch + 1)
		got, err := s.GetMany(ctx, keys[from:from+GetManyBatch])
		if err != nil || len(got) != GetManyBatch {
			b.Fatalf("GetMany found %d of %d: %v", len(got), GetManyBatch, err)
		}
		found += len(got)
	}
	b.ReportMetric(float64(found)/b.Elapsed().Seconds(), "records/s")
	reportCPU(b, cpu, found)
}

// reportCPU reports the process's CPU time since cpu per record, where
// the platform tells it: the client's cost, a database server in another
// process not counted.
func reportCPU(b *testing.B, cpu time.Duration, records int) {
	if now := cpuTime(); now > 0 && records > 0 {
		b.ReportMetric(float64((now-cpu).Nanoseconds())/1e3/float64(records), "cpu-µs/record")
	}
}
