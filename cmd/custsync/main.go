// Command custsync updates customer records at Upwell, BlueTape and Billbee
// through custsync's portable adapter: one record by hand (update), a JSONL
// batch (push), a local sandbox of the three vendors (sandbox), and the
// field support matrix (vendors). Run "custsync --help" for usage.
package main

import (
	"os"

	"golang.org/x/term"
)

func main() {
	stop, abort, release := interrupts()
	a := &app{
		stdin:     os.Stdin,
		stdout:    os.Stdout,
		stderr:    os.Stderr,
		stop:      stop,
		abort:     abort,
		stderrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}
	flush := startTelemetry(os.Getenv, os.Stderr)
	code := a.runChecked(os.Args[1:])
	release()
	flush()
	os.Exit(code)
}
