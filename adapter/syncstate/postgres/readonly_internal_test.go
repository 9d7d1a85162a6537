package postgres

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/internal/pgtest"
)

// TestAReadOnlyStoresSessionsCannotWrite: should a statement that writes
// ever reach a read-only store's connections, PostgreSQL refuses it.
func TestAReadOnlyStoresSessionsCannotWrite(t *testing.T) {
	server, err := pgtest.Start()
	require.NoError(t, err)
	defer server.Stop()
	ctx := context.Background()
	url := server.NewDatabase(t)
	w, err := Open(ctx, url)
	require.NoError(t, err)
	require.NoError(t, w.Close())

	s, err := OpenReadOnly(ctx, url)
	require.NoError(t, err)
	defer func() { assert.NoError(t, s.Close()) }()
	var readOnly string
	require.NoError(t, s.pool.QueryRow(ctx, "SHOW transaction_read_only").Scan(&readOnly))
	assert.Equal(t, "on", readOnly)
	_, err = s.pool.Exec(ctx, "UPDATE custsync_schema SET version = version")
	var pgErr *pgconn.PgError
	require.True(t, errors.As(err, &pgErr), "%v", err)
	assert.Equal(t, "25006", pgErr.Code, "read_only_sql_transaction")
}
