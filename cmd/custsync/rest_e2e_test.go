//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startGatedPushOf is startGatedPush with lines of its own as the input.
func startGatedPushOf(t *testing.T, lines []string) (cmd *exec.Cmd, gate *gatedUpwell, input string, stdout, stderr *syncBuffer) {
	const concurrency = 2
	gate = &gatedUpwell{free: 10, release: make(chan struct{}), updated: map[string]bool{}}
	srv := httptest.NewServer(gate)
	t.Cleanup(srv.Close)
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(gate.release) }) })

	dir := t.TempDir()
	input = writeFile(t, dir, "big.jsonl", strings.Join(lines, "\n")+"\n")
	cmd = childCommand(t, t.Context(), invocation{
		args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL, "--file", input, "--concurrency", strconv.Itoa(concurrency)},
		env:  map[string]string{"UPWELL_API_KEY": "k-1234", "UPWELL_SOURCE_SYSTEM": "ERP"},
		dir:  dir,
	})
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	require.NoError(t, cmd.Start())
	require.Eventually(t, func() bool { return gate.seen.Load() >= gate.free+concurrency }, 20*time.Second, 10*time.Millisecond)
	return cmd, gate, input, stdout, stderr
}

// customerLines are lines for ... R-n.
func customerLines(n int) []string {
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf(`{"id": "R-%03d", "name": "Customer %d"}`, i+1, i+1)
	}
	return lines
}

// nextRun runs push of input again, as the user would after a push that
// did not finish, but starting no record (--deadline 1ns): what it says
// before it sends is the point.
func nextRun(t *testing.T, input string) outcome {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler()) // never reached
	t.Cleanup(srv.Close)
	return runBinary(t, invocation{
		args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL, "--file", input, "--deadline", "1ns"},
		env:  map[string]string{"UPWELL_API_KEY": "k-1234", "UPWELL_SOURCE_SYSTEM": "ERP"},
		dir:  filepath.Dir(input),
	})
}

func TestAPushKilledBeforeItsRestIsWrittenTellsTheNextRunWhichLinesWereNotSent(t *testing.T) {
	t.Parallel()
	// R-012 comes again on line 13: that line waits behind R-012 in
	// flight, so the rest of the input cannot all be written while the
	// gate holds, and the rest file stays.
	lines := customerLines(300)
	lines = append(lines[:12], append([]string{`{"id": "R-012", "name": "Customer 12, again"}`}, lines[12:]...)...)
	cmd, _, input, _, stderr := startGatedPushOf(t, lines)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), "interrupted: sending no more records") }, 10*time.Second, 10*time.Millisecond)
	var partial string
	require.Eventually(t, func() bool {
		for _, p := range partials(t, filepath.Dir(input)) {
			if !strings.HasSuffix(p, ".rest") {
				partial = p
			}
		}
		data, err := os.ReadFile(partial)
		return err == nil && bytes.Count(data, []byte("\n")) == len(lines)-13
	}, 10*time.Second, 10*time.Millisecond, "every line but the 10 sent, the 2 in flight and the one behind them is written")
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	require.FileExists(t, partial+".rest")

	out := nextRun(t, input)
	assert.Contains(t, out.stderr, fmt.Sprintf("custsync push: %s holds %d failures of an earlier push that did not finish (killed, or still running); lines 13 to the end of %s were not sent and are not all in it: once it is not running, push %s again, then delete %s and %s.rest\n",
		partial, len(lines)-13, input, input, partial, partial))
	assert.FileExists(t, partial+".rest", "the next run leaves it alone")
}

func TestAPushKilledWhileSendingTellsTheNextRunThatTheLinesNotSentAreInNoFile(t *testing.T) {
	t.Parallel()
	cmd, _, input, _, _ := startGatedPushOf(t, customerLines(300))
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	stale := partials(t, filepath.Dir(input))
	require.Len(t, stale, 2, "the partial file and its rest file")

	out := nextRun(t, input)
	assert.Contains(t, out.stderr, fmt.Sprintf("custsync push: %s is left from an earlier push that did not finish (killed, or still running); it was still sending %s, and the lines it had not sent are in no file: once it is not running, push %s again, then delete %s and %s.rest\n",
		stale[0], input, input, stale[0], stale[0]))
}

// recordingUpwell answers every Upwell update at once, and records the
// name it was sent for each id.
type recordingUpwell struct {
	mu    sync.Mutex
	names map[string]string
}

func (u *recordingUpwell) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct {
		SourceSystemID string `json:"sourceSystemId"`
		Input          struct {
			Name string `json:"name"`
		} `json:"input"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	u.mu.Lock()
	u.names[body.SourceSystemID] = body.Input.Name
	u.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"updateCustomer": {"affectedRows": 1, "returning": [{"id": "u-%s"}]}}`, body.SourceSystemID)
}

func (u *recordingUpwell) snapshot() map[string]string {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make(map[string]string, len(u.names))
	for k, v := range u.names {
		out[k] = v
	}
	return out
}

// interruptPlan is what a trial does to a push: a burst of 1 to 3
// signals, a kill -9, or both, at random times.
type interruptPlan struct {
	signals []os.Signal
	first   time.Duration   // after the first request reached the vendor
	gaps    []time.Duration // between signals
	kill    bool
	killAt  time.Duration // after the first signal, or after the first request
}

func (p interruptPlan) String() string {
	var parts []string
	if len(p.signals) > 0 {
		names := make([]string, len(p.signals))
		for i, s := range p.signals {
			names[i] = s.String()
		}
		parts = append(parts, fmt.Sprintf("%s at %v, gaps %v", strings.Join(names, "+"), p.first, p.gaps))
	}
	if p.kill {
		parts = append(parts, fmt.Sprintf("kill -9 %v later", p.killAt))
	}
	return strings.Join(parts, ", then ")
}

func randomPlan(rng *rand.Rand) interruptPlan {
	var p interruptPlan
	kind := rng.IntN(3) // signals only, kill only, both
	if kind != 1 {
		for range 1 + rng.IntN(3) {
			p.signals = append(p.signals, []os.Signal{syscall.SIGINT, syscall.SIGTERM}[rng.IntN(2)])
		}
		p.first = time.Duration(rng.IntN(1500)) * time.Millisecond
		for range len(p.signals) - 1 {
			p.gaps = append(p.gaps, time.Duration(rng.IntN(300))*time.Millisecond)
		}
	}
	if kind != 0 {
		p.kill = true
		limit := 1500 // ms after the first request
		if len(p.signals) > 0 {
			limit = 250 // ms after the first signal: while the rest is written
		}
		p.killAt = time.Duration(rng.IntN(limit)) * time.Millisecond
	}
	return p
}

// failuresOf reads the id, line, code and message of each line of a
// failures file; a last line that a kill cut short is no failure.
func failuresOf(t *testing.T, path string) map[string]failureInfo {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	out := map[string]failureInfo{}
	lines := bytes.Split(data, []byte("\n"))
	for i, text := range lines {
		var line struct {
			ID    string      `json:"id"`
			Error failureInfo `json:"_error"`
		}
		if err := json.Unmarshal(text, &line); err != nil {
			require.Equal(t, len(lines)-1, i, "only a last line cut short may be no JSON: %q in %s", text, path)
			continue
		}
		out[line.ID] = line.Error
	}
	return out
}

// failureInfo is what a trial reads of a failures line's "_error".
type failureInfo struct {
	Line    int    `json:"line"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

var (
	staleRe      = regexp.MustCompile(`(?m)^custsync push: (\S+) (?:holds \d+ failures? of|is left from) an earlier push that did not finish`)
	restLinesRe  = regexp.MustCompile(`lines (\d+) to the end of (\S+) were not sent`)
	stillSending = regexp.MustCompile(`it was still sending (\S+), and the lines it had not sent are in no file`)
	summaryRe    = regexp.MustCompile(`push: (\d+) succeeded, (\d+) failed, (\d+) not sent`)
)

func TestInterruptsAndKillsOnALongInputLeaveEveryLineSentOrNamedByTheNextRun(t *testing.T) {
	t.Parallel()
	const lines, trials, concurrency = 100_000, 10, 8
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("CUSTSYNC_TRIAL_SEED"); s != "" {
		var err error
		seed, err = strconv.ParseUint(s, 10, 64)
		require.NoError(t, err)
	}
	t.Logf("seed %d (CUSTSYNC_TRIAL_SEED=%d runs these trials again)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 24))

	var input bytes.Buffer
	for i := 1; i <= lines; i++ {
		fmt.Fprintf(&input, `{"id": "R-%06d", "name": "Night %06d"}`+"\n", i, i)
	}
	for trial := range trials {
		plan := randomPlan(rng)
		t.Run(fmt.Sprintf("trial %d: %s", trial+1, plan), func(t *testing.T) {
			vendor := &recordingUpwell{names: map[string]string{}}
			srv := httptest.NewServer(vendor)
			defer srv.Close()
			dir := t.TempDir()
			path := writeFile(t, dir, "export.jsonl", input.String())
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			cmd := childCommand(t, ctx, invocation{
				args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL, "--file", path, "--concurrency", strconv.Itoa(concurrency)},
				env:  map[string]string{"UPWELL_API_KEY": "k-1234", "UPWELL_SOURCE_SYSTEM": "ERP"},
				dir:  dir,
			})
			var stdout, stderr syncBuffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			require.NoError(t, cmd.Start())
			exited := make(chan struct{})
			go func() { _ = cmd.Wait(); close(exited) }()
			require.Eventually(t, func() bool { return len(vendor.snapshot()) > 0 }, 20*time.Second, time.Millisecond)

			wait := func(d time.Duration) bool {
				select {
				case <-exited:
					return false
				case <-time.After(d):
					return true
				}
			}
			running := wait(plan.first)
			for i, sig := range plan.signals {
				if !running {
					break
				}
				_ = cmd.Process.Signal(sig)
				if i < len(plan.gaps) {
					running = wait(plan.gaps[i])
				}
			}
			if plan.kill && running && wait(plan.killAt) {
				_ = cmd.Process.Kill()
			}
			<-exited
			killed := !cmd.ProcessState.Exited()
			t.Logf("first run: killed %v, exit %d\nstdout:\n%s\nstderr:\n%s", killed, cmd.ProcessState.ExitCode(), stdout.String(), stderr.String())
			sent := vendor.snapshot()

			// What tells where each line went: the first run's own failures
			// file when it finished, and what the next run says of the
			// partial files the first one left.
			named := map[string]failureInfo{}
			if killed {
				// A kill in the instant between publishing the failures file
				// and exiting leaves it finished, under its usual name.
				for _, f := range failuresFiles(t, dir) {
					for id, e := range failuresOf(t, f) {
						named[id] = e
					}
				}
			} else {
				assert.Empty(t, partials(t, dir), "a push that finished leaves no partial or rest file")
				f := failuresFileNamed(t, stdout.String())
				for id, e := range failuresOf(t, f) {
					named[id] = e
				}
				m := summaryRe.FindStringSubmatch(stdout.String())
				require.NotNil(t, m)
				succeeded, _ := strconv.Atoi(m[1])
				failed, _ := strconv.Atoi(m[2])
				notSent, _ := strconv.Atoi(m[3])
				assert.Equal(t, lines, succeeded+failed+notSent, "the summary counts every line")
				assert.Equal(t, failed+notSent, len(named), "the summary claims no line its failures file lacks")
				assert.LessOrEqual(t, succeeded, len(sent))
			}
			next := nextRun(t, path)
			restFrom := lines + 1 // the first line the next run says was not sent
			for _, m := range staleRe.FindAllStringSubmatch(next.stderr, -1) {
				for id, e := range failuresOf(t, m[1]) {
					named[id] = e
				}
			}
			for _, m := range restLinesRe.FindAllStringSubmatch(next.stderr, -1) {
				require.Equal(t, path, m[2])
				l, _ := strconv.Atoi(m[1])
				restFrom = min(restFrom, l)
			}
			if m := stillSending.FindStringSubmatch(next.stderr); m != nil {
				require.Equal(t, path, m[1])
				require.True(t, killed, "only a run that was killed can have been still sending")
				restFrom = 1
			}

			t.Logf("sent %d; in failures files the runs name %d; the next run says lines from %d on were not sent", len(sent), len(named), restFrom)
			var unaccounted []int
			for i := 1; i <= lines; i++ {
				id := fmt.Sprintf("R-%06d", i)
				name, wasSent := sent[id]
				if wasSent {
					assert.Equal(t, fmt.Sprintf("Night %06d", i), name)
				}
				e, inFile := named[id]
				switch {
				case inFile && wasSent && !strings.Contains(e.Message, "may or may not have applied"):
					t.Errorf("line %d was sent, and its failures line says %s: %s", i, e.Code, e.Message)
				case inFile && e.Line != i:
					t.Errorf("line %d is in a failures file as line %d", i, e.Line)
				case wasSent && i >= restFrom && restFrom > 1:
					t.Errorf("line %d was sent, and the next run says lines from %d on were not", i, restFrom)
				case !wasSent && !inFile && i < restFrom:
					unaccounted = append(unaccounted, i)
				}
			}
			if killed {
				// Only records in flight, or about to be, when the kill came.
				assert.LessOrEqual(t, len(unaccounted), 2*concurrency, "lines in no file: %v", unaccounted)
			} else {
				assert.Empty(t, unaccounted, "a push that finished accounts for every line")
			}
		})
	}
}
