package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/syncstate"
	"github.com/custsync/custsync/specs"
)

// The errors of records the push itself kept from finishing, as the
// failures file says them. All wrap context.Canceled.
var (
	errNotSent  = fmt.Errorf("not sent: the push was interrupted: %w", context.Canceled)
	errDeadline = fmt.Errorf("not sent: the push reached its --deadline: %w", context.Canceled)
	errAborted  = fmt.Errorf("aborted in flight by a second interrupt; the vendor may or may not have applied it: %w", context.Canceled)
)

// maxNotes is how many failures push prints on stderr; all of them are in
// the failures file.
const maxNotes = 20

// pusher wires a push to the bulk engine: it turns the two interrupts and
// --deadline into the run's stop and ctx, with causes that say why in the
// failures file, and shows the run's outcomes as progress and notes. The
// engine owns the run itself: order, state, failures file, halts.
type pusher struct {
	vendor   specs.Vendor
	client   bulk.Client
	settings pushSettings
	input    *countingReader
	// failures is nil in a dry run, which writes no file: every failure
	// is then noted on stderr, not only the first maxNotes.
	failures *bulk.FailuresFile
	store    syncstate.Store // nil without --state
	// recorder records the failures in the state store's run log; nil
	// without one, and in a dry run.
	recorder *runRecorder
	// stop ends the sending of new records (first interrupt), with cause
	// errNotSent; abort ends the records in flight (second interrupt),
	// with cause errAborted.
	stop, abort context.Context
	// newProgress builds the display once the run has started.
	newProgress func(snapshot func() counts) progress
	// printPlan shows each outcome of a dry run as a record of the plan
	// (--plan); nil otherwise.
	printPlan func(bulk.Outcome)
	// launched is when the push began, before any count of
	// --max-changes: --deadline runs from it. Zero: when the run starts.
	launched time.Time

	mu         sync.Mutex
	progress   progress
	settled    int64 // outcomes seen
	maxPending int64 // high-water mark of records read and not yet settled, for tests of flat memory
	ok, failed int
	unchanged  int
	notSent    int
	mismatches int // records stored otherwise than sent, for the stderr notes
	haltReason string
	notes      int
	started    time.Time
	// The vendor's trouble, from every attempt (see attempt).
	throttled, failing atomic.Int64
	lastTrouble        atomic.Int64 // Unix nanoseconds; 0 for never
}

// pushSettings are the push flags that shape the bulk run.
type pushSettings struct {
	concurrency    int
	recordAttempts int
	haltAfter      int
	setupCheck     int           // 0: none (the flag's default is defaultSetupCheck)
	deadline       time.Duration // 0: none
	dryRun         bool
	refreshAfter   time.Duration
	force          bool
}

// pushReport is the outcome of a whole push.
type pushReport struct {
	ok, failed, notSent int
	unchanged           int // succeeded without a write: the state store, or Billbee's no-op
	records             int
	byCode, dropped     map[string]int
	mismatched          map[string]int // fields stored otherwise than sent, by name
	started             time.Time
	elapsed             time.Duration
	readErr, writeErr   error
	interrupted         bool
	deadlineHit         bool
	haltReason          string // "" when the run did not halt
	haltSetup           bool   // it halted on a wrong setup: no line needs fixing
	// grewBy is how much the input file grew past what was read.
	grewBy int64
	// Set by push once the failures file is closed: where the failures
	// are ("" when there are none), and an error closing it.
	failuresAt string
	closeErr   error
	// guard is what the count before sending found (--max-changes,
	// --max-clears); nil without them.
	guard *guardCheck
}

// countingReader counts the records read, so that push can say how many
// are in flight.
type countingReader struct {
	bulk.Reader
	read atomic.Int64
}

func (r *countingReader) Next() (bulk.Record, error) {
	rec, err := r.Reader.Next()
	if err == nil {
		r.read.Add(1)
	}
	return rec, err
}

// File and Offset pass on those of the reader, when it is a
// bulk.FileReader, so that the failures file can say where the input
// stopped being sent.
func (r *countingReader) File() (bulk.InputFile, bool) {
	if fr, ok := r.Reader.(bulk.FileReader); ok {
		return fr.File()
	}
	return bulk.InputFile{}, false
}

// FailuresHeader passes on that of the reader, when it is a
// bulk.HeaderReader (a CSV input's header row), so that the failures file
// starts with it.
func (r *countingReader) FailuresHeader() []byte {
	if hr, ok := r.Reader.(bulk.HeaderReader); ok {
		return hr.FailuresHeader()
	}
	return nil
}

func (r *countingReader) Offset() int64 {
	if fr, ok := r.Reader.(bulk.FileReader); ok {
		return fr.Offset()
	}
	return -1
}

// line is the number of input lines read so far.
func (r *countingReader) line() int {
	if l, ok := r.Reader.(interface{ Line() int }); ok {
		return l.Line()
	}
	return int(r.read.Load())
}

func (p *pusher) run() pushReport {
	// stop and abort carry the push's own causes (see interrupts): the
	// records the run does not send say "interrupted" or "--deadline", the
	// ones the second interrupt cuts short "aborted in flight".
	stopFeed := p.stop
	p.started = time.Now()
	if p.launched.IsZero() {
		p.launched = p.started
	}
	if p.settings.deadline > 0 {
		var cancel context.CancelFunc
		stopFeed, cancel = context.WithDeadlineCause(stopFeed, p.launched.Add(p.settings.deadline), errDeadline)
		defer cancel()
	}
	p.progress = p.newProgress(p.snapshot)

	finished := make(chan struct{})
	var watcher sync.WaitGroup
	watcher.Go(func() { p.announceInterrupt(finished) })
	watcher.Go(func() { p.announceDeadline(stopFeed, finished) })

	opts := []bulk.Option{
		bulk.WithConcurrency(p.settings.concurrency), bulk.WithRecordAttempts(p.settings.recordAttempts),
		bulk.WithHaltAfter(p.settings.haltAfter), bulk.WithSetupCheck(p.settings.setupCheck), bulk.WithStop(stopFeed),
		bulk.WithDryRun(p.settings.dryRun), bulk.WithObserver(p.observe),
		bulk.WithCallOptions(adapter.WithAttemptObserver(p.attempt)),
	}
	if p.failures != nil {
		opts = append(opts, bulk.WithFailures(p.failures))
	}
	if p.store != nil {
		opts = append(opts, bulk.WithState(p.store), bulk.WithRefreshAfter(p.settings.refreshAfter), bulk.WithForce(p.settings.force))
	}
	rep, err := bulk.Run(p.abort, p.client, p.input, opts...)
	close(finished)
	watcher.Wait()
	p.progress.finish()
	if err != nil {
		// The flags were checked before: an option the engine refuses is
		// a bug, reported as a read error so that the push exits 3.
		return pushReport{readErr: err, byCode: map[string]int{}, started: p.started, elapsed: time.Since(p.started)}
	}
	report := reportOf(rep)
	report.interrupted = p.stop.Err() != nil
	report.deadlineHit = errors.Is(context.Cause(stopFeed), errDeadline)
	if rep.ReadErr != nil {
		report.readErr = fmt.Errorf("reading the input after line %d: %w", p.input.line(), rep.ReadErr)
	}
	return report
}

// reportOf is the push report of the bulk engine's report: a local run's,
// or the sum of a queue run's shards.
func reportOf(rep *bulk.Report) pushReport {
	byCode := make(map[string]int, len(rep.ByCode))
	for code, n := range rep.ByCode {
		byCode[code.String()] += n
	}
	report := pushReport{
		ok: rep.Succeeded, failed: rep.Failed, notSent: rep.NotSent, unchanged: rep.Unchanged, records: rep.Records,
		byCode: byCode, dropped: rep.Dropped, mismatched: rep.Mismatched,
		started:  rep.Started,
		elapsed:  rep.Elapsed,
		readErr:  rep.ReadErr,
		writeErr: rep.FailuresErr,
	}
	if rep.Halt != nil {
		report.haltReason, report.haltSetup = rep.Halt.Reason, rep.Halt.Setup
	}
	return report
}

// observe shows one outcome: progress, and a note for the first few
// failures, for stored-otherwise writes, and for a halt.
func (p *pusher) observe(out bulk.Outcome) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.settled++
	p.maxPending = max(p.maxPending, p.input.read.Load()-p.settled+1)
	p.noteHalt(out.Err)
	if p.printPlan != nil {
		p.printPlan(out)
	}
	switch out.Status {
	case bulk.Succeeded:
		p.ok++
		if out.Result != nil {
			p.noteMismatches(out.Record.Line, out.Result.Mismatches)
		}
	case bulk.Unchanged:
		p.unchanged++
	case bulk.Failed:
		p.failed++
		if p.recorder != nil {
			p.recorder.observe(out)
		}
		switch {
		case p.notes < maxNotes || p.failures == nil:
			p.notes++
			p.progress.note(fmt.Sprintf("push: line %d: %v", out.Record.Line, out.Err))
		case p.notes == maxNotes:
			p.notes++
			p.progress.note(fmt.Sprintf("push: further failures are listed only in %s", p.failures.Writing()))
		}
	case bulk.NotSent:
		p.notSent++ // summed up at the end rather than listed
	}
	size := out.Record.Size
	if out.Status == bulk.NotSent {
		size = 0 // not done: the display must not show it as such
	}
	p.progress.advance(size, p.countsLocked())
}

// maxMismatchNotes bounds the stderr lines naming mismatched records: a
// vendor that normalises one field of every record would fill a terminal.
const maxMismatchNotes = 10

// noteMismatches names the first few records whose answer shows fields
// stored otherwise than sent: a write the vendor did not take as sent is
// never silent. p.mu is held.
func (p *pusher) noteMismatches(line int, list []adapter.Mismatch) {
	if len(list) == 0 {
		return
	}
	parts := make([]string, len(list))
	for i, m := range list {
		parts[i] = fmt.Sprintf("%s (sent %s, stored %s)", m.Field, m.Sent, m.Stored)
	}
	p.mismatches++
	switch {
	case p.mismatches <= maxMismatchNotes:
		p.progress.note(fmt.Sprintf("push: line %d: %s stored otherwise than sent: %s (--strict makes this a failure)", line, p.vendor, strings.Join(parts, "; ")))
	case p.mismatches == maxMismatchNotes+1:
		p.progress.note("push: more records were stored otherwise than sent; the summary counts them by field")
	}
}

// noteHalt announces, at the first record that shows it, that the run
// halted on its own and why. p.mu is held.
func (p *pusher) noteHalt(err error) {
	var halt *bulk.Halt
	if p.haltReason != "" || !errors.As(err, &halt) {
		return
	}
	p.haltReason = halt.Reason
	where := "those not sent go to the failures file with code Canceled"
	if p.failures == nil {
		where = "those not sent are counted as such"
	}
	p.progress.note(fmt.Sprintf("push: halted: %s; sending no more records (%s)", halt.Reason, where))
}

func (p *pusher) snapshot() counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.countsLocked()
}

func (p *pusher) countsLocked() counts {
	c := counts{sent: p.ok, unchanged: p.unchanged, failed: p.failed, notSent: p.notSent, elapsed: time.Since(p.started),
		throttled: p.throttled.Load(), failing: p.failing.Load()}
	if at := p.lastTrouble.Load(); at != 0 {
		c.lastTrouble = time.Unix(0, at)
	}
	return c
}

// attempt hears every HTTP attempt of the run, so that the display says
// when the vendor throttles or fails and records are being retried, not
// only that they crawl. It runs on the workers' goroutines.
func (p *pusher) attempt(a adapter.Attempt) {
	switch {
	case a.Status == http.StatusTooManyRequests:
		p.throttled.Add(1)
	case a.Status >= 500, a.Err != nil && !errors.Is(a.Err, context.Canceled):
		p.failing.Add(1)
	default:
		return
	}
	p.lastTrouble.Store(time.Now().UnixNano())
}

// announceInterrupt tells the user what the first interrupt does, and
// that a second one aborts the updates in flight; then, at the second,
// where the failures so far are should a third kill push (the signal
// handler leaves the third to Go's default: exit at once).
func (p *pusher) announceInterrupt(finished <-chan struct{}) {
	select {
	case <-p.stop.Done():
	case <-finished:
	}
	if p.stop.Err() == nil {
		return // finished first (select picks at random when both are ready)
	}
	p.mu.Lock()
	inFlight := max(p.input.read.Load()-p.settled, 0)
	p.progress.note(fmt.Sprintf("push: interrupted: sending no more records; waiting for the updates in flight, at most %d (interrupt again to abort them)", min(inFlight, int64(p.settings.concurrency))))
	p.mu.Unlock()
	select {
	case <-p.abort.Done():
	case <-finished:
	}
	if p.abort.Err() == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failures == nil {
		p.progress.note("push: interrupted again: aborting the updates in flight; a third interrupt kills push")
		return
	}
	p.progress.note(fmt.Sprintf("push: interrupted again: aborting the updates in flight; a third interrupt kills push, leaving the failures so far in %s (the next push says what it lacks)", p.failures.Writing()))
}

// announceDeadline says when --deadline ends the sending of records.
func (p *pusher) announceDeadline(stopFeed context.Context, finished <-chan struct{}) {
	select {
	case <-stopFeed.Done():
	case <-finished:
		return
	}
	if !errors.Is(context.Cause(stopFeed), errDeadline) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.progress.note(fmt.Sprintf("push: the --deadline of %s has passed: starting no more records; waiting for those in flight", p.settings.deadline))
}
