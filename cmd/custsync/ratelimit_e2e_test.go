package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/internal/redistest"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// pushTogether runs one `custsync push` per args entry at once, each with
// its own file of perProcess Billbee customers, against one sandbox that
// enforces Billbee's documented throttles on one credential. It returns
// the sandbox's counts and the wall time from the first start to the last
// exit, and each process's exit code.
func pushTogether(t *testing.T, perProcess int, args [][]string, env []map[string]string) (sandbox.Stats, time.Duration, []int) {
	t.Helper()
	srv := newSandbox(t, sandbox.WithSyntheticCustomers(len(args)*perProcess), sandbox.WithThrottle(specs.Billbee, sandbox.BillbeeThrottle()))
	cmds := make([]*exec.Cmd, len(args))
	outs := make([]*bytes.Buffer, len(args))
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	for i := range args {
		dir := t.TempDir()
		var lines strings.Builder
		for j := range perProcess {
			fmt.Fprintf(&lines, `{"id":%q,"name":"Shared limit %d"}`+"\n", sandbox.SyntheticID(specs.Billbee, i*perProcess+j+1), i)
		}
		input := writeFile(t, dir, "customers.jsonl", lines.String())
		procEnv := demoEnv(specs.Billbee)
		for k, v := range env[i] {
			procEnv[k] = v
		}
		full := append([]string{"push", "--vendor", "billbee", "--base-url", srv.URL(specs.Billbee), "--file", input}, args[i]...)
		cmds[i] = childCommand(t, ctx, invocation{args: full, env: procEnv, dir: dir})
		outs[i] = &bytes.Buffer{}
		cmds[i].Stdout, cmds[i].Stderr = outs[i], outs[i]
	}
	start := time.Now()
	for _, c := range cmds {
		require.NoError(t, c.Start())
	}
	var wg sync.WaitGroup
	codes := make([]int, len(cmds))
	for i, c := range cmds {
		wg.Go(func() {
			err := c.Wait()
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				codes[i] = exit.ExitCode()
			} else if err != nil {
				codes[i] = -1
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	for i := range cmds {
		t.Logf("process %d: exit %d\n%s", i, codes[i], outs[i].String())
	}
	return srv.Stats(specs.Billbee), elapsed, codes
}

func TestThreePushesOnOneCredentialShareBillbeesLimitThroughRedis(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t)
	const processes, perProcess = 3, 10
	// Two name Redis with the flag, one through the environment.
	args := [][]string{{"--rate-limit", rdb.URL()}, {"--rate-limit", rdb.URL()}, {}}
	env := []map[string]string{nil, nil, {envRateLimit: rdb.URL()}}

	stats, elapsed, codes := pushTogether(t, perProcess, args, env)

	assert.Equal(t, []int{exitOK, exitOK, exitOK}, codes)
	updates := processes * perProcess
	// Three processes pacing alone would be answered dozens of 429s (the
	// next test). Shared, they keep within the limit; one 429 is allowed
	// for a loaded machine that delays one request and hurries the next
	// past the 2% margin the pacing keeps, which the limiter then adapts to.
	assert.LessOrEqual(t, stats.TooManyRequests, int64(1), "the shared limiter keeps all three within Billbee's limits")
	assert.Equal(t, int64(2*updates), stats.ByStatus[http.StatusOK], "every update landed: one GET and one PUT each")
	// How close to the limit they ran depends on the machine's load, so it
	// is reported, not asserted (no test bounds wall time); the pacing
	// share is asserted on a test clock in adapter/pacing_test.go.
	rate := float64(updates) / elapsed.Seconds()
	t.Logf("%d updates in %s: %.2f updates/s combined (%.1f%% of Billbee's 2/s)", updates, elapsed.Round(time.Millisecond), rate, rate/2*100)
}

func TestThreePushesOnOneCredentialWithoutASharedLimiterAreThrottled(t *testing.T) {
	t.Parallel()
	// The same three processes, each pacing itself alone: three times the
	// allowed rate, which Billbee answers with 429s.
	stats, _, _ := pushTogether(t, 4, [][]string{{}, {}, {}}, []map[string]string{nil, nil, nil})
	t.Logf("without a shared limiter: %d of %d requests answered 429", stats.TooManyRequests, stats.Requests)

	assert.Positive(t, stats.TooManyRequests, "without the shared limiter the vendor throttles")
}

func TestPushFailsBeforeAnyRequestWhenRedisCannotBeReached(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	addr := redistest.FreeAddr(t)
	dir := t.TempDir()
	input := writeFile(t, dir, "customers.jsonl", `{"id":"`+sandbox.SyntheticID(specs.Billbee, 1)+`","name":"N"}`+"\n")
	tests := []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"named by the flag", []string{"--rate-limit", "redis://ops:hunter2-secret@" + addr + "/0"}, nil},
		{"named by the environment", nil, map[string]string{envRateLimit: "redis://ops:hunter2-secret@" + addr + "/0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := demoEnv(specs.Billbee)
			for k, v := range tt.env {
				env[k] = v
			}
			for _, cmd := range []string{"push", "update"} {
				args := append([]string{cmd, "--vendor", "billbee", "--base-url", srv.URL(specs.Billbee), "--file", input}, tt.args...)
				out := runBinary(t, invocation{args: args, env: env, dir: dir})

				assert.Equal(t, exitUsage, out.code, "%s: nothing was sent", cmd)
				assert.Contains(t, out.stderr, "cannot reach Redis at "+addr, cmd)
				assert.NotContains(t, out.stderr+out.stdout, "hunter2", "%s: the password is a secret", cmd)
			}
			assert.Zero(t, srv.Stats(specs.Billbee).Requests, "no vendor request was made")
		})
	}
}

func TestRateLimitURLsAreCheckedAndNeverPrinted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url, want string
	}{
		{"a password in plain text to a remote host", "redis://:hunter2-secret@redis.example.com:6379/0", "use rediss://"},
		{"another scheme", "https://hunter2-secret@127.0.0.1/", `scheme "https"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := runBinary(t, invocation{args: []string{"update", "--sandbox", "--vendor", "billbee", "--rate-limit", tt.url}, stdin: `{"id":"1","name":"N"}`})

			assert.Equal(t, exitUsage, out.code)
			assert.Contains(t, out.stderr, tt.want)
			assert.NotContains(t, out.stderr+out.stdout, "hunter2")
		})
	}
	t.Run("--help shows no URL from the environment", func(t *testing.T) {
		out := runBinary(t, invocation{args: []string{"push", "--help"}, env: map[string]string{envRateLimit: "redis://:hunter2-secret@127.0.0.1:6379/0"}})

		assert.Equal(t, exitOK, out.code)
		assert.Contains(t, out.stdout, "--rate-limit URL")
		assert.NotContains(t, out.stdout+out.stderr, "hunter2")
	})
}

func TestPushesCarryOnWhenRedisRestartsMidRun(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t)
	restarted := make(chan bool, 1)
	go func() {
		time.Sleep(1500 * time.Millisecond) // the pushes are under way
		restarted <- rdb.Restart()
	}()
	args := [][]string{{"--rate-limit", rdb.URL()}, {"--rate-limit", rdb.URL()}}

	stats, _, codes := pushTogether(t, 5, args, []map[string]string{nil, nil})

	require.True(t, <-restarted)
	assert.Equal(t, []int{exitOK, exitOK}, codes, "every record succeeded")
	assert.Equal(t, int64(2*10), stats.ByStatus[http.StatusOK], "one GET and one PUT per update landed")
}

func TestUpdateWithARateLimitGoesThroughRedis(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t)

	out := runBinary(t, invocation{args: []string{"update", "--sandbox", "--vendor", "billbee", "--rate-limit", rdb.URL(), "--file", repoFile(t, "examples/customer.json")}})

	require.Equal(t, exitOK, out.code)
	assert.Contains(t, out.stderr, "sharing rate limits through Redis at "+rdb.Addr())
	keys := redisCommand(t, rdb.Addr(), "KEYS *")
	assert.Contains(t, keys, "custsync:{rl}:billbee/", "the update's limits live in Redis")
}

// redisCommand sends one inline command to Redis and returns the reply's
// text, all lines.
func redisCommand(t *testing.T, addr, command string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	require.NoError(t, err)
	defer func() { assert.NoError(t, conn.Close()) }()
	require.NoError(t, conn.SetDeadline(time.Now().Add(time.Second)))
	_, err = conn.Write([]byte(command + "\r\nQUIT\r\n"))
	require.NoError(t, err)
	reply, err := io.ReadAll(conn)
	require.NoError(t, err)
	return string(reply)
}

func TestAPushWhoseRedisIsLostSaysSoAndHalts(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t)
	srv := newSandbox(t, sandbox.WithSyntheticCustomers(200))
	dir := t.TempDir()
	var lines strings.Builder
	for i := range 200 {
		fmt.Fprintf(&lines, `{"id":%q,"name":"Lost Redis %d"}`+"\n", sandbox.SyntheticID(specs.Billbee, i+1), i)
	}
	input := writeFile(t, dir, "customers.jsonl", lines.String())
	go func() {
		time.Sleep(1500 * time.Millisecond) // a few records are through
		rdb.Stop()
	}()
	out := runBinary(t, invocation{
		args: []string{"push", "--vendor", "billbee", "--base-url", srv.URL(specs.Billbee), "--file", input, "--json", "--rate-limit", rdb.URL()},
		env:  demoEnv(specs.Billbee), dir: dir,
	})

	require.Equal(t, exitIncomplete, out.code, out.stderr)
	assert.Contains(t, out.stderr, "Redis unreachable", "the outage is said, without --verbose")
	var summary struct {
		Succeeded, Failed, NotSent int
		Halted                     bool
		HaltReason                 string
	}
	require.NoError(t, json.Unmarshal([]byte(out.stdout), &summary), out.stdout)
	assert.True(t, summary.Halted)
	assert.Contains(t, summary.HaltReason, "nothing could be sent for 20s (rate limiter: Redis at "+rdb.Addr())
	assert.Equal(t, 200, summary.Succeeded+summary.Failed+summary.NotSent, "every record is accounted for")
	assert.Positive(t, summary.NotSent)
	// A Billbee update is a read and a write, each paced. A record whose
	// read was paced just before Redis was lost, and whose write then
	// could not be, failed with its read sent: seen at load 6.
	requests := srv.Stats(specs.Billbee).Requests
	assert.GreaterOrEqual(t, requests, int64(2*summary.Succeeded), "each success is a read and a write")
	assert.LessOrEqual(t, requests, int64(2*summary.Succeeded+summary.Failed),
		"nothing went out unpaced: beyond the successes, at most the read of each record that failed")
}
