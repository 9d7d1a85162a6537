package redact_test

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/internal/redact"
)

// The password every case hides; no output may hold any part of it.
const secret = "s3cretPW"

func TestConnStringHidesEveryPassword(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"a URL's user password", "postgres://sync:s3cretPW@db.example:5432/state", "postgres://sync:xxxxx@db.example:5432/state"},
		{"a password= query parameter", "postgresql://sync@db.example/state?sslmode=require&password=s3cretPW", "postgresql://sync@db.example/state?sslmode=require&password=xxxxx"},
		{"a query parameter in another letter case", "postgres://db.example/state?PassWord=s3cretPW&sslmode=disable", "postgres://db.example/state?PassWord=xxxxx&sslmode=disable"},
		{"a percent-encoded parameter name", "postgres://db.example/state?pass%77ord=s3cretPW", "postgres://db.example/state?pass%77ord=xxxxx"},
		{"libpq's sslpassword", "postgres://db.example/state?sslpassword=s3cretPW", "postgres://db.example/state?sslpassword=xxxxx"},
		{"a password holding an '@'", "postgres://sync:s3cr@etPW@db.example/state", "postgres://sync:xxxxx@db.example/state"},
		{"a password holding an unescaped '/'", "postgres://sync:s3cr/etPW@db.example/state", "postgres://sync:xxxxx@db.example/state"},
		{"a password holding an unescaped '#'", "postgres://db.example/state?password=s3cr#etPW", "postgres://db.example/state?password=xxxxx"},
		{"a Redis password without a user", "redis://:s3cretPW@10.0.0.5:6379/0", "redis://:xxxxx@10.0.0.5:6379/0"},
		{"a Redis password written as a lone user name", "rediss://s3cretPW@redis.example:6380/0", "rediss://xxxxx@redis.example:6380/0"},
		{"a libpq key=value password", "host=db.example dbname=state user=sync password=s3cretPW sslmode=disable", "host=db.example dbname=state user=sync password=xxxxx sslmode=disable"},
		{"a quoted libpq password holding spaces and quotes", `host=db password = 's3cr et\'PW' dbname=state`, `host=db password = 'xxxxx' dbname=state`},
		{"an escaped libpq password", `password=s3cr\ etPW host=db`, `password=xxxxx host=db`},
		{"a libpq password keyword in another letter case", "host=db PASSWORD=s3cretPW", "host=db PASSWORD=xxxxx"},
		{"an unterminated quoted libpq password", "host=db password='s3cr etPW", "host=db password=xxxxx"},
		{"a URL without its scheme", "sync:s3cretPW@db.example/state", "sync:xxxxx@db.example/state"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is hidden", func(t *testing.T) {
			got := redact.ConnString(tt.in)
			assert.Equal(t, tt.want, got)
			for _, part := range []string{"s3cr", "etPW"} {
				assert.NotContains(t, got, part)
			}
		})
	}
}

func TestConnStringKeepsWhatHoldsNoPassword(t *testing.T) {
	for _, s := range []string{
		"postgres://sync@db.example/state?sslmode=require",
		"postgres://db.example/state",
		"redis://127.0.0.1:6379/0",
		"https://api.billbee.io/api/v1",
		"unix:///var/run/redis.sock",
		"host=db.example dbname=state user=sync",
		"nightly.db",
		"/var/lib/custsync/state.db",
		"./host=odd.db",
		"",
	} {
		t.Run(strings.TrimSpace(s+" is kept"), func(t *testing.T) {
			assert.Equal(t, s, redact.ConnString(s))
		})
	}
}

// The key=value reader must agree with pgx's about where a password ends:
// the redacted string reads, for pgx, as the same settings with the
// password Mask.
func TestConnStringReadsKeywordValueStringsAsPgxDoes(t *testing.T) {
	for _, s := range []string{
		"host=db password=" + secret + " dbname=state",
		"host=db password = '" + secret + " with spaces' dbname=state",
		`host=db password=` + secret + `\ tail dbname=state`,
		"password=" + secret,
	} {
		t.Run(s, func(t *testing.T) {
			before, err := pgconn.ParseConfig(s)
			require.NoError(t, err)
			require.Contains(t, before.Password, secret)
			got := redact.ConnString(s)
			after, err := pgconn.ParseConfig(got)
			require.NoError(t, err, got)
			assert.Equal(t, redact.Mask, after.Password, "the whole password is hidden")
			assert.Equal(t, before.Host, after.Host, "the rest is kept")
			assert.Equal(t, before.Database, after.Database)
		})
	}
}
