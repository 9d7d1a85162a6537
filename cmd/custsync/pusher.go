package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/driver"
	"github.com/custsync/custsync/specs"
)

// The errors of records the push itself kept from finishing. All are
// Canceled (they wrap context.Canceled) and go to the failures file, to be
// pushed again; errFailuresUnwritable marks the records a failures-file
// error kept from being sent, which that file then cannot take, but which
// are still counted.
var (
	errNotSent            = fmt.Errorf("not sent: the push was interrupted: %w", context.Canceled)
	errDeadline           = fmt.Errorf("not sent: the push reached its --deadline: %w", context.Canceled)
	errFailuresUnwritable = fmt.Errorf("not sent: the failures file could not be written: %w", context.Canceled)
	errAborted            = fmt.Errorf("aborted in flight by a second interrupt; the vendor may or may not have applied it: %w", context.Canceled)
)

// notSentError is the error of a record the push did not send for a
// reason of the bulk run's own (a halt): code Canceled, as every record
// not sent, with the run's reason as its message.
type notSentError struct{ reason string }

func (e *notSentError) Error() string { return e.reason }
func (e *notSentError) Unwrap() error { return context.Canceled }

// maxNotes is how many failures push prints on stderr; all of them are in
// the failures file.
const maxNotes = 20

// pendingRecord is what push keeps of a record the vendor has not answered
// yet: enough to write it to the failures file. Entries live from the
// moment a record is handed to adapter.UpdateAll until its outcome comes
// back, so their number is bounded by UpdateAll's in-flight window, never
// by the length of the input.
type pendingRecord struct {
	line    int
	size    int64 // input bytes, for the progress bar
	payload payload
	// invalid is why the line is not a valid customer, when it still names
	// one: it goes through UpdateAll as a placeholder that sends nothing,
	// so that it keeps its place among its customer's lines (see records).
	invalid error
}

// pusher streams a JSONL input through adapter.UpdateAll. Two goroutines
// touch its state: UpdateAll's reader, which runs records, and the caller
// of run, which consumes outcomes; mu serializes them.
type pusher struct {
	vendor   specs.Vendor
	updater  adapter.Updater
	settings pushSettings
	lines    *lineReader
	failures *failureLog
	// stop ends the feeding of new records (first interrupt); abort ends
	// the updates in flight (second interrupt).
	stop, abort context.Context
	// newProgress builds the display once the run has started.
	newProgress func(snapshot func() counts) progress

	// feed ends when no record may be sent any more: at stop, or with
	// cause errFailuresUnwritable when a failure cannot be recorded.
	// UpdateAll gets it as WithStop, so it starts no record after it, and
	// tries none again.
	feed       context.Context
	cancelFeed context.CancelCauseFunc
	// stopFeed is feed, ended by --deadline too: what UpdateAll gets.
	stopFeed context.Context
	started  time.Time

	mu         sync.Mutex
	progress   progress
	pending    map[int]pendingRecord
	maxPending int // high-water mark of pending, for tests of flat memory
	ok, failed int
	unchanged  int            // succeeded without a write (Result.Unchanged)
	notSent    int            // records never sent: an interrupt, the deadline, a halt, a failures-file error
	read       int            // records read (lines that are not blank)
	byCode     map[string]int // failures-file lines by code
	dropped    map[string]int // fields dropped in lenient mode, by name
	mismatched map[string]int // fields the vendor stored otherwise than sent, by name
	mismatches int            // records with such fields, for the stderr notes
	haltReason string         // why the run halted on its own; "" if it did not
	blankBytes int64          // bytes of blank lines not yet shown as progress
	notes      int
	readErr    error
	writeErr   error
}

// pushSettings are the push flags that shape the bulk run.
type pushSettings struct {
	concurrency    int
	recordAttempts int
	haltAfter      int
	deadline       time.Duration // 0: none
	// callOptions apply to every update (--dry-run).
	callOptions []adapter.CallOption
}

// pushReport is the outcome of a whole push.
type pushReport struct {
	ok, failed, notSent int
	unchanged           int // succeeded without a write: the state store, or Billbee's no-op
	records             int
	byCode, dropped     map[string]int
	mismatched          map[string]int // fields stored otherwise than sent, by name
	elapsed             time.Duration
	readErr, writeErr   error
	interrupted         bool
	deadlineHit         bool
	haltReason          string // "" when the run did not halt
	// Set by push once the failures file is closed: where the failures
	// are ("" when there are none), and an error closing it.
	failuresAt string
	closeErr   error
}

func (p *pusher) run() pushReport {
	p.pending = make(map[int]pendingRecord)
	p.byCode, p.dropped, p.mismatched = map[string]int{}, map[string]int{}, map[string]int{}
	// A child of stop, so it ends in the same instant as stop (an
	// AfterFunc would leave a gap in which a worker could start a record).
	// Its cause is then stop's, context.Canceled from the signal handler,
	// which outcomeError maps to errNotSent; a failures-file error ends it
	// with errFailuresUnwritable, and --deadline with errDeadline.
	p.feed, p.cancelFeed = context.WithCancelCause(p.stop)
	defer p.cancelFeed(nil)
	p.stopFeed = p.feed
	if p.settings.deadline > 0 {
		var cancel context.CancelFunc
		p.stopFeed, cancel = context.WithTimeoutCause(p.feed, p.settings.deadline, errDeadline)
		defer cancel()
	}
	p.started = time.Now()
	p.progress = p.newProgress(p.snapshot)

	finished := make(chan struct{})
	var watcher sync.WaitGroup
	watcher.Go(func() { p.announceInterrupt(finished) })
	watcher.Go(func() { p.announceDeadline(finished) })

	// abort (the second interrupt) ends the updates in flight; stopFeed
	// (the first, or the deadline) ends the sending of new ones and the
	// retrying of failed ones.
	for out := range adapter.UpdateAll(p.abort, p.updater, p.records,
		adapter.WithConcurrency(p.settings.concurrency), adapter.WithRecordAttempts(p.settings.recordAttempts),
		adapter.WithHaltAfter(p.settings.haltAfter), adapter.WithStop(p.stopFeed),
		adapter.WithCallOptions(p.settings.callOptions...)) {
		p.mu.Lock()
		rec := p.pending[out.Seq]
		delete(p.pending, out.Seq)
		p.noteHalt(out.Err)
		switch {
		case rec.invalid != nil && out.Calls == 0 && !errors.Is(out.Err, adapter.FailedPrecondition):
			p.recordFailure(rec, notSentReason(out.Err)) // stopped before its turn
		case rec.invalid != nil:
			p.recordFailure(rec, rec.invalid) // its own fault, whatever became of the placeholder
		case out.Err == nil && out.Result != nil && out.Result.Unchanged:
			p.unchanged++
			p.advance(rec.size)
		case out.Err == nil:
			p.ok++
			if out.Result != nil {
				for _, f := range out.Result.Dropped {
					p.dropped[f]++
				}
				p.noteMismatches(rec, out.Result.Mismatches)
			}
			p.advance(rec.size)
		case out.Calls == 0 && !errors.Is(out.Err, adapter.FailedPrecondition):
			p.recordFailure(rec, notSentReason(out.Err))
		default:
			p.recordFailure(rec, outcomeError(out))
		}
		p.mu.Unlock()
	}
	close(finished)
	watcher.Wait()

	p.mu.Lock()
	if p.blankBytes > 0 {
		p.advance(0) // trailing blank lines complete the bar
	}
	p.mu.Unlock()
	p.progress.finish()
	return pushReport{
		ok: p.ok, failed: p.failed, notSent: p.notSent, unchanged: p.unchanged, records: p.read,
		byCode: p.byCode, dropped: p.dropped, mismatched: p.mismatched,
		elapsed:     time.Since(p.started),
		readErr:     p.readErr,
		writeErr:    p.writeErr,
		interrupted: p.stop.Err() != nil,
		deadlineHit: errors.Is(context.Cause(p.stopFeed), errDeadline),
		haltReason:  p.haltReason,
	}
}

// maxMismatchNotes bounds the stderr lines naming mismatched records: a
// vendor that normalises one field of every record would fill a terminal.
const maxMismatchNotes = 10

// noteMismatches counts the fields a succeeded record's answer shows
// stored otherwise than sent, and names the first few records on stderr:
// a write the vendor did not take as sent is never silent. p.mu is held.
func (p *pusher) noteMismatches(rec pendingRecord, list []adapter.Mismatch) {
	if len(list) == 0 {
		return
	}
	parts := make([]string, len(list))
	for i, m := range list {
		p.mismatched[m.Field]++
		parts[i] = fmt.Sprintf("%s (sent %s, stored %s)", m.Field, m.Sent, m.Stored)
	}
	p.mismatches++
	switch {
	case p.mismatches <= maxMismatchNotes:
		p.progress.note(fmt.Sprintf("push: line %d: %s stored otherwise than sent: %s (--strict makes this a failure)", rec.line, p.vendor, strings.Join(parts, "; ")))
	case p.mismatches == maxMismatchNotes+1:
		p.progress.note("push: more records were stored otherwise than sent; the summary counts them by field")
	}
}

// noteHalt announces, at the first record that shows it, that the run
// halted on its own and why. p.mu is held.
func (p *pusher) noteHalt(err error) {
	var halt *adapter.Halt
	if p.haltReason != "" || !errors.As(err, &halt) {
		return
	}
	p.haltReason = halt.Reason
	p.progress.note(fmt.Sprintf("push: halted: %s; sending no more records (those not sent go to the failures file with code Canceled)", halt.Reason))
}

// notSentReason is the error written for a record the run never started:
// code Canceled, saying why.
func notSentReason(err error) error {
	var e *adapter.Error
	switch {
	case errors.Is(err, errDeadline):
		return errDeadline
	case errors.Is(err, errFailuresUnwritable):
		return errFailuresUnwritable
	case errors.As(err, &e):
		return &notSentError{reason: e.Message} // a halt: "not sent: the run halted: ..."
	}
	return errNotSent
}

// records is the stream handed to UpdateAll; it runs on UpdateAll's reader
// goroutine. Lines that are not valid customers never reach UpdateAll:
// they are failed records at once. After an interrupt (or a failures-file
// error) the rest of the input is still read and handed over: UpdateAll,
// stopped by feed, sends none of it and reports every record as not
// attempted, and each goes to the failures file as not sent.
func (p *pusher) records(yield func(*adapter.CustomerUpdate) bool) {
	seq := 0
	for {
		line, err := p.lines.next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			p.mu.Lock()
			p.readErr = fmt.Errorf("reading the input after line %d: %w", p.lines.n, err)
			p.mu.Unlock()
			return
		}
		if blank(line.text) {
			p.mu.Lock()
			p.blankBytes += line.size
			p.mu.Unlock()
			continue
		}
		p.mu.Lock()
		p.read++
		p.mu.Unlock()
		rec := pendingRecord{line: line.number, size: line.size}
		var u *adapter.CustomerUpdate
		if line.tooLong() {
			rec.payload = tooLongPayload(line.text)
			err = driver.InvalidField("", "the line is %d bytes, over the limit of %d; only its start is kept in %s", line.length, maxLineBytes, rawKey)
		} else {
			u, rec.payload, err = decodeLine(line.text)
		}
		if err != nil {
			placeholder, named := customerNamed(rec.payload)
			if !named {
				p.mu.Lock()
				p.recordFailure(rec, withVendor(err, p.vendor))
				p.mu.Unlock()
				continue
			}
			// The line names a customer: its failure must not be overtaken
			// by the customer's later lines, nor written before its earlier
			// ones end. UpdateAll holds its place; the placeholder sets no
			// field, so the client refuses it without a request.
			rec.invalid = withVendor(err, p.vendor)
			u = placeholder
		}
		p.mu.Lock()
		p.pending[seq] = rec
		p.maxPending = max(p.maxPending, len(p.pending))
		p.mu.Unlock()
		seq++
		if !yield(u) {
			return
		}
	}
}

// outcomeError says why a record failed, telling apart the ways the push
// itself ends one. UpdateAll reports a record it never sent with feed's
// cause (errFailuresUnwritable, or stop's context.Canceled), or with
// abort's bare context.Canceled once abort has ended; a record aborted in
// flight has abort's error and was attempted.
func outcomeError(out adapter.Outcome) error {
	var e *adapter.Error
	switch {
	case errors.As(out.Err, &e) || !errors.Is(out.Err, context.Canceled):
		return out.Err // the vendor's answer, a halted run, a network error
	case out.Attempted:
		return errAborted
	case errors.Is(out.Err, errFailuresUnwritable):
		return errFailuresUnwritable
	default:
		return errNotSent
	}
}

// neverSent reports whether err is that of a record the push kept from
// being sent.
func neverSent(err error) bool {
	var ns *notSentError
	return errors.Is(err, errNotSent) || errors.Is(err, errFailuresUnwritable) || errors.Is(err, errDeadline) || errors.As(err, &ns)
}

// recordFailure writes a failed record to the failures file. p.mu is held.
func (p *pusher) recordFailure(rec pendingRecord, err error) {
	if neverSent(err) {
		p.notSent++
	} else {
		p.failed++
	}
	info := failureInfo{Line: rec.line, Vendor: string(p.vendor), errorInfo: describe(err)}
	p.byCode[info.Code.String()]++
	if werr := p.failures.write(rec.payload, info); werr != nil && p.writeErr == nil {
		// Failures that cannot be recorded must not be produced: send no more.
		p.writeErr = werr
		p.cancelFeed(errFailuresUnwritable)
	}
	switch {
	case neverSent(err):
		// summed up at the end rather than listed
	case p.notes < maxNotes:
		p.notes++
		p.progress.note(fmt.Sprintf("push: line %d: %v", rec.line, err))
	case p.notes == maxNotes:
		p.notes++
		p.progress.note(fmt.Sprintf("push: further failures are listed only in %s", p.failures.path))
	}
	p.advance(rec.size)
}

// advance shows one finished record. p.mu is held.
func (p *pusher) advance(size int64) {
	size += p.blankBytes
	p.blankBytes = 0
	p.progress.advance(size, p.countsLocked())
}

func (p *pusher) snapshot() counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.countsLocked()
}

func (p *pusher) countsLocked() counts {
	return counts{ok: p.ok + p.unchanged, failed: p.failed, notSent: p.notSent, elapsed: time.Since(p.started)}
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
	// pending also holds records UpdateAll has queued but will not send.
	p.progress.note(fmt.Sprintf("push: interrupted: sending no more records; waiting for the updates in flight, at most %d (interrupt again to abort them)", min(len(p.pending), p.settings.concurrency)))
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
	p.progress.note(fmt.Sprintf("push: interrupted again: aborting the updates in flight; a third interrupt kills push, leaving the failures so far in %s", p.failures.writingTo()))
}

// announceDeadline says when --deadline ends the sending of records.
func (p *pusher) announceDeadline(finished <-chan struct{}) {
	select {
	case <-p.stopFeed.Done():
	case <-finished:
		return
	}
	if !errors.Is(context.Cause(p.stopFeed), errDeadline) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.progress.note(fmt.Sprintf("push: the --deadline of %s has passed: starting no more records; waiting for those in flight", p.settings.deadline))
}
