//go:build unix

package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter/syncstate"
	"github.com/custsync/custsync/adapter/syncstate/sqlite"
)

func TestANewStateFileAndItsCompanionsAre0600WhateverTheUmask(t *testing.T) {
	// The umask is the process's: this test must not run in parallel.
	for _, umask := range []int{0, 0o022, 0o077, 0o277} {
		t.Run(fmt.Sprintf("umask %04o", umask), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.db")
			old := syscall.Umask(umask)
			s, err := sqlite.Open(context.Background(), path)
			syscall.Umask(old)
			require.NoError(t, err)
			defer func() { assert.NoError(t, s.Close()) }()
			put(t, s, "1", "v1:x") // the -wal and -shm files exist while the store is open
			for _, name := range []string{path, path + "-wal", path + "-shm"} {
				fi, err := os.Stat(name)
				require.NoError(t, err)
				assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "%s", filepath.Base(name))
			}
		})
	}
	t.Run("an existing file keeps its mode", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "state.db")
		require.NoError(t, os.WriteFile(path, nil, 0o640))
		require.NoError(t, os.Chmod(path, 0o640))
		s, err := sqlite.Open(context.Background(), path)
		require.NoError(t, err)
		require.NoError(t, s.Close())
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm())
	})
}

func TestOpenRefusesSymbolicLinksItWouldWriteThrough(t *testing.T) {
	tests := []struct {
		name  string
		plant func(dir, path string) (target string)
	}{
		{"a state path that is a link to nothing", func(dir, path string) string {
			target := filepath.Join(dir, "elsewhere", "authorized_keys")
			require.NoError(t, os.Mkdir(filepath.Dir(target), 0o700))
			require.NoError(t, os.Symlink(target, path))
			return target
		}},
		{"a -wal file that is a link to nothing", func(dir, path string) string {
			target := filepath.Join(dir, "planted")
			require.NoError(t, os.Symlink(target, path+"-wal"))
			return target
		}},
		{"a -shm file that is a link", func(dir, path string) string {
			target := filepath.Join(dir, "planted")
			require.NoError(t, os.WriteFile(target, nil, 0o600))
			require.NoError(t, os.Symlink(target, path+"-shm"))
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "state.db")
			target := tt.plant(dir, path)
			_, err := sqlite.Open(context.Background(), path)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "symbolic link")
			assert.Contains(t, err.Error(), path, "the error names the state file")
			if target != "" {
				assert.NoFileExists(t, target, "nothing was created through the link")
			}
		})
	}

	t.Run("a link to an existing state file is followed", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(dir, "real.db")
		s, err := sqlite.Open(context.Background(), target)
		require.NoError(t, err)
		put(t, s, "1", "v1:x")
		require.NoError(t, s.Close())
		link := filepath.Join(dir, "link.db")
		require.NoError(t, os.Symlink(target, link))

		s, err = sqlite.Open(context.Background(), link)
		require.NoError(t, err)
		defer func() { assert.NoError(t, s.Close()) }()
		_, ok, err := s.Get(context.Background(), syncstate.Key{Vendor: "billbee", Account: "acct", Key: "1"})
		require.NoError(t, err)
		assert.True(t, ok)
	})
}

// TestOpenReadOnlyReadsAFileAndDirectoryItMayNotWrite runs the reader in
// a child process that may not write the state file (0400) or its
// directory (0500): as nobody when the test runs as root, whom
// permissions do not stop.
func TestOpenReadOnlyReadsAFileAndDirectoryItMayNotWrite(t *testing.T) {
	if path := os.Getenv("SQLITE_STATE_READER"); path != "" {
		readOnlyReader(path)
		return
	}
	as := unprivileged(t)
	shared, err := os.MkdirTemp("", "sqlite-state-")
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, os.RemoveAll(shared)) })
	require.NoError(t, os.Chmod(shared, 0o755))
	bin := filepath.Join(shared, "sqlite.test") // a copy that the child's user may run
	copyFile(t, os.Args[0], bin)

	dir := filepath.Join(shared, "state")
	require.NoError(t, os.Mkdir(dir, 0o700))
	path := filepath.Join(dir, "state.db")
	w, err := sqlite.Open(context.Background(), path)
	require.NoError(t, err)
	put(t, w, "1", "v1:x")
	require.NoError(t, w.Close())
	if as != nil {
		require.NoError(t, os.Chown(path, int(as.Uid), int(as.Gid)))
		require.NoError(t, os.Chown(dir, int(as.Uid), int(as.Gid)))
	}
	require.NoError(t, os.Chmod(path, 0o400))
	require.NoError(t, os.Chmod(dir, 0o500))
	t.Cleanup(func() { assert.NoError(t, os.Chmod(dir, 0o700)) })
	before := dirState(t, dir)

	cmd := exec.Command(bin, "-test.run", "^TestOpenReadOnlyReadsAFileAndDirectoryItMayNotWrite$")
	cmd.Env = append(os.Environ(), "SQLITE_STATE_READER="+path)
	cmd.Dir = shared
	if as != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: as}
	}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "open: refused\n", "the child may not write: Open fails there")
	assert.Contains(t, string(out), "read: v1:x true <nil>\n", "OpenReadOnly reads the file")
	assert.Contains(t, string(out), "put: read-only\n")
	assert.Equal(t, before, dirState(t, dir), "and changes nothing in the directory")
}

// readOnlyReader is the child of
// TestOpenReadOnlyReadsAFileAndDirectoryItMayNotWrite.
func readOnlyReader(path string) {
	ctx := context.Background()
	if s, err := sqlite.Open(ctx, path); err != nil {
		fmt.Println("open: refused")
	} else {
		fmt.Println("open: allowed")
		_ = s.Close()
	}
	s, err := sqlite.OpenReadOnly(ctx, path)
	if err != nil {
		fmt.Println("read:", err)
		return
	}
	defer s.Close() //nolint:errcheck // the output says what matters
	r, ok, err := s.Get(ctx, syncstate.Key{Vendor: "billbee", Account: "acct", Key: "1"})
	fmt.Println("read:", r.Digest, ok, err)
	err = s.Put(ctx, syncstate.Entry{Key: syncstate.Key{Vendor: "billbee", Account: "acct", Key: "1"}, Record: syncstate.Record{Digest: "x", SyncedAt: time.Now()}})
	if errors.Is(err, syncstate.ErrReadOnly) {
		fmt.Println("put: read-only")
	} else {
		fmt.Println("put:", err)
	}
}

// unprivileged is the user to run a child as where permissions must
// bite: nobody when the test runs as root; nil, the test's own user,
// otherwise.
func unprivileged(t *testing.T) *syscall.Credential {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("nobody")
	require.NoError(t, err, "running as root, the test needs the user nobody to read without root's rights")
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	require.NoError(t, err)
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	require.NoError(t, err)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	require.NoError(t, err)
	defer func() { assert.NoError(t, in.Close()) }()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	require.NoError(t, err)
	_, err = io.Copy(out, in)
	require.NoError(t, err)
	require.NoError(t, out.Close())
}
