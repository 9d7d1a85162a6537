package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A command whose output cannot be written (here to /dev/full, which
// fails every write with ENOSPC, as a full disk does) has not done its job:
// it exits 1 and says why on stderr, instead of 0 with the summary lost.
func TestOutputThatCannotBeWrittenFailsTheCommand(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	require.NoError(t, err, "this test needs Linux's /dev/full")
	t.Cleanup(func() { assert.NoError(t, full.Close()) })
	customer, err := filepath.Abs(filepath.Join("..", "..", "examples", "customer.json"))
	require.NoError(t, err)
	customers, err := filepath.Abs(filepath.Join("..", "..", "examples", "upwell.jsonl"))
	require.NoError(t, err)

	for _, tc := range []struct {
		name string
		args []string
	}{
		{"the field matrix of vendors", []string{"vendors"}},
		{"the result of update --json", []string{"update", "--sandbox", "--vendor", "billbee", "--json", "--file", customer}},
		{"the summary of push", []string{"push", "--sandbox", "--vendor", "upwell", "--file", customers}},
	} {
		t.Run(tc.name+" written to a full disk fails the command", func(t *testing.T) {
			cmd := childCommand(t, t.Context(), invocation{args: tc.args})
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = full, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			require.True(t, errors.As(err, &exit), "custsync %v should exit non-zero, got %v; stderr:\n%s", tc.args, err, stderr.String())
			assert.Equal(t, exitFailed, exit.ExitCode(), "stderr:\n%s", stderr.String())
			assert.Contains(t, stderr.String(), "write /dev/stdout: no space left on device")
		})
	}
}
