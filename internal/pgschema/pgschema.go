// Package pgschema keeps the version of a set of custsync's tables in
// PostgreSQL, as the state store and the queue each keep theirs: a table of
// one row holds the version, and migration i brings the tables from version
// i to i+1, in order, in the caller's transaction.
package pgschema

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// UndefinedTable is PostgreSQL's SQLSTATE for a table that does not exist.
const UndefinedTable = "42P01"

// IsUndefinedTable reports whether err is PostgreSQL's answer for a table
// that does not exist.
func IsUndefinedTable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == UndefinedTable
}

// Where names a database for messages: its host and name, never the
// password.
func Where(cfg *pgxpool.Config) string {
	return fmt.Sprintf("%s/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Database)
}

// Schema is a set of tables and how they came to be.
type Schema struct {
	// Name names the tables in messages ("queue schema").
	Name string
	// Table is the table of one row that holds the version.
	Table string
	// Migrations are the statements of each version, oldest first.
	Migrations []string
}

// Newer is the error for a version written by a newer custsync.
func (s Schema) Newer(version int) error {
	return fmt.Errorf("%s version %d was written by a newer custsync (this one knows up to %d); upgrade custsync", s.Name, version, len(s.Migrations))
}

// Version reads the version without writing: 0 where no version table is
// there yet. A version newer than s knows is refused (Newer).
func (s Schema) Version(ctx context.Context, q interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}) (int, error) {
	var version int
	err := q.QueryRow(ctx, "SELECT coalesce((SELECT max(version) FROM "+s.Table+"), 0)").Scan(&version)
	switch {
	case IsUndefinedTable(err):
		return 0, nil
	case err != nil:
		return 0, err
	case version > len(s.Migrations):
		return 0, s.Newer(version)
	}
	return version, nil
}

// Migrate brings the tables up to date in tx, which the caller holds the
// migrations' lock in and commits: nothing is written when they are
// current. The version table is created only where it is missing, since
// CREATE TABLE IF NOT EXISTS needs CREATE on the schema even where the table
// is there, and a role granted only SELECT, INSERT and UPDATE on custsync's
// tables must work with tables that are up to date.
func (s Schema) Migrate(ctx context.Context, tx pgx.Tx) error {
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", s.Table).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err := tx.Exec(ctx, "CREATE TABLE "+s.Table+" (version integer NOT NULL)"); err != nil {
			return err
		}
	}
	var version int
	err := tx.QueryRow(ctx, "SELECT version FROM "+s.Table).Scan(&version)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if _, err := tx.Exec(ctx, "INSERT INTO "+s.Table+" (version) VALUES (0)"); err != nil {
			return err
		}
	case err != nil:
		return err
	}
	switch {
	case version > len(s.Migrations):
		return s.Newer(version)
	case version == len(s.Migrations):
		return nil
	}
	for i := version; i < len(s.Migrations); i++ {
		if _, err := tx.Exec(ctx, s.Migrations[i]); err != nil {
			return fmt.Errorf("migrating to %s %d: %w", s.Name, i+1, err)
		}
	}
	_, err = tx.Exec(ctx, "UPDATE "+s.Table+" SET version = $1", len(s.Migrations))
	return err
}
