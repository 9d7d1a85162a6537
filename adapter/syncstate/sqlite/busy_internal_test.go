package sqlite

import (
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIsBusyRecognisesALockedFileAndNothingElse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.db")
	holder, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer func() { assert.NoError(t, holder.Close()) }()
	holder.SetMaxOpenConns(1)
	_, err = holder.Exec("BEGIN EXCLUSIVE; CREATE TABLE t (x);")
	require.NoError(t, err)

	other, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(0)")
	require.NoError(t, err)
	defer func() { assert.NoError(t, other.Close()) }()
	_, err = other.Exec("CREATE TABLE u (x)")
	require.Error(t, err)
	assert.True(t, isBusy(err), "a write while another connection holds the file: %v", err)

	assert.False(t, isBusy(errors.New("database is locked")), "only SQLite's own error counts")
	_, err = holder.Exec("SELECT * FROM no_such_table")
	assert.False(t, isBusy(err), "another SQLite error is not busy: %v", err)
}
