package main

import (
	"crypto/sha256"
	"encoding/json"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

func TestUpdateDryRunAndUnchanged(t *testing.T) {
	t.Parallel()

	t.Run("a Billbee dry run reads, prints each change and writes nothing", func(t *testing.T) {
		t.Parallel()
		srv := newSandbox(t)
		before, _ := srv.Customer(specs.Billbee, "100000150176895")
		out := runBinary(t, invocation{
			args:  []string{"update", "--vendor", "billbee", "--base-url", srv.URL(specs.Billbee), "--dry-run"},
			env:   demoEnv(specs.Billbee),
			stdin: `{"id": "100000150176895", "name": "Max Mustermann GmbH", "vatId": null, "billbee": {"type": 0}}`,
		})
		require.Equal(t, exitOK, out.code)
		assert.Equal(t, "billbee 100000150176895: dry run, nothing written; PUT /api/v1/customers/100000150176895 would change 2 fields:\n"+
			"  name (Name): \"Max\" -> \"Max Mustermann GmbH\"\n"+
			"  vatId (VatId): \"1234\" -> null\n", out.stdout)
		assert.EqualValues(t, 1, srv.Stats(specs.Billbee).Requests, "one GET, no PUT")
		after, _ := srv.Customer(specs.Billbee, "100000150176895")
		assert.Equal(t, before, after)
	})

	for _, v := range []struct {
		vendor specs.Vendor
		input  string
		path   string
	}{
		{specs.Upwell, `{"id": "C-1001", "email": "payables@acme.example"}`, "/api/rest/customers"},
		{specs.BlueTape, `{"id": "dc506b22c7fa", "firstName": "John", "lastName": "Doe", "email": "john@example.com", "phone": "+11234567890", "modifiedAt": "2023-01-04T09:47:57.477Z"}`, "/integration/customer/dc506b22c7fa"},
	} {
		t.Run("a "+string(v.vendor)+" dry run sends no request and prints the body as JSON", func(t *testing.T) {
			t.Parallel()
			srv := newSandbox(t)
			out := runBinary(t, invocation{
				args:  []string{"update", "--vendor", string(v.vendor), "--base-url", srv.URL(v.vendor), "--dry-run", "--json"},
				env:   demoEnv(v.vendor),
				stdin: v.input,
			})
			require.Equal(t, exitOK, out.code)
			var got struct {
				DryRun struct {
					Method string          `json:"method"`
					Path   string          `json:"path"`
					Body   json.RawMessage `json:"body"`
				} `json:"dryRun"`
				Attempts int `json:"attempts"`
			}
			require.NoError(t, json.Unmarshal([]byte(out.stdout), &got))
			assert.Equal(t, "PUT", got.DryRun.Method)
			assert.Equal(t, v.path, got.DryRun.Path)
			assert.NotEmpty(t, got.DryRun.Body)
			assert.Zero(t, got.Attempts)
			assert.Zero(t, srv.Stats(v.vendor).Requests, "nothing reached the vendor")
		})
	}

	t.Run("a Billbee update that changes nothing says unchanged after one request", func(t *testing.T) {
		t.Parallel()
		srv := newSandbox(t)
		out := runBinary(t, invocation{
			args:  []string{"update", "--vendor", "billbee", "--base-url", srv.URL(specs.Billbee), "--json"},
			env:   demoEnv(specs.Billbee),
			stdin: `{"id": "100000150176895", "name": "Max"}`,
		})
		require.Equal(t, exitOK, out.code)
		var got map[string]any
		require.NoError(t, json.Unmarshal([]byte(out.stdout), &got))
		assert.Equal(t, true, got["unchanged"])
		assert.EqualValues(t, 1, got["attempts"])
		assert.EqualValues(t, 1, srv.Stats(specs.Billbee).Requests, "one GET, no PUT")
	})
}

// A dry run writes nothing anywhere: no state file or table, no failures
// file, not a byte of an existing state, and it reads a state that it may
// not write.
func TestPushDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	const valid, notJSON, badEmail = `{"id":"C-1001","email":"x@acme.example"}` + "\n", "not json\n", `{"id":"C-1002","email":"not an e-mail"}` + "\n"

	t.Run("a dry run with a state that does not exist creates no state and no failures file, though records fail", func(t *testing.T) {
		t.Parallel()
		srv := newSandbox(t)
		dir := t.TempDir()
		input := writeFile(t, dir, "export.jsonl", valid+notJSON+badEmail)
		state := filepath.Join(dir, "state.db")
		before := dirState(t, dir)
		out := runBinary(t, invocation{args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell),
			"--file", input, "--state", state, "--dry-run", "--json"}, env: demoEnv(specs.Upwell), dir: dir})
		assert.Equal(t, exitFailed, out.code, out.stderr)
		got := decodeSummary(t, out)
		assert.Equal(t, true, got["dryRun"])
		assert.EqualValues(t, 1, got["succeeded"], "the valid record would be sent")
		assert.EqualValues(t, 2, got["failed"], "the two invalid ones are counted")
		assert.Equal(t, "", got["failuresFile"], "and written to no file")
		assert.Contains(t, out.stderr, "line 2: ", "each failure is on stderr")
		assert.Contains(t, out.stderr, "line 3: ")
		assert.Equal(t, before, dirState(t, dir), "no state, no failures file, nothing beside them")
		assert.Zero(t, srv.Stats(specs.Upwell).Requests)
	})

	t.Run("a dry run on a state that a push left read-only changes not a byte of it", func(t *testing.T) {
		t.Parallel()
		for _, tt := range []struct {
			name string
			as   *syscall.Credential
			// lock makes the directory read-only too.
			lock bool
		}{
			// Root may write a 0444 file: the bytes and times tell.
			{"run by the test's own user", nil, false},
			// Permissions bite: custsync may open nothing for writing.
			{"run by a user who may write neither the state nor its directory", unprivileged(t), true},
		} {
			t.Run(tt.name, func(t *testing.T) {
				const n = 3
				srv := newSandbox(t, sandbox.WithSyntheticCustomers(n))
				dir := sharedDir(t)
				state := filepath.Join(dir, "state.db")
				last := writeFile(t, dir, "last-night.jsonl", upwellExport(n, nil))
				tonight := writeFile(t, dir, "tonight.jsonl", upwellExport(n, map[int]bool{2: true}))
				lastNight := runBinary(t, invocation{args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell),
					"--file", last, "--state", state, "--json"}, env: demoEnv(specs.Upwell), dir: dir})
				require.Equal(t, exitOK, lastNight.code, lastNight.stderr)
				require.NoError(t, os.Chmod(state, 0o444))
				if tt.lock {
					require.NoError(t, os.Chmod(dir, 0o555))
					t.Cleanup(func() { assert.NoError(t, os.Chmod(dir, 0o755)) })
				}
				sent := srv.Stats(specs.Upwell).Requests
				before := dirState(t, dir)

				out := runBinary(t, invocation{args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell),
					"--file", tonight, "--state", state, "--dry-run", "--json"}, env: demoEnv(specs.Upwell), dir: dir, as: tt.as})
				require.Equal(t, exitOK, out.code, out.stderr)
				got := decodeSummary(t, out)
				assert.EqualValues(t, 1, got["succeeded"], "the changed record would be sent")
				assert.EqualValues(t, 2, got["unchanged"], "the state was read")
				assert.Equal(t, before, dirState(t, dir), "the state file's bytes and times are as they were, and no file was added, even for a moment")
				assert.Equal(t, sent, srv.Stats(specs.Upwell).Requests)
			})
		}
	})

	t.Run("a dry run against a PostgreSQL database no push wrote creates no table", func(t *testing.T) {
		t.Parallel()
		srv := newSandbox(t)
		url := postgresServer(t).NewDatabase(t)
		dir := t.TempDir()
		input := writeFile(t, dir, "export.jsonl", valid)
		out := runBinary(t, invocation{args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell),
			"--file", input, "--state", url, "--dry-run", "--json"}, env: demoEnv(specs.Upwell), dir: dir})
		require.Equal(t, exitOK, out.code, out.stderr)
		assert.EqualValues(t, 1, decodeSummary(t, out)["succeeded"])
		assert.Empty(t, pgState(t, url), "no table was created")
	})

	t.Run("a dry run against a PostgreSQL database a push wrote changes no row", func(t *testing.T) {
		t.Parallel()
		const n = 3
		srv := newSandbox(t, sandbox.WithSyntheticCustomers(n))
		url := postgresServer(t).NewDatabase(t)
		dir := t.TempDir()
		last := writeFile(t, dir, "last-night.jsonl", upwellExport(n, nil))
		tonight := writeFile(t, dir, "tonight.jsonl", upwellExport(n, map[int]bool{2: true})+badEmail)
		lastNight := runBinary(t, invocation{args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell),
			"--file", last, "--state", url, "--json"}, env: demoEnv(specs.Upwell), dir: dir})
		require.Equal(t, exitOK, lastNight.code, lastNight.stderr)
		rows := pgState(t, url)
		require.Len(t, rows, 1+n, "the schema version and a row per customer")
		files := dirState(t, dir)

		out := runBinary(t, invocation{args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell),
			"--file", tonight, "--state", url, "--dry-run", "--json"}, env: demoEnv(specs.Upwell), dir: dir})
		assert.Equal(t, exitFailed, out.code, out.stderr)
		got := decodeSummary(t, out)
		assert.EqualValues(t, 1, got["succeeded"])
		assert.EqualValues(t, n-1, got["unchanged"])
		assert.EqualValues(t, 1, got["failed"])
		assert.Equal(t, rows, pgState(t, url), "every row as it was, not even rewritten with the same values")
		assert.Equal(t, files, dirState(t, dir), "and no failures file")
	})

	t.Run("the hint to check again keeps --dry-run", func(t *testing.T) {
		t.Parallel()
		srv := newSandbox(t)
		dir := t.TempDir()
		input := writeFile(t, dir, "export.jsonl", valid+badEmail)
		state := filepath.Join(dir, "state.db")
		out := runBinary(t, invocation{args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell),
			"--file", input, "--state", state, "--dry-run"}, env: demoEnv(specs.Upwell), dir: dir})
		assert.Equal(t, exitFailed, out.code, out.stderr)
		var hint string
		for line := range strings.SplitSeq(out.stdout, "\n") {
			if strings.Contains(line, "custsync push ") {
				hint = line
			}
		}
		require.NotEmpty(t, hint, "a line says how to run it again: %s", out.stdout)
		assert.Contains(t, hint, " --dry-run", "a dry run's hint runs a dry run")
		assert.Contains(t, hint, " --state "+state)
		assert.Contains(t, hint, " --file "+input, "of the input: there is no failures file")
	})

	t.Run("--failures with --dry-run is refused: a dry run writes no file", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		input := writeFile(t, dir, "export.jsonl", valid)
		out := runBinary(t, invocation{args: []string{"push", "--vendor", "upwell", "--sandbox",
			"--file", input, "--failures", filepath.Join(dir, "f.jsonl"), "--dry-run"}, env: demoEnv(specs.Upwell), dir: dir})
		assert.Equal(t, exitUsage, out.code)
		assert.Contains(t, out.stderr, "--failures")
		assert.NoFileExists(t, filepath.Join(dir, "f.jsonl"))
	})
}

func decodeSummary(t *testing.T, out outcome) map[string]any {
	t.Helper()
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(out.stdout), &got), "stdout: %s", out.stdout)
	return got
}

// fileState is what a write to a file changes.
type fileState struct {
	Mode    os.FileMode
	ModTime time.Time
	Sum     [sha256.Size]byte
}

// dirState is every entry of dir, by name, and dir itself as ".", whose
// times change when a file is created in it, even one removed again.
func dirState(t *testing.T, dir string) map[string]fileState {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	self, err := os.Stat(dir)
	require.NoError(t, err)
	out := map[string]fileState{".": {Mode: self.Mode(), ModTime: self.ModTime()}}
	for _, e := range entries {
		info, err := e.Info()
		require.NoError(t, err)
		var sum [sha256.Size]byte
		if info.Mode().IsRegular() {
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			require.NoError(t, err)
			sum = sha256.Sum256(data)
		}
		out[e.Name()] = fileState{Mode: info.Mode(), ModTime: info.ModTime(), Sum: sum}
	}
	return out
}

// pgState is every row of custsync's tables in the database at url, each
// with its xmin, which a write changes even when it writes the same
// values.
func pgState(t *testing.T, url string) []string {
	t.Helper()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer func() { assert.NoError(t, conn.Close(ctx)) }()
	var rows []string
	for _, q := range []struct{ table, query string }{
		{"custsync_schema", `SELECT format('schema %s %s', xmin, version) FROM custsync_schema`},
		{"custsync_sync_records", `SELECT format('record %s %s %s %s %s %s %s', xmin, vendor, account, key, digest, vendor_id, synced_at)
			FROM custsync_sync_records ORDER BY vendor, account, key`},
	} {
		var exists bool
		require.NoError(t, conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", q.table).Scan(&exists))
		if !exists {
			continue
		}
		r, err := conn.Query(ctx, q.query)
		require.NoError(t, err)
		got, err := pgx.CollectRows(r, pgx.RowTo[string])
		require.NoError(t, err)
		rows = append(rows, got...)
	}
	return rows
}

// unprivileged is the user to run custsync as where permissions must
// bite: nobody when the test runs as root, who may write any file; nil,
// the test's own user, otherwise.
func unprivileged(t *testing.T) *syscall.Credential {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("nobody")
	require.NoError(t, err, "running as root, the test needs the user nobody to run custsync without root's rights")
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	require.NoError(t, err)
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	require.NoError(t, err)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

// sharedDir is a temporary directory that any user may enter and read,
// unlike t.TempDir's.
func sharedDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "custsync-e2e-")
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, os.RemoveAll(dir)) })
	require.NoError(t, os.Chmod(dir, 0o755))
	return dir
}
