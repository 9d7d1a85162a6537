package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// hangupEcho is how soon a second SIGHUP is taken for the first again.
const hangupEcho = time.Second

// interrupts turns SIGINT, SIGTERM and SIGHUP into two contexts: Ctrl-C,
// a service manager stopping the job and a dropped ssh session all wind a
// push down the same way. The first signal
// ends stop: commands stop starting work (push sends no further records
// and lets those in flight finish, so their outcome is known). The second
// ends abort: work in flight is abandoned. A third signal gets Go's
// default handling and kills the process, so a stuck run can always be
// ended from the keyboard.
//
// One ssh drop often delivers SIGHUP twice (the shell forwards its own,
// the kernel sends the session's), so a SIGHUP within hangupEcho of a
// first SIGHUP counts as the same signal.
func interrupts() (stop, abort context.Context, release func()) {
	// Their causes are what push writes for the records each one ends.
	abort, cancelAbort := context.WithCancelCause(context.Background())
	// stop derives from abort: whatever is aborted has also stopped.
	stop, cancelStop := context.WithCancelCause(abort)
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	// After a hang-up, stdout or stderr may be a pipe to a process that is
	// gone; a write there must fail, not kill push before it has finished
	// its failures file.
	signal.Ignore(syscall.SIGPIPE)
	done := make(chan struct{})
	go func() {
		defer signal.Stop(ch)
		var first os.Signal
		var firstAt time.Time
		for _, cancel := range []func(){func() { cancelStop(errNotSent) }, func() { cancelAbort(errAborted) }} {
			for {
				select {
				case sig := <-ch:
					if first == syscall.SIGHUP && sig == syscall.SIGHUP && time.Since(firstAt) < hangupEcho {
						continue // the same hang-up, delivered twice
					}
					if first == nil {
						first, firstAt = sig, time.Now()
					}
					cancel()
				case <-done:
					return
				}
				break
			}
		}
	}()
	var released bool
	return stop, abort, func() {
		if !released {
			released = true
			close(done)
			cancelStop(nil)
			cancelAbort(nil)
		}
	}
}
