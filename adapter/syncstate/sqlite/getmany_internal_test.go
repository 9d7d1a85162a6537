package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGetManySearchesThePrimaryKeyForEachKey(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	require.NoError(t, err)
	defer func() { assert.NoError(t, s.Close()) }()
	rows, err := s.db.Query("EXPLAIN QUERY PLAN "+getMany, "[]")
	require.NoError(t, err)
	defer func() { assert.NoError(t, rows.Close()) }()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		plan = append(plan, detail)
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []string{"SCAN k VIRTUAL TABLE INDEX 1:", "SEARCH r USING PRIMARY KEY (vendor=? AND account=? AND key=?)"}, plan,
		"the keys drive the loop, and each is one search, never a scan of the records")
}
