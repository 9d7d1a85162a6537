package queue

import "errors"

// ErrNoRun is returned, wrapped, by Run, Wait and WriteFailures for a run
// id the queue does not hold.
var ErrNoRun = errors.New("no such run")

// ErrInputRefused is returned, wrapped with the reason (the line that
// could not be read), by Enqueue for an input it cannot read to its end:
// nothing was enqueued. Its other errors are the database's.
var ErrInputRefused = errors.New("the input is refused, nothing enqueued")
