package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/specs"
)

// The errors of records the push itself kept from finishing. All are
// Canceled (they wrap context.Canceled) and go to the failures file, to be
// pushed again; errFailuresUnwritable marks the records a failures-file
// error kept from being sent, which that file then cannot take, but which
// are still counted.
var (
	errNotSent            = fmt.Errorf("not sent: the push was interrupted: %w", context.Canceled)
	errFailuresUnwritable = fmt.Errorf("not sent: the failures file could not be written: %w", context.Canceled)
	errAborted            = fmt.Errorf("aborted in flight by a second interrupt; the vendor may or may not have applied it: %w", context.Canceled)
)

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
}

// pusher streams a JSONL input through adapter.UpdateAll. Two goroutines
// touch its state: UpdateAll's reader, which runs records, and the caller
// of run, which consumes outcomes; mu serializes them.
type pusher struct {
	vendor      specs.Vendor
	updater     adapter.Updater
	concurrency int
	lines       *lineReader
	failures    *failureLog
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
	started    time.Time

	mu         sync.Mutex
	progress   progress
	pending    map[int]pendingRecord
	maxPending int // high-water mark of pending, for tests of flat memory
	ok, failed int
	notSent    int   // records never sent because of an interrupt or a failures-file error
	blankBytes int64 // bytes of blank lines not yet shown as progress
	notes      int
	readErr    error
	writeErr   error
}

// pushReport is the outcome of a whole push.
type pushReport struct {
	ok, failed, notSent int
	elapsed             time.Duration
	readErr, writeErr   error
	interrupted         bool
	// Set by push once the failures file is closed: where the failures
	// are ("" when there are none), and an error closing it.
	failuresAt string
	closeErr   error
}

func (p *pusher) run() pushReport {
	p.pending = make(map[int]pendingRecord)
	// A child of stop, so it ends in the same instant as stop (an
	// AfterFunc would leave a gap in which a worker could start a record).
	// Its cause is then stop's, context.Canceled from the signal handler,
	// which outcomeError maps to errNotSent; a failures-file error ends it
	// with errFailuresUnwritable.
	p.feed, p.cancelFeed = context.WithCancelCause(p.stop)
	defer p.cancelFeed(nil)
	p.started = time.Now()
	p.progress = p.newProgress(p.snapshot)

	finished := make(chan struct{})
	var watcher sync.WaitGroup
	watcher.Go(func() { p.announceInterrupt(finished) })

	// abort (the second interrupt) ends the updates in flight; feed (the
	// first) ends the sending of new ones and the retrying of failed ones.
	for out := range adapter.UpdateAll(p.abort, p.updater, p.records,
		adapter.WithConcurrency(p.concurrency), adapter.WithStop(p.feed)) {
		p.mu.Lock()
		rec := p.pending[out.Seq]
		delete(p.pending, out.Seq)
		if out.Err == nil {
			p.ok++
			p.advance(rec.size)
		} else {
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
		ok: p.ok, failed: p.failed, notSent: p.notSent,
		elapsed:     time.Since(p.started),
		readErr:     p.readErr,
		writeErr:    p.writeErr,
		interrupted: p.stop.Err() != nil,
	}
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
		rec := pendingRecord{line: line.number, size: line.size}
		var u *adapter.CustomerUpdate
		if line.tooLong() {
			rec.payload = tooLongPayload(line.text)
			err = adapter.InvalidField("", "the line is %d bytes, over the limit of %d; only its start is kept in %s", line.length, maxLineBytes, rawKey)
		} else {
			u, rec.payload, err = decodeLine(line.text)
		}
		if err != nil {
			p.mu.Lock()
			p.recordFailure(rec, withVendor(err, p.vendor))
			p.mu.Unlock()
			continue
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
	return errors.Is(err, errNotSent) || errors.Is(err, errFailuresUnwritable)
}

// recordFailure writes a failed record to the failures file. p.mu is held.
func (p *pusher) recordFailure(rec pendingRecord, err error) {
	p.failed++
	info := failureInfo{Line: rec.line, Vendor: string(p.vendor), errorInfo: describe(err)}
	if werr := p.failures.write(rec.payload, info); werr != nil && p.writeErr == nil {
		// Failures that cannot be recorded must not be produced: send no more.
		p.writeErr = werr
		p.cancelFeed(errFailuresUnwritable)
	}
	switch {
	case neverSent(err):
		p.notSent++ // summed up at the end rather than listed
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
	return counts{ok: p.ok, failed: p.failed, elapsed: time.Since(p.started)}
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
	p.progress.note(fmt.Sprintf("push: interrupted: sending no more records; waiting for the updates in flight, at most %d (interrupt again to abort them)", min(len(p.pending), p.concurrency)))
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
