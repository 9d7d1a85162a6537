//go:build unix

package bulk

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Not parallel: the umask belongs to the process, and parallel tests run
// only once the sequential ones have.
func TestFailuresFilesAreOwnerOnlyWhateverTheUmask(t *testing.T) {
	for _, umask := range []int{0o000, 0o022, 0o377} {
		t.Run(fmt.Sprintf("under umask %03o", umask), func(t *testing.T) {
			dir := t.TempDir() // writable whatever the umask
			old := syscall.Umask(umask)
			defer syscall.Umask(old)

			for _, tc := range []struct {
				name    string
				path    string
				replace bool
			}{
				{name: "a new file", path: filepath.Join(dir, "new.jsonl"), replace: true},
				{name: "a file replacing one readable by all", path: writeFile(t, dir, "old.jsonl", earlier), replace: true},
				{name: "a per-run file", path: filepath.Join(dir, "in.failures-upwell-20261201T100327Z.jsonl")},
			} {
				ff, err := CreateFailures(tc.path, tc.replace)
				require.NoError(t, err, tc.name)
				info, err := os.Stat(ff.Writing())
				require.NoError(t, err)
				assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "%s: the temporary file", tc.name)
				require.NoError(t, ff.Append(failureOf("A0")))
				where, err := ff.Close()
				require.NoError(t, err)
				info, err = os.Stat(where)
				require.NoError(t, err)
				assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "%s: the failures file", tc.name)
			}
		})
	}
}

// shortWriteEnv names the directory the child process of
// TestAFileSizeLimitLeavesNoPartialLine writes in.
const shortWriteEnv = "BULK_TEST_SHORT_WRITE_DIR"

// The file size limit makes the kernel write part of a line and then
// fail, as a full disk does. It is the process's, so the test runs in a
// child process.
func TestAFileSizeLimitLeavesNoPartialLine(t *testing.T) {
	lineLen := len(failureOf("A0")) // every line here is as long
	if dir := os.Getenv(shortWriteEnv); dir != "" {
		var old syscall.Rlimit
		require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old))
		require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: uint64(2*lineLen + lineLen/2), Max: old.Max}))
		ff, err := CreateFailures(filepath.Join(dir, "f.jsonl"), true)
		require.NoError(t, err)
		require.NoError(t, ff.Append(failureOf("A0")))
		require.NoError(t, ff.Append(failureOf("A1")))
		err = ff.Append(failureOf("A2"))
		require.ErrorIs(t, err, syscall.EFBIG, "the third line does not fit")
		require.ErrorIs(t, ff.Append(failureOf("A3")), syscall.EFBIG)
		_, err = ff.Close()
		require.ErrorIs(t, err, syscall.EFBIG, "Close reports it too")
		return
	}
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestAFileSizeLimitLeavesNoPartialLine$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), shortWriteEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "--- PASS: TestAFileSizeLimitLeavesNoPartialLine")
	assert.Equal(t, failureLines(2), readString(t, filepath.Join(dir, "f.jsonl")), "the whole lines, and no part of the third")
	assert.Empty(t, partials(t, dir))
}
