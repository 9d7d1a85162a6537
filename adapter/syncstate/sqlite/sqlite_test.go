package sqlite_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter/syncstate"
	"github.com/custsync/custsync/adapter/syncstate/sqlite"
	"github.com/custsync/custsync/adapter/syncstate/statetest"
)

// newStorage is a fresh state file path in the test's temp dir.
func newStorage(t testing.TB) func() (syncstate.Store, error) {
	path := filepath.Join(t.TempDir(), "state.db")
	return func() (syncstate.Store, error) { return sqlite.Open(context.Background(), path) }
}

func TestConformance(t *testing.T) {
	statetest.Run(t, statetest.HarnessFunc(newStorage))
}

// newReadOnlyStorage is a fresh state file path, opened either way.
func newReadOnlyStorage(t testing.TB) (open, openReadOnly func() (syncstate.Store, error)) {
	path := filepath.Join(t.TempDir(), "state.db")
	return func() (syncstate.Store, error) { return sqlite.Open(context.Background(), path) },
		func() (syncstate.Store, error) { return sqlite.OpenReadOnly(context.Background(), path) }
}

func TestConformanceReadOnly(t *testing.T) {
	statetest.RunReadOnly(t, statetest.ReadOnlyHarnessFunc(newReadOnlyStorage))
}

func BenchmarkStore(b *testing.B) {
	statetest.Benchmark(b, statetest.HarnessFunc(newStorage))
}

func put(t *testing.T, s *sqlite.Store, key, digest string) {
	t.Helper()
	require.NoError(t, s.Put(context.Background(), syncstate.Entry{
		Key:    syncstate.Key{Vendor: "billbee", Account: "acct", Key: key},
		Record: syncstate.Record{Digest: digest, VendorID: key, SyncedAt: time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)},
	}))
}

func TestOpenCreatesOneFileInWALModeWithTheSchemaVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := sqlite.Open(context.Background(), path)
	require.NoError(t, err)
	put(t, s, "1", "v1:x")
	require.NoError(t, s.Close())

	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer func() { assert.NoError(t, db.Close()) }()
	var mode string
	require.NoError(t, db.QueryRow("PRAGMA journal_mode").Scan(&mode))
	assert.Equal(t, "wal", mode)
	var version int
	require.NoError(t, db.QueryRow("PRAGMA user_version").Scan(&version))
	assert.Equal(t, sqlite.SchemaVersion, version)
}

func TestOpenRefusesWhatItCannotUse(t *testing.T) {
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
		}, "state"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprint(i, ".db"))
			tt.prepare(path)
			_, err := sqlite.Open(context.Background(), path)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), path, "the error names the file")
		})
	}
	t.Run("a directory that does not exist", func(t *testing.T) {
		_, err := sqlite.Open(context.Background(), filepath.Join(dir, "missing", "state.db"))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "missing")
	})
}

func TestOpenMigratesAnEmptyFileAndKeepsRecordsOnReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	require.NoError(t, os.WriteFile(path, nil, 0o600)) // an empty file is an empty SQLite database
	s, err := sqlite.Open(context.Background(), path)
	require.NoError(t, err)
	put(t, s, "1", "v1:x")
	require.NoError(t, s.Close())
	for range 2 { // opening a current file migrates nothing and loses nothing
		s, err = sqlite.Open(context.Background(), path)
		require.NoError(t, err)
		r, ok, err := s.Get(context.Background(), syncstate.Key{Vendor: "billbee", Account: "acct", Key: "1"})
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, "v1:x", r.Digest)
		require.NoError(t, s.Close())
	}
}

// TestTheSQLite3ShellReadsTheState: the README tells users to inspect the
// state with the sqlite3 shell, so that must work on a file in use.
func TestTheSQLite3ShellReadsTheState(t *testing.T) {
	shell, err := exec.LookPath("sqlite3")
	require.NoError(t, err, "the sqlite3 shell is needed for this test: apt-get install sqlite3")
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := sqlite.Open(context.Background(), path)
	require.NoError(t, err)
	defer func() { assert.NoError(t, s.Close()) }()
	put(t, s, "100000150176895", "v1:abc")

	out, err := exec.Command(shell, "-readonly", path, "SELECT vendor, key, digest, synced_at FROM records").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, "billbee|100000150176895|v1:abc|2026-12-01T02:00:00.000000Z\n", string(out))
}

// TestPutIsDurableWhenKilled runs a writer in a child process, kills it
// with SIGKILL while it writes, and checks that every record whose Put had
// returned is in the file.
func TestPutIsDurableWhenKilled(t *testing.T) {
	if path := os.Getenv("SQLITE_STATE_CRASH_WRITER"); path != "" {
		crashWriter(path)
		return
	}
	for _, after := range []int{1, 150, 600} {
		t.Run(fmt.Sprintf("killed after %d acknowledged Puts", after), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.db")
			cmd := exec.Command(os.Args[0], "-test.run", "^TestPutIsDurableWhenKilled$")
			cmd.Env = append(os.Environ(), "SQLITE_STATE_CRASH_WRITER="+path)
			stdout, err := cmd.StdoutPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			acked := map[string]bool{}
			lines := bufio.NewScanner(stdout)
			for len(acked) < after && lines.Scan() {
				if key, ok := strings.CutPrefix(lines.Text(), "acked "); ok {
					acked[key] = true
				}
			}
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			for lines.Scan() { // what it acknowledged before the signal landed
				if key, ok := strings.CutPrefix(lines.Text(), "acked "); ok {
					acked[key] = true
				}
			}
			_ = cmd.Wait()
			require.GreaterOrEqual(t, len(acked), after)

			s, err := sqlite.Open(context.Background(), path)
			require.NoError(t, err, "a killed writer leaves a file that opens")
			defer func() { assert.NoError(t, s.Close()) }()
			for key := range acked {
				_, ok, err := s.Get(context.Background(), syncstate.Key{Vendor: "upwell", Account: "a", Key: key})
				require.NoError(t, err)
				assert.True(t, ok, "acknowledged record %s survived the kill", key)
			}
		})
	}
}

// crashWriter Puts records from 8 goroutines until it is killed, printing
// each key once its Put returned.
func crashWriter(path string) {
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	out := make(chan string, 64)
	for w := range 8 {
		go func() {
			for i := 0; ; i++ {
				key := strconv.Itoa(w) + "-" + strconv.Itoa(i)
				err := s.Put(context.Background(), syncstate.Entry{
					Key:    syncstate.Key{Vendor: "upwell", Account: "a", Key: key},
					Record: syncstate.Record{Digest: "d", SyncedAt: time.Now()},
				})
				if err != nil {
					fmt.Println("error", err)
					os.Exit(1)
				}
				out <- key
			}
		}()
	}
	for key := range out {
		fmt.Println("acked", key)
	}
}

func BenchmarkSecondNight(b *testing.B) {
	statetest.BenchmarkSecondNight(b, statetest.HarnessFunc(newStorage))
}

func TestConcurrentFirstOpensAgreeOnOneSchema(t *testing.T) {
	// Pushes started together on a new state file, each its own process:
	// switching the file to WAL needs it to itself, and SQLite answers the
	// others SQLITE_BUSY at once, without the busy timeout. Open must wait
	// its turn instead of failing the push.
	if path := os.Getenv("SQLITE_STATE_OPENER"); path != "" {
		s, err := sqlite.Open(context.Background(), path)
		if err == nil {
			err = s.Close()
		}
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		return
	}
	for round := range 5 {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("state-%d.db", round))
		cmds := make([]*exec.Cmd, 6)
		for i := range cmds {
			cmds[i] = exec.Command(os.Args[0], "-test.run", "^TestConcurrentFirstOpensAgreeOnOneSchema$")
			cmds[i].Env = append(os.Environ(), "SQLITE_STATE_OPENER="+path)
		}
		outs := make(chan string, len(cmds))
		for _, cmd := range cmds {
			go func() {
				out, err := cmd.CombinedOutput()
				if err != nil {
					outs <- fmt.Sprintf("%v: %s", err, out)
					return
				}
				outs <- ""
			}()
		}
		for range cmds {
			assert.Empty(t, <-outs, "round %d: every process opened the new file", round)
		}
	}
}

func BenchmarkPutConcurrent(b *testing.B) {
	statetest.BenchmarkPutConcurrent(b, statetest.HarnessFunc(newStorage))
}

func BenchmarkGetMany(b *testing.B) {
	statetest.BenchmarkGetMany(b, statetest.HarnessFunc(newStorage))
}

// previousStorage is a state file as custsync wrote it before the run
// log (schema 1), holding entries.
func previousStorage(t testing.TB, entries []syncstate.Entry) (open, openReadOnly func() (syncstate.Store, error)) {
	path := filepath.Join(t.TempDir(), "state.db")
	writePreviousSchema(t, path, entries)
	return func() (syncstate.Store, error) { return sqlite.Open(context.Background(), path) },
		func() (syncstate.Store, error) { return sqlite.OpenReadOnly(context.Background(), path) }
}

// writePreviousSchema writes the file at path as custsync wrote it
// before the run log (schema 1), holding entries. The schema is spelled
// out, not taken from the package: it is what older binaries wrote.
func writePreviousSchema(t testing.TB, path string, entries []syncstate.Entry) {
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer func() { assert.NoError(t, db.Close()) }()
	_, err = db.Exec(`PRAGMA journal_mode = WAL;
	CREATE TABLE records (
		vendor    TEXT NOT NULL,
		account   TEXT NOT NULL,
		key       TEXT NOT NULL,
		digest    TEXT NOT NULL,
		vendor_id TEXT NOT NULL,
		synced_at TEXT NOT NULL,
		PRIMARY KEY (vendor, account, key)
	) WITHOUT ROWID;
	PRAGMA user_version = 1`)
	require.NoError(t, err)
	for _, e := range entries {
		_, err := db.Exec(`INSERT INTO records VALUES (?, ?, ?, ?, ?, ?)`, e.Vendor, e.Account, e.Key.Key, e.Digest, e.VendorID,
			syncstate.Normalize(e.SyncedAt).Format(syncstate.TimeLayout))
		require.NoError(t, err)
	}
}

func TestConformanceRunLog(t *testing.T) {
	statetest.RunRunLog(t, statetest.RunLogHarnessFuncs{ReadOnly: newReadOnlyStorage, Previous: previousStorage})
}
