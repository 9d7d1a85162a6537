//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/specs"
)

// gatedUpwell answers the first `free` updates at once and holds later
// ones until release is closed, recording which ids it updated.
type gatedUpwell struct {
	free    int64
	release chan struct{}
	seen    atomic.Int64
	mu      sync.Mutex
	updated map[string]bool
}

func (g *gatedUpwell) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct {
		SourceSystemID string `json:"sourceSystemId"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if g.seen.Add(1) > g.free {
		select {
		case <-g.release:
		case <-r.Context().Done():
			return
		}
	}
	g.mu.Lock()
	g.updated[body.SourceSystemID] = true
	g.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"updateCustomer": {"affectedRows": 1, "returning": [{"id": "u-%s"}]}}`, body.SourceSystemID)
}

// startGatedPush starts push of records lines R-001... to gate at
// concurrency 2, and waits until the free updates are done and two more
// are held in flight.
func startGatedPush(t *testing.T, records int) (cmd *exec.Cmd, gate *gatedUpwell, releaseGate func(), dir string, stdout, stderr *syncBuffer) {
	const concurrency = 2
	gate = &gatedUpwell{free: 10, release: make(chan struct{}), updated: map[string]bool{}}
	srv := httptest.NewServer(gate)
	t.Cleanup(srv.Close)
	var once sync.Once
	releaseGate = func() { once.Do(func() { close(gate.release) }) }
	t.Cleanup(releaseGate)

	dir = t.TempDir()
	var lines []string
	for i := 1; i <= records; i++ {
		lines = append(lines, fmt.Sprintf(`{"id": "R-%03d", "name": "Customer %d"}`, i, i))
	}
	input := writeFile(t, dir, "big.jsonl", strings.Join(lines, "\n")+"\n")

	cmd = childCommand(t, t.Context(), invocation{
		args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL, "--file", input, "--concurrency", fmt.Sprint(concurrency)},
		env:  map[string]string{"UPWELL_API_KEY": "k-1234", "UPWELL_SOURCE_SYSTEM": "ERP"},
		dir:  dir,
	})
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	require.NoError(t, cmd.Start())
	require.Eventually(t, func() bool { return gate.seen.Load() >= gate.free+concurrency }, 20*time.Second, 10*time.Millisecond)
	return cmd, gate, releaseGate, dir, stdout, stderr
}

func TestInterruptedPushRecordsWhatWasNotSent(t *testing.T) {
	t.Parallel()
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String()+" sends no more records and accounts for every line", func(t *testing.T) {
			t.Parallel()
			const records, concurrency = 300, 2
			cmd, gate, releaseGate, _, stdout, stderr := startGatedPush(t, records)
			// Interrupt while `concurrency` updates are held in flight.
			require.NoError(t, cmd.Process.Signal(sig))
			require.Eventually(t, func() bool { return strings.Contains(stderr.String(), "interrupted") }, 10*time.Second, 10*time.Millisecond)
			releaseGate() // the updates in flight now finish

			err := cmd.Wait()
			t.Logf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			require.Error(t, err)
			assert.Equal(t, exitIncomplete, cmd.ProcessState.ExitCode())

			failures := readFailures(t, failuresFileNamed(t, stdout.String()))
			gate.mu.Lock()
			updated := gate.updated
			gate.mu.Unlock()
			for id, f := range failures {
				assert.Equal(t, "Canceled", f.Error.Code, id)
				assert.Contains(t, f.Error.Message, "not sent", id)
				assert.False(t, updated[id], "%s was updated and is also listed as not sent", id)
			}
			assert.Equal(t, records, len(failures)+len(updated), "every record either went through or is in the failures file")
			// Every worker was held in flight when the interrupt came, so exactly
			// those finish; nothing queued behind them is sent.
			assert.Equal(t, int(gate.free)+concurrency, len(updated), "the updates in flight finished, and no other record was sent after the interrupt")
			assert.Contains(t, stdout.String(), fmt.Sprintf("push: %d succeeded, 0 failed, %d not sent", len(updated), len(failures)))
			assert.Contains(t, stdout.String(), fmt.Sprintf("interrupted: %d records were not sent", len(failures)))
			assert.Contains(t, stderr.String(), fmt.Sprintf("custsync push: interrupted: %d records were not sent", len(failures)))
		})
	}
}

func TestASecondSignalAbortsInFlightAndStillAccountsForEveryLine(t *testing.T) {
	t.Parallel()
	for _, sig := range []os.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String()+" twice", func(t *testing.T) {
			t.Parallel()
			const records = 300
			cmd, _, _, dir, stdout, stderr := startGatedPush(t, records)
			require.NoError(t, cmd.Process.Signal(sig))
			require.Eventually(t, func() bool { return strings.Contains(stderr.String(), "interrupted: sending no more records") }, 10*time.Second, 10*time.Millisecond)
			if sig == syscall.SIGHUP {
				time.Sleep(hangupEcho + 200*time.Millisecond) // a SIGHUP sooner is the same hang-up again
			}
			require.NoError(t, cmd.Process.Signal(sig))
			// The gate never opens: the two in flight are aborted.
			err := cmd.Wait()
			t.Logf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			require.Error(t, err)
			assert.Equal(t, exitIncomplete, cmd.ProcessState.ExitCode())

			failures := readFailures(t, failuresFileNamed(t, stdout.String()))
			codes := map[string]int{}
			aborted := 0
			for _, f := range failures {
				codes[f.Error.Code]++
				if strings.Contains(f.Error.Message, "may or may not have applied") {
					aborted++
				}
			}
			assert.Equal(t, map[string]int{"Canceled": records - 10}, codes, "every line but the 10 that succeeded is in the failures file")
			assert.Equal(t, 2, aborted, "the two in flight are told apart from those never sent")
			assert.Contains(t, stdout.String(), fmt.Sprintf("push: 10 succeeded, 2 failed, %d not sent", records-12))
			assert.Empty(t, partials(t, dir), "the failures file was finished")
		})
	}
}

func TestAKilledPushLeavesItsFailuresAndTheNextRunSaysWhere(t *testing.T) {
	t.Parallel()
	const records = 300
	cmd, _, _, dir, _, stderr := startGatedPush(t, records)
	// Interrupt first, so that every record not sent is written at once;
	// then kill -9 while the two in flight hang.
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), "interrupted: sending no more records") }, 10*time.Second, 10*time.Millisecond)
	var stale []string
	require.Eventually(t, func() bool {
		stale = partials(t, dir)
		if len(stale) != 1 {
			return false
		}
		data, err := os.ReadFile(stale[0])
		return err == nil && strings.Count(string(data), "\n") == records-12
	}, 10*time.Second, 10*time.Millisecond, "the records not sent are written while those in flight still hang")
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()

	srv := newSandbox(t)
	input := filepath.Join(dir, "big.jsonl")
	out := runBinary(t, invocation{args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell), "--file", input, "--deadline", "1ns"},
		env: demoEnv(specs.Upwell), dir: dir})
	assert.Contains(t, out.stderr, fmt.Sprintf("custsync push: %s holds %d failures of an earlier push that did not finish", stale[0], records-12))
	assert.FileExists(t, stale[0], "the next run leaves it alone")
}
