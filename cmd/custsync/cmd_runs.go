package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/custsync/custsync/adapter/syncstate"
	"github.com/custsync/custsync/internal/redact"
)

const runsUsage = `Usage: custsync runs [--state PATH|URL] [--vendor V] [--limit N] [--json]
       custsync runs --queue URL [--run ID [--failures FILE]] [--vendor V] [--limit N] [--json]

Lists the pushes recorded in a state store, newest first. Every push
with --state (but a dry run) records its run as it starts and again as
it ends: when it started and how long it took, the vendor and account
(a fingerprint of the credential, never the credential), the input, the
records by outcome and the failed and not-sent ones by code, why it did
not try every record (halted, --deadline, interrupted), its exit status
and its failures file. A run whose push was killed, or is still going,
is listed as unfinished, with the host and process id that ran it.

The store is opened read-only: runs creates and changes nothing, needs
no write permission, and prints no password of a --state URL. What a
store written by an older custsync holds of runs is nothing: the next
push records its own.

A summary per run goes to stdout, or with --json one JSON object:
{"state", "runs": [{"id", "vendor", "account", "input", "host", "pid",
"started", "ended", "finished", "elapsedSeconds", "exitCode", "records",
"succeeded", "unchanged", "failed", "notSent", "byCode", "stop",
"failuresFile"}]}. Times are RFC 3339 in UTC, to the microsecond;
"ended", "elapsedSeconds" and "exitCode" are null while a run is
unfinished; "stop" and "failuresFile" are "" when there is none.

With --queue (or CUSTSYNC_QUEUE, when neither --state nor CUSTSYNC_STATE
names a store), it lists the runs of a queue (see "custsync enqueue
--help") from its PostgreSQL database instead, newest first: each run's
vendor, account and input, whether it is queued, running or finished,
its shards done of all, its records by outcome so far (every line of the
input once it is finished) and, when it halted, why. --run ID shows that
run alone; with --failures FILE, runs writes its failures file there, as
push writes one (every failed or not-sent line as it was enqueued, with
its "_error"), once the run is finished or of the shards finished so far:
FILE is created with mode 0600 and must not exist (never replaced, never
through a link); none is written when nothing failed. With --json:
{"queue", "runs": [{"id", "vendor", "account", "input", "state",
"enqueued", "finished", "elapsedSeconds", "shards", "shardsDone",
"records", "succeeded", "unchanged", "failed", "notSent", "byCode",
"halted", "haltReason"}]}, and "failuresFile" and "failures" (how many
lines it holds) with --failures. "finished" and "elapsedSeconds" are null
until the run is finished.

Exit status: 0 when it listed a run; 5 when the store or queue holds no
run (of --vendor, or no run ID); 2 for bad usage, or a --state or --queue
it cannot open, or a --failures FILE that exists; 1 when the store or
queue cannot be read, or the failures file not written.

Flags:
%flags%
Examples:
  custsync runs --state /var/lib/custsync/state.db
  custsync runs --state 'postgres://custsync@db.internal/custsync' --vendor billbee --limit 5 --json
  custsync runs --queue 'postgres://custsync@db.internal/custsync'
  custsync runs --queue 'postgres://custsync@db.internal/custsync' --run 12 --failures run-12.failures.jsonl
`

// defaultRunsLimit is how many runs runs lists unless told.
const defaultRunsLimit = 20

// runsFlags are the flags of runs.
type runsFlags struct {
	state    string
	stateSet bool
	vendor   string
	limit    int
	json     bool
	// The queue's view: --queue, --run, --failures.
	queue    queueFlag
	run      int64
	failures string
}

func (a *app) runs(args []string) int {
	fs := newFlagSet("runs", runsUsage)
	var f runsFlags
	fs.Func("state", "the state store: a SQLite file `PATH`, or a PostgreSQL database postgres://...\nor 'host=... dbname=...' (default: $"+envState+")",
		func(s string) error { f.state, f.stateSet = s, true; return nil })
	fs.StringVar(&f.vendor, "vendor", "", "list only the runs of this vendor: upwell, bluetape or billbee")
	fs.IntVar(&f.limit, "limit", defaultRunsLimit, "list the last `N` runs; 0 lists them all")
	fs.BoolVar(&f.json, "json", false, "print one JSON object on stdout")
	f.queue.register(fs)
	fs.Int64Var(&f.run, "run", 0, "with --queue, show the run `ID` alone")
	fs.StringVar(&f.failures, "failures", "", "with --queue and --run, write the run's failures file to `FILE`, which must not exist")
	if code, done := a.parse(fs, args); done {
		return code
	}
	if f.limit < 0 {
		return a.fail("runs", usagef("--limit %d: want 0 or more", f.limit))
	}
	if f.vendor != "" {
		tf := targetFlags{vendor: f.vendor}
		if _, err := tf.check(); err != nil {
			return a.fail("runs", err)
		}
	}
	// Without either flag, the state store of the environment is read as
	// ever, and only when there is none, the queue of the environment.
	fromEnv := !f.stateSet && os.Getenv(envState) == "" && os.Getenv(envQueue) != ""
	switch {
	case f.queue.set && f.stateSet:
		return a.fail("runs", usagef("--queue and --state exclude each other: a queue's runs are in its database, a push's in its state store"))
	case f.queue.set || fromEnv:
		return a.queueRuns(f)
	case f.run != 0 || f.failures != "":
		return a.fail("runs", usagef("--run and --failures read a queue's run: add --queue"))
	}
	store, log, name, err := openRunLog(a.stop, stateSpec(f.state, f.stateSet))
	if err != nil {
		return a.fail("runs", err)
	}
	defer store.Close() //nolint:errcheck // read-only: closing loses nothing
	runs, err := log.Runs(a.stop, syncstate.RunFilter{Vendor: f.vendor, Limit: f.limit})
	if err != nil {
		return a.fail("runs", fmt.Errorf("reading the runs in %s: %w", name, err))
	}
	if f.json {
		out := runsJSON{State: name, Runs: make([]runJSON, 0, len(runs))}
		for _, r := range runs {
			out.Runs = append(out.Runs, runToJSON(r))
		}
		writeJSON(a.stdout, out)
	} else {
		for _, r := range runs {
			printRun(a, r)
		}
	}
	if len(runs) == 0 {
		which := "no run"
		if f.vendor != "" {
			which = "no run of " + f.vendor
		}
		fmt.Fprintf(a.stderr, "custsync runs: %s holds %s; every push with --state records its run\n", name, which)
		return exitNothing
	}
	return exitOK
}

// openRunLog opens the state store spec names read-only, for runs and
// explain, and returns it, its run log and its name for messages (no
// password). A SQLite path where no file is, is refused: reading it
// would find nothing, and a mistyped path should say so.
func openRunLog(ctx context.Context, spec string) (syncstate.Store, syncstate.RunLog, string, error) {
	if spec == "" {
		return nil, nil, "", usagef("--state is required (or set %s): the state store the pushes recorded their runs in", envState)
	}
	if !isPostgres(spec) {
		if _, err := os.Stat(spec); errors.Is(err, fs.ErrNotExist) {
			return nil, nil, "", usagef("--state: there is no state file at %s", spec)
		}
	}
	s, name, err := openState(ctx, spec, true)
	if err != nil {
		return nil, nil, "", usagef("--state: %v", err)
	}
	log, ok := s.(syncstate.RunLog)
	if !ok {
		_ = s.Close() // read-only: closing loses nothing
		return nil, nil, "", fmt.Errorf("the state store %s keeps no run log", name)
	}
	return s, log, name, nil
}

// runsCommand is the command line that lists the runs of the store
// state names ("" when it came from the environment), for push's summary.
func runsCommand(state string) string {
	if state == "" {
		return "custsync runs"
	}
	return "custsync runs --state " + shellQuote(redact.ConnString(state))
}

// runsJSON is runs --json's output. Its keys are part of the command's
// contract.
type runsJSON struct {
	State string    `json:"state"` // the store, its password masked
	Runs  []runJSON `json:"runs"`  // newest first
}

// runJSON is one run in runs and explain --json. Its keys are part of the
// command's contract.
type runJSON struct {
	ID      int64  `json:"id"`
	Vendor  string `json:"vendor"`
	Account string `json:"account"` // a fingerprint of the credential and server
	Input   string `json:"input"`   // an absolute path, or "-" for standard input
	Host    string `json:"host"`
	PID     int    `json:"pid"`
	Started string `json:"started"`
	// Ended, ElapsedSeconds and ExitCode are null while the run is
	// unfinished.
	Ended          *string        `json:"ended"`
	Finished       bool           `json:"finished"`
	ElapsedSeconds *float64       `json:"elapsedSeconds"`
	ExitCode       *int           `json:"exitCode"`
	Records        int            `json:"records"`
	Succeeded      int            `json:"succeeded"`
	Unchanged      int            `json:"unchanged"`
	Failed         int            `json:"failed"`
	NotSent        int            `json:"notSent"`
	ByCode         map[string]int `json:"byCode"` // failed and not-sent records, by portable code
	Stop           string         `json:"stop"`   // why not every record was tried; "" when all were
	FailuresFile   string         `json:"failuresFile"`
}

func runToJSON(r syncstate.Run) runJSON {
	out := runJSON{
		ID: r.ID, Vendor: r.Vendor, Account: r.Account, Input: r.Input, Host: r.Host, PID: r.PID,
		Started: formatStored(r.Started), Finished: r.Finished(),
		Records: r.Records, Succeeded: r.Succeeded, Unchanged: r.Unchanged, Failed: r.Failed, NotSent: r.NotSent,
		ByCode: r.ByCode, Stop: r.Stop, FailuresFile: r.FailuresFile,
	}
	if out.ByCode == nil {
		out.ByCode = map[string]int{}
	}
	if r.Finished() {
		ended, elapsed, code := formatStored(r.Ended), math.Round(r.Ended.Sub(r.Started).Seconds()*1000)/1000, r.ExitCode
		out.Ended, out.ElapsedSeconds, out.ExitCode = &ended, &elapsed, &code
	}
	return out
}

// formatStored writes a time of the run log as it is kept: UTC, to the
// microsecond, fixed width (RFC 3339).
func formatStored(t time.Time) string { return syncstate.Normalize(t).Format(syncstate.TimeLayout) }

// printRun writes one run for people: a headline, then what it read and
// what became of it, why it stopped and where its failures are.
func printRun(a *app, r syncstate.Run) {
	head := fmt.Sprintf("run %d: %s, account %s, started %s", r.ID, r.Vendor, r.Account, formatStored(r.Started))
	if r.Finished() {
		fmt.Fprintf(a.stdout, "%s, took %s: exit %d, %s\n", head, roundDuration(r.Ended.Sub(r.Started)), r.ExitCode, exitMeaning(r.ExitCode))
	} else {
		fmt.Fprintf(a.stdout, "%s: unfinished: still running, or killed (process %d on %s)\n", head, r.PID, hostName(r.Host))
	}
	input := inputName(r.Input)
	if !r.Finished() {
		fmt.Fprintf(a.stdout, "  input %s\n", input)
		return
	}
	counts := fmt.Sprintf("%d %s: %d succeeded, %d unchanged, %d failed, %d not sent",
		r.Records, plural(r.Records, "record", "records"), r.Succeeded, r.Unchanged, r.Failed, r.NotSent)
	if len(r.ByCode) > 0 {
		var codes []string
		for _, c := range slices.Sorted(maps.Keys(r.ByCode)) {
			codes = append(codes, fmt.Sprintf("%s %d", c, r.ByCode[c]))
		}
		counts += " (" + strings.Join(codes, ", ") + ")"
	}
	fmt.Fprintf(a.stdout, "  input %s: %s\n", input, counts)
	if r.Stop != "" {
		fmt.Fprintf(a.stdout, "  stopped: %s\n", r.Stop)
	}
	if r.FailuresFile != "" {
		fmt.Fprintf(a.stdout, "  failures in %s\n", r.FailuresFile)
	}
}

func hostName(host string) string {
	if host == "" {
		return "an unknown host"
	}
	return host
}

// exitMeaning says in words what push's exit status code means.
func exitMeaning(code int) string {
	switch code {
	case exitOK:
		return "every record succeeded"
	case exitFailed:
		return "some records failed"
	case exitUsage:
		return "bad usage"
	case exitIncomplete:
		return "not every record was tried"
	}
	return "an unknown status"
}
