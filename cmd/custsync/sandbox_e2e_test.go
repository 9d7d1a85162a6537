//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSandboxCommandServesEveryVendorUntilInterrupted(t *testing.T) {
	t.Parallel()
	cmd := childCommand(t, t.Context(), invocation{args: []string{"sandbox", "--addr", "127.0.0.1:0", "--synthetic", "5"}})
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	// Read the banner: base URLs and export lines, up to the examples.
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	urls := map[string]string{}
	env := map[string]string{}
	var rest []string
	timeout := time.After(20 * time.Second)
banner:
	for {
		select {
		case line, ok := <-lines:
			require.True(t, ok, "the banner ended early; stderr: %s", stderr.String())
			fields := strings.Fields(line)
			switch {
			case strings.HasPrefix(line, "export "):
				k, v, _ := strings.Cut(strings.TrimPrefix(line, "export "), "=")
				env[k] = v
			case len(fields) == 2 && strings.HasPrefix(fields[1], "http://127.0.0.1:"):
				urls[fields[0]] = fields[1]
			case strings.HasPrefix(line, "Then"):
				break banner
			}
		case <-timeout:
			t.Fatalf("no banner; stderr: %s", stderr.String())
		}
	}
	require.Len(t, urls, 3)
	assert.True(t, strings.HasSuffix(urls["bluetape"], "/bluetape/genericBthubService"), urls["bluetape"])
	for _, k := range []string{"UPWELL_API_KEY", "UPWELL_SOURCE_SYSTEM", "BLUETAPE_API_KEY", "BLUETAPE_ACCOUNT_ID", "BILLBEE_API_KEY", "BILLBEE_USERNAME", "BILLBEE_API_PASSWORD"} {
		assert.NotEmpty(t, env[k], k)
	}

	// A user pastes the export lines and runs the commands the banner shows.
	out := runBinary(t, invocation{args: []string{"push", "--vendor", "upwell", "--base-url", urls["upwell"], "--file", repoFile(t, "examples/upwell.jsonl")}, env: env})
	assert.Equal(t, exitOK, out.code)
	out = runBinary(t, invocation{args: []string{"push", "--vendor", "bluetape", "--base-url", urls["bluetape"], "--file", repoFile(t, "examples/bluetape.jsonl")}, env: env})
	assert.Equal(t, exitOK, out.code)
	out = runBinary(t, invocation{args: []string{"update", "--vendor", "billbee", "--base-url", urls["billbee"], "--file", repoFile(t, "examples/customer.json")}, env: env})
	assert.Equal(t, exitOK, out.code)
	// The sandbox keeps state between commands: the same id is updated again.
	out = runBinary(t, invocation{args: []string{"update", "--vendor", "billbee", "--base-url", urls["billbee"], "--json"}, env: env, stdin: `{"id": "100000150176895", "vatId": "DE999999999"}`})
	assert.Equal(t, exitOK, out.code)

	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	for line := range lines {
		rest = append(rest, line)
	}
	require.NoError(t, cmd.Wait(), "an interrupt is the normal way to stop the sandbox")
	summary := strings.Join(rest, "\n")
	assert.Contains(t, summary, "sandbox: upwell served 8 requests")
	assert.Contains(t, summary, "sandbox: bluetape served 5 requests")
	assert.Contains(t, summary, "sandbox: billbee served 4 requests (0 answered 429)")
}

func TestSandboxLoadTestFlagsAndInspection(t *testing.T) {
	t.Parallel()
	bad := runBinary(t, invocation{args: []string{"sandbox", "--addr", "127.0.0.1:0", "--fault-503", "2"}})
	assert.Equal(t, exitUsage, bad.code, "a share above 1 is refused: %s", bad.stderr)

	cmd := childCommand(t, t.Context(), invocation{args: []string{"sandbox", "--addr", "127.0.0.1:0", "--fault-503", "1", "--latency", "1ms"}})
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	sc := bufio.NewScanner(stdout)
	var root string
	for root == "" && sc.Scan() {
		if after, ok := strings.CutPrefix(sc.Text(), "custsync sandbox listening on "); ok {
			root, _, _ = strings.Cut(after, " ")
		}
	}
	require.NotEmpty(t, root, "no banner")
	go func() {
		for sc.Scan() { // keep the pipe drained
		}
	}()

	req, err := http.NewRequest(http.MethodPut, root+"/upwell/api/rest/customers", strings.NewReader(`{}`))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "--fault-503 1 answers every request 503")

	resp, err = http.Get(root + "/_sandbox/upwell/stats")
	require.NoError(t, err)
	defer func() { assert.NoError(t, resp.Body.Close()) }()
	var stats struct {
		Requests int64
		ByStatus map[string]int64
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&stats))
	assert.EqualValues(t, 1, stats.Requests)
	assert.EqualValues(t, 1, stats.ByStatus["503"])
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	require.NoError(t, cmd.Wait())
}
