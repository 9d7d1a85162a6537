package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/syncstate"
	"github.com/custsync/custsync/internal/redact"
)

const pushUsage = `Usage: custsync push --vendor upwell|bluetape|billbee --file PATH.jsonl|PATH.csv|- [flags]

Pushes a JSONL file, one customer per line in the canonical form of
"custsync update --help", or a CSV or TSV export, one customer per row,
through custsync's bulk API: --concurrency updates in flight, paced by
the vendor's rate limits, retried when that is safe. Blank lines are
skipped. The file is streamed: memory stays flat however long it is.

CSV and TSV (--format csv or tsv, or a file named .csv, .tsv or .tab):
RFC 4180 quoting, a header row first, the delimiter detected from it
(the most frequent of , ; and tab) or given with --delimiter. Without
--map, each column's name is a field's path (id, name, email, vatId,
upwell.dueOption, billbee.priceGroupId, ...); --map names a YAML or JSON
file that maps the export's own column names:

  columns:
    Kundennummer: id
    Firma: name
    E-Mail: email
    Weitere E-Mails: {field: ccEmails, separator: ";"}
    USt-IdNr.: {field: vatId, nullMarker: "-"}
    Zahlungsziel: upwell.dueOption
  ignore: [Anlagedatum, Bemerkung]
  nullMarker: '\N'

A column neither mapped nor ignored, a mapped column the export lacks,
and an export without the id's column are refused, naming them, and
nothing is sent. Cells are trimmed of spaces. An empty cell leaves its
field as it is; a cell holding the null marker (--null, else the
mapping's nullMarker, or a column's own) clears it. Whole numbers,
modifiedAt (RFC 3339 with its offset), ccEmails (separated by , or the
column's separator) and metadata (a JSON object) are converted; a cell
that does not convert fails its row alone, naming line, column and
field. The whole export is read once before anything is sent: a byte
that is no text in its --encoding (default utf-8; windows-1252,
iso-8859-1, utf-16 ...) or a quote out of place is refused, naming its
line, and nothing is sent; standard input is copied to a temporary file
for that ($TMPDIR, removed at once, the size of the input).

Lines for the same customer (the vendor's own key: Upwell's sourceSystem
and id, the id elsewhere) are never sent at the same time and apply in
the order of the file, so the last line wins; other customers keep
flowing meanwhile. Once a customer's line fails, its later lines are
held back (code FailedPrecondition, nothing sent) and follow it in the
failures file, so pushing that file again keeps their order.

Every record ends in exactly one of three places: succeeded; failed (in
the failures file with the vendor's error); or not sent (in the failures
file with code Canceled), after an interrupt, the --deadline, or a halt.
A line that fails, including one that is not a valid customer, does not
stop the push. The failures file holds the original JSON object plus a
key "_error" {line, vendor, code, message, httpStatus, vendorCode,
retryable} (a line that is not a JSON object goes as {"_raw": "<the
line>", "_error": ...}). push reads its own failures files, ignoring
"_error", so fix the lines and push that file again. The failures file
of a CSV export is CSV in its delimiter, line endings and encoding: the
header plus a column _error holding that object, then each failed row
as it was read; fix it in a spreadsheet and push it again with the same
--map, --null and --encoding (the summary prints the command).

Each run but a dry run writes a failures file of its own, only if
something failed:
customers.jsonl -> customers.failures-VENDOR-20261201T100327Z.jsonl next
to it (the run's start, UTC; .csv or .tsv for those formats),
failures-VENDOR-...jsonl in the working directory for standard input. It never deletes or overwrites a file it
did not write; --failures PATH names the file instead and replaces it.
Failures are written as they happen to PATH.partial-XXXXXXXX, which
becomes the failures file at the end; a push killed before its end
leaves that file behind, with PATH.partial-XXXXXXXX.rest beside it when
some lines of the input it did not send are not in it, and the next run
reports both: which lines are where, and what to push again. The
failures file may not be the input, not even as redirected standard
input.

A wrong setup costs a few requests, not one per line: until the vendor
has answered a record with anything but a refusal of the credentials or
of the base URL (it took it, refused it for its own sake, such as a
missing customer, or throttled or failed it after every retry), push
sends one record at a time, and it halts once --setup-check
records in a row (3) were refused for the credentials or found no
endpoint at the base URL, or, before that, once 3 attempts found no
server at the host and port. No line needs fixing then: fix the setup
and push the failures file again.

The run halts, says why on stderr and in the summary, and reports the
rest as not sent, on such a setup, when the vendor cannot be reached at
all (refused or timed-out connections, DNS or TLS failures, a shared
rate limiter that is down) for 20 seconds, when it answers none of the
records in flight for 2 minutes (it accepts connections but never
answers), or when --halt-after records in a row fail with retryable
errors.

Progress goes to stderr (a bar on a terminal, a line every 5 seconds
otherwise): records sent, unchanged and failed, records per second, and
when the vendor throttles (429) or fails and records are retried; records
not sent never move it. A summary goes to stdout, or one JSON object with
--json:
{"succeeded","unchanged","dryRun","failed","notSent","byCode","dropped","halted","haltReason",
"failuresFile","elapsedSeconds","recordsPerSecond","mismatched"}. An interrupt
(Ctrl-C, SIGTERM or SIGHUP) sends no more records and waits for those in
flight; a second aborts those in flight (recorded as Canceled, "may or
may not have applied"); a third kills push at once.

With --state (or CUSTSYNC_STATE), push remembers each record the vendor
confirmed, in a SQLite file (created on first use) or a PostgreSQL
database (a postgres:// URL or a libpq 'host=... dbname=...' string),
and skips the records the vendor last confirmed for that vendor,
credential, server and customer: no request, counted as "unchanged".
A record is recorded only after the vendor confirmed it, and counted only
once that is on disk, so after a crash (even kill -9) the same command
sends only what the state does not hold. --refresh-after sends again what
was confirmed longer ago; --force sends everything and still records.
Billbee updates whose values Billbee already holds cost their read and no
write, and count as unchanged too, with or without a state.

A push with a state store (but a dry run) also records its run there: as
it starts, and as it ends, with its counts, exit status and failures
file, and the first failure of each customer that failed. "custsync
runs" lists the runs; "custsync explain" shows what the store knows of
one customer, after the failures file is gone too.

--dry-run sends no write and writes nothing anywhere: it counts the
records that would be sent ("succeeded" in --json, with "dryRun": true)
and those unchanged (with a state, or after Billbee's read). It opens the
state read-only: it creates no state file or table, changes not a byte
of an existing one, and reads one it may not write. It writes no
failures file either ("failuresFile" is ""; --failures is refused):
every failed line is listed on stderr, and the summary says how to check
the input again. Billbee is still read, paced by --rate-limit as usual.

--max-changes LIMIT guards against a broken export (every customer's
e-mail gone, say): before sending anything, push reads the input once to
its end and counts, by the rules of the run (--state read as the run
reads it, nothing written, no request), the records it would send and
the fields they would clear (set to null, or to an empty value: "", [],
{}). LIMIT is a number (100) or a share of the records in the input
(10%, 2.5%). When more records would be sent, or more fields cleared,
push sends nothing, says what it counted (by field set and cleared, and
a few records by line and key) and exits 4. --max-clears LIMIT bounds the
fields cleared instead: without --state every valid record is a change,
and the clears are what tell a broken export. The input is read twice,
so --file - is refused, and one that changes while it is counted is not
sent (exit 3). With --state the first night sends everything: push it
without --max-changes. With --json the summary gains "guard":
{"maxChanges","maxClears","records","wouldSend","sendLimit","wouldClear",
"clearLimit","set","cleared","examples","clearingExamples","refused"}.

--dry-run --plan shows the plan record by record: a line for each record
that would be sent, with the fields it sets and clears and, for Billbee
(after its read), each field the write would change and its current
value; with --json one JSON object per record,
{"line","id","key","set","cleared","changes"}, before the summary. A
--state holds fingerprints of what was confirmed, not values: it tells
which records changed, not which fields. With --max-changes, a dry run
counts first as a push would and exits 4 if the push would be refused.

Exit status: 0 if every record succeeded; 1 if some failed but every one
was tried; 3 if the run halted, reached its --deadline or was
interrupted before every record was tried (or the input could not be
read to its end, or grew while it was read); 4 if --max-changes or
--max-clears refused the run (nothing was sent); 2 for bad usage
(nothing was sent). An input with no record exits 0 and says so.

Flags:
%flags%
Examples:
  custsync push --sandbox --vendor billbee --file examples/customers.jsonl
  custsync push --vendor upwell --file export.jsonl --concurrency 8 --deadline 2h --json
  custsync push --vendor billbee --file export.jsonl --state /var/lib/custsync/state.db --max-changes 10%   # nightly: only what changed
  custsync push --vendor billbee --file export.jsonl --state /var/lib/custsync/state.db --dry-run --plan
  custsync push --vendor upwell --file export.failures-upwell-20261201T100327Z.jsonl   # after fixing the failed lines
  custsync push --vendor upwell --file kunden.csv --map kunden-map.yaml --encoding windows-1252 --state state.db
  erp-export --customers | custsync push --vendor billbee --file - --format csv --map kunden-map.yaml
`

// maxConcurrency bounds --concurrency: beyond it a vendor's rate limit is
// the bottleneck anyway, and each slot holds a connection and a record.
const maxConcurrency = 256

// maxRecordAttempts bounds --record-attempts: with doubling pauses, more
// would keep one record for hours.
const maxRecordAttempts = 20

// pushFlags are push's own flags, beside the target flags.
type pushFlags struct {
	file, failures string
	input          inputFlags
	format         string // the input's format, once resolved
	json           bool
	settings       pushSettings
	// The sync state: --state (stateSet when given, even empty),
	// --refresh-after, --force; and --dry-run.
	state        string
	stateSet     bool
	refreshAfter time.Duration
	force        bool
	dryRun       bool
	stateName    string // the store, for messages (no password)
	// The guard against a broken export: --max-changes and --max-clears
	// as given, and as read; --plan.
	maxChanges, maxClears string
	guard                 bulk.Guard
	plan                  bool
	// retry is the command line that sends the failures file again, for
	// the summary; nil: push's own (pushAgain). A run worked by a queue's
	// workers is enqueued again instead.
	retry func(failuresFile string) string
	// summaryJSON wraps the --json summary in the keys of a command that
	// adds its own (enqueue's run id); nil: the summary as it is.
	summaryJSON func(pushSummaryJSON) any
}

// retryCommand is the command line that sends file, a failures file, again
// with the run's flags.
func (f *pushFlags) retryCommand(tf targetFlags, file string) string {
	if f.retry != nil {
		return f.retry(file)
	}
	return pushAgain(tf, f.state, file, false, f.input.againArgs(f.format, file)...)
}

// The defaults of push's flags: those of the bulk engine.
const (
	defaultConcurrency    = 4
	defaultRecordAttempts = 5
	defaultHaltAfter      = 50
	defaultSetupCheck     = 3
)

func (f *pushFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.file, "file", "", "the input `PATH`, JSONL, CSV or TSV (see --format); - is standard input (required)")
	f.input.register(fs)
	fs.StringVar(&f.failures, "failures", "", "write failed lines to `PATH`, replacing it (default: a file of the run's own,\nINPUT.failures-VENDOR-YYYYMMDDTHHMMSSZ.jsonl, .csv or .tsv, next to the input)")
	fs.IntVar(&f.settings.concurrency, "concurrency", defaultConcurrency, "`N` updates in flight at once, 1 to 256")
	fs.IntVar(&f.settings.recordAttempts, "record-attempts", defaultRecordAttempts, fmt.Sprintf("try a record that fails retryably up to `N` times in all, 1 to %d (pauses of 2s, 4s, ...)", maxRecordAttempts))
	fs.IntVar(&f.settings.haltAfter, "halt-after", defaultHaltAfter, "halt once `N` records in a row failed retryably, reporting the rest as not sent;\n0 never halts for that (an unreachable vendor still halts the run)")
	fs.IntVar(&f.settings.setupCheck, "setup-check", defaultSetupCheck, "send one record at a time until the vendor answers one with anything but a refusal of\nthe credentials or base URL, and halt once `N` records in a row were refused so (or N attempts found no server);\n0 starts at full concurrency and halts only as --halt-after says")
	fs.DurationVar(&f.settings.deadline, "deadline", 0, "start no record `DURATION` (such as 90m) after push began (a --max-changes count included);\nthe rest are reported as not sent")
	fs.BoolVar(&f.json, "json", false, "print the summary as one JSON object on stdout")
	fs.StringVar(&f.state, "state", "", "remember what the vendor confirmed in the SQLite file `PATH` (created on first use)\nor the PostgreSQL database postgres://... or 'host=... dbname=...', and skip records\nconfirmed unchanged (default: $"+envState+"; --state '' turns it off)")
	fs.DurationVar(&f.refreshAfter, "refresh-after", 0, "with --state, send again records last confirmed longer than `DURATION` ago (such as 168h)")
	fs.BoolVar(&f.force, "force", false, "with --state, send every record whatever the state holds, and still record it")
	fs.StringVar(&f.maxChanges, "max-changes", "", "before sending anything, count what would be sent, and send nothing (exit 4) when more\nthan `LIMIT` records would be sent or fields cleared: a number (100) or a share of the\nrecords in the input (10%)")
	fs.StringVar(&f.maxClears, "max-clears", "", "like --max-changes, for the fields cleared (set to null or emptied) alone: `LIMIT`\nrecords or a share (1%); bounds them instead of --max-changes")
	fs.BoolVar(&f.plan, "plan", false, "with --dry-run, show each record that would be sent: its fields set and cleared,\nand (Billbee) each change; with --json one object per record before the summary")
	fs.BoolVar(&f.dryRun, "dry-run", false, "send no write and write nothing anywhere: count what would be sent and what is\nunchanged (Billbee records are read, to tell), read --state read-only, and list\nfailed lines on stderr instead of in a failures file")
}

func (f *pushFlags) check() error {
	switch {
	case f.file == "":
		return usagef("--file is required (use --file - for standard input)")
	case f.settings.concurrency < 1 || f.settings.concurrency > maxConcurrency:
		return usagef("--concurrency %d is out of range 1..%d", f.settings.concurrency, maxConcurrency)
	case f.settings.recordAttempts < 1 || f.settings.recordAttempts > maxRecordAttempts:
		return usagef("--record-attempts %d is out of range 1..%d", f.settings.recordAttempts, maxRecordAttempts)
	case f.settings.haltAfter < 0:
		return usagef("--halt-after %d: want 0 or more", f.settings.haltAfter)
	case f.settings.setupCheck < 0:
		return usagef("--setup-check %d: want 0 or more", f.settings.setupCheck)
	case f.settings.deadline < 0:
		return usagef("--deadline %s: want a positive duration", f.settings.deadline)
	case f.refreshAfter < 0:
		return usagef("--refresh-after %s: want a positive duration", f.refreshAfter)
	case f.dryRun && f.failures != "":
		return usagef("--failures names a file, and a dry run writes none (its failed lines go to stderr); drop --failures or --dry-run")
	case f.plan && !f.dryRun:
		return usagef("--plan shows a dry run's plan record by record; add --dry-run")
	}
	return f.parseGuard()
}

func (a *app) push(args []string) int {
	launched := time.Now()
	fs := newFlagSet("push", pushUsage)
	var tf targetFlags
	tf.register(fs)
	var pf pushFlags
	pf.register(fs)
	if code, done := a.parse(fs, args); done {
		return code
	}
	fs.Visit(func(f *flag.Flag) { pf.stateSet = pf.stateSet || f.Name == "state" })
	if err := pf.check(); err != nil {
		return a.fail("push", err)
	}
	spec := stateSpec(pf.state, pf.stateSet)
	if spec == "" && (pf.refreshAfter > 0 || pf.force) {
		return a.fail("push", usagef("--refresh-after and --force need a state store (--state or %s)", envState))
	}
	vendor, err := tf.check()
	if err != nil {
		return a.fail("push", err)
	}
	if pf.format, err = pf.input.resolve(pf.file); err != nil {
		return a.fail("push", err)
	}
	var csvCfg bulk.CSVConfig
	if pf.format != formatJSONL {
		if csvCfg, err = pf.input.csvConfig(pf.format); err != nil {
			return a.fail("push", err)
		}
	}
	in, _, size, err := openInput(pf.file, a.stdin)
	if err != nil {
		return a.fail("push", err)
	}
	defer in.Close() //nolint:errcheck // only read: closing it cannot lose anything
	// newReader reads the input from where in stands: once for the push,
	// and with a guard once before, to count.
	newReader := func() (inputReader, error) { return bulk.NewJSONLReader(in), nil }
	if pf.format != formatJSONL {
		source, csvSize, release, err := openCSV(in, pf.file, csvCfg)
		defer release()
		if err != nil {
			return a.fail("push", err)
		}
		size = csvSize
		newReader = func() (inputReader, error) {
			r, err := bulk.NewCSVReader(source, csvCfg)
			if err != nil {
				return nil, csvRefused(pf.file, csvCfg, err)
			}
			return r, nil
		}
	}
	// Made now, so that a header or mapping at fault is refused before
	// anything else is opened.
	reader, err := newReader()
	if err != nil {
		return a.fail("push", err)
	}
	path, explicit := pf.failures, pf.failures != ""
	if explicit && namesAnotherFormat(path, pf.format) {
		return a.fail("push", usagef("--failures %s: the failures file of this push is %s, in the input's own format, and its name would have it read as %s when pushed again; name it %s",
			path, pf.format, formatOf(path), "."+pf.format))
	}
	if !explicit {
		path = bulk.DefaultFailuresPathFor(pf.file, string(vendor), time.Now(), "."+pf.format)
	}
	t, err := openTarget(vendor, tf, a.stderr)
	if err != nil {
		return a.fail("push", err)
	}
	defer t.close()
	var store syncstate.Store
	refuse := []string{pf.file, pf.input.mapping}
	if pf.file == "-" {
		refuse[0] = "/dev/stdin"
	}
	if spec != "" {
		s, name, err := openState(a.stop, spec, pf.dryRun)
		if err != nil {
			return a.fail("push", usagef("--state: %v", err))
		}
		defer func() {
			// Every record's state was committed before its outcome was
			// reported: a failed close loses none of it, but says the store
			// is unwell.
			if err := s.Close(); err != nil {
				fmt.Fprintf(a.stderr, "custsync push: closing the state store %s: %v\n", name, err)
			}
		}()
		pf.stateName, store = name, s
		if !isPostgres(spec) {
			refuse = append(refuse, spec)
		}
	}
	for _, stale := range bulk.StaleFailures(path, explicit) {
		fmt.Fprintln(a.stderr, staleMessage(stale))
	}
	var guard *guardCheck
	if !pf.guard.IsZero() {
		file, ok := in.(*os.File)
		if !ok || size < 0 {
			return a.fail("push", usagef("%s reads the input twice (once to count what would be sent, once to send it), and %s is not a regular file: write it to one and push that", pf.guardFlags(), pf.file))
		}
		check := a.checkGuard(pf, t.client, store, file, newReader)
		guard = &check
		if check.problem != "" || check.refused != nil && !pf.dryRun {
			return a.guardStopped(check, pf, tf)
		}
		switch {
		case !pf.dryRun:
			fmt.Fprintf(a.stderr, "push: %s: %s; sending\n", pf.guardFlags(), check.counted(pf.guard))
		case check.refused != nil:
			fmt.Fprintf(a.stderr, "push: %s: %s; a push would be refused (exit 4)\n", pf.guardFlags(), check.counted(pf.guard))
			a.explainRefusal(check, pf)
		default:
			fmt.Fprintf(a.stderr, "push: %s: %s; a push would go ahead\n", pf.guardFlags(), check.counted(pf.guard))
		}
		// The count read the input to its end and went back to its start.
		if reader, err = newReader(); err != nil {
			return a.fail("push", err)
		}
	}
	var failures *bulk.FailuresFile // none in a dry run: its failures go to stderr
	if !pf.dryRun {
		failures, err = bulk.CreateFailures(path, explicit, refuse...)
		if err != nil {
			return a.fail("push", failuresRefused(err, pf.file, pf.input.mapping))
		}
	}
	pf.settings.dryRun, pf.settings.refreshAfter, pf.settings.force = pf.dryRun, pf.refreshAfter, pf.force
	var recorder *runRecorder // a dry run records nothing, its run neither
	if log, ok := store.(syncstate.RunLog); ok && !pf.dryRun {
		recorder = startRun(log, t.client, pf.file, a.stderr)
	}

	var printPlan func(bulk.Outcome)
	if pf.plan {
		printPlan = (&planPrinter{w: a.stdout, json: pf.json, client: t.client}).print
	}
	p := &pusher{
		vendor:   t.vendor,
		client:   t.client,
		settings: pf.settings,
		input:    &countingReader{Reader: reader},
		failures: failures,
		store:    store,
		recorder: recorder,
		stop:     a.stop,
		abort:    a.abort,
		newProgress: func(snapshot func() counts) progress {
			return newProgress(a.stderr, a.stderrTTY, size, a.progressEvery, snapshot)
		},
		printPlan: printPlan,
		launched:  launched,
	}
	report := p.run()
	report.guard = guard
	if report.readErr == nil {
		report.grewBy = grownBy(in, reader.Offset())
	}
	if failures != nil {
		report.failuresAt, report.closeErr = failures.Close()
	}
	code := a.pushSummary(report, pf, tf, recorder)
	if recorder != nil {
		recorder.finish(report, stopsOf(report, pf), code)
	}
	return code
}

// staleMessage tells the user what an earlier push that did not finish
// left in stale, and what to do about it. With a rest file, the partial
// file is not the whole story: the lines of the input that the push had
// not sent, and not yet written to it, are in no file, and pushing the
// input again is what sends them.
func staleMessage(stale bulk.StaleFile) string {
	rest := stale.Rest
	if rest == nil {
		if stale.Lines == 0 {
			return fmt.Sprintf("custsync push: %s is left from an earlier push that did not finish (killed, or still running) and holds no failure; once it is not running, delete it", stale.Path)
		}
		return fmt.Sprintf("custsync push: %s holds %d %s of an earlier push that did not finish (killed, or still running); once it is not running, push that file to retry them, then delete it",
			stale.Path, stale.Lines, plural(stale.Lines, "failure", "failures"))
	}
	what := fmt.Sprintf("holds %d %s of an earlier push that did not finish (killed, or still running)", stale.Lines, plural(stale.Lines, "failure", "failures"))
	if stale.Lines == 0 {
		what = "is left from an earlier push that did not finish (killed, or still running)"
	}
	input, again := rest.Input.Path, "push "+rest.Input.Path+" again"
	switch {
	case input == "":
		input, again = "its input (not a file)", "push that input again"
	case rest.Changed:
		input += " as it was then (it has changed since)"
		again = "push that export again"
	}
	unsent := fmt.Sprintf("it was still sending %s, and the lines it had not sent are in no file", input)
	if rest.Line > 0 {
		unsent = fmt.Sprintf("lines %d to the end of %s were not sent and are not all in it", rest.Line, input)
	}
	return fmt.Sprintf("custsync push: %s %s; %s: once it is not running, %s, then delete %s and %s", stale.Path, what, unsent, again, stale.Path, rest.Path)
}

// failuresRefused is the usage error of a failures path push may not
// write, naming in words what it is.
func failuresRefused(err error, input, mapping string) error {
	var refused *bulk.RefusedError
	if !errors.As(err, &refused) {
		return usagef("%v", err)
	}
	what := "the state store " + refused.Refused
	switch refused.Refused {
	case "/dev/stdin":
		what = "standard input"
	case input:
		what = "the input file"
	case mapping:
		what = "the mapping file"
	}
	if refused.Companion != "" {
		what = fmt.Sprintf("a companion file (%s) of %s", refused.Companion, what)
	}
	return usagef("the failures file %s is %s; name another with --failures", refused.Path, what)
}

// grownBy is how many bytes a regular input file holds past what push
// read of it: lines written to it after push reached its end (an export
// still being written). 0 for anything else.
func grownBy(in io.Reader, read int64) int64 {
	f, ok := in.(*os.File)
	if !ok {
		return 0
	}
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		return 0
	}
	return max(info.Size()-read, 0)
}

// openInput opens the input. info describes it when it is a file (standard
// input included, when it is one; nil otherwise), for failuresPath's
// check; size is its size in bytes for the progress bar, or -1 when it is
// not a regular file or is standard input.
func openInput(path string, stdin io.Reader) (in io.ReadCloser, info fs.FileInfo, size int64, err error) {
	if path == "-" {
		if f, ok := stdin.(interface{ Stat() (fs.FileInfo, error) }); ok {
			info, _ = f.Stat() // nil on error: nothing to compare
		}
		return io.NopCloser(stdin), info, -1, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, 0, usagef("cannot read the input: %v", err)
	}
	info, err = f.Stat()
	if err != nil {
		_ = f.Close() // only opened for reading
		return nil, nil, 0, usagef("cannot read the input: %v", err)
	}
	if info.IsDir() {
		_ = f.Close()
		return nil, nil, 0, usagef("the input %s is a directory", path)
	}
	if !info.Mode().IsRegular() {
		return f, info, -1, nil
	}
	return f, info, info.Size(), nil
}

// stopsOf says why the run did not send every record, for stderr, the
// summary and the run log; nil when nothing stopped it.
func stopsOf(r pushReport, pf pushFlags) []string {
	var stops []string
	if r.haltReason != "" {
		stops = append(stops, "halted: "+r.haltReason)
	}
	if r.deadlineHit {
		stops = append(stops, fmt.Sprintf("the --deadline of %s passed", pf.settings.deadline))
	}
	if r.interrupted {
		stops = append(stops, "interrupted")
	}
	if r.writeErr != nil {
		stops = append(stops, "the failures file could not be written")
	}
	return stops
}

// pushSummary prints the summary on stdout (or, with --json, one JSON
// object), problems on stderr, and returns the exit code. recorder is the
// run's record in the state store's run log, nil when there is none.
func (a *app) pushSummary(r pushReport, pf pushFlags, tf targetFlags, recorder *runRecorder) int {
	rate := 0.0
	if s := r.elapsed.Seconds(); s > 0 {
		// Only records tried count: unchanged and not-sent ones took no request.
		rate = float64(r.ok+r.failed) / s
	}
	notSentIn := "code Canceled in the failures file"
	switch {
	case pf.dryRun:
		notSentIn = "a dry run writes no failures file"
	case r.failuresAt != "":
		notSentIn = "code Canceled in " + r.failuresAt
	}
	stops := stopsOf(r, pf)
	if len(stops) > 0 {
		fmt.Fprintf(a.stderr, "custsync push: %s: %d %s not sent\n", strings.Join(stops, "; "), r.notSent, plural(r.notSent, "record was", "records were"))
	}
	if r.records == 0 && r.readErr == nil {
		fmt.Fprintf(a.stderr, "custsync push: %s holds no record; nothing was sent\n", inputName(pf.file))
	}

	if pf.json {
		a.pushJSON(r, tf.vendor, pf, rate)
	} else {
		switch {
		case pf.dryRun:
			fmt.Fprintf(a.stdout, "push: dry run, nothing written: %d would be sent, %d unchanged, %d failed, %d not sent in %s (%.1f records/s)\n",
				r.ok, r.unchanged, r.failed, r.notSent, roundDuration(r.elapsed), rate)
		case r.unchanged > 0 || pf.stateName != "":
			fmt.Fprintf(a.stdout, "push: %d succeeded, %d unchanged, %d failed, %d not sent in %s (%.1f records/s)\n",
				r.ok, r.unchanged, r.failed, r.notSent, roundDuration(r.elapsed), rate)
		default:
			fmt.Fprintf(a.stdout, "push: %d succeeded, %d failed, %d not sent in %s (%.1f records/s)\n", r.ok, r.failed, r.notSent, roundDuration(r.elapsed), rate)
		}
		if pf.stateName != "" && !pf.dryRun {
			fmt.Fprintf(a.stdout, "push: state in %s\n", pf.stateName)
		}
		if g := r.guard; g != nil {
			verdict := "within the limits"
			if g.refused != nil {
				verdict = "a push would be refused (exit 4)"
			}
			fmt.Fprintf(a.stdout, "push: %s: %s; %s\n", pf.guardFlags(), g.counted(pf.guard), verdict)
		}
		if recorder != nil {
			fmt.Fprintf(a.stdout, "push: recorded as run %d; list the runs with: %s\n", recorder.run.ID, runsCommand(pf.state))
		}
		if len(stops) > 0 {
			fmt.Fprintf(a.stdout, "push: %s: %d %s not sent (%s)\n", strings.Join(stops, "; "), r.notSent, plural(r.notSent, "record was", "records were"), notSentIn)
		}
		if len(r.dropped) > 0 {
			var parts []string
			for _, f := range slices.Sorted(maps.Keys(r.dropped)) {
				parts = append(parts, fmt.Sprintf("%s (%d)", f, r.dropped[f]))
			}
			fmt.Fprintf(a.stdout, "push: dropped in lenient mode (the vendor cannot store them): %s\n", strings.Join(parts, ", "))
		}
		if len(r.mismatched) > 0 {
			var parts []string
			for _, f := range slices.Sorted(maps.Keys(r.mismatched)) {
				parts = append(parts, fmt.Sprintf("%s (%d)", f, r.mismatched[f]))
			}
			fmt.Fprintf(a.stdout, "push: stored otherwise than sent (succeeded, not recorded as synced): %s\n", strings.Join(parts, ", "))
		}
		switch {
		case pf.dryRun && r.failed > 0:
			fmt.Fprintf(a.stdout, "push: dry run: the failed lines are listed on stderr, in no file; fix them in %s and check again: %s\n",
				inputName(pf.file), pushAgain(tf, pf.state, pf.file, true, pf.input.againArgs(pf.format, pf.file)...))
		case pf.dryRun && r.notSent > 0:
			fmt.Fprintf(a.stdout, "push: dry run: check again: %s\n", pushAgain(tf, pf.state, pf.file, true, pf.input.againArgs(pf.format, pf.file)...))
		case r.haltSetup && r.writeErr == nil && r.failuresAt != "":
			fmt.Fprintf(a.stdout, "push: no line needs fixing: the %d not applied are in %s as they were; fix the credentials or base URL and push that file again: %s\n",
				r.failed+r.notSent, r.failuresAt, pf.retryCommand(tf, r.failuresAt))
		case r.failed+r.notSent > 0 && r.writeErr == nil && r.failuresAt != "":
			fmt.Fprintf(a.stdout, "push: failed lines are in %s; fix them and push again: %s\n", r.failuresAt, pf.retryCommand(tf, r.failuresAt))
		}
	}

	code := exitOK
	if r.failed > 0 {
		code = exitFailed
	}
	if r.notSent > 0 || r.haltReason != "" {
		code = exitIncomplete
	}
	if r.readErr != nil {
		fmt.Fprintf(a.stderr, "custsync push: %s: %v; the lines after it were not pushed\n", inputName(pf.file), r.readErr)
		code = exitIncomplete
	}
	if r.grewBy > 0 {
		fmt.Fprintf(a.stderr, "custsync push: %s grew by %d bytes while it was pushed; what was written after push reached its end was not read: push the file again once it is complete\n", inputName(pf.file), r.grewBy)
		code = max(code, exitIncomplete)
	}
	if r.writeErr != nil {
		fmt.Fprintf(a.stderr, "custsync push: %v; failures after it were not recorded and no more records were sent\n", r.writeErr)
		if r.failuresAt != "" {
			fmt.Fprintf(a.stderr, "custsync push: the failures recorded before it are in %s\n", r.failuresAt)
		}
	}
	if r.closeErr != nil {
		fmt.Fprintf(a.stderr, "custsync push: %v\n", r.closeErr)
		code = max(code, exitFailed)
	}
	if r.guard != nil && r.guard.refused != nil {
		code = exitRefused // a dry run whose push the guard would refuse
	}
	return code
}

// guardStopped ends a push that the count before sending stopped: the
// guard refused it (exit 4), or the count did not cover the input (exit
// 3). Nothing was sent, and no failures file was created.
func (a *app) guardStopped(g guardCheck, pf pushFlags, tf targetFlags) int {
	code, summary := exitRefused, ""
	if g.problem != "" {
		code = exitIncomplete
		summary = fmt.Sprintf("%s: could not count what would be sent: %s; nothing was sent", pf.guardFlags(), g.problem)
		fmt.Fprintf(a.stderr, "custsync push: %s\n", summary)
	} else {
		summary = fmt.Sprintf("refused by %s: %s; nothing was sent", pf.guardFlags(), g.counted(pf.guard))
		fmt.Fprintf(a.stderr, "custsync push: %s\n", summary)
		a.explainRefusal(g, pf)
	}
	if !pf.json {
		fmt.Fprintf(a.stdout, "push: %s\n", summary)
		return code
	}
	r := pushReport{started: g.plan.Started, elapsed: g.plan.Elapsed, guard: &g}
	if g.problem != "" {
		r.haltReason = "could not count what would be sent: " + g.problem
	}
	a.pushJSON(r, tf.vendor, pf, 0)
	return code
}

// pushSummaryJSON is push --json's output. Its keys are part of the
// command's contract.
type pushSummaryJSON struct {
	// What ran, for a log that keeps many nights' summaries: when it
	// started (RFC 3339, UTC), the vendor, the input ("-" for standard
	// input) and the state store ("" for none; a URL's password masked).
	Started          string         `json:"started"`
	Vendor           string         `json:"vendor"`
	Input            string         `json:"input"`
	State            string         `json:"state"`
	Succeeded        int            `json:"succeeded"` // with dryRun: would be sent
	Unchanged        int            `json:"unchanged"` // succeeded without a write: confirmed in the state store, or Billbee already held it
	DryRun           bool           `json:"dryRun"`
	Failed           int            `json:"failed"`
	NotSent          int            `json:"notSent"`
	ByCode           map[string]int `json:"byCode"`     // every failures-file line, by portable code
	Dropped          map[string]int `json:"dropped"`    // fields dropped in lenient mode, by name
	Mismatched       map[string]int `json:"mismatched"` // fields the vendor stored otherwise than sent, by name
	Halted           bool           `json:"halted"`
	HaltReason       string         `json:"haltReason"`
	FailuresFile     string         `json:"failuresFile"` // "" when nothing failed
	ElapsedSeconds   float64        `json:"elapsedSeconds"`
	RecordsPerSecond float64        `json:"recordsPerSecond"` // records tried (succeeded + failed), per second
	// Guard is what the count before sending found; only with
	// --max-changes or --max-clears.
	Guard *guardJSON `json:"guard,omitempty"`
}

func (a *app) pushJSON(r pushReport, vendor string, pf pushFlags, rate float64) {
	out := pushSummaryJSON{
		Started: r.started.UTC().Format(time.RFC3339), Vendor: vendor, Input: pf.file, State: pf.stateName,
		Succeeded: r.ok, Unchanged: r.unchanged, DryRun: pf.dryRun, Failed: r.failed, NotSent: r.notSent,
		ByCode: r.byCode, Dropped: r.dropped, Mismatched: r.mismatched,
		Halted: r.haltReason != "", HaltReason: r.haltReason,
		FailuresFile:     r.failuresAt,
		ElapsedSeconds:   math.Round(r.elapsed.Seconds()*1000) / 1000,
		RecordsPerSecond: math.Round(rate*10) / 10,
	}
	if out.ByCode == nil {
		out.ByCode = map[string]int{}
	}
	if out.Mismatched == nil {
		out.Mismatched = map[string]int{}
	}
	if out.Dropped == nil {
		out.Dropped = map[string]int{}
	}
	if r.guard != nil {
		out.Guard = r.guard.json(pf)
	}
	var v any = out
	if pf.summaryJSON != nil {
		v = pf.summaryJSON(out)
	}
	enc := json.NewEncoder(a.stdout)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // plain values always encode
}

func inputName(file string) string {
	if file == "-" {
		return "standard input"
	}
	return file
}

func roundDuration(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

// pushAgain is the command line that pushes file (the failures file, or
// a dry run's input) with the same target, for the summary.
// The flags that shaped the run go again, so the retry runs as this run
// did (a retry without --state would send everything again and record
// nothing), a dry run's as a dry run. A --state, --rate-limit or
// --base-url is shown without its password (redact.ConnString); from the
// environment they need no flag. input are the flags that read the input
// (a CSV input's mapping, encoding...), which go before --file.
func pushAgain(tf targetFlags, state, file string, dryRun bool, input ...string) string {
	args := []string{"custsync", "push", "--vendor", tf.vendor}
	switch {
	case tf.sandbox:
		args = append(args, "--sandbox")
	case tf.baseURL != "":
		args = append(args, "--base-url", redact.ConnString(tf.baseURL))
	}
	if tf.lenient {
		args = append(args, "--lenient")
	}
	if tf.strict {
		args = append(args, "--strict")
	}
	if state != "" {
		args = append(args, "--state", redact.ConnString(state))
	}
	if tf.rateLimit != "" {
		args = append(args, "--rate-limit", redact.ConnString(tf.rateLimit))
	}
	if dryRun {
		args = append(args, "--dry-run")
	}
	args = append(args, input...)
	args = append(args, "--file", file)
	for i, a := range args {
		args[i] = shellQuote(a)
	}
	return strings.Join(args, " ")
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// characters that never need quoting.
func shellQuote(s string) string {
	safe := s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r))
	}) < 0
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
