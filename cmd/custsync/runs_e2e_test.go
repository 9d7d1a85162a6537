package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// runsKinds are the two stores the run log tests run against, each named
// with a password where the store takes one (the test server trusts any),
// which no output may print.
func runsKinds() []struct {
	name  string
	state func(t *testing.T, dir string) string
} {
	return []struct {
		name  string
		state func(t *testing.T, dir string) string
	}{
		{"sqlite", func(_ *testing.T, dir string) string { return filepath.Join(dir, "state.db") }},
		{"postgres", func(t *testing.T, _ string) string {
			u, err := url.Parse(postgresServer(t).NewDatabase(t))
			require.NoError(t, err)
			u.User = url.UserPassword("postgres", pgPassword)
			return u.String()
		}},
	}
}

// decodeExact decodes out's stdout, one JSON object, into v, and returns
// its top-level keys.
func decodeExact(t *testing.T, out outcome, v any) []string {
	t.Helper()
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(out.stdout), &raw), "stdout is one JSON object: %s", out.stdout)
	require.NoError(t, json.Unmarshal([]byte(out.stdout), v))
	return slices.Sorted(func(yield func(string) bool) {
		for k := range raw {
			if !yield(k) {
				return
			}
		}
	})
}

// runKeys are the keys of a run in runs and explain --json.
var runKeys = []string{"id", "vendor", "account", "input", "host", "pid", "started", "ended", "finished", "elapsedSeconds",
	"exitCode", "records", "succeeded", "unchanged", "failed", "notSent", "byCode", "stop", "failuresFile"}

func keysOf(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &m))
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

// A push with failures, then runs and explain, as the nightly recipe
// uses them: the run with its counts, exit status and failures file; a
// failed customer's failure after its failures file is gone; a confirmed
// customer with the run that confirmed it; one the store never met.
func TestRunsAndExplainShowAPushWithFailures(t *testing.T) {
	t.Parallel()
	for _, kind := range runsKinds() {
		t.Run("with the "+kind.name+" store", func(t *testing.T) {
			t.Parallel()
			srv := newSandbox(t, sandbox.WithSyntheticCustomers(5))
			dir := t.TempDir()
			state := kind.state(t, dir)
			var outputs []outcome
			run := func(args ...string) outcome {
				out := runBinary(t, invocation{args: args, env: demoEnv(specs.Upwell), dir: dir})
				outputs = append(outputs, out)
				return out
			}
			input := writeFile(t, dir, "export.jsonl", strings.Join([]string{
				`{"id": "S-00001", "name": "One"}`,
				`{"id": "S-99999", "name": "Missing"}`, // NotFound
				`not json`,                             // InvalidArgument, no customer
				`{"id": "S-00002", "name": "Two"}`,
				`{"id": "S-99999", "name": "Missing again"}`, // held back: FailedPrecondition
			}, "\n")+"\n")
			base := srv.URL(specs.Upwell)

			push := run("push", "--vendor", "upwell", "--base-url", base, "--file", input, "--state", state, "--json")
			require.Equal(t, exitFailed, push.code)
			var summary pushSummaryJSON
			require.NoError(t, json.Unmarshal([]byte(push.stdout), &summary))
			failuresFile := summary.FailuresFile
			require.True(t, filepath.IsAbs(failuresFile), "named after the input, an absolute path: %s", failuresFile)
			require.FileExists(t, failuresFile)

			dry := run("push", "--vendor", "upwell", "--base-url", base, "--file", input, "--state", state, "--dry-run")
			require.Equal(t, exitFailed, dry.code, "a dry run records nothing, its run neither")
			assert.NotContains(t, dry.stdout, "recorded as run")

			// runs --json: every key, and what the push did.
			listed := run("runs", "--state", state, "--json")
			require.Equal(t, exitOK, listed.code, listed.stderr)
			var runs struct {
				State string            `json:"state"`
				Runs  []json.RawMessage `json:"runs"`
			}
			assert.Equal(t, []string{"runs", "state"}, decodeExact(t, listed, &runs))
			assert.Equal(t, strings.ReplaceAll(state, pgPassword, "xxxxx"), runs.State)
			require.Len(t, runs.Runs, 1, "one run: the dry run is not one")
			assert.ElementsMatch(t, runKeys, keysOf(t, runs.Runs[0]))
			var got runJSON
			require.NoError(t, json.Unmarshal(runs.Runs[0], &got))
			require.NotNil(t, got.ExitCode)
			require.NotNil(t, got.Ended)
			require.NotNil(t, got.ElapsedSeconds)
			assert.Equal(t, exitFailed, *got.ExitCode)
			assert.True(t, got.Finished)
			assert.Equal(t, "upwell", got.Vendor)
			assert.Equal(t, input, got.Input)
			assert.Equal(t, failuresFile, got.FailuresFile)
			assert.Equal(t, []int{5, 2, 0, 3, 0}, []int{got.Records, got.Succeeded, got.Unchanged, got.Failed, got.NotSent})
			assert.Equal(t, map[string]int{"NotFound": 1, "InvalidArgument": 1, "FailedPrecondition": 1}, got.ByCode)
			assert.Empty(t, got.Stop)
			assert.Positive(t, got.PID)
			started, err := time.Parse(time.RFC3339Nano, got.Started)
			require.NoError(t, err)
			pushStarted, err := time.Parse(time.RFC3339, summary.Started)
			require.NoError(t, err)
			assert.WithinDuration(t, pushStarted, started, 2*time.Second, "the run started when the push says it did")
			assert.NotContains(t, push.stderr, "could not record", "the run log took the run and its failures")

			// runs, for people.
			text := run("runs", "--state", state)
			require.Equal(t, exitOK, text.code)
			assert.Contains(t, text.stdout, fmt.Sprintf("run %d: upwell, account %s, started %s, took ", got.ID, got.Account, got.Started))
			assert.Contains(t, text.stdout, ": exit 1, some records failed\n")
			assert.Contains(t, text.stdout, "  input "+input+": 5 records: 2 succeeded, 0 unchanged, 3 failed, 0 not sent (FailedPrecondition 1, InvalidArgument 1, NotFound 1)\n")
			assert.Contains(t, text.stdout, "  failures in "+failuresFile+"\n")

			// explain, after the failures file is gone.
			require.NoError(t, os.Remove(failuresFile))
			failed := run("explain", "--state", state, "--vendor", "upwell", "--base-url", base, "S-99999", "--json")
			require.Equal(t, exitFailed, failed.code, failed.stderr)
			var story explainJSON
			assert.ElementsMatch(t, []string{"state", "vendor", "account", "id", "key", "status", "record", "lastFailure"}, decodeExact(t, failed, &story))
			assert.Equal(t, statusFailed, story.Status)
			assert.Equal(t, `["`+sandbox.UpwellSourceSystem+`","S-99999"]`, story.Key)
			assert.Equal(t, got.Account, story.Account, "explain finds the account push recorded under")
			require.NotNil(t, story.LastFailure)
			assert.Equal(t, 2, story.LastFailure.Line, "the customer's first failure, not the line held back behind it")
			assert.Equal(t, "NotFound", story.LastFailure.Code)
			assert.Contains(t, story.LastFailure.Message, "S-99999")
			assert.Equal(t, got.ID, story.LastFailure.RunID)
			require.NotNil(t, story.LastFailure.Run)
			assert.Equal(t, got, *story.LastFailure.Run)

			text = run("explain", "--state", state, "--vendor", "upwell", "--base-url", base, "S-99999")
			require.Equal(t, exitFailed, text.code)
			assert.Contains(t, text.stdout, "  status: failed: its last update failed; fix its line and push it again\n")
			assert.Contains(t, text.stdout, fmt.Sprintf(" by run %d (started %s, input %s): nothing confirmed: ", got.ID, got.Started, input))
			assert.Contains(t, text.stdout, fmt.Sprintf(" in run %d, line 2: NotFound (HTTP ", got.ID))

			confirmed := run("explain", "--vendor", "upwell", "--json", "--state", state, "--base-url", base, "S-00001")
			require.Equal(t, exitOK, confirmed.code, confirmed.stderr)
			story = explainJSON{}
			decodeExact(t, confirmed, &story)
			assert.Equal(t, statusConfirmed, story.Status)
			assert.Nil(t, story.LastFailure)
			require.NotNil(t, story.Record)
			assert.Equal(t, []any{1, true}, []any{story.Record.ConfirmedLines, story.Record.Whole})
			require.NotNil(t, story.Record.Run, "the run that confirmed it")
			assert.Equal(t, got.ID, story.Record.Run.ID)
			rec, ok := srv.Customer(specs.Upwell, "S-00001")
			require.True(t, ok)
			assert.Equal(t, rec["id"], story.Record.VendorID)

			unknown := run("explain", "--state", state, "--vendor", "upwell", "--base-url", base, "S-00003")
			assert.Equal(t, exitNothing, unknown.code)
			assert.Contains(t, unknown.stdout, "  status: unknown: ")

			elsewhere := run("explain", "--state", state, "--vendor", "upwell", "S-00001")
			assert.Equal(t, exitNothing, elsewhere.code, "without the push's --base-url, another account")
			assert.Contains(t, elsewhere.stderr, "the upwell runs in this store were under account "+got.Account)

			// A second night lists first.
			again := run("push", "--vendor", "upwell", "--base-url", base, "--file", input, "--state", state)
			require.Equal(t, exitFailed, again.code)
			assert.Contains(t, again.stdout, fmt.Sprintf("push: recorded as run %d; list the runs with: custsync runs --state %s\n",
				got.ID+1, shellQuote(strings.ReplaceAll(state, pgPassword, "xxxxx"))))
			listed = run("runs", "--state", state, "--json", "--limit", "1")
			require.Equal(t, exitOK, listed.code)
			decodeExact(t, listed, &runs)
			require.Len(t, runs.Runs, 1)
			var second runJSON
			require.NoError(t, json.Unmarshal(runs.Runs[0], &second))
			assert.Equal(t, got.ID+1, second.ID)
			assert.Equal(t, []int{5, 0, 2, 3, 0}, []int{second.Records, second.Succeeded, second.Unchanged, second.Failed, second.NotSent})

			for _, out := range outputs {
				for _, secret := range []string{pgPassword, sandbox.UpwellAPIKey} {
					assert.NotContains(t, out.stdout+out.stderr, secret)
				}
			}
		})
	}
}

// A push killed with kill -9 stays listed as unfinished, with the process
// that ran it; one that stops at its --deadline is listed with why.
func TestRunsListsAKilledPushAsUnfinishedAndAStoppedOneWithWhy(t *testing.T) {
	t.Parallel()
	for _, kind := range runsKinds() {
		t.Run("with the "+kind.name+" store", func(t *testing.T) {
			t.Parallel()
			gate := &gatedUpwell{free: 3, release: make(chan struct{}), updated: map[string]bool{}}
			srv := httptest.NewServer(gate)
			t.Cleanup(srv.Close)
			var once sync.Once
			t.Cleanup(func() { once.Do(func() { close(gate.release) }) })
			dir := t.TempDir()
			state := kind.state(t, dir)
			var lines []string
			for i := 1; i <= 20; i++ {
				lines = append(lines, fmt.Sprintf(`{"id": "R-%03d", "name": "Customer %d"}`, i, i))
			}
			input := writeFile(t, dir, "big.jsonl", strings.Join(lines, "\n")+"\n")
			env := map[string]string{"UPWELL_API_KEY": "k-1234", "UPWELL_SOURCE_SYSTEM": "ERP"}

			cmd := childCommand(t, t.Context(), invocation{
				args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL, "--file", input, "--concurrency", "1", "--state", state},
				env:  env, dir: dir,
			})
			require.NoError(t, cmd.Start())
			require.Eventually(t, func() bool { return gate.seen.Load() > gate.free }, 20*time.Second, 10*time.Millisecond,
				"three records went through, the fourth is held")
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			_ = cmd.Wait()

			out := runBinary(t, invocation{args: []string{"runs", "--state", state, "--json"}, dir: dir})
			require.Equal(t, exitOK, out.code, out.stderr)
			var runs runsJSON
			decodeExact(t, out, &runs)
			require.Len(t, runs.Runs, 1)
			killed := runs.Runs[0]
			assert.False(t, killed.Finished)
			assert.Nil(t, killed.Ended)
			assert.Nil(t, killed.ExitCode)
			assert.Nil(t, killed.ElapsedSeconds)
			assert.Equal(t, cmd.Process.Pid, killed.PID)

			text := runBinary(t, invocation{args: []string{"runs", "--state", state}, dir: dir})
			hostname, err := os.Hostname()
			require.NoError(t, err)
			assert.Contains(t, text.stdout, fmt.Sprintf(": unfinished: still running, or killed (process %d on %s)\n", killed.PID, hostname))

			story := runBinary(t, invocation{args: []string{"explain", "--state", state, "--vendor", "upwell", "--base-url", srv.URL, "--json", "R-001"}, env: env, dir: dir})
			require.Equal(t, exitOK, story.code, story.stderr)
			var explained explainJSON
			decodeExact(t, story, &explained)
			require.NotNil(t, explained.Record)
			require.NotNil(t, explained.Record.Run)
			assert.Equal(t, killed.ID, explained.Record.Run.ID, "confirmed by the killed run")

			stopped := runBinary(t, invocation{
				args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL, "--file", input, "--state", state, "--deadline", "1ns"},
				env:  env, dir: dir,
			})
			require.Equal(t, exitIncomplete, stopped.code)
			out = runBinary(t, invocation{args: []string{"runs", "--state", state, "--json"}, dir: dir})
			require.Equal(t, exitOK, out.code)
			decodeExact(t, out, &runs)
			require.Len(t, runs.Runs, 2)
			last := runs.Runs[0]
			assert.Equal(t, killed.ID+1, last.ID)
			require.NotNil(t, last.ExitCode)
			assert.Equal(t, exitIncomplete, *last.ExitCode)
			assert.Equal(t, "the --deadline of 1ns passed", last.Stop)
			assert.Equal(t, 20, last.Records)
			assert.Equal(t, map[string]int{"Canceled": last.NotSent}, last.ByCode)
			text = runBinary(t, invocation{args: []string{"runs", "--state", state, "--limit", "1"}, dir: dir})
			assert.Contains(t, text.stdout, ": exit 3, not every record was tried\n")
			assert.Contains(t, text.stdout, "  stopped: the --deadline of 1ns passed\n")
		})
	}
}

// runs and explain only read: a state file they may not write will do,
// and they change not a byte of it; a path where no file is, is named and
// not created; a store an older custsync wrote has no runs yet.
func TestRunsAndExplainOnlyRead(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t, sandbox.WithSyntheticCustomers(2))
	dir := sharedDir(t)
	state := filepath.Join(dir, "state.db")
	out := pushTo(t, srv, specs.Billbee, dir, `{"id": "`+sandbox.SyntheticID(specs.Billbee, 1)+`", "name": "One"}`+"\n", "--state", state)
	require.Equal(t, exitOK, out.code, out.stderr)
	// Permissions bite: neither the state nor its directory may be
	// written by the user runs and explain run as.
	require.NoError(t, os.Chmod(state, 0o444))
	require.NoError(t, os.Chmod(dir, 0o555))
	t.Cleanup(func() { assert.NoError(t, os.Chmod(dir, 0o755)) })

	before := dirState(t, dir)
	for _, args := range [][]string{
		{"runs", "--state", state},
		{"runs", "--state", state, "--vendor", "billbee", "--json"},
		{"explain", "--state", state, "--vendor", "billbee", "--base-url", srv.URL(specs.Billbee), sandbox.SyntheticID(specs.Billbee, 1)},
	} {
		got := runBinary(t, invocation{args: args, env: demoEnv(specs.Billbee), dir: dir, as: unprivileged(t)})
		assert.Equal(t, exitOK, got.code, "%v: %s", args, got.stderr)
	}
	assert.Equal(t, before, dirState(t, dir), "no file was created, removed or changed")

	noRuns := runBinary(t, invocation{args: []string{"runs", "--state", state, "--vendor", "bluetape"}, dir: dir})
	assert.Equal(t, exitNothing, noRuns.code)
	assert.Equal(t, "custsync runs: "+state+" holds no run of bluetape; every push with --state records its run\n", noRuns.stderr)

	missing := filepath.Join(dir, "stat.db")
	for _, args := range [][]string{
		{"runs", "--state", missing},
		{"explain", "--state", missing, "--vendor", "billbee", "1"},
	} {
		got := runBinary(t, invocation{args: args, env: demoEnv(specs.Billbee), dir: dir})
		assert.Equal(t, exitUsage, got.code, "%v", args)
		assert.Contains(t, got.stderr, "--state: there is no state file at "+missing)
		assert.NoFileExists(t, missing)
	}

	none := runBinary(t, invocation{args: []string{"runs"}, dir: dir})
	assert.Equal(t, exitUsage, none.code)
	assert.Contains(t, none.stderr, "--state is required (or set CUSTSYNC_STATE)")
	fromEnv := runBinary(t, invocation{args: []string{"runs"}, env: map[string]string{"CUSTSYNC_STATE": state}, dir: dir})
	assert.Equal(t, exitOK, fromEnv.code, "CUSTSYNC_STATE names the store, as for push")

	noCredentials := runBinary(t, invocation{args: []string{"explain", "--state", state, "--vendor", "billbee", "1"}, dir: dir})
	assert.Equal(t, exitUsage, noCredentials.code)
	assert.Contains(t, noCredentials.stderr, "BILLBEE_API_KEY")
	assert.Contains(t, noCredentials.stderr, "it sends nothing")
}

// A state file an older custsync wrote (schema 1, no run log): runs says
// it holds no run, read-only; the next push migrates it and records its
// run beside the old records.
func TestRunsOfAStoreAnOlderCustsyncWrote(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t, sandbox.WithSyntheticCustomers(2))
	dir := t.TempDir()
	state := filepath.Join(dir, "state.db")
	input := `{"id": "` + sandbox.SyntheticID(specs.Billbee, 1) + `", "name": "One"}` + "\n"
	require.Equal(t, exitOK, pushTo(t, srv, specs.Billbee, dir, input, "--state", state).code)
	db, err := sql.Open("sqlite", state)
	require.NoError(t, err)
	_, err = db.Exec(`DROP TABLE runs; DROP TABLE failures; PRAGMA user_version = 1`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	out := runBinary(t, invocation{args: []string{"runs", "--state", state}, dir: dir})
	assert.Equal(t, exitNothing, out.code)
	assert.Contains(t, out.stderr, "holds no run")
	dry := pushTo(t, srv, specs.Billbee, dir, input, "--state", state, "--dry-run", "--json")
	require.Equal(t, exitOK, dry.code, "a dry run reads the older schema as it is: %s", dry.stderr)
	assert.Equal(t, pushJSONOut{Unchanged: 1, DryRun: true}, decodePush(t, dry))

	again := pushTo(t, srv, specs.Billbee, dir, input, "--state", state, "--json")
	require.Equal(t, exitOK, again.code)
	assert.Equal(t, pushJSONOut{Unchanged: 1}, decodePush(t, again), "the older records are kept")
	out = runBinary(t, invocation{args: []string{"runs", "--state", state, "--json"}, dir: dir})
	require.Equal(t, exitOK, out.code)
	var runs runsJSON
	decodeExact(t, out, &runs)
	require.Len(t, runs.Runs, 1)
	assert.Equal(t, 1, runs.Runs[0].Unchanged)
}

func TestRunsAndExplainHelp(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{"runs", "explain"} {
		out := runBinary(t, invocation{args: []string{cmd, "--help"}})
		assert.Equal(t, exitOK, out.code)
		assert.True(t, strings.HasPrefix(out.stdout, "Usage: custsync "+cmd), out.stdout)
		assert.Contains(t, out.stdout, "Exit status:")
		assert.Contains(t, out.stdout, "Examples:")
		assert.Contains(t, out.stdout, "  --state PATH\n")
		assert.Empty(t, out.stderr)
	}
}
