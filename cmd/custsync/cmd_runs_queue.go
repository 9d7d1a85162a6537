package main

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/custsync/custsync/adapter/queue"
)

// queueRunsJSON is runs --queue --json's output. Its keys are part of the
// command's contract.
type queueRunsJSON struct {
	Queue string         `json:"queue"` // the database, its password masked
	Runs  []queueRunJSON `json:"runs"`  // newest first
	// FailuresFile and Failures are where --failures wrote the run's
	// failures and how many; only with --failures.
	FailuresFile *string `json:"failuresFile,omitempty"`
	Failures     *int    `json:"failures,omitempty"`
}

// queueRunJSON is one queue run in runs --queue --json. Its keys are part
// of the command's contract.
type queueRunJSON struct {
	ID       int64  `json:"id"`
	Vendor   string `json:"vendor"`
	Account  string `json:"account"`
	Input    string `json:"input"`
	State    string `json:"state"` // queued, running or finished
	Enqueued string `json:"enqueued"`
	// Finished and ElapsedSeconds are null until every shard finished.
	Finished       *string        `json:"finished"`
	ElapsedSeconds *float64       `json:"elapsedSeconds"`
	Shards         int            `json:"shards"`
	ShardsDone     int            `json:"shardsDone"`
	Records        int            `json:"records"` // of the shards done
	Succeeded      int            `json:"succeeded"`
	Unchanged      int            `json:"unchanged"`
	Failed         int            `json:"failed"`
	NotSent        int            `json:"notSent"`
	ByCode         map[string]int `json:"byCode"`
	Halted         bool           `json:"halted"`
	HaltReason     string         `json:"haltReason"`
}

func queueRunToJSON(r queue.Run) queueRunJSON {
	rep := reportOf(&r.Report)
	out := queueRunJSON{
		ID: int64(r.ID), Vendor: string(r.Vendor), Account: r.Account, Input: r.Input, State: string(r.State),
		Enqueued: formatStored(r.Enqueued), Shards: r.Shards, ShardsDone: r.ShardsDone,
		Records: rep.records, Succeeded: rep.ok, Unchanged: rep.unchanged, Failed: rep.failed, NotSent: rep.notSent,
		ByCode: rep.byCode, Halted: rep.haltReason != "", HaltReason: rep.haltReason,
	}
	if r.State == queue.Finished {
		finished, elapsed := formatStored(r.Finished), math.Round(r.Finished.Sub(r.Enqueued).Seconds()*1000)/1000
		out.Finished, out.ElapsedSeconds = &finished, &elapsed
	}
	return out
}

// queueRuns is runs --queue: the runs of a queue, or one of them and its
// failures file.
func (a *app) queueRuns(f runsFlags) int {
	spec, err := f.queue.spec()
	if err != nil {
		return a.fail("runs", err)
	}
	switch {
	case f.failures != "" && f.run == 0:
		return a.fail("runs", usagef("--failures writes the failures of one run: add --run ID"))
	case f.run < 0:
		return a.fail("runs", usagef("--run %d: want a run's id", f.run))
	}
	if f.failures != "" {
		if _, err := os.Lstat(f.failures); err == nil {
			return a.fail("runs", usagef("--failures %s exists: name a new file (it is never replaced)", f.failures))
		}
	}
	q, name, err := openQueue(a.stop, spec)
	if err != nil {
		return a.fail("runs", err)
	}
	defer q.Close()
	var runs []queue.Run
	if f.run != 0 {
		run, err := q.Run(a.stop, queue.RunID(f.run))
		switch {
		case errors.Is(err, queue.ErrNoRun):
		case err != nil:
			return a.fail("runs", fmt.Errorf("reading run %d in %s: %w", f.run, name, err))
		default:
			runs = append(runs, *run)
		}
	} else {
		limit := f.limit
		if limit == 0 || f.vendor != "" {
			limit = math.MaxInt32 // all of them; --vendor's are counted below
		}
		all, err := q.Runs(a.stop, limit)
		if err != nil {
			return a.fail("runs", fmt.Errorf("reading the runs in %s: %w", name, err))
		}
		for _, r := range all {
			if (f.vendor == "" || string(r.Vendor) == f.vendor) && (f.limit == 0 || len(runs) < f.limit) {
				runs = append(runs, r)
			}
		}
	}
	if len(runs) == 0 {
		which := "no run"
		switch {
		case f.run != 0:
			which = fmt.Sprintf("no run %d", f.run)
		case f.vendor != "":
			which = "no run of " + f.vendor
		}
		if f.json {
			writeJSON(a.stdout, queueRunsJSON{Queue: name, Runs: []queueRunJSON{}})
		}
		fmt.Fprintf(a.stderr, "custsync runs: the queue %s holds %s; custsync enqueue enqueues one\n", name, which)
		return exitNothing
	}
	out := queueRunsJSON{Queue: name, Runs: make([]queueRunJSON, 0, len(runs))}
	for _, r := range runs {
		out.Runs = append(out.Runs, queueRunToJSON(r))
	}
	if f.failures != "" {
		n, err := a.writeQueueFailures(q, runs[0], f.failures)
		if err != nil {
			return a.fail("runs", err)
		}
		written := f.failures
		if n == 0 {
			written = ""
		}
		out.FailuresFile, out.Failures = &written, &n
	}
	if f.json {
		writeJSON(a.stdout, out)
		return exitOK
	}
	for _, r := range out.Runs {
		printQueueRun(a, r)
	}
	switch {
	case out.Failures == nil:
	case *out.Failures == 0:
		fmt.Fprintf(a.stdout, "runs: run %d has no failure so far; no file was written\n", f.run)
	default:
		fmt.Fprintf(a.stdout, "runs: wrote the %d %s of run %d to %s\n", *out.Failures, plural(*out.Failures, "failure", "failures"), f.run, f.failures)
	}
	return exitOK
}

// writeQueueFailures writes the failures file of run to path, a file it
// creates with mode 0600, never over one that exists nor through a link
// (O_EXCL refuses both). A run without failure leaves no file.
func (a *app) writeQueueFailures(q *queue.Queue, run queue.Run, path string) (int, error) {
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return 0, usagef("--failures: %v", err)
	}
	n, werr := q.WriteFailures(a.stop, run.ID, file)
	if werr == nil {
		werr = file.Sync()
	}
	if err := errors.Join(werr, file.Close()); err != nil {
		_ = os.Remove(path) // a partial file would pass for the whole one
		return 0, fmt.Errorf("writing the failures of run %d to %s: %w", run.ID, path, err)
	}
	if n == 0 {
		return 0, os.Remove(path)
	}
	return n, nil
}

// printQueueRun writes one queue run for people: a headline, then its
// input and counts, and why it halted.
func printQueueRun(a *app, r queueRunJSON) {
	head := fmt.Sprintf("run %d: %s, account %s, enqueued %s", r.ID, r.Vendor, r.Account, r.Enqueued)
	switch r.State {
	case string(queue.Finished):
		fmt.Fprintf(a.stdout, "%s, took %s: finished, %d %s\n", head, roundDuration(time.Duration(*r.ElapsedSeconds*float64(time.Second))), r.Shards, plural(r.Shards, "shard", "shards"))
	default:
		fmt.Fprintf(a.stdout, "%s: %s, %d of %d shards done\n", head, r.State, r.ShardsDone, r.Shards)
	}
	counts := fmt.Sprintf("%d %s: %d succeeded, %d unchanged, %d failed, %d not sent",
		r.Records, plural(r.Records, "record", "records"), r.Succeeded, r.Unchanged, r.Failed, r.NotSent)
	if r.State != string(queue.Finished) {
		counts = "so far " + counts
	}
	if len(r.ByCode) > 0 {
		var codes []string
		for _, c := range slices.Sorted(maps.Keys(r.ByCode)) {
			codes = append(codes, fmt.Sprintf("%s %d", c, r.ByCode[c]))
		}
		counts += " (" + strings.Join(codes, ", ") + ")"
	}
	fmt.Fprintf(a.stdout, "  input %s: %s\n", inputName(r.Input), counts)
	if r.Halted {
		fmt.Fprintf(a.stdout, "  halted: %s\n", r.HaltReason)
	}
}
