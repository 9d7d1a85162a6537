package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/internal/redistest"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// process is a custsync command running in the background: a worker, or
// an enqueue --wait.
type process struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan struct{}
	code           int
}

// startBinary starts the binary and returns at once; the test's end kills
// whatever still runs.
func startBinary(t *testing.T, inv invocation) *process {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	cmd := childCommand(t, ctx, inv)
	p := &process{cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	require.NoError(t, cmd.Start())
	go func() {
		defer close(p.done)
		defer cancel()
		err := cmd.Wait()
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit):
			p.code = exit.ExitCode()
		case err != nil:
			p.code = -1
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-p.done
		t.Logf("custsync %s -> exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(inv.args, " "), p.code, p.stdout.String(), tail(p.stderr.String(), 4000))
	})
	return p
}

// wait waits for the process to exit and returns its exit code.
func (p *process) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(2 * time.Minute):
		t.Fatalf("custsync %s did not exit", strings.Join(p.cmd.Args[1:], " "))
		return -1
	}
}

// stop sends SIGTERM, as a service manager does, and waits for the exit.
func (p *process) stop(t *testing.T) int {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	return p.wait(t)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// queueDatabase is a fresh PostgreSQL database migrated for a queue.
func queueDatabase(t *testing.T) string {
	t.Helper()
	url := postgresServer(t).NewDatabase(t)
	out := runBinary(t, invocation{args: []string{"migrate", "--queue", url}})
	require.Equal(t, exitOK, out.code, out.stderr)
	return url
}

// accountEnv is the environment of a worker serving account with the
// sandbox's demo credentials of vendor v at baseURL, as
// CUSTSYNC_ACCOUNT_<NAME>_ variables.
func accountEnv(account string, v specs.Vendor, baseURL string) map[string]string {
	prefix := "CUSTSYNC_ACCOUNT_" + strings.ToUpper(strings.ReplaceAll(account, "-", "_")) + "_"
	env := map[string]string{prefix + "BASE_URL": baseURL}
	for k, val := range demoEnv(v) {
		env[prefix+k] = val
	}
	return env
}

// waitedSummary is what enqueue --wait --json prints, as far as these
// tests read it.
type waitedSummary struct {
	Run          int64          `json:"run"`
	Account      string         `json:"account"`
	Succeeded    int            `json:"succeeded"`
	Unchanged    int            `json:"unchanged"`
	Failed       int            `json:"failed"`
	NotSent      int            `json:"notSent"`
	ByCode       map[string]int `json:"byCode"`
	Halted       bool           `json:"halted"`
	FailuresFile string         `json:"failuresFile"`
}

func TestAQueuedRunIsWorkedAndSummedUpAsAPush(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t, sandbox.WithSyntheticCustomers(50))
	queueURL := queueDatabase(t)
	dir := t.TempDir()
	var lines strings.Builder
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&lines, `{"id":%q,"name":"Queued %d"}`+"\n", sandbox.SyntheticID(specs.Upwell, i), i)
		if i%10 == 0 {
			// Not a valid update: Upwell's name cannot be cleared.
			fmt.Fprintf(&lines, `{"id":"S-9%04d",  "name":null}`+"\n", i)
		}
	}
	input := writeFile(t, dir, "export.jsonl", lines.String())
	env := accountEnv("acme", specs.Upwell, srv.URL(specs.Upwell))
	worker := startBinary(t, invocation{args: []string{"worker", "--queue", queueURL, "--accounts", "acme", "--rate-limit", ""}, env: env})

	out := runBinary(t, invocation{args: []string{"enqueue", "--queue", queueURL, "--vendor", "upwell", "--account", "acme",
		"--file", input, "--shards", "4", "--wait", "--json"}, dir: dir})

	require.Equal(t, exitFailed, out.code, "some records failed, every one was tried: exit 1 as push")
	var got waitedSummary
	require.NoError(t, json.Unmarshal([]byte(out.stdout), &got), out.stdout)
	assert.Equal(t, "acme", got.Account)
	assert.Equal(t, 40, got.Succeeded)
	assert.Equal(t, 4, got.Failed)
	assert.Equal(t, map[string]int{"InvalidArgument": 4}, got.ByCode)
	assert.Regexp(t, `^`+regexp.QuoteMeta(filepath.Join(dir, "export.failures-upwell-"))+`\d{8}T\d{6}Z\.jsonl$`, got.FailuresFile, "next to the input, named as push names it")
	info, err := os.Stat(got.FailuresFile)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	failures, err := os.ReadFile(got.FailuresFile)
	require.NoError(t, err)
	assert.Equal(t, 4, bytes.Count(failures, []byte("\n")))
	assert.Contains(t, string(failures), `{"id":"S-90010","name":null,"_error":{"line":11,`, "the line with its place in the input")
	local := runBinary(t, invocation{args: []string{"push", "--sandbox", "--vendor", "upwell", "--file", input}, dir: dir})
	require.Equal(t, exitFailed, local.code, local.stderr)
	pushed, err := os.ReadFile(failuresFileNamed(t, local.stdout))
	require.NoError(t, err)
	assert.Equal(t, string(pushed), string(failures), "byte for byte the failures file of a local push of the same input")

	t.Run("runs --queue lists it, finished, with every line counted", func(t *testing.T) {
		out := runBinary(t, invocation{args: []string{"runs", "--queue", queueURL, "--json"}})
		require.Equal(t, exitOK, out.code, out.stderr)
		var runs queueRunsJSON
		require.NoError(t, json.Unmarshal([]byte(out.stdout), &runs))
		require.Len(t, runs.Runs, 1)
		r := runs.Runs[0]
		assert.Equal(t, got.Run, r.ID)
		assert.Equal(t, "finished", r.State)
		assert.Equal(t, []int{4, 4, 44, 40, 4}, []int{r.Shards, r.ShardsDone, r.Records, r.Succeeded, r.Failed})
		assert.Equal(t, input, r.Input)
	})

	t.Run("runs --queue --run --failures writes the same failures file, 0600, never over a file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "run.failures.jsonl")
		out := runBinary(t, invocation{args: []string{"runs", "--queue", queueURL, "--run", fmt.Sprint(got.Run), "--failures", path}})
		require.Equal(t, exitOK, out.code, out.stderr)
		assert.Contains(t, out.stdout, fmt.Sprintf("runs: wrote the 4 failures of run %d to %s", got.Run, path))
		written, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, string(failures), string(written))
		info, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

		again := runBinary(t, invocation{args: []string{"runs", "--queue", queueURL, "--run", fmt.Sprint(got.Run), "--failures", path}})
		assert.Equal(t, exitUsage, again.code)
		assert.Contains(t, again.stderr, "exists")

		link := filepath.Join(t.TempDir(), "link.jsonl")
		require.NoError(t, os.Symlink(filepath.Join(t.TempDir(), "target.jsonl"), link))
		viaLink := runBinary(t, invocation{args: []string{"runs", "--queue", queueURL, "--run", fmt.Sprint(got.Run), "--failures", link}})
		assert.Equal(t, exitUsage, viaLink.code, "a link is never followed")
	})

	t.Run("a run the queue does not hold exits 5", func(t *testing.T) {
		out := runBinary(t, invocation{args: []string{"runs", "--queue", queueURL, "--run", "999"}})
		assert.Equal(t, exitNothing, out.code)
		assert.Contains(t, out.stderr, "holds no run 999")
	})

	assert.Equal(t, exitOK, worker.stop(t), "SIGTERM stops an idle worker gently")
	assert.Contains(t, worker.stderr.String(), "custsync worker: stopped")
}

func TestEnqueueRefusesWhatItCannotEnqueue(t *testing.T) {
	t.Parallel()
	queueURL := queueDatabase(t)
	dir := t.TempDir()
	long := `{"id":"S-00001","name":"` + strings.Repeat("x", 1<<20) + `"}` + "\n"
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"an input with a line too long, whole", []string{"--vendor", "upwell", "--file", writeFile(t, dir, "long.jsonl", `{"id":"S-00001","name":"a"}`+"\n"+long)},
			nil, "line 2 is over the limit"},
		{"a queue not migrated, saying how to", []string{"--queue", postgresServer(t).NewDatabase(t), "--vendor", "upwell", "--file", writeFile(t, dir, "ok.jsonl", `{"id":"S-00001","name":"a"}`+"\n")},
			nil, "is not migrated: run custsync migrate --queue"},
		{"a CSV export", []string{"--vendor", "upwell", "--file", writeFile(t, dir, "export.csv", "id,name\nS-00001,a\n")},
			nil, "enqueue reads JSON lines"},
		{"an account that is no account's name", []string{"--vendor", "upwell", "--account", "Acme", "--file", "x.jsonl"},
			nil, `--account: account "Acme": want 1 to 40 lower-case letters`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{envQueue: queueURL}
			out := runBinary(t, invocation{args: append([]string{"enqueue"}, tt.args...), env: env, dir: dir})

			assert.Equal(t, exitUsage, out.code)
			assert.Contains(t, out.stderr, tt.want)
			assert.Empty(t, out.stdout, "no run id: nothing was enqueued")
		})
	}
	out := runBinary(t, invocation{args: []string{"runs", "--queue", queueURL}})
	assert.Equal(t, exitNothing, out.code, "nothing was enqueued")
}

func TestAnInterruptStopsTheWaitingNotTheRun(t *testing.T) {
	t.Parallel()
	queueURL := queueDatabase(t)
	dir := t.TempDir()
	input := writeFile(t, dir, "export.jsonl", `{"id":"S-00001","name":"Waited"}`+"\n")
	// No worker: the run waits in the queue.
	p := startBinary(t, invocation{args: []string{"enqueue", "--queue", queueURL, "--vendor", "upwell", "--file", input, "--wait"}, dir: dir})
	require.Eventually(t, func() bool { return strings.Contains(p.stderr.String(), "custsync enqueue: run 1:") }, time.Minute, 10*time.Millisecond)

	require.NoError(t, p.cmd.Process.Signal(os.Interrupt))

	assert.Equal(t, exitIncomplete, p.wait(t))
	assert.Equal(t, "1\n", p.stdout.String(), "the run's id, for the script that waits again")
	assert.Contains(t, p.stderr.String(), "stopped waiting; run 1 goes on in the workers")
	// Without --state or CUSTSYNC_STATE, runs reads the queue of the
	// environment.
	out := runBinary(t, invocation{args: []string{"runs"}, env: map[string]string{envQueue: queueURL}})
	require.Equal(t, exitOK, out.code, out.stderr)
	assert.Contains(t, out.stdout, "run 1: upwell, account default, enqueued ")
	assert.Regexp(t, `: queued, \d+ of 16 shards done\n`, out.stdout, "not started: the shards without records are done at once")
}

func TestTheQueueCommandsNeverPrintTheQueuesPassword(t *testing.T) {
	t.Parallel()
	url := "postgres://ops:hunter2-secret@" + redistest.FreeAddr(t) + "/custsync"
	dir := t.TempDir()
	input := writeFile(t, dir, "export.jsonl", `{"id":"S-00001","name":"a"}`+"\n")
	for _, args := range [][]string{
		{"migrate"},
		{"enqueue", "--vendor", "upwell", "--file", input},
		{"runs"},
		{"worker", "--rate-limit", ""},
	} {
		out := runBinary(t, invocation{args: append(args, "--queue", url), env: demoEnv(specs.Upwell), dir: dir})

		assert.NotEqual(t, exitOK, out.code, "%s: no database there", args[0])
		assert.NotContains(t, out.stdout+out.stderr, "hunter2", args[0])
	}
}

func TestAWorkerExportsItsShardsRunsAndUpdates(t *testing.T) {
	t.Parallel()
	receiver, endpoint := newOTLPReceiver(t)
	srv := newSandbox(t, sandbox.WithSyntheticCustomers(3))
	queueURL := queueDatabase(t)
	dir := t.TempDir()
	input := writeFile(t, dir, "export.jsonl", upwellExport(3, nil))
	env := accountEnv("acme", specs.Upwell, srv.URL(specs.Upwell))
	env["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint
	worker := startBinary(t, invocation{args: []string{"worker", "--queue", queueURL, "--accounts", "acme", "--rate-limit", ""}, env: env})

	out := runBinary(t, invocation{args: []string{"enqueue", "--queue", queueURL, "--vendor", "upwell", "--account", "acme",
		"--file", input, "--shards", "1", "--wait"}, dir: dir})
	require.Equal(t, exitOK, out.code, out.stderr)
	require.Equal(t, exitOK, worker.stop(t))

	spans, metrics, raw := receiver.received()
	assert.Equal(t, 1, countOf(spans, "custsync.run"), "the shard's bulk run")
	assert.Equal(t, 3, countOf(spans, "custsync.update"))
	assert.Contains(t, metrics, "custsync.records")
	assert.NotContains(t, raw, sandbox.DefaultCredentials().UpwellAPIKey)
}

func TestAWorkerRefusesACredentialsFileOthersMayRead(t *testing.T) {
	t.Parallel()
	const secret = "hunter2-secret"
	path := writeFile(t, t.TempDir(), "accounts.yaml", "accounts:\n  acme:\n    vendor: upwell\n    env: {UPWELL_API_KEY: "+secret+"}\n")
	require.NoError(t, os.Chmod(path, 0o644))

	out := runBinary(t, invocation{args: []string{"worker", "--queue", "postgres://custsync@127.0.0.1:1/q", "--credentials", path, "--rate-limit", ""}})

	assert.Equal(t, exitUsage, out.code)
	assert.Contains(t, out.stderr, "may be read by others (mode 0644): chmod 600 "+path)
	assert.NotContains(t, out.stdout+out.stderr, secret)
}
