//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

func TestInterruptedPushRecordsWhatWasNotSent(t *testing.T) {
	t.Parallel()
	const records, concurrency = 300, 2
	gate := &gatedUpwell{free: 10, release: make(chan struct{}), updated: map[string]bool{}}
	srv := httptest.NewServer(gate)
	t.Cleanup(srv.Close)
	var once sync.Once
	releaseGate := func() { once.Do(func() { close(gate.release) }) }
	t.Cleanup(releaseGate)

	dir := t.TempDir()
	var lines []string
	for i := 1; i <= records; i++ {
		lines = append(lines, fmt.Sprintf(`{"id": "R-%03d", "name": "Customer %d"}`, i, i))
	}
	input := writeFile(t, dir, "big.jsonl", strings.Join(lines, "\n")+"\n")

	cmd := childCommand(t, t.Context(), invocation{
		args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL, "--file", input, "--concurrency", fmt.Sprint(concurrency)},
		env:  map[string]string{"UPWELL_API_KEY": "k-1234", "UPWELL_SOURCE_SYSTEM": "ERP"},
		dir:  dir,
	})
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())

	// Wait until the free updates are done and `concurrency` more are
	// held in flight, then interrupt as Ctrl-C would.
	require.Eventually(t, func() bool { return gate.seen.Load() >= gate.free+concurrency }, 20*time.Second, 10*time.Millisecond)
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
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
}
