package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/internal/pgtest"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// The PostgreSQL server the state tests share, started on first use and
// stopped by TestMain.
var (
	pgOnce   sync.Once
	pgServer *pgtest.Server
	pgErr    error
)

func postgresServer(t testing.TB) *pgtest.Server {
	t.Helper()
	pgOnce.Do(func() { pgServer, pgErr = pgtest.Start() })
	require.NoError(t, pgErr, "the PostgreSQL state tests need a server")
	return pgServer
}

func stopPostgres() {
	if pgServer != nil {
		pgServer.Stop()
	}
}

// stateKinds are the two stores every state test runs against: a SQLite
// file in dir, and a fresh PostgreSQL database.
func stateKinds() []struct {
	name  string
	state func(t *testing.T, dir string) string
} {
	return []struct {
		name  string
		state func(t *testing.T, dir string) string
	}{
		{"sqlite", func(_ *testing.T, dir string) string { return filepath.Join(dir, "state.db") }},
		{"postgres", func(t *testing.T, _ string) string { return postgresServer(t).NewDatabase(t) }},
	}
}

// pushJSON is what push --json prints, as far as these tests read it.
type pushJSONOut struct {
	Succeeded int  `json:"succeeded"`
	Failed    int  `json:"failed"`
	NotSent   int  `json:"notSent"`
	Unchanged int  `json:"unchanged"`
	DryRun    bool `json:"dryRun"`
	// Rate is left out of equality checks: decodePush zeroes it.
	Rate float64 `json:"recordsPerSecond"`
}

func decodePush(t *testing.T, out outcome) pushJSONOut {
	t.Helper()
	var got pushJSONOut
	require.NoError(t, json.Unmarshal([]byte(out.stdout), &got), "stdout: %s", out.stdout)
	if got.Succeeded+got.Failed == 0 {
		assert.Zero(t, got.Rate, "no record was tried, so none was tried per second")
	}
	got.Rate = 0
	return got
}

// upwellExport is n Upwell lines for the sandbox's synthetic customers;
// changed lists the records (1-based) whose e-mail is tonight's.
func upwellExport(n int, changed map[int]bool) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		email := fmt.Sprintf("ap%d@example.com", i)
		if changed[i] {
			email = fmt.Sprintf("new%d@example.com", i)
		}
		fmt.Fprintf(&b, `{"id":%q,"name":"Customer %d","email":%q,"metadata":{"n":%d.0}}`+"\n", sandbox.SyntheticID(specs.Upwell, i), i, email, i)
	}
	return b.String()
}

func TestPushWithStateSendsOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	for _, kind := range stateKinds() {
		t.Run("with the "+kind.name+" store", func(t *testing.T) {
			t.Parallel()
			const n = 2000
			srv := newSandbox(t, sandbox.WithSyntheticCustomers(n))
			dir := t.TempDir()
			state := kind.state(t, dir)
			input := writeFile(t, dir, "export.jsonl", upwellExport(n, nil))
			push := func(extra ...string) pushJSONOut {
				args := append([]string{"push", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell),
					"--file", input, "--concurrency", "16", "--json"}, extra...)
				out := runBinary(t, invocation{args: args, env: demoEnv(specs.Upwell), dir: dir})
				require.Equal(t, exitOK, out.code, out.stderr)
				return decodePush(t, out)
			}

			first := push("--state", state)
			assert.Equal(t, pushJSONOut{Succeeded: n}, first)
			sent := srv.Stats(specs.Upwell).Requests
			assert.EqualValues(t, n, sent)

			second := push("--state", state)
			assert.Equal(t, pushJSONOut{Unchanged: n}, second, "the second night is all unchanged")
			assert.EqualValues(t, sent, srv.Stats(specs.Upwell).Requests, "and sends no request at all")

			changed := map[int]bool{}
			for i := 0; i < 20; i++ {
				changed[1+i*97] = true
			}
			require.NoError(t, os.WriteFile(input, []byte(upwellExport(n, changed)), 0o644))
			third := push("--state", state)
			assert.Equal(t, pushJSONOut{Succeeded: 20, Unchanged: n - 20}, third)
			assert.EqualValues(t, sent+20, srv.Stats(specs.Upwell).Requests, "exactly the 20 changed records are sent")
			for i := range changed {
				rec, ok := srv.Customer(specs.Upwell, sandbox.SyntheticID(specs.Upwell, i))
				require.True(t, ok)
				assert.Equal(t, fmt.Sprintf("new%d@example.com", i), rec["emailAddress"])
			}

			dry := push("--state", state, "--force", "--dry-run")
			assert.Equal(t, pushJSONOut{Succeeded: n, DryRun: true}, dry, "a forced dry run would send everything")
			assert.EqualValues(t, sent+20, srv.Stats(specs.Upwell).Requests, "and sends nothing")

			forced := push("--state", state, "--force")
			assert.Equal(t, pushJSONOut{Succeeded: n}, forced)
			assert.EqualValues(t, sent+20+n, srv.Stats(specs.Upwell).Requests)
		})
	}
}

func TestPushStateComesFromTheEnvironmentAndRefreshAfterResends(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t, sandbox.WithSyntheticCustomers(10))
	dir := t.TempDir()
	input := writeFile(t, dir, "export.jsonl", upwellExport(10, nil))
	env := demoEnv(specs.Upwell)
	env[envState] = filepath.Join(dir, "env-state.db")
	push := func(extra ...string) pushJSONOut {
		args := append([]string{"push", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell), "--file", input, "--json"}, extra...)
		out := runBinary(t, invocation{args: args, env: env, dir: dir})
		require.Equal(t, exitOK, out.code, out.stderr)
		return decodePush(t, out)
	}
	assert.Equal(t, pushJSONOut{Succeeded: 10}, push())
	assert.FileExists(t, env[envState])
	assert.Equal(t, pushJSONOut{Unchanged: 10}, push())
	assert.Equal(t, pushJSONOut{Unchanged: 10}, push("--refresh-after", "1h"), "confirmed a moment ago")
	time.Sleep(50 * time.Millisecond)
	assert.Equal(t, pushJSONOut{Succeeded: 10}, push("--refresh-after", "10ms"), "confirmed longer ago than 10ms")
	assert.Equal(t, pushJSONOut{Succeeded: 10}, push("--state", ""), "an empty --state turns the store off")
}

func TestPushDryRunSendsNoWriteForAnyVendor(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		vendor specs.Vendor
		lines  string
		reads  int64
	}{
		{specs.Upwell, `{"id":"C-1001","email":"x@acme.example"}` + "\n", 0},
		{specs.BlueTape, `{"id":"dc506b22c7fa","firstName":"J","lastName":"D","email":"j@example.com","phone":"+11234567890","modifiedAt":"2023-01-04T09:47:57.477Z"}` + "\n", 0},
		{specs.Billbee, `{"id":"100000150176895","name":"Max"}` + "\n" + `{"id":"100000150176895","name":"Max M"}` + "\n", 2},
	} {
		t.Run(string(tt.vendor), func(t *testing.T) {
			t.Parallel()
			srv := newSandbox(t)
			dir := t.TempDir()
			input := writeFile(t, dir, "in.jsonl", tt.lines)
			out := runBinary(t, invocation{args: []string{"push", "--vendor", string(tt.vendor), "--base-url", srv.URL(tt.vendor),
				"--file", input, "--dry-run", "--json"}, env: demoEnv(tt.vendor), dir: dir})
			require.Equal(t, exitOK, out.code, out.stderr)
			got := decodePush(t, out)
			assert.True(t, got.DryRun)
			assert.Equal(t, tt.reads, srv.Stats(tt.vendor).Requests, "only Billbee's reads")
			if tt.vendor == specs.Billbee {
				assert.Equal(t, 1, got.Unchanged, "the first line is what Billbee holds")
				assert.Equal(t, 1, got.Succeeded, "the second would be written")
				rec, _ := srv.Customer(specs.Billbee, "100000150176895")
				assert.Equal(t, "Max", rec["Name"], "nothing was written")
			}
		})
	}
}

// putCounter wraps the sandbox and counts BlueTape PUTs per customer id.
type putCounter struct {
	next  http.Handler
	mu    sync.Mutex
	byID  map[string]int
	total atomic.Int64
}

func (c *putCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPut {
		id := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		c.mu.Lock()
		c.byID[id]++
		c.mu.Unlock()
		c.total.Add(1)
	}
	c.next.ServeHTTP(w, r)
}

// TestPushResumesAfterKill9 kills push with SIGKILL at several points of
// a 5,000-record run against a slow sandbox, then runs it again until it
// exits 0: every record lands with its final value, and each kill costs at
// most concurrency + one commit batch of records sent twice.
func TestPushResumesAfterKill9(t *testing.T) {
	t.Parallel()
	for _, kind := range stateKinds() {
		t.Run("with the "+kind.name+" store", func(t *testing.T) {
			t.Parallel()
			const n, concurrency = 5000, 8
			sb := sandbox.New(sandbox.WithSyntheticCustomers(n),
				sandbox.WithFaults(specs.BlueTape, sandbox.Faults{Latency: time.Millisecond, Jitter: 2 * time.Millisecond}))
			counter := &putCounter{next: sb, byID: map[string]int{}}
			ts := httptest.NewServer(counter)
			t.Cleanup(ts.Close)
			base := ts.URL + sandbox.BasePath(specs.BlueTape)

			dir := t.TempDir()
			state := kind.state(t, dir)
			var b strings.Builder
			for i := 1; i <= n; i++ {
				fmt.Fprintf(&b, `{"id":%q,"firstName":"Final","lastName":"L%d","email":"f%d@example.com","phone":"+1555%06d","modifiedAt":"2026-12-01T02:00:00Z"}`+"\n",
					sandbox.SyntheticID(specs.BlueTape, i), i, i, i)
			}
			input := writeFile(t, dir, "export.jsonl", b.String())
			args := []string{"push", "--vendor", "bluetape", "--base-url", base, "--file", input,
				"--state", state, "--concurrency", fmt.Sprint(concurrency), "--json"}

			kills := 0
			for _, at := range []int64{600, 2200, 3900} {
				ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
				cmd := childCommand(t, ctx, invocation{args: args, env: demoEnv(specs.BlueTape), dir: dir})
				require.NoError(t, cmd.Start())
				for counter.total.Load() < at && ctx.Err() == nil {
					time.Sleep(time.Millisecond)
				}
				require.NoError(t, cmd.Process.Kill()) // SIGKILL: no handler runs
				_ = cmd.Wait()
				cancel()
				kills++
				t.Logf("killed after %d PUTs in all", counter.total.Load())
			}
			var final outcome
			for run := 0; run < 3; run++ {
				final = runBinary(t, invocation{args: args, env: demoEnv(specs.BlueTape), dir: dir})
				if final.code == exitOK {
					break
				}
			}
			require.Equal(t, exitOK, final.code, final.stderr)
			got := decodePush(t, final)
			assert.Equal(t, n, got.Succeeded+got.Unchanged, "the rerun accounts for every record")
			assert.Positive(t, got.Unchanged, "the rerun skipped what the killed runs had confirmed")

			for i := 1; i <= n; i++ {
				id := sandbox.SyntheticID(specs.BlueTape, i)
				rec, ok := sb.Customer(specs.BlueTape, id)
				require.True(t, ok, id)
				require.Equal(t, "Final", rec["firstName"], "%s holds its final value", id)
			}
			counter.mu.Lock()
			defer counter.mu.Unlock()
			twice := 0
			for i := 1; i <= n; i++ {
				switch c := counter.byID[sandbox.SyntheticID(specs.BlueTape, i)]; {
				case c == 0:
					t.Errorf("record %d was never sent", i)
				case c > 1:
					twice += c - 1
				}
			}
			// Per kill: the records in flight (concurrency), and those the
			// vendor had confirmed whose commit was still running (at most
			// one batch, itself at most concurrency records: each worker
			// waits for its own commit).
			limit := kills * (concurrency + concurrency)
			t.Logf("%d records sent twice over %d kills (limit %d)", twice, kills, limit)
			assert.LessOrEqual(t, twice, limit)
		})
	}
}

func TestPushRefusesAStateItCannotOpenAndSendsNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, state, want string
	}{
		{"a file in a directory that does not exist", "no/such/dir/state.db", "no/such/dir"},
		{"a database that does not answer, named without its password", "postgres://sync:s3cret-pw@127.0.0.1:1/state?connect_timeout=2", "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newSandbox(t)
			dir := t.TempDir()
			input := writeFile(t, dir, "in.jsonl", `{"id":"C-1001","email":"x@acme.example"}`+"\n")
			out := runBinary(t, invocation{args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell),
				"--file", input, "--state", tt.state}, env: demoEnv(specs.Upwell), dir: dir})
			assert.Equal(t, exitUsage, out.code)
			assert.Contains(t, out.stderr, tt.want)
			assert.NotContains(t, out.stderr+out.stdout, "s3cret-pw")
			assert.Zero(t, srv.Stats(specs.Upwell).Requests)
		})
	}
	t.Run("--force without a state is a usage error", func(t *testing.T) {
		t.Parallel()
		out := runBinary(t, invocation{args: []string{"push", "--vendor", "upwell", "--sandbox", "--file", "x.jsonl", "--force"}, env: demoEnv(specs.Upwell)})
		assert.Equal(t, exitUsage, out.code)
		assert.Contains(t, out.stderr, "need a state store")
	})
}

func TestTwoPushesAtOnceShareOneState(t *testing.T) {
	t.Parallel()
	for _, kind := range stateKinds() {
		t.Run("with the "+kind.name+" store", func(t *testing.T) {
			t.Parallel()
			const n = 600
			srv := newSandbox(t, sandbox.WithSyntheticCustomers(n))
			dir := t.TempDir()
			state := kind.state(t, dir)
			input := writeFile(t, dir, "export.jsonl", upwellExport(n, nil))
			args := []string{"push", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell), "--file", input,
				"--state", state, "--concurrency", "8", "--json"}
			var wg sync.WaitGroup
			outs := make([]outcome, 2)
			for i := range outs {
				wg.Go(func() { outs[i] = runBinary(t, invocation{args: args, env: demoEnv(specs.Upwell), dir: dir}) })
			}
			wg.Wait()
			for _, out := range outs {
				require.Equal(t, exitOK, out.code, out.stderr)
				got := decodePush(t, out)
				assert.Equal(t, n, got.Succeeded+got.Unchanged)
			}
			again := runBinary(t, invocation{args: args, env: demoEnv(specs.Upwell), dir: dir})
			require.Equal(t, exitOK, again.code, again.stderr)
			assert.Equal(t, pushJSONOut{Unchanged: n}, decodePush(t, again), "both runs' confirmations are in the one state")
		})
	}
}

// The same credential against a second server (a staging tenant and the
// production one sharing a key) reaches other records: what one server
// confirmed is never taken for the other's.
func TestPushWithStateKeepsTwoServersOfOneCredentialApart(t *testing.T) {
	t.Parallel()
	for _, kind := range stateKinds() {
		t.Run("with the "+kind.name+" store", func(t *testing.T) {
			t.Parallel()
			const n = 50
			staging := newSandbox(t, sandbox.WithSyntheticCustomers(n))
			production := newSandbox(t, sandbox.WithSyntheticCustomers(n))
			dir := t.TempDir()
			state := kind.state(t, dir)
			input := writeFile(t, dir, "export.jsonl", upwellExport(n, nil))
			push := func(srv *sandbox.Server) pushJSONOut {
				out := runBinary(t, invocation{args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell),
					"--file", input, "--json", "--state", state}, env: demoEnv(specs.Upwell), dir: dir})
				require.Equal(t, exitOK, out.code, out.stderr)
				return decodePush(t, out)
			}
			assert.Equal(t, pushJSONOut{Succeeded: n}, push(staging))
			assert.Equal(t, pushJSONOut{Succeeded: n}, push(production), "nothing is skipped for what the other server confirmed")
			assert.EqualValues(t, n, production.Stats(specs.Upwell).Requests)
			assert.Equal(t, pushJSONOut{Unchanged: n}, push(production), "and each server's own confirmations still count")
		})
	}
}
