package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// counts is a snapshot of a push's progress.
type counts struct {
	sent, unchanged, failed, notSent int
	// throttled and failing count the vendor's answers so far that were
	// 429, and the attempts that failed otherwise (5xx, timeouts, network
	// errors): each one is retried, or ends its record.
	throttled, failing int64
	// lastTrouble is when the last of them happened; zero for never.
	lastTrouble time.Time
	elapsed     time.Duration
}

// done counts the records finished: sent, unchanged or failed. Records not
// sent are not done, and move no display forward.
func (c counts) done() int { return c.sent + c.unchanged + c.failed }

// rate is records finished per second.
func (c counts) rate() float64 {
	if c.elapsed <= 0 {
		return 0
	}
	return float64(c.done()) / c.elapsed.Seconds()
}

// tally is "900 sent, 290 unchanged, 10 failed", unchanged left out when
// there are none.
func (c counts) tally() string {
	if c.unchanged == 0 {
		return fmt.Sprintf("%d sent, %d failed", c.sent, c.failed)
	}
	return fmt.Sprintf("%d sent, %d unchanged, %d failed", c.sent, c.unchanged, c.failed)
}

// trouble says what the vendor did wrong since the snapshot before, or
// "" when nothing: "the vendor is throttling (12 answers 429), retrying".
func (c counts) trouble(before counts) string {
	throttled, failing := c.throttled-before.throttled, c.failing-before.failing
	switch {
	case throttled > 0 && failing > 0:
		return fmt.Sprintf("the vendor is throttling and failing (%d %s 429, %d failed %s), retrying",
			throttled, plural(int(throttled), "answer", "answers"), failing, plural(int(failing), "attempt", "attempts"))
	case throttled > 0:
		return fmt.Sprintf("the vendor is throttling (%d %s 429), retrying", throttled, plural(int(throttled), "answer", "answers"))
	case failing > 0:
		return fmt.Sprintf("the vendor is failing (%d failed %s: 5xx, timeouts or network errors), retrying", failing, plural(int(failing), "attempt", "attempts"))
	}
	return ""
}

// progress shows a push's progress on stderr. The pusher calls advance
// and note with its own lock held, so they need no lock of their own, and
// finish without it (a line printer's goroutine may be waiting for it).
type progress interface {
	// advance reports a finished record that took size bytes of input.
	advance(size int64, c counts)
	// note prints one line (a failure) without garbling the display.
	note(line string)
	// finish ends the display before the summary is printed.
	finish()
}

// newProgress returns a progress bar for a terminal and periodic plain
// lines otherwise (logs, CI, a pipe), where a redrawn bar would be noise.
// total is the input's size in bytes, or -1 when unknown (standard input):
// the bar then spins and counts.
func newProgress(w io.Writer, tty bool, total int64, every time.Duration, snapshot func() counts) progress {
	if tty {
		return newBarProgress(w, total, barRedraw)
	}
	return newLineProgress(w, every, snapshot)
}

// barProgress is schollz/progressbar over the input's bytes: records vary
// in size, but bytes give a true fraction and ETA for a file, cheaply;
// the description counts records, and their rate. Records not sent do
// not move the bar: after an interrupt or a halt it stays where sending
// stopped. The bar is drawn only from the pusher's calls (no spinner
// goroutine), so note can write between the bar's redraws without a lock
// of the bar's: it erases the bar, prints its line, and the next advance
// redraws.
type barProgress struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

// barRedraw is the least time between two redraws of the bar.
const barRedraw = 100 * time.Millisecond

// troubleShown is how long the bar says the vendor is throttling or
// failing after the last such answer.
const troubleShown = 5 * time.Second

func newBarProgress(w io.Writer, total int64, redraw time.Duration) *barProgress {
	if total <= 0 {
		// An empty file: a bar at 0 of 0 counts as finished at once and
		// cannot be erased; a spinner can.
		total = -1
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("push"),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(redraw),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionSetSpinnerChangeInterval(0),
	)
	_ = bar.RenderBlank()
	return &barProgress{w: w, bar: bar}
}

func (p *barProgress) advance(size int64, c counts) {
	desc := fmt.Sprintf("push: %s, %.1f records/s", c.tally(), c.rate())
	if !c.lastTrouble.IsZero() && time.Since(c.lastTrouble) < troubleShown {
		desc += " (the vendor is throttling or failing; retrying)"
	}
	p.bar.Describe(desc)
	if size > 0 {
		_ = p.bar.Add64(size)
	} else {
		_ = p.bar.RenderBlank() // the counts changed, the fraction did not
	}
}

func (p *barProgress) note(line string) {
	_ = p.bar.Clear()
	fmt.Fprintln(p.w, line)
}

// finish erases the bar: the summary that follows says it all.
func (p *barProgress) finish() { _ = p.bar.Clear() }

// lineProgress prints "push: 1200 done (900 sent, 290 unchanged, 10
// failed), 38.2 records/s" every period, from its own goroutine so a
// stalled vendor still shows a line, followed by what the vendor did
// wrong since the line before, if anything.
type lineProgress struct {
	w        io.Writer
	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
	mu       sync.Mutex // orders the ticker's lines with note's
}

func newLineProgress(w io.Writer, every time.Duration, snapshot func() counts) *lineProgress {
	p := &lineProgress{w: w, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		t := time.NewTicker(every)
		defer t.Stop()
		var before counts
		for {
			select {
			case <-t.C:
				c := snapshot()
				line := fmt.Sprintf("push: %d done (%s), %.1f records/s", c.done(), c.tally(), c.rate())
				if c.notSent > 0 {
					line += fmt.Sprintf(", %d not sent", c.notSent)
				}
				if trouble := c.trouble(before); trouble != "" {
					line += "; " + trouble
				}
				before = c
				p.print(line)
			case <-p.stop:
				return
			}
		}
	}()
	return p
}

func (p *lineProgress) print(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.w, line)
}

func (p *lineProgress) advance(int64, counts) {}

func (p *lineProgress) note(line string) { p.print(line) }

func (p *lineProgress) finish() {
	p.stopOnce.Do(func() { close(p.stop) })
	<-p.done
}
