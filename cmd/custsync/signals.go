package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// interrupts turns SIGINT and SIGTERM into two contexts. The first signal
// ends stop: commands stop starting work (push sends no further records
// and lets those in flight finish, so their outcome is known). The second
// ends abort: work in flight is abandoned. A third signal gets Go's
// default handling and kills the process, so a stuck run can always be
// ended from the keyboard.
func interrupts() (stop, abort context.Context, release func()) {
	abort, cancelAbort := context.WithCancel(context.Background())
	// stop derives from abort: whatever is aborted has also stopped.
	stop, cancelStop := context.WithCancel(abort)
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		defer signal.Stop(ch)
		for _, cancel := range []context.CancelFunc{cancelStop, cancelAbort} {
			select {
			case <-ch:
				cancel()
			case <-done:
				return
			}
		}
	}()
	var released bool
	return stop, abort, func() {
		if !released {
			released = true
			close(done)
			cancelStop()
			cancelAbort()
		}
	}
}
