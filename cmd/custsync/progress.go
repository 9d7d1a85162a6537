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
	ok, failed, notSent int
	elapsed             time.Duration
}

// done counts the records tried; rate is theirs alone, as records not
// sent took no time.
func (c counts) done() int { return c.ok + c.failed }

func (c counts) rate() float64 {
	if c.elapsed <= 0 {
		return 0
	}
	return float64(c.done()) / c.elapsed.Seconds()
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
		return newBarProgress(w, total)
	}
	return newLineProgress(w, every, snapshot)
}

// barProgress is schollz/progressbar over the input's bytes: records vary
// in size, but bytes give a true fraction and ETA for a file, cheaply.
// The bar is drawn only from the pusher's calls (no spinner goroutine),
// so note can write between the bar's redraws without a lock of the
// bar's: it erases the bar, prints its line, and the next advance redraws.
type barProgress struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

func newBarProgress(w io.Writer, total int64) *barProgress {
	if total <= 0 {
		// An empty file: a bar at 0 of 0 counts as finished at once and
		// cannot be erased; a spinner can.
		total = -1
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("push"),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionSetSpinnerChangeInterval(0),
	)
	_ = bar.RenderBlank()
	return &barProgress{w: w, bar: bar}
}

func (p *barProgress) advance(size int64, c counts) {
	p.bar.Describe(fmt.Sprintf("push: %d ok, %d failed", c.ok, c.failed))
	_ = p.bar.Add64(size)
}

func (p *barProgress) note(line string) {
	_ = p.bar.Clear()
	fmt.Fprintln(p.w, line)
}

// finish erases the bar: the summary that follows says it all.
func (p *barProgress) finish() { _ = p.bar.Clear() }

// lineProgress prints "push: 1200 done (1190 ok, 10 failed), 38.2/s" every
// period, from its own goroutine so a stalled vendor still shows a line.
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
		for {
			select {
			case <-t.C:
				c := snapshot()
				line := fmt.Sprintf("push: %d done (%d ok, %d failed), %.1f/s", c.done(), c.ok, c.failed, c.rate())
				if c.notSent > 0 {
					line += fmt.Sprintf(", %d not sent", c.notSent)
				}
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
