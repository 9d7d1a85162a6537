package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter/syncstate"
)

// TestOnlyCreationsAreLeftUnsynced checks what each commit leaves
// unsynced: a commit of entries that created the records they expected
// absent (whose loss in a crash of the machine only makes a run send
// again) may stay in the WAL; any other write, a conflict digest, or a
// commit a second after the last synced one is synced.
func TestOnlyCreationsAreLeftUnsynced(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	at := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	entry := func(key, digest string, ifDigest *string) syncstate.Entry {
		return syncstate.Entry{Key: syncstate.Key{Vendor: "upwell", Account: "a", Key: key},
			Record: syncstate.Record{Digest: digest, VendorID: "v", SyncedAt: at}, IfDigest: ifDigest, Conflict: "conflict"}
	}
	none, first := "", "d1"
	steps := []struct {
		name     string
		entries  []syncstate.Entry
		unsynced bool
	}{
		{"records created where none were stay unsynced", []syncstate.Entry{entry("1", "d1", &none), entry("2", "d1", &none)}, true},
		{"a confirmation over a record is synced", []syncstate.Entry{entry("1", "d2", &first)}, false},
		{"a creation after a synced commit stays unsynced", []syncstate.Entry{entry("3", "d1", &none)}, true},
		{"an unconditional write is synced", []syncstate.Entry{entry("4", "d1", nil)}, false},
		{"a creation that found a record writes its conflict digest synced", []syncstate.Entry{entry("5", "d1", &none), entry("2", "d3", &none)}, false},
		{"a commit with one creation among other writes is synced", []syncstate.Entry{entry("6", "d1", &none), entry("7", "d1", nil)}, false},
	}
	synchronous := func() string {
		var level int
		require.NoError(t, s.w.conn.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&level))
		return map[int]string{1: "NORMAL", 2: "FULL"}[level]
	}
	assert.Equal(t, "FULL", synchronous(), "before any commit")
	for _, step := range steps {
		require.NoError(t, s.Put(ctx, step.entries...), step.name)
		assert.Equal(t, step.unsynced, s.w.lazy, step.name)
		if !step.unsynced && len(step.entries) == 1 {
			assert.Equal(t, "FULL", synchronous(), "%s: the commit ran with", step.name)
		}
		if step.unsynced {
			assert.Equal(t, "NORMAL", synchronous(), "%s: the commit ran with", step.name)
		}
	}
	got, _, err := s.Get(ctx, syncstate.Key{Vendor: "upwell", Account: "a", Key: "2"})
	require.NoError(t, err)
	assert.Equal(t, "conflict", got.Digest)

	require.NoError(t, s.Put(ctx, entry("8", "d1", &none)))
	require.True(t, s.w.lazy)
	s.w.synced = time.Now().Add(-LazySyncEvery)
	require.NoError(t, s.Put(ctx, entry("9", "d1", &none)))
	assert.False(t, s.w.lazy, "a creation a second after the last synced commit is synced, and with it those before")
}
