package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/queue"
	"github.com/custsync/custsync/adapter/vendors"
)

const enqueueUsage = `Usage: custsync enqueue --queue URL --vendor upwell|bluetape|billbee [--account NAME] --file PATH.jsonl|- [flags]

Enqueues a push for "custsync worker" processes to work, on any number of
machines: reads the JSONL file once (the canonical form of "custsync
update --help", as push reads it), splits it into --shards shards by a
hash of each customer's id, so that a customer's lines stay in one shard
in the order of the file, and stores the shards in the queue's PostgreSQL
database, all in one transaction. It prints the run's id on stdout and how
to watch it on stderr; nothing is sent until a worker takes a shard.

The run names an account, never a credential: the workers that serve the
account hold its credentials (see "custsync worker --help"). Runs of one
vendor and account apply in the order they were enqueued: a shard of a
later run waits while an earlier run of the account is not finished, so
two overlapping exports never interleave a customer's updates.

An input that cannot be read to its end (a line too long, a file cut
short) is refused whole: nothing is enqueued. A line that is not a valid
customer is enqueued as it is and fails at the worker, as in a push.

--wait waits for the run to finish, then prints push's summary (or with
--json push's JSON object, with "run", "account" and "queue" added) and
writes the run's failures file next to the input, as push names it
(INPUT.failures-VENDOR-YYYYMMDDTHHMMSSZ.jsonl, the time the run was
enqueued; 0600, never over a file or through a link), and exits as push
would have. An interrupt stops the waiting, not the run: the workers go
on, and "custsync runs --queue ... --run ID" shows it, and writes its
failures file once it is finished.

Without --wait, or when an interrupt stopped the waiting, --json prints
{"run","vendor","account","input","shards","queue"}.

Exit status: without --wait, 0 once the run is enqueued. With --wait, as
push: 0 if every record succeeded, 1 if some failed, 3 if the run halted
(a wrong setup, an unreachable vendor) before every record was tried, or
an interrupt stopped the waiting. 2 for bad usage, or an input refused
(nothing was enqueued); 1 when the queue database failed.

Flags:
%flags%
Examples:
  custsync enqueue --queue 'postgres://custsync@db.internal/custsync' --vendor billbee --account acme --file export.jsonl
  custsync enqueue --vendor upwell --account globex --file export.jsonl --shards 64 --wait --json   # with CUSTSYNC_QUEUE set
  custsync runs --queue 'postgres://custsync@db.internal/custsync'   # watch the runs
`

// enqueueFlags are the flags of enqueue.
type enqueueFlags struct {
	queue   queueFlag
	vendor  string
	account string
	file    string
	shards  int
	force   bool
	wait    bool
	json    bool
}

// maxShards bounds --shards: each shard is a job and a lock while it
// runs; more than the workers' slots buys nothing.
const maxShards = 4096

func (f *enqueueFlags) register(fs *flag.FlagSet) {
	f.queue.register(fs)
	fs.StringVar(&f.vendor, "vendor", "", "the vendor to update: upwell, bluetape or billbee (required)")
	fs.StringVar(&f.account, "account", defaultAccount, "the `NAME` of the account whose credentials the workers use")
	fs.StringVar(&f.file, "file", "", "the input `PATH`, JSON lines; - is standard input (required)")
	fs.IntVar(&f.shards, "shards", queue.DefaultShards, fmt.Sprintf("split the input into `N` shards, 1 to %d: at most N workers' slots work the run at once", maxShards))
	fs.BoolVar(&f.force, "force", false, "send every record, whatever the workers' state store holds, and still record it")
	fs.BoolVar(&f.wait, "wait", false, "wait for the run to finish, print its summary, write its failures file and exit as push")
	fs.BoolVar(&f.json, "json", false, "print one JSON object on stdout")
}

func (f *enqueueFlags) check() (vendors.Name, error) {
	tf := targetFlags{vendor: f.vendor}
	v, err := tf.check()
	switch {
	case err != nil:
		return "", err
	case f.file == "":
		return "", usagef("--file is required (use --file - for standard input)")
	case accountMessage(f.account) != "":
		return "", usagef("--account: %s", accountMessage(f.account))
	case f.shards < 1 || f.shards > maxShards:
		return "", usagef("--shards %d is out of range 1..%d", f.shards, maxShards)
	}
	if formatOf(f.file) != formatJSONL {
		return "", usagef("--file %s: enqueue reads JSON lines; push a CSV export with push, or convert it", f.file)
	}
	return v, nil
}

// enqueuedJSON is enqueue --json's output without --wait. Its keys are part
// of the command's contract.
type enqueuedJSON struct {
	Run     int64  `json:"run"`
	Vendor  string `json:"vendor"`
	Account string `json:"account"`
	Input   string `json:"input"`
	Shards  int    `json:"shards"`
	Queue   string `json:"queue"` // its password masked
}

// waitedJSON is enqueue --wait --json's output: push's summary of the run,
// and which run it was. Its keys are part of the command's contract.
type waitedJSON struct {
	Run     int64  `json:"run"`
	Account string `json:"account"`
	Queue   string `json:"queue"`
	pushSummaryJSON
}

func (a *app) enqueue(args []string) int {
	fs := newFlagSet("enqueue", enqueueUsage)
	var f enqueueFlags
	f.register(fs)
	if code, done := a.parse(fs, args); done {
		return code
	}
	spec, err := f.queue.spec()
	if err != nil {
		return a.fail("enqueue", err)
	}
	vendor, err := f.check()
	if err != nil {
		return a.fail("enqueue", err)
	}
	in, _, _, err := openInput(f.file, a.stdin)
	if err != nil {
		return a.fail("enqueue", err)
	}
	defer in.Close() //nolint:errcheck // only read: closing it cannot lose anything
	input := f.file
	if input != "-" {
		if abs, err := filepath.Abs(input); err == nil {
			input = abs
		}
	}
	q, name, err := openQueue(a.stop, spec)
	if err != nil {
		return a.fail("enqueue", err)
	}
	defer q.Close()
	id, err := q.Enqueue(a.stop, in, queue.Job{Vendor: vendor, Account: f.account, Input: input, Shards: f.shards, Force: f.force})
	switch {
	case a.stop.Err() != nil:
		fmt.Fprintln(a.stderr, "custsync enqueue: interrupted: nothing was enqueued")
		return exitIncomplete
	case errors.Is(err, queue.ErrInputRefused):
		return a.fail("enqueue", usagef("%s: %v", inputName(f.file), err))
	case err != nil:
		return a.fail("enqueue", fmt.Errorf("enqueueing %s in %s: %w; nothing was enqueued", inputName(f.file), name, err))
	}
	watch := commandLine(append(append([]string{"custsync", "runs"}, f.queue.flagArgs()...), "--run", strconv.FormatInt(int64(id), 10))...)
	fmt.Fprintf(a.stderr, "custsync enqueue: run %d: %s for %s, account %s, in %d %s; watch it with: %s\n",
		id, inputName(f.file), vendor, f.account, f.shards, plural(f.shards, "shard", "shards"), watch)
	printEnqueued := func() {
		if f.json {
			writeJSON(a.stdout, enqueuedJSON{Run: int64(id), Vendor: string(vendor), Account: f.account, Input: f.file, Shards: f.shards, Queue: name})
		} else {
			fmt.Fprintln(a.stdout, id)
		}
	}
	if !f.wait {
		printEnqueued()
		return exitOK
	}

	run, err := q.Wait(a.stop, id)
	if a.stop.Err() != nil {
		fmt.Fprintf(a.stderr, "custsync enqueue: interrupted: stopped waiting; run %d goes on in the workers; watch it with: %s\n", id, watch)
		printEnqueued() // what a script needs to wait for it again
		return exitIncomplete
	}
	if err != nil {
		return a.fail("enqueue", fmt.Errorf("waiting for run %d in %s: %w (it goes on in the workers: %s)", id, name, err, watch))
	}
	r := reportOf(&run.Report)
	if r.failed+r.notSent > 0 {
		r.failuresAt, r.closeErr = a.writeRunFailures(q, run, f.file, string(vendor))
	}
	tf := targetFlags{vendor: string(vendor)}
	pf := pushFlags{file: f.file, json: f.json,
		retry: func(file string) string {
			args := append([]string{"custsync", "enqueue"}, f.queue.flagArgs()...)
			args = append(args, "--vendor", string(vendor), "--account", f.account, "--file", file)
			return commandLine(args...)
		},
		summaryJSON: func(s pushSummaryJSON) any {
			return waitedJSON{Run: int64(id), Account: f.account, Queue: name, pushSummaryJSON: s}
		},
	}
	if !f.json {
		fmt.Fprintf(a.stdout, "enqueue: run %d finished: %d %s\n", id, run.Shards, plural(run.Shards, "shard", "shards"))
	}
	return a.pushSummary(r, pf, tf, nil)
}

// writeRunFailures writes the failures file of run as push names it next
// to file (its input), under the rules of push's own: 0600, a free name,
// never through a link. It returns where the file is.
func (a *app) writeRunFailures(q *queue.Queue, run *queue.Run, file, vendor string) (string, error) {
	path := bulk.DefaultFailuresPath(file, vendor, run.Enqueued)
	refuse := file
	if file == "-" {
		refuse = "/dev/stdin"
	}
	ff, err := bulk.CreateFailures(path, false, refuse)
	if err != nil {
		return "", fmt.Errorf("the failures file %s: %w", path, err)
	}
	// The run's failures are read from PostgreSQL with the abort context:
	// the first interrupt ended the waiting, not this.
	_, werr := q.WriteFailures(a.abort, run.ID, &lineAppender{ff: ff})
	where, cerr := ff.Close()
	if err := errors.Join(werr, cerr); err != nil {
		return where, fmt.Errorf("writing the failures file of run %d: %w", run.ID, err)
	}
	return where, nil
}

// lineAppender is an io.Writer that appends each whole line written to it
// to a failures file.
type lineAppender struct {
	ff      *bulk.FailuresFile
	pending []byte
}

func (l *lineAppender) Write(p []byte) (int, error) {
	l.pending = append(l.pending, p...)
	for {
		i := bytes.IndexByte(l.pending, '\n')
		if i < 0 {
			return len(p), nil
		}
		if err := l.ff.Append(l.pending[:i+1]); err != nil {
			return 0, err
		}
		l.pending = l.pending[i+1:]
	}
}
