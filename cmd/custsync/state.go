package main

import (
	"context"
	"os"
	"strings"

	"github.com/custsync/custsync/adapter/syncstate"
	"github.com/custsync/custsync/adapter/syncstate/postgres"
	"github.com/custsync/custsync/adapter/syncstate/sqlite"
)

// envState names the state store when --state is not given.
const envState = "CUSTSYNC_STATE"

// stateSpec is --state, or CUSTSYNC_STATE when the flag is not given; ""
// means no store.
func stateSpec(flag string, flagSet bool) string {
	if flagSet {
		return flag
	}
	return os.Getenv(envState)
}

// isPostgresURL reports whether spec names a PostgreSQL database rather
// than a SQLite file.
func isPostgresURL(spec string) bool {
	lower := strings.ToLower(spec)
	return strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://")
}

// openState opens the store spec names: a postgres:// URL, or the path of
// a SQLite file (created on first use). It also returns how to name the
// store in messages, never with a password.
func openState(ctx context.Context, spec string) (syncstate.Store, string, error) {
	if isPostgresURL(spec) {
		s, err := postgres.Open(ctx, spec)
		if err != nil {
			return nil, "", err
		}
		return s, redactURL(spec), nil
	}
	s, err := sqlite.Open(ctx, spec)
	if err != nil {
		return nil, "", err
	}
	return s, spec, nil
}

// redactURL hides the password of a postgres:// URL (and any password=
// parameter) for messages.
func redactURL(raw string) string {
	scheme, rest, _ := strings.Cut(raw, "://")
	if at := strings.LastIndex(strings.SplitN(rest, "/", 2)[0], "@"); at >= 0 {
		if user, _, hasPassword := strings.Cut(rest[:at], ":"); hasPassword {
			rest = user + ":REDACTED" + rest[at:]
		}
	}
	if base, query, ok := strings.Cut(rest, "?"); ok {
		params := strings.Split(query, "&")
		for i, p := range params {
			if strings.HasPrefix(strings.ToLower(p), "password=") {
				params[i] = "password=REDACTED"
			}
		}
		rest = base + "?" + strings.Join(params, "&")
	}
	return scheme + "://" + rest
}
