package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// pgPassword is the PostgreSQL password the connection-string tests give;
// the test server trusts every local connection, so any password works,
// and none may ever be printed or become a file name.
const pgPassword = "SENTINELpgPW0006"

// pgForms are the ways a user may hand push a database with a password:
// every form postgres.Open takes. Each builds its spec from a fresh
// database's URL (postgres://postgres@/DB?host=DIR&sslmode=disable).
var pgForms = []struct {
	name string
	spec func(u *url.URL) string
}{
	{"a password in the URL's user info", func(u *url.URL) string {
		withUser := *u
		withUser.User = url.UserPassword("postgres", pgPassword)
		return withUser.String()
	}},
	{"a password= parameter of the URL", func(u *url.URL) string { return u.String() + "&password=" + pgPassword }},
	{"a libpq key=value string", func(u *url.URL) string {
		return "host=" + u.Query().Get("host") + " dbname=" + strings.TrimPrefix(u.Path, "/") + " user=postgres sslmode=disable password=" + pgPassword
	}},
	{"a libpq key=value string with quoted values", func(u *url.URL) string {
		return "host='" + u.Query().Get("host") + "' dbname=" + strings.TrimPrefix(u.Path, "/") + " password = '" + pgPassword + "' user=postgres sslmode=disable"
	}},
}

// Each form names one PostgreSQL database: push records in it (a second
// push finds every record unchanged there), creates no file for it, and
// never prints the password, neither in its summary nor in the "push
// again" hint it prints when a record failed.
func TestPushTakesEveryPostgresFormAndNeverPrintsItsPassword(t *testing.T) {
	t.Parallel()
	for _, form := range pgForms {
		t.Run("given "+form.name, func(t *testing.T) {
			t.Parallel()
			u, err := url.Parse(postgresServer(t).NewDatabase(t))
			require.NoError(t, err)
			state := form.spec(u)
			srv := newSandbox(t, sandbox.WithSyntheticCustomers(2))
			dir := t.TempDir()
			input := writeFile(t, dir, "export.jsonl", upwellExport(2, nil)+`{"id":"NO-SUCH-CUSTOMER","name":"Nobody"}`+"\n")
			push := func() outcome {
				return runBinary(t, invocation{
					args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell), "--file", input, "--state", state},
					env:  demoEnv(specs.Upwell), dir: dir,
				})
			}

			first := push()
			require.Equal(t, exitFailed, first.code, "the unknown customer fails: %s", first.stderr)
			assert.Contains(t, first.stdout, "push: 2 succeeded, 0 unchanged, 1 failed")
			masked := strings.ReplaceAll(state, pgPassword, "xxxxx")
			assert.Contains(t, first.stdout, " --state "+shellQuote(masked)+" --file ", "the hint names the store, its password masked")
			assert.Contains(t, first.stdout, "push: state in "+masked+"\n")
			second := push()
			assert.Contains(t, second.stdout, "push: 0 succeeded, 2 unchanged, 1 failed", "the first push's confirmations are in PostgreSQL")

			for _, out := range []outcome{first, second} {
				assert.NotContains(t, out.stdout+out.stderr, pgPassword)
			}
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			for _, e := range entries {
				assert.NotContains(t, e.Name(), "password", "no file is named after the connection string")
				assert.NotEqual(t, ".db", filepath.Ext(e.Name()))
				if !e.IsDir() {
					data, err := os.ReadFile(filepath.Join(dir, e.Name()))
					require.NoError(t, err)
					assert.NotContains(t, string(data), pgPassword, "%s holds no password", e.Name())
				}
			}
		})
	}
}
