package main

import (
	"context"
	"os"
	"regexp"
	"strings"

	"github.com/custsync/custsync/adapter/syncstate"
	"github.com/custsync/custsync/adapter/syncstate/postgres"
	"github.com/custsync/custsync/adapter/syncstate/sqlite"
	"github.com/custsync/custsync/internal/redact"
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

// isPostgres reports whether spec names a PostgreSQL database rather
// than a SQLite file: a postgres:// or postgresql:// URL, or a libpq
// key=value connection string ("host=db dbname=sync"), which postgres.Open
// takes too. A spec in which any word starts with one of libpq's keywords
// and '=' is taken for the latter, in any letter case: a mistyped one then
// fails to connect, saying so without the password, instead of naming a
// new SQLite file after it.
func isPostgres(spec string) bool {
	lower := strings.ToLower(spec)
	if strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://") {
		return true
	}
	return libpqSetting.MatchString(spec)
}

// libpqSetting matches a libpq connection keyword and its '=', as
// PostgreSQL's "Parameter Key Words" lists them.
var libpqSetting = regexp.MustCompile(`(?i)(?:^|\s)(?:` + strings.Join([]string{
	"host", "hostaddr", "port", "dbname", "user", "password", "passfile", "require_auth",
	"channel_binding", "connect_timeout", "client_encoding", "options", "application_name",
	"fallback_application_name", "keepalives", "keepalives_idle", "keepalives_interval",
	"keepalives_count", "tcp_user_timeout", "replication", "gssencmode", "sslmode", "requiressl",
	"sslnegotiation", "sslcompression", "sslcert", "sslkey", "sslpassword", "sslcertmode",
	"sslrootcert", "sslcrl", "sslcrldir", "sslsni", "requirepeer", "ssl_min_protocol_version",
	"ssl_max_protocol_version", "krbsrvname", "gsslib", "gssdelegation", "service",
	"target_session_attrs", "load_balance_hosts",
}, "|") + `)\s*=`)

// openState opens the store spec names: a PostgreSQL database (a URL or a
// key=value string), or the path of a SQLite file (created on first use).
// A dry run opens it read-only: it creates, migrates and writes nothing,
// and needs no write permission. It also returns how to name the store in
// messages, never with a password.
func openState(ctx context.Context, spec string, readOnly bool) (syncstate.Store, string, error) {
	var s syncstate.Store
	var err error
	name := spec
	switch {
	case isPostgres(spec) && readOnly:
		s, err = postgres.OpenReadOnly(ctx, spec)
		name = redact.ConnString(spec)
	case isPostgres(spec):
		s, err = postgres.Open(ctx, spec)
		name = redact.ConnString(spec)
	case readOnly:
		s, err = sqlite.OpenReadOnly(ctx, spec)
	default:
		s, err = sqlite.Open(ctx, spec)
	}
	if err != nil {
		return nil, "", err
	}
	return s, name, nil
}
