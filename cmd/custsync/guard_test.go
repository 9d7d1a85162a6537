package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
)

// appendingKeys is a client that, the first time a record is keyed (as
// the count does for each record), appends a line to the input: an export
// still being written while push counts it.
type appendingKeys struct {
	fakeUpdater
	path string
	once sync.Once
}

func (c *appendingKeys) Key(u *adapter.CustomerUpdate) string {
	c.once.Do(func() {
		f, err := os.OpenFile(c.path, os.O_APPEND|os.O_WRONLY, 0)
		if err == nil {
			_, _ = f.WriteString(`{"id":"late","name":"Late"}` + "\n")
			_ = f.Close()
		}
	})
	return u.ID
}

func TestTheGuardSendsNothingItCouldNotCount(t *testing.T) {
	t.Parallel()
	const input = `{"id":"a","name":"A"}` + "\n" + `{"id":"b","email":null}` + "\n"
	open := func(t *testing.T) (*os.File, string) {
		t.Helper()
		path := filepath.Join(t.TempDir(), "export.jsonl")
		require.NoError(t, os.WriteFile(path, []byte(input), 0o600))
		f, err := os.Open(path)
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, f.Close()) })
		return f, path
	}
	flags := func(t *testing.T) pushFlags {
		t.Helper()
		pf := pushFlags{file: "export.jsonl", maxChanges: "100%"}
		pf.settings.concurrency = 2
		require.NoError(t, pf.parseGuard())
		return pf
	}

	jsonlOf := func(f *os.File) func() (inputReader, error) {
		return func() (inputReader, error) { return bulk.NewJSONLReader(f), nil }
	}

	t.Run("an input that changes while it is counted", func(t *testing.T) {
		t.Parallel()
		f, path := open(t)
		client := &appendingKeys{path: path}
		a := &app{stderr: &syncBuffer{}, stop: context.Background()}
		check := a.checkGuard(flags(t), client, nil, f, jsonlOf(f))
		assert.Contains(t, check.problem, "changed while it was counted")
		assert.Nil(t, check.refused)
		assert.Zero(t, client.calls.Load(), "nothing was sent")
	})

	t.Run("an interrupt while counting", func(t *testing.T) {
		t.Parallel()
		f, _ := open(t)
		stop, cancel := context.WithCancel(context.Background())
		cancel()
		a := &app{stderr: &syncBuffer{}, stop: stop}
		client := &fakeUpdater{}
		check := a.checkGuard(flags(t), client, nil, f, jsonlOf(f))
		assert.Equal(t, "interrupted while counting", check.problem)
		assert.Zero(t, client.calls.Load())
	})

	t.Run("a complete count rewinds the input for the push", func(t *testing.T) {
		t.Parallel()
		f, _ := open(t)
		a := &app{stderr: &syncBuffer{}, stop: context.Background()}
		check := a.checkGuard(flags(t), &fakeUpdater{}, nil, f, jsonlOf(f))
		require.Empty(t, check.problem)
		assert.Nil(t, check.refused)
		assert.Equal(t, 2, check.plan.Send)
		assert.Equal(t, 1, check.plan.ClearedFields)
		at, err := f.Seek(0, io.SeekCurrent)
		require.NoError(t, err)
		assert.Zero(t, at)
	})
}
