package adapter

import (
	"context"
	"errors"
	"math"
	"time"
)

// runRecord updates one record, trying it again as a whole while the
// failure is retryable, attempts remain, and the run still feeds records.
func (r *bulkRun) runRecord(job bulkJob) Outcome {
	out := Outcome{Seq: job.seq, Update: job.update}
	pauses := recordPauses{next: r.cfg.recordPause}
	for {
		res, attempted, err := r.call(job)
		out.Calls++
		out.Result, out.Err = res, r.haltedInFlight(err)
		out.Attempted = out.Attempted || attempted
		if !tryRecordAgain(err, out.Calls, r.cfg.recordAttempts) {
			return out
		}
		if sleep(r.feed, pauses.take()) != nil {
			return out // keep the last real error
		}
	}
}

// call makes one Update call for job, tells the reachability clock what
// the call learned of the vendor, and reports whether anything went out.
func (r *bulkRun) call(job bulkJob) (res *Result, attempted bool, err error) {
	probe := &attemptProbe{onAttempt: r.reach.attempt}
	res, err = r.u.Update(context.WithValue(r.calls, attemptProbeKey{}, probe), job.update, r.cfg.callOptions...)
	v := judgeCall(probe, err)
	if v.tellReach {
		r.reach.attempt(v.reachErr)
	}
	return res, v.attempted, err
}

// callVerdict is what one Update call tells a run beyond its result.
type callVerdict struct {
	attempted bool  // a request may have gone out
	tellReach bool  // the reachability clock must hear reachErr
	reachErr  error // nil: the vendor answered
}

// judgeCall reads a call's verdict from its probe and error. A *Client
// reports through the probe how many attempts went out, and its attempts
// tell the clock themselves (probe.onAttempt); only a failure that sent
// nothing (a shared limiter that is down) is told here. Of another
// Updater only the error is known, which tells both, as well as it can.
func judgeCall(probe *attemptProbe, err error) callVerdict {
	if probe.reported {
		nothingSent := probe.attempts == 0 && err != nil && !errorIsContext(err)
		return callVerdict{attempted: probe.attempts > 0, tellReach: nothingSent, reachErr: err}
	}
	return callVerdict{attempted: sent(err), tellReach: !errorIsContext(err), reachErr: callErr(err)}
}

// haltedInFlight is the error of a call that the run cut short because
// the vendor turned out unreachable (not the caller): the halted run's
// error, which says why. Any other error is returned as it is.
func (r *bulkRun) haltedInFlight(err error) error {
	if err != nil && r.ctx.Err() == nil && r.calls.Err() != nil {
		if h := (*Halt)(nil); errors.As(context.Cause(r.calls), &h) {
			return haltedError(h, true)
		}
	}
	return err
}

// tryRecordAgain reports whether a record whose last call failed with err
// is tried again, after calls of at most attempts calls.
func tryRecordAgain(err error, calls, attempts int) bool {
	return err != nil && retryable(err) && calls < attempts
}

// recordPauses is the schedule of pauses before a record is tried again:
// the first as configured, then each twice the one before (held where
// doubling would overflow).
type recordPauses struct{ next time.Duration }

func (p *recordPauses) take() time.Duration {
	d := p.next
	if p.next <= math.MaxInt64/2 {
		p.next *= 2
	}
	return d
}

// callErr is what a call of an Updater that is not a *Client tells about
// reachability: its network cause, or nil when the vendor answered.
func callErr(err error) error {
	var e *Error
	if errors.As(err, &e) && e.HTTPStatus != 0 {
		return nil
	}
	return err
}

// sent guesses, for an Updater that is not a *Client, whether a call
// reached the network.
func sent(err error) bool {
	if err == nil {
		return true
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Attempts > 0
	}
	return true // a context error mid-call
}

func retryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable
}
