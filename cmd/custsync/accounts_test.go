package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter/vendors"
	"github.com/custsync/custsync/sandbox"
)

func lookupOf(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

func TestWorkerAccountsFromTheEnvironment(t *testing.T) {
	t.Parallel()
	creds := sandbox.DefaultCredentials()
	env := map[string]string{
		// The default account: the vendor's own variables.
		"UPWELL_API_KEY": creds.UpwellAPIKey,
		// acme-eu: a named account, '-' as '_', with a base URL.
		"CUSTSYNC_ACCOUNT_ACME_EU_BILLBEE_API_KEY":      creds.BillbeeAPIKey,
		"CUSTSYNC_ACCOUNT_ACME_EU_BILLBEE_USERNAME":     creds.BillbeeUsername,
		"CUSTSYNC_ACCOUNT_ACME_EU_BILLBEE_API_PASSWORD": creds.BillbeeAPIPassword,
		"CUSTSYNC_ACCOUNT_ACME_EU_BASE_URL":             "http://127.0.0.1:9/billbee",
	}

	t.Run("without --accounts the worker serves the default account, with the vendor's own variables", func(t *testing.T) {
		t.Parallel()
		w, serves, err := newWorkerAccounts("", nil, lookupOf(env), nil)
		require.NoError(t, err)
		assert.Equal(t, []string{"default"}, w.Names())
		assert.Equal(t, []vendors.Name{vendors.Upwell}, serves["default"])
	})

	t.Run("a named account reads CUSTSYNC_ACCOUNT_<NAME>_ variables and its base URL", func(t *testing.T) {
		t.Parallel()
		w, serves, err := newWorkerAccounts("", []string{"acme-eu"}, lookupOf(env), nil)
		require.NoError(t, err)
		assert.Equal(t, []string{"acme-eu"}, w.Names())
		assert.Equal(t, []vendors.Name{vendors.Billbee}, serves["acme-eu"])
		c, err := w.Client(context.Background(), vendors.Billbee, "acme-eu")
		require.NoError(t, err)
		again, err := w.Client(context.Background(), vendors.Billbee, "acme-eu")
		require.NoError(t, err)
		assert.Same(t, c, again, "the account's shards share one client, and so its pacing")
		_, err = w.Client(context.Background(), vendors.Upwell, "acme-eu")
		assert.ErrorContains(t, err, "CUSTSYNC_ACCOUNT_ACME_EU_UPWELL_API_KEY is not set", "a job for a vendor the account has no credentials for fails naming the variable")
		_, err = w.Client(context.Background(), vendors.Billbee, "globex")
		assert.ErrorContains(t, err, `does not serve account "globex"`)
	})

	t.Run("an account without any vendor's credentials is refused, naming its variables and no value", func(t *testing.T) {
		t.Parallel()
		_, _, err := newWorkerAccounts("", []string{"globex"}, lookupOf(env), nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "CUSTSYNC_ACCOUNT_GLOBEX_BILLBEE_API_KEY")
		assert.NotContains(t, err.Error(), creds.BillbeeAPIKey)
	})

	t.Run("a name that is no account name is refused", func(t *testing.T) {
		t.Parallel()
		_, _, err := newWorkerAccounts("", []string{"ACME"}, lookupOf(env), nil)
		assert.ErrorContains(t, err, `--accounts: account "ACME": want 1 to 40 lower-case letters`)
	})
}

func TestWorkerAccountsFromACredentialsFile(t *testing.T) {
	t.Parallel()
	creds := sandbox.DefaultCredentials()
	const secret = "hunter2-secret"
	content := `accounts:
  acme:
    vendor: billbee
    baseURL: http://127.0.0.1:9/billbee
    env: {BILLBEE_API_KEY: ` + creds.BillbeeAPIKey + `, BILLBEE_USERNAME: ` + creds.BillbeeUsername + `, BILLBEE_API_PASSWORD: ` + secret + `}
  globex:
    vendor: upwell
    env: {UPWELL_API_KEY: ` + secret + `}
`
	write := func(t *testing.T, content string, mode os.FileMode) string {
		path := filepath.Join(t.TempDir(), "accounts.yaml")
		require.NoError(t, os.WriteFile(path, []byte(content), mode))
		require.NoError(t, os.Chmod(path, mode))
		return path
	}

	t.Run("its accounts are served, each for its vendor, and nothing of the environment", func(t *testing.T) {
		t.Parallel()
		path := write(t, content, 0o600)
		w, serves, err := newWorkerAccounts(path, nil, lookupOf(map[string]string{"UPWELL_API_KEY": "from-env"}), nil)
		require.NoError(t, err)
		assert.Equal(t, []string{"acme", "globex"}, w.Names())
		assert.Equal(t, map[string][]vendors.Name{"acme": {vendors.Billbee}, "globex": {vendors.Upwell}}, serves)
		_, err = w.Client(context.Background(), vendors.Upwell, "acme")
		assert.ErrorContains(t, err, `account "acme" is for billbee`)
	})

	t.Run("--accounts picks some of them", func(t *testing.T) {
		t.Parallel()
		w, _, err := newWorkerAccounts(write(t, content, 0o600), []string{"globex"}, lookupOf(nil), nil)
		require.NoError(t, err)
		assert.Equal(t, []string{"globex"}, w.Names())
		_, _, err = newWorkerAccounts(write(t, content, 0o600), []string{"initech"}, lookupOf(nil), nil)
		assert.ErrorContains(t, err, `has no account "initech"`)
	})

	refusals := []struct {
		name, content string
		mode          os.FileMode
		want          string
	}{
		{"a file others may read is refused, like an ssh key", content, 0o640, "chmod 600"},
		{"an unknown key is refused", "accounts:\n  acme:\n    vendor: billbee\n    password: " + secret + "\n", 0o600, "field password not found"},
		{"a value where a mapping belongs is refused without the value", "accounts:\n  acme:\n    vendor: billbee\n    env: " + secret + "\n", 0o600, "cannot unmarshal"},
		{"a missing variable is named", "accounts:\n  acme:\n    vendor: upwell\n    env: {UPWELL_SOURCE_SYSTEM: " + secret + "}\n", 0o600, "UPWELL_API_KEY is not set in the env of the account"},
		{"an unknown vendor is named", "accounts:\n  acme:\n    vendor: bilbee\n    env: {}\n", 0o600, `vendor "bilbee"`},
		{"a file without accounts is refused", "accounts: {}\n", 0o600, "names no account"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := newWorkerAccounts(write(t, tt.content, tt.mode), nil, lookupOf(nil), nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), secret)
		})
	}
}
