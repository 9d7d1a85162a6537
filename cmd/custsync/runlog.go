package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/syncstate"
)

// runLogTimeout bounds each write to the run log: a store that hangs
// must not keep a push from ending.
const runLogTimeout = 30 * time.Second

// failureBatch is how many failures a push holds before it records them
// in one commit.
const failureBatch = 256

// runRecorder records a push in its state store's run log: the run as it
// starts, the first failure of each customer that failed, and how the run
// ended. A clean night writes the run twice and nothing else. A write
// of failures that fails ends their recording, and is reported on stderr
// once the run is over: the push goes on, since the run log decides
// nothing it sends.
type runRecorder struct {
	log     syncstate.RunLog
	client  bulk.Client
	run     syncstate.Run
	pending []syncstate.Failure
	stderr  io.Writer
	lost    error // why failures could not be recorded
}

// startRun records the run in log, or returns nil, having said why on
// stderr, when it cannot.
func startRun(log syncstate.RunLog, client bulk.Client, input string, stderr io.Writer) *runRecorder {
	host, _ := os.Hostname() // "" when unknown: the run is still worth recording
	run := syncstate.Run{
		Vendor: client.Vendor(), Account: client.Account(), Input: absPath(input),
		Host: syncstate.StorableText(host), PID: os.Getpid(), Started: time.Now(),
	}
	ctx, cancel := context.WithTimeout(context.Background(), runLogTimeout)
	defer cancel()
	id, err := log.StartRun(ctx, run)
	if err != nil {
		fmt.Fprintf(stderr, "custsync push: the state store could not record this run (%v); pushing without recording it\n", err)
		return nil
	}
	run.ID = id
	return &runRecorder{log: log, client: client, run: run, stderr: stderr, pending: make([]syncstate.Failure, 0, failureBatch)}
}

// observe notes the failure of a record that failed. The run calls it one
// outcome at a time.
func (r *runRecorder) observe(out bulk.Outcome) {
	if r.lost != nil {
		return
	}
	f, ok := bulk.RunFailure(r.client, r.run.ID, out, time.Now())
	if !ok {
		return // not a failure, or names no customer: the run's counts have it
	}
	r.pending = append(r.pending, f)
	if len(r.pending) == failureBatch {
		r.flush()
	}
}

// flush records the failures noted since the last flush.
func (r *runRecorder) flush() {
	if len(r.pending) == 0 || r.lost != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), runLogTimeout)
	defer cancel()
	r.lost = r.log.PutFailures(ctx, r.pending...)
	clear(r.pending)
	r.pending = r.pending[:0]
}

// finish records the failures not yet recorded and how the run ended.
func (r *runRecorder) finish(rep pushReport, stops []string, code int) {
	r.flush()
	run := r.run
	run.Ended = time.Now()
	run.Records, run.Succeeded, run.Unchanged, run.Failed, run.NotSent = rep.records, rep.ok, rep.unchanged, rep.failed, rep.notSent
	run.ByCode = rep.byCode
	run.Stop = syncstate.StorableText(strings.Join(stops, "; "))
	run.ExitCode = code
	if rep.failuresAt != "" {
		run.FailuresFile = absPath(rep.failuresAt)
	}
	ctx, cancel := context.WithTimeout(context.Background(), runLogTimeout)
	defer cancel()
	if r.lost != nil {
		fmt.Fprintf(r.stderr, "custsync push: the state store could not record the failures of run %d (%v); the failures file has them all\n", run.ID, r.lost)
	}
	if err := r.log.FinishRun(ctx, run); err != nil {
		fmt.Fprintf(r.stderr, "custsync push: the state store could not record how run %d ended (%v); it is listed as unfinished\n", run.ID, err)
	}
}

// absPath is path made absolute, so that the run log names the file
// whatever directory it is read from; "-" (standard input) and a path
// that cannot be made absolute stay as they are.
func absPath(path string) string {
	if path == "-" || path == "" {
		return path
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return syncstate.StorableText(path)
}
