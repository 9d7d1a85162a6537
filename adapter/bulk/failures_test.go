package bulk

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

func readString(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

// partials lists the temporary failures files in dir.
func partials(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		if strings.Contains(e.Name(), partialInfix) {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

// failureOf is the failures-file line of a NotFound for customer id.
func failureOf(id string) []byte {
	f := Failure{Line: 1, Vendor: "upwell", ErrorInfo: ErrorInfo{Code: adapter.NotFound, Message: "gone"}}
	return appendFailure(nil, []byte(`{"id":"`+id+`"}`), f)
}

// failureLines is what failureOf writes for A0, A1... A(n-1).
func failureLines(n int) string {
	var b strings.Builder
	for i := range n {
		b.Write(failureOf(fmt.Sprintf("A%d", i)))
	}
	return b.String()
}

const earlier = `{"id":"EARLIER","_error":{}}` + "\n"

func TestDefaultFailuresPath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	started := time.Date(2026, 12, 1, 11, 3, 27, 0, time.FixedZone("CET", 3600))
	for _, tc := range []struct {
		name, input, want string
	}{
		{name: "a .jsonl input gets a file next to it, named with the vendor and the UTC start",
			input: filepath.Join(dir, "customers.jsonl"), want: filepath.Join(dir, "customers.failures-billbee-20261201T100327Z.jsonl")},
		{name: "another input gets the name appended",
			input: filepath.Join(dir, "export.txt"), want: filepath.Join(dir, "export.txt.failures-billbee-20261201T100327Z.jsonl")},
		{name: "an earlier run's failures file is named after the original input",
			input: filepath.Join(dir, "customers.failures-upwell-20261130T220000Z.jsonl"), want: filepath.Join(dir, "customers.failures-billbee-20261201T100327Z.jsonl")},
		{name: "an earlier run's numbered failures file is named after the original input",
			input: filepath.Join(dir, "customers.failures-upwell-20261130T220000Z-3.jsonl"), want: filepath.Join(dir, "customers.failures-billbee-20261201T100327Z.jsonl")},
		{name: "an earlier run's failures file of standard input gets the standard input name",
			input: filepath.Join(dir, "failures-billbee-20261130T220000Z-2.jsonl"), want: filepath.Join(dir, "failures-billbee-20261201T100327Z.jsonl")},
		{name: "standard input gets a file in the working directory", input: "-", want: "failures-billbee-20261201T100327Z.jsonl"},
		{name: "an input without a name gets a file in the working directory", input: "", want: "failures-billbee-20261201T100327Z.jsonl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, DefaultFailuresPath(tc.input, "billbee", started))
		})
	}
}

func TestFailuresFile(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name string
		// setup prepares dir and returns the failures path.
		setup      func(t *testing.T, dir string) string
		replace    bool
		failures   int
		breakWrite bool   // the temporary file cannot be written
		wantFile   string // the content of the path at the end; "" for no file
		wantErr    bool
	}{
		{
			name:     "failures replace a file given with replace, only at the end",
			setup:    func(t *testing.T, dir string) string { return writeFile(t, dir, "f.jsonl", earlier) },
			replace:  true,
			failures: 2,
			wantFile: failureLines(2),
		},
		{
			name:     "no failures leave the file of an earlier run alone",
			setup:    func(t *testing.T, dir string) string { return writeFile(t, dir, "f.jsonl", earlier) },
			replace:  true,
			failures: 0,
			wantFile: earlier,
		},
		{
			name:     "no failures and no earlier file leave no file",
			setup:    func(_ *testing.T, dir string) string { return filepath.Join(dir, "f.jsonl") },
			failures: 0,
		},
		{
			name:     "a new failures file is created",
			setup:    func(_ *testing.T, dir string) string { return filepath.Join(dir, "f.jsonl") },
			failures: 1,
			wantFile: failureLines(1),
		},
		{
			name:       "failures that could not be written keep the file of an earlier run, and Close says so",
			setup:      func(t *testing.T, dir string) string { return writeFile(t, dir, "f.jsonl", earlier) },
			replace:    true,
			failures:   2,
			breakWrite: true,
			wantFile:   earlier,
			wantErr:    true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := tc.setup(t, dir)
			before, _ := os.ReadFile(path)
			ff, err := CreateFailures(path, tc.replace)
			require.NoError(t, err)
			require.Len(t, partials(t, dir), 1, "the temporary file is created next to the failures file at once")
			assert.Equal(t, partials(t, dir)[0], ff.Writing())
			assert.Regexp(t, `^`+regexp.QuoteMeta(path)+`\.partial-[0-9a-f]{8}$`, ff.Writing())
			if tc.breakWrite {
				readOnly, err := os.Open(ff.temp)
				require.NoError(t, err)
				require.NoError(t, ff.f.Close())
				ff.f = readOnly
			}
			var firstErr error
			for i := range tc.failures {
				err := ff.Append(failureOf(fmt.Sprintf("A%d", i)))
				if tc.breakWrite {
					require.Error(t, err)
					if firstErr == nil {
						firstErr = err
					}
					assert.Equal(t, firstErr, err, "the first error, again")
					continue
				}
				require.NoError(t, err)
				assert.Equal(t, failureLines(i+1), readString(t, ff.Writing()), "each failure is in the file as soon as it is appended")
			}
			during, _ := os.ReadFile(path)
			assert.Equal(t, string(before), string(during), "the failures file is left alone until the end")

			where, err := ff.Close()
			if tc.wantErr {
				require.ErrorIs(t, err, firstErr)
			} else {
				require.NoError(t, err)
			}
			assert.Empty(t, partials(t, dir), "the temporary file is gone")
			if tc.wantFile == "" {
				assert.Empty(t, where)
				assert.NoFileExists(t, path)
				return
			}
			assert.Equal(t, tc.wantFile, readString(t, path))
			if tc.failures > 0 && !tc.breakWrite {
				assert.Equal(t, path, where)
			} else {
				assert.Empty(t, where, "no failures, no failures file")
			}
		})
	}

	t.Run("a per-run name never replaces a file that exists", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		path := writeFile(t, dir, "in.failures-upwell-20261201T100327Z.jsonl", earlier)
		second := writeFile(t, dir, "in.failures-upwell-20261201T100327Z-2.jsonl", earlier)
		ff, err := CreateFailures(path, false)
		require.NoError(t, err)
		require.NoError(t, ff.Append(failureOf("A0")))
		where, err := ff.Close()
		require.NoError(t, err)
		assert.Equal(t, filepath.Join(dir, "in.failures-upwell-20261201T100327Z-3.jsonl"), where)
		for _, p := range []string{path, second} {
			assert.Equal(t, earlier, readString(t, p), "%s was not this run's to replace", p)
		}
		assert.Equal(t, failureLines(1), readString(t, where))
		assert.Empty(t, partials(t, dir))
	})

	t.Run("a taken name without the .jsonl extension is numbered before its own", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		path := writeFile(t, dir, "failed.txt", earlier)
		ff, err := CreateFailures(path, false)
		require.NoError(t, err)
		require.NoError(t, ff.Append(failureOf("A0")))
		where, err := ff.Close()
		require.NoError(t, err)
		assert.Equal(t, filepath.Join(dir, "failed-2.txt"), where)
	})

	t.Run("a path that cannot hold a failures file fails at once", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		for path, want := range map[string]string{
			dir: "is a directory",
			filepath.Join(dir, "no", "such", "f.jsonl"): "no such file or directory",
		} {
			for _, replace := range []bool{true, false} {
				_, err := CreateFailures(path, replace)
				assert.ErrorContains(t, err, "cannot write the failures file", path)
				assert.ErrorContains(t, err, want, path)
			}
		}
		assert.Empty(t, partials(t, dir))
	})

	t.Run("a device is appended to and never replaced or removed", func(t *testing.T) {
		t.Parallel()
		ff, err := CreateFailures(os.DevNull, true)
		require.NoError(t, err)
		assert.Equal(t, os.DevNull, ff.Writing())
		require.NoError(t, ff.Append(failureOf("A0")))
		where, err := ff.Close()
		require.NoError(t, err)
		assert.Equal(t, os.DevNull, where)
		info, err := os.Stat(os.DevNull)
		require.NoError(t, err)
		assert.NotZero(t, info.Mode()&fs.ModeDevice)
	})

	t.Run("a device nothing was appended to holds no failures", func(t *testing.T) {
		t.Parallel()
		ff, err := CreateFailures(os.DevNull, true)
		require.NoError(t, err)
		where, err := ff.Close()
		require.NoError(t, err)
		assert.Empty(t, where)
	})

	t.Run("a line is one whole line, or nothing is written", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		ff, err := CreateFailures(filepath.Join(dir, "f.jsonl"), true)
		require.NoError(t, err)
		for _, bad := range []string{"", `{"id":"1"}`, "{}\n{}\n", "\n{}"} {
			assert.Error(t, ff.Append([]byte(bad)), "%q", bad)
		}
		require.NoError(t, ff.Append(failureOf("A0")), "a refused line is no write error")
		assert.Equal(t, failureLines(1), readString(t, ff.Writing()))
		_, err = ff.Close()
		require.NoError(t, err)
	})

	t.Run("nothing is appended after Close", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		path := filepath.Join(dir, "f.jsonl")
		ff, err := CreateFailures(path, true)
		require.NoError(t, err)
		require.NoError(t, ff.Append(failureOf("A0")))
		_, err = ff.Close()
		require.NoError(t, err)
		require.ErrorIs(t, ff.Append(failureOf("A1")), fs.ErrClosed)
		_, err = ff.Close()
		require.ErrorIs(t, err, fs.ErrClosed)
		assert.Equal(t, failureLines(1), readString(t, path))
	})

	t.Run("appends from many goroutines are whole lines", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		path := filepath.Join(dir, "f.jsonl")
		ff, err := CreateFailures(path, true)
		require.NoError(t, err)
		done := make(chan error)
		for g := range 8 {
			go func() {
				for i := range 50 {
					if err := ff.Append(failureOf(fmt.Sprintf("G%d-%d", g, i))); err != nil {
						done <- err
						return
					}
				}
				done <- nil
			}()
		}
		for range 8 {
			require.NoError(t, <-done)
		}
		_, err = ff.Close()
		require.NoError(t, err)
		recs := readRecords(t, readString(t, path))
		assert.Len(t, recs, 8*50)
		seen := map[string]bool{}
		for _, r := range recs {
			require.NoError(t, r.Err)
			seen[r.Update.ID] = true
		}
		assert.Len(t, seen, 8*50)
	})
}

// shortWriter writes the first half of what it is given, then fails.
type shortWriter struct {
	*os.File
	failTruncate bool
}

var errDiskFull = errors.New("no space left on device")

func (s *shortWriter) Write(p []byte) (int, error) {
	n, err := s.File.Write(p[:len(p)/2])
	if err != nil {
		return n, err
	}
	return n, errDiskFull
}

func (s *shortWriter) Truncate(size int64) error {
	if s.failTruncate {
		return errors.New("cannot truncate")
	}
	return s.File.Truncate(size)
}

func TestAFailedWriteLeavesNoPartialLine(t *testing.T) {
	t.Parallel()

	t.Run("the file is cut back to its last whole line, and the error reported", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		path := filepath.Join(dir, "f.jsonl")
		ff, err := CreateFailures(path, true)
		require.NoError(t, err)
		require.NoError(t, ff.Append(failureOf("A0")))
		require.NoError(t, ff.Append(failureOf("A1")))
		ff.f = &shortWriter{File: ff.f.(*os.File)}
		err = ff.Append(failureOf("A2"))
		require.ErrorIs(t, err, errDiskFull)
		assert.ErrorContains(t, err, ff.Writing())
		assert.Equal(t, failureLines(2), readString(t, ff.Writing()))
		require.ErrorIs(t, ff.Append(failureOf("A3")), errDiskFull)
		assert.Equal(t, failureLines(2), readString(t, ff.Writing()), "nothing is written after an error")

		where, err := ff.Close()
		require.ErrorIs(t, err, errDiskFull)
		assert.Equal(t, path, where, "the whole lines are kept")
		assert.Equal(t, failureLines(2), readString(t, path))
	})

	t.Run("a file that cannot be cut back is not published", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		path := writeFile(t, dir, "f.jsonl", earlier)
		ff, err := CreateFailures(path, true)
		require.NoError(t, err)
		require.NoError(t, ff.Append(failureOf("A0")))
		ff.f = &shortWriter{File: ff.f.(*os.File), failTruncate: true}
		require.ErrorIs(t, ff.Append(failureOf("A1")), errDiskFull)
		where, err := ff.Close()
		require.ErrorIs(t, err, errDiskFull)
		assert.ErrorContains(t, err, "partial line")
		assert.Equal(t, ff.temp, where, "the failures so far stay in the temporary file")
		assert.Equal(t, earlier, readString(t, path))
	})
}

func TestFailuresFileRefusesSymbolicLinks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		target  func(t *testing.T, dir string) string
		replace bool
	}{
		{name: "a link to another user's file is refused and its target kept", replace: true,
			target: func(t *testing.T, dir string) string {
				return writeFile(t, dir, "authorized_keys", "ssh-ed25519 AAAA\n")
			}},
		{name: "a link is refused for a per-run name too",
			target: func(t *testing.T, dir string) string {
				return writeFile(t, dir, "authorized_keys", "ssh-ed25519 AAAA\n")
			}},
		{name: "a link to nothing is refused and nothing created", replace: true,
			target: func(_ *testing.T, dir string) string { return filepath.Join(dir, "nothing") }},
		{name: "a link to a directory is refused", replace: true,
			target: func(_ *testing.T, dir string) string { return dir }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			target := tc.target(t, dir)
			before, _ := os.ReadFile(target)
			link := filepath.Join(dir, "failures.jsonl")
			require.NoError(t, os.Symlink(target, link))

			_, err := CreateFailures(link, tc.replace)
			require.Error(t, err)
			assert.Equal(t, fmt.Sprintf("cannot write the failures file: %s is a symbolic link (to %s), which is not followed: give the file's own path", link, target), err.Error())
			assert.Empty(t, partials(t, dir))
			after, _ := os.ReadFile(target)
			assert.Equal(t, before, after)
			got, err := os.Readlink(link)
			require.NoError(t, err)
			assert.Equal(t, target, got, "the link is left alone")
		})
	}
}

func TestFailuresFileRefusesTheFilesItMustKeep(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input := writeFile(t, dir, "customers.jsonl", earlier)
	state := writeFile(t, dir, "state.db", "SQLite format 3\x00")
	wal := writeFile(t, dir, "state.db-wal", "wal")
	hardLink := filepath.Join(dir, "hard.jsonl")
	require.NoError(t, os.Link(input, hardLink))
	symLink := filepath.Join(dir, "link.jsonl")
	require.NoError(t, os.Symlink(input, symLink))
	// A name for standard input redirected from a file, as /dev/stdin is.
	stdin := filepath.Join(dir, "stdin")
	require.NoError(t, os.Symlink(input, stdin))
	linkedDir := filepath.Join(dir, "linked")
	require.NoError(t, os.Symlink(dir, linkedDir))
	fresh := filepath.Join(dir, "fresh.db") // a state store not created yet

	for _, tc := range []struct {
		name, path         string
		refuse             []string
		refused, companion string // the RefusedError's; "" for none
	}{
		{name: "the input is refused however it is spelled", path: dir + "/./customers.jsonl", refuse: []string{input, state}, refused: input},
		{name: "the input through a link is refused", path: symLink, refuse: []string{input}, refused: input},
		{name: "a hard link to the input is refused", path: hardLink, refuse: []string{input}, refused: input},
		{name: "the file standard input reads is refused", path: input, refuse: []string{stdin}, refused: stdin},
		{name: "the state file is refused", path: state, refuse: []string{input, state}, refused: state},
		{name: "the state's write-ahead log is refused", path: wal, refuse: []string{input, state}, refused: state, companion: "-wal"},
		{name: "the state's shared memory file is refused before it exists",
			path: dir + "/../" + filepath.Base(dir) + "/state.db-shm", refuse: []string{state}, refused: state, companion: "-shm"},
		{name: "a state file not created yet is refused", path: fresh, refuse: []string{input, fresh}, refused: fresh},
		{name: "its journal is refused through a linked directory", path: filepath.Join(linkedDir, "fresh.db-journal"), refuse: []string{fresh},
			refused: fresh, companion: "-journal"},
		{name: "another file is fine", path: filepath.Join(dir, "other.jsonl"), refuse: []string{input, state}},
		{name: "an empty refused path is ignored", path: filepath.Join(dir, "other.jsonl"), refuse: []string{""}},
		{name: "a refused device is ignored: appending to it loses nothing", path: os.DevNull, refuse: []string{os.DevNull}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ff, err := CreateFailures(tc.path, true, tc.refuse...)
			if tc.refused == "" {
				require.NoError(t, err)
				_, err = ff.Close()
				require.NoError(t, err)
				return
			}
			var re *RefusedError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, RefusedError{Path: tc.path, Refused: tc.refused, Companion: tc.companion}, *re)
			assert.Contains(t, err.Error(), "the failures file "+tc.path+" is "+tc.refused+tc.companion)
		})
	}
	assert.Empty(t, partials(t, dir), "no refused path got a temporary file")
	assert.Equal(t, earlier, readString(t, input))
	assert.Equal(t, "SQLite format 3\x00", readString(t, state))
	assert.Equal(t, "wal", readString(t, wal))

	t.Run("a per-run name that is a refused file is published under the next free one", func(t *testing.T) {
		sameSecond := writeFile(t, t.TempDir(), "customers.failures-billbee-20261201T100327Z.jsonl", earlier)
		ff, err := CreateFailures(sameSecond, false, sameSecond)
		require.NoError(t, err)
		require.NoError(t, ff.Append(failureOf("A0")))
		where, err := ff.Close()
		require.NoError(t, err)
		assert.Equal(t, strings.TrimSuffix(sameSecond, ".jsonl")+"-2.jsonl", where)
		assert.Equal(t, earlier, readString(t, sameSecond))
	})
}

// syncCounter counts the syncs of a failures file.
type syncCounter struct {
	*os.File
	syncs atomic.Int32
}

func (s *syncCounter) Sync() error {
	s.syncs.Add(1)
	return s.File.Sync()
}

func TestFailuresAreSyncedWithinTheInterval(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "f.jsonl")
		ff, err := CreateFailures(path, true)
		require.NoError(t, err)
		counter := &syncCounter{File: ff.f.(*os.File)}
		ff.f = counter

		require.NoError(t, ff.Append(failureOf("A0")))
		time.Sleep(syncEvery - time.Millisecond)
		synctest.Wait()
		assert.Zero(t, counter.syncs.Load(), "not before the interval")
		time.Sleep(time.Millisecond)
		synctest.Wait()
		assert.EqualValues(t, 1, counter.syncs.Load(), "a line is synced within the interval, though no other follows")

		for i := range 100 {
			require.NoError(t, ff.Append(failureOf(fmt.Sprintf("B%d", i))))
		}
		assert.EqualValues(t, 1, counter.syncs.Load(), "a burst is not synced line by line")
		time.Sleep(syncEvery)
		synctest.Wait()
		assert.EqualValues(t, 2, counter.syncs.Load(), "a burst is synced once")

		time.Sleep(10 * syncEvery)
		synctest.Wait()
		assert.EqualValues(t, 2, counter.syncs.Load(), "nothing written, nothing synced")

		require.NoError(t, ff.Append(failureOf("C0")), "long after the last sync")
		assert.EqualValues(t, 3, counter.syncs.Load(), "synced at once")

		require.NoError(t, ff.Append(failureOf("C1")))
		where, err := ff.Close()
		require.NoError(t, err)
		assert.Equal(t, path, where)
		assert.EqualValues(t, 4, counter.syncs.Load(), "synced before it is published")
	})
}

func TestStaleFailures(t *testing.T) {
	t.Parallel()

	t.Run("the temporary files of unfinished runs are found where the run writes", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		mine := writeFile(t, dir, "customers.failures-upwell-20261130T220000Z.jsonl.partial-1a2b3c4d", "{}\n{}\n")
		otherVendor := writeFile(t, dir, "customers.failures-billbee-20261130T210000Z.jsonl.partial-00000000", "")
		fixed := writeFile(t, dir, "fixed.jsonl.partial-0000beef", "{}\n")
		writeFile(t, dir, "other.failures-upwell-20261130T220000Z.jsonl.partial-1a2b3c4d", "{}\n") // another input's
		writeFile(t, dir, "customers.failures-upwell-20261130T220000Z.jsonl", "{}\n")              // finished, not stale
		writeFile(t, dir, "customers.failures-upwell-20261130T220000Z.jsonl.partial-xyz", "{}\n")  // not a name of ours
		writeFile(t, dir, "fixed.jsonl.partial-0000beef.bak", "{}\n")

		path := DefaultFailuresPath(filepath.Join(dir, "customers.jsonl"), "upwell", time.Now())
		assert.Equal(t, []StaleFile{{Path: otherVendor, Lines: 0}, {Path: mine, Lines: 2}}, StaleFailures(path, false))
		assert.Equal(t, []StaleFile{{Path: fixed, Lines: 1}}, StaleFailures(filepath.Join(dir, "fixed.jsonl"), true))
		assert.Equal(t, []StaleFile{{Path: fixed, Lines: 1}}, StaleFailures(filepath.Join(dir, "fixed.jsonl"), false), "a name of the user's own")
		assert.Empty(t, StaleFailures(filepath.Join(dir, "none.jsonl"), true))
	})

	for _, input := range []string{"export[nightly].jsonl", "export*.jsonl", "export?.jsonl", `export\x.jsonl`} {
		t.Run(fmt.Sprintf("an input named %s is no pattern", input), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := DefaultFailuresPath(filepath.Join(dir, input), "upwell", time.Now())
			ff, err := CreateFailures(path, false)
			require.NoError(t, err)
			t.Cleanup(func() { _, _ = ff.Close() })
			require.NoError(t, ff.Append(failureOf("A0")))
			// A killed run leaves ff unclosed.
			assert.Equal(t, []StaleFile{{Path: ff.Writing(), Lines: 1}}, StaleFailures(DefaultFailuresPath(filepath.Join(dir, input), "upwell", time.Now().Add(time.Hour)), false))

			explicit := filepath.Join(dir, "failed["+input+"]")
			ff2, err := CreateFailures(explicit, true)
			require.NoError(t, err)
			t.Cleanup(func() { _, _ = ff2.Close() })
			assert.Equal(t, []StaleFile{{Path: ff2.Writing(), Lines: 0}}, StaleFailures(explicit, true))
		})
	}

	t.Run("a path in the working directory is looked for there", func(t *testing.T) {
		t.Parallel()
		assert.Empty(t, StaleFailures("failures-upwell-20261130T220000Z.jsonl", false), "the package's directory holds none")
	})
}
