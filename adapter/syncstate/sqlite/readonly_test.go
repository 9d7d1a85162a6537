package sqlite_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter/syncstate"
	"github.com/custsync/custsync/adapter/syncstate/sqlite"
)

// fileState is what a write changes in a file, or in a directory's
// entries (a file created, even one removed again, changes its time).
type fileState struct {
	Mode    os.FileMode
	ModTime time.Time
	Sum     [sha256.Size]byte
}

// dirState is every entry of dir, by name, and dir itself as ".".
func dirState(t *testing.T, dir string) map[string]fileState {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	self, err := os.Stat(dir)
	require.NoError(t, err)
	out := map[string]fileState{".": {Mode: self.Mode(), ModTime: self.ModTime()}}
	for _, e := range entries {
		info, err := e.Info()
		require.NoError(t, err)
		var sum [sha256.Size]byte
		if info.Mode().IsRegular() {
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			require.NoError(t, err)
			sum = sha256.Sum256(data)
		}
		out[e.Name()] = fileState{Mode: info.Mode(), ModTime: info.ModTime(), Sum: sum}
	}
	return out
}

var key1 = syncstate.Key{Vendor: "billbee", Account: "acct", Key: "1"}

// readAndTryToWrite does what a dry run, custsync runs and custsync
// explain do with a store: look records and the run log up, and (by
// mistake) try to write them.
func readAndTryToWrite(t *testing.T, s *sqlite.Store) (syncstate.Record, bool) {
	t.Helper()
	ctx := context.Background()
	r, ok, err := s.Get(ctx, key1)
	require.NoError(t, err)
	_, err = s.GetMany(ctx, []syncstate.Key{key1, {Vendor: "billbee", Account: "acct", Key: "2"}})
	require.NoError(t, err)
	err = s.Put(ctx, syncstate.Entry{Key: key1, Record: syncstate.Record{Digest: "changed", SyncedAt: time.Now()}})
	require.ErrorIs(t, err, syncstate.ErrReadOnly)
	assert.Contains(t, err.Error(), s.Path(), "the error names the file")

	_, err = s.Runs(ctx, syncstate.RunFilter{Limit: 10})
	require.NoError(t, err)
	_, _, err = s.RunAt(ctx, key1.Vendor, key1.Account, time.Now())
	require.NoError(t, err)
	_, _, err = s.LastFailure(ctx, key1)
	require.NoError(t, err)
	_, err = s.StartRun(ctx, syncstate.Run{Vendor: key1.Vendor, Account: key1.Account, Started: time.Now()})
	require.ErrorIs(t, err, syncstate.ErrReadOnly)
	err = s.PutFailures(ctx, syncstate.Failure{Key: key1, RunID: 1, At: time.Now(), Code: "NotFound"})
	require.ErrorIs(t, err, syncstate.ErrReadOnly)
	return r, ok
}

func TestOpenReadOnlyChangesNothing(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string)
		found   bool
	}{
		{"a path where no file is", func(*testing.T, string) {}, false},
		{"an empty file", func(t *testing.T, path string) { require.NoError(t, os.WriteFile(path, nil, 0o600)) }, false},
		{"a state file no writer has open", func(t *testing.T, path string) {
			s, err := sqlite.Open(context.Background(), path)
			require.NoError(t, err)
			put(t, s, "1", "v1:x")
			require.NoError(t, s.Close())
		}, true},
		{"a state file of the schema before the run log", func(t *testing.T, path string) {
			writePreviousSchema(t, path, []syncstate.Entry{{Key: key1, Record: syncstate.Record{Digest: "v1:x", SyncedAt: time.Now()}}})
		}, true},
		{"a state file with runs and failures", func(t *testing.T, path string) {
			s, err := sqlite.Open(context.Background(), path)
			require.NoError(t, err)
			put(t, s, "1", "v1:x")
			id, err := s.StartRun(context.Background(), syncstate.Run{Vendor: key1.Vendor, Account: key1.Account, Started: time.Now()})
			require.NoError(t, err)
			require.NoError(t, s.PutFailures(context.Background(), syncstate.Failure{Key: key1, RunID: id, At: time.Now(), Code: "NotFound"}))
			require.NoError(t, s.Close())
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "state.db")
			tt.prepare(t, path)
			before := dirState(t, dir)
			s, err := sqlite.OpenReadOnly(context.Background(), path)
			require.NoError(t, err)
			r, ok := readAndTryToWrite(t, s)
			require.NoError(t, s.Close())
			assert.Equal(t, tt.found, ok)
			if tt.found {
				assert.Equal(t, "v1:x", r.Digest)
			}
			assert.Equal(t, before, dirState(t, dir), "no file was created, removed or changed, not even for a moment")
		})
	}

	t.Run("a state file a writer has open", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "state.db")
		w, err := sqlite.Open(context.Background(), path)
		require.NoError(t, err)
		defer func() { assert.NoError(t, w.Close()) }()
		put(t, w, "1", "v1:x")
		before := dirState(t, dir)
		require.Contains(t, before, "state.db-wal")

		s, err := sqlite.OpenReadOnly(context.Background(), path)
		require.NoError(t, err)
		r, ok := readAndTryToWrite(t, s)
		require.NoError(t, s.Close())
		assert.True(t, ok)
		assert.Equal(t, "v1:x", r.Digest)
		after := dirState(t, dir)
		// -shm is SQLite's shared memory, which every reader of a file in
		// WAL mode updates: the state is in the file and its -wal.
		delete(before, "state.db-shm")
		delete(after, "state.db-shm")
		assert.Equal(t, before, after, "the file and its -wal are as they were, and no file was added")
	})
}

func TestOpenReadOnlyRefusesWhatItCannotRead(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		prepare func(path string)
		want    string
	}{
		{"a file written by a newer custsync", func(path string) {
			db, err := sql.Open("sqlite", path)
			require.NoError(t, err)
			defer func() { assert.NoError(t, db.Close()) }()
			_, err = db.Exec(fmt.Sprintf("PRAGMA user_version = %d", sqlite.SchemaVersion+1))
			require.NoError(t, err)
		}, "newer custsync"},
		{"another program's database", func(path string) {
			db, err := sql.Open("sqlite", path)
			require.NoError(t, err)
			defer func() { assert.NoError(t, db.Close()) }()
			_, err = db.Exec("CREATE TABLE invoices (id INTEGER)")
			require.NoError(t, err)
		}, "not a custsync state file"},
		{"a file that is not SQLite", func(path string) {
			require.NoError(t, os.WriteFile(path, []byte("id,name\n1,Acme\n"+strings.Repeat("x", 4096)), 0o600))
		}, "not a readable SQLite file"},
		{"a path that is a symbolic link to nothing", func(path string) {
			require.NoError(t, os.Symlink(filepath.Join(dir, "nowhere"), path))
		}, "symbolic link"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprint(i, ".db"))
			tt.prepare(path)
			before := dirState(t, dir)
			_, err := sqlite.OpenReadOnly(context.Background(), path)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), path, "the error names the file")
			assert.Equal(t, before, dirState(t, dir), "and changes nothing")
		})
	}
	t.Run("a directory that does not exist", func(t *testing.T) {
		_, err := sqlite.OpenReadOnly(context.Background(), filepath.Join(dir, "missing", "state.db"))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "missing")
		assert.NoDirExists(t, filepath.Join(dir, "missing"))
	})
}

func TestOpenReadOnlyReadsAPathWithCharactersURIsEscape(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "50% off & more")
	require.NoError(t, os.Mkdir(dir, 0o700))
	path := filepath.Join(dir, "state%41.db")
	w, err := sqlite.Open(context.Background(), path)
	require.NoError(t, err)
	put(t, w, "1", "v1:x")
	require.NoError(t, w.Close())

	s, err := sqlite.OpenReadOnly(context.Background(), path)
	require.NoError(t, err)
	defer func() { assert.NoError(t, s.Close()) }()
	r, ok := readAndTryToWrite(t, s)
	assert.True(t, ok, "the file at the path, not one named after its unescaped form")
	assert.Equal(t, "v1:x", r.Digest)
	assert.NoFileExists(t, filepath.Join(dir, "stateA.db"))
}
