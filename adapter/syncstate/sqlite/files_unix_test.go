//go:build unix

package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

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
