package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

func TestAQueuedRunIsListedByRunsAndItsFailureExplained(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t, sandbox.WithSyntheticCustomers(10))
	queueURL := queueDatabase(t)
	dir := t.TempDir()
	input := writeFile(t, dir, "export.jsonl", strings.Join([]string{
		`{"id": "S-00001", "name": "One"}`,
		`{"id": "S-00002", "name": "Two"}`,
		`{"id": "S-99999", "name": "Missing"}`, // NotFound
		`{"id": "S-00003", "name": "Three"}`,
		`not json`, // InvalidArgument, no customer
		`{"id": "S-00004", "name": "Four"}`,
	}, "\n")+"\n")
	base := srv.URL(specs.Upwell)
	// Two workers, their state store the queue's database.
	env := accountEnv("acme", specs.Upwell, base)
	var workers []*process
	for range 2 {
		workers = append(workers, startBinary(t, invocation{args: []string{"worker", "--queue", queueURL, "--accounts", "acme", "--rate-limit", ""}, env: env}))
	}

	out := runBinary(t, invocation{args: []string{"enqueue", "--queue", queueURL, "--vendor", "upwell", "--account", "acme",
		"--file", input, "--shards", "3", "--wait", "--json"}, dir: dir})
	require.Equal(t, exitFailed, out.code, out.stderr)
	var summary waitedSummary
	require.NoError(t, json.Unmarshal([]byte(out.stdout), &summary), out.stdout)

	// The worker that finished the run records how it ended just after
	// the queue has it finished.
	var runs runsJSON
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		listed := runBinary(t, invocation{args: []string{"runs", "--state", queueURL, "--json"}})
		require.Equal(t, exitOK, listed.code, listed.stderr)
		runs = runsJSON{}
		require.NoError(t, json.Unmarshal([]byte(listed.stdout), &runs), listed.stdout)
		if len(runs.Runs) > 0 && runs.Runs[0].Finished || time.Now().After(deadline) {
			break
		}
	}
	require.Len(t, runs.Runs, 1, "the queued run is one run, however many workers ran it")
	got := runs.Runs[0]
	assert.True(t, got.Finished)
	assert.Equal(t, "upwell", got.Vendor)
	assert.Equal(t, input, got.Input)
	assert.Equal(t, []int{6, 4, 0, 2, 0}, []int{got.Records, got.Succeeded, got.Unchanged, got.Failed, got.NotSent})
	assert.Equal(t, map[string]int{"NotFound": 1, "InvalidArgument": 1}, got.ByCode)
	require.NotNil(t, got.ExitCode)
	assert.Equal(t, exitFailed, *got.ExitCode, "what enqueue --wait exited with")
	assert.Empty(t, got.Stop)

	failed := runBinary(t, invocation{args: []string{"explain", "--state", queueURL, "--vendor", "upwell", "--base-url", base, "S-99999", "--json"},
		env: demoEnv(specs.Upwell)})
	require.Equal(t, exitFailed, failed.code, failed.stderr)
	var story explainJSON
	require.NoError(t, json.Unmarshal([]byte(failed.stdout), &story), failed.stdout)
	assert.Equal(t, statusFailed, story.Status)
	assert.Equal(t, got.Account, story.Account, "the workers' account is the one explain computes from the same credentials")
	require.NotNil(t, story.LastFailure)
	assert.Equal(t, got.ID, story.LastFailure.RunID)
	assert.Equal(t, 3, story.LastFailure.Line)
	assert.Equal(t, "NotFound", story.LastFailure.Code)
	assert.Contains(t, story.LastFailure.Message, "S-99999")

	confirmed := runBinary(t, invocation{args: []string{"explain", "--state", queueURL, "--vendor", "upwell", "--base-url", base, "S-00004", "--json"},
		env: demoEnv(specs.Upwell)})
	require.Equal(t, exitOK, confirmed.code, confirmed.stderr)
	story = explainJSON{}
	require.NoError(t, json.Unmarshal([]byte(confirmed.stdout), &story), confirmed.stdout)
	assert.Nil(t, story.LastFailure)

	for _, w := range workers {
		assert.Equal(t, exitOK, w.stop(t))
		assert.NotContains(t, w.stderr.String(), "could not record", "the run log took the run and its failures")
	}
}
