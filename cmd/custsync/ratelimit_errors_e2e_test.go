package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/internal/redistest"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// A Redis that is up but answers the limiter with an error (here: out of
// memory, which refuses the script's writes) cannot pace a request, so
// none is sent: the push halts as it does when Redis is down, reporting
// the records as not sent and retryable, not as tried and failed.
func TestAPushWhoseRedisAnswersErrorsHaltsWithNothingSent(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t)
	srv := newSandbox(t, sandbox.WithSyntheticCustomers(200))
	dir := t.TempDir()
	var lines strings.Builder
	for i := range 200 {
		fmt.Fprintf(&lines, `{"id":%q,"name":"OOM Redis %d"}`+"\n", sandbox.SyntheticID(specs.Billbee, i+1), i)
	}
	input := writeFile(t, dir, "customers.jsonl", lines.String())
	for _, cmd := range []string{"CONFIG SET maxmemory-policy noeviction", "CONFIG SET maxmemory 1"} {
		require.Contains(t, redisCommand(t, rdb.Addr(), cmd), "+OK", cmd)
	}

	out := runBinary(t, invocation{
		args: []string{"push", "--vendor", "billbee", "--base-url", srv.URL(specs.Billbee), "--file", input, "--json", "--rate-limit", rdb.URL()},
		env:  demoEnv(specs.Billbee), dir: dir,
	})

	require.Equal(t, exitIncomplete, out.code, "not every record was tried: %s", out.stderr)
	assert.Contains(t, out.stderr, "Redis answers the limiter with an error", "said without --verbose")
	var summary struct {
		Succeeded, Failed, NotSent int
		ByCode                     map[string]int
		Halted                     bool
		HaltReason                 string
		FailuresFile               string
	}
	require.NoError(t, json.Unmarshal([]byte(out.stdout), &summary), out.stdout)
	assert.True(t, summary.Halted)
	assert.Contains(t, summary.HaltReason, "nothing could be sent for 20s (rate limiter: Redis at "+rdb.Addr())
	assert.Contains(t, summary.HaltReason, "OOM")
	assert.Zero(t, summary.Succeeded)
	assert.Equal(t, 200, summary.Failed+summary.NotSent, "every record is accounted for")
	assert.Positive(t, summary.NotSent)
	assert.Equal(t, 200, summary.ByCode["Unavailable"]+summary.ByCode["Canceled"], "tried and not paced, or not sent: %v", summary.ByCode)
	assert.Zero(t, srv.Stats(specs.Billbee).Requests, "nothing went out unpaced")

	data, err := os.ReadFile(filepath.Join(dir, filepath.Base(summary.FailuresFile)))
	require.NoError(t, err)
	failures := strings.Split(strings.TrimSpace(string(data)), "\n")
	require.Len(t, failures, 200)
	for _, line := range failures {
		var f struct {
			Error struct {
				Code       string
				HTTPStatus int
				Retryable  bool
			} `json:"_error"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &f), line)
		assert.Zero(t, f.Error.HTTPStatus, "no vendor answered: %s", line)
		if f.Error.Code == "Unavailable" {
			assert.True(t, f.Error.Retryable, "tried but not sent, so it may be pushed again: %s", line)
		} else {
			assert.Equal(t, "Canceled", f.Error.Code, "not sent once the run halted: %s", line)
		}
	}
}
