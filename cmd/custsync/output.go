package main

import (
	"fmt"
	"io"
	"sync"
)

// checkedWriter remembers the first error writing to w, so that the
// command's output can be written line by line and checked once, where the
// command exits: a summary or JSON object that never reached a closed pipe
// or a full disk must not end in exit status 0.
type checkedWriter struct {
	w io.Writer

	mu  sync.Mutex // the progress reporter writes from its own goroutine
	err error
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if err != nil {
		c.mu.Lock()
		if c.err == nil {
			c.err = err
		}
		c.mu.Unlock()
	}
	return n, err
}

// firstError is the first error a Write returned, or nil.
func (c *checkedWriter) firstError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// runChecked is run with stdout checked: a command that succeeded but
// could not write its output exits with exitFailed, saying so on stderr.
// (Failed writes to stderr have nowhere to be reported.)
func (a *app) runChecked(args []string) int {
	out := &checkedWriter{w: a.stdout}
	a.stdout = out
	code := a.run(args)
	if err := out.firstError(); err != nil && code == exitOK {
		fmt.Fprintf(a.stderr, "custsync: writing the output: %v\n", err)
		return exitFailed
	}
	return code
}
