package bulk

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"

	"github.com/custsync/custsync/adapter"
)

// runRecord updates one record, trying it again as a whole while the
// failure is retryable, attempts remain, and the run still feeds records;
// then it gives back its sending token (once the setup check has heard
// the outcome) and, with a state store, records what the vendor
// confirmed.
func (e *engine) runRecord(j *job) Outcome {
	out := Outcome{Seq: j.seq, Record: j.rec}
	if e.cfg.plan {
		// Its turn came: the run would send it here.
		<-e.sending
		out.Status = Succeeded
		if e.inc != nil {
			out = e.inc.settled(j, out)
		}
		return out
	}
	pauses := recordPauses{next: e.cfg.recordPause}
	counted := e.tel.started(e.ctx)
	defer e.tel.finished(e.ctx, counted)
	e.quiet.start()
	for {
		res, attempted, err := e.call(j)
		out.Calls++
		out.Result, out.Err = res, e.haltedInFlight(err)
		out.Attempted = out.Attempted || attempted
		if !tryRecordAgain(err, out.Calls, e.cfg.recordAttempts) {
			break
		}
		if sleep(e.feed, pauses.take()) != nil {
			break // keep the last real error
		}
	}
	e.quiet.end()
	switch {
	case out.Err == nil && out.Result != nil && out.Result.Unchanged:
		out.Status = Unchanged
	case out.Err == nil:
		out.Status = Succeeded
	default:
		out.Status = Failed
		if out.Attempted && errors.Is(out.Err, context.Canceled) && e.ctx.Err() != nil {
			out.Err = canceledInFlight(e.ctx)
		}
	}
	// Judged before the token goes back: a wrong setup's last record halts
	// the run before another record can take the token and be sent.
	e.setup.record(out)
	<-e.sending
	if e.inc != nil {
		out = e.inc.settled(j, out)
	}
	return out
}

// canceledInFlight is the error of a record ctx cut short after a request
// went out: ctx's cause when it has one of its own.
func canceledInFlight(ctx context.Context) error {
	cause := context.Cause(ctx)
	//nolint:errorlint // the bare errors themselves, not errors wrapping them
	if cause != nil && cause != context.Canceled && cause != context.DeadlineExceeded {
		return cause
	}
	return errCanceledInFlight
}

// call makes one Update call for j, tells the reachability clock what the
// call learned of the vendor, and reports whether anything went out.
func (e *engine) call(j *job) (res *adapter.Result, attempted bool, err error) {
	var obs attemptLog
	obs.onAttempt = func(err error) {
		if err == nil {
			e.quiet.answered()
		}
		e.reach.attempt(err)
		e.setup.attempt(err)
	}
	opts := make([]adapter.CallOption, 0, len(e.cfg.callOptions)+1)
	opts = append(opts, e.cfg.callOptions...)
	opts = append(opts, adapter.WithAttemptObserver(obs.observe))
	res, err = e.c.Update(e.calls, j.update, opts...)
	v := obs.judge(e.c, err)
	if v.tellReach {
		if v.reachErr == nil {
			e.quiet.answered()
		}
		e.reach.attempt(v.reachErr)
		e.setup.attempt(v.reachErr)
	}
	return res, v.attempted, err
}

// attemptLog hears the HTTP attempts of one call.
type attemptLog struct {
	mu        sync.Mutex
	attempts  int
	onAttempt func(err error)
}

func (l *attemptLog) observe(a adapter.Attempt) {
	l.mu.Lock()
	l.attempts++
	l.mu.Unlock()
	if l.onAttempt != nil {
		l.onAttempt(a.Err)
	}
}

// callVerdict is what one Update call tells a run beyond its result.
type callVerdict struct {
	attempted bool  // a request may have gone out
	tellReach bool  // the reachability clock must hear reachErr
	reachErr  error // nil: the vendor answered
}

// judge reads a call's verdict from its attempts and error. An
// *adapter.Client reports every attempt to the observer, and its
// attempts tell the clock themselves; only a failure that sent nothing
// (a shared limiter that is down) is told here. Of another Client only
// the error is known, which tells both, as well as it can.
func (l *attemptLog) judge(c Client, err error) callVerdict {
	l.mu.Lock()
	attempts := l.attempts
	l.mu.Unlock()
	if _, reports := c.(*adapter.Client); reports || attempts > 0 {
		nothingSent := attempts == 0 && err != nil && !errorIsContext(err)
		return callVerdict{attempted: attempts > 0, tellReach: nothingSent, reachErr: err}
	}
	return callVerdict{attempted: sent(err), tellReach: !errorIsContext(err), reachErr: callErr(err)}
}

// haltedInFlight is the error of a call that the run cut short because
// the vendor turned out unreachable (not the caller): the halted run's
// error, which says why. Any other error is returned as it is.
func (e *engine) haltedInFlight(err error) error {
	if err != nil && e.ctx.Err() == nil && e.calls.Err() != nil {
		if h := (*Halt)(nil); errors.As(context.Cause(e.calls), &h) {
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

// sleep waits for d, or until ctx ends (its error then).
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// callErr is what a call of a Client that reports no attempts tells about
// reachability: its network cause, or nil when the vendor answered.
func callErr(err error) error {
	var e *adapter.Error
	if errors.As(err, &e) && e.HTTPStatus != 0 {
		return nil
	}
	return err
}

// sent guesses, for a Client that reports no attempts, whether a call
// reached the network.
func sent(err error) bool {
	if err == nil {
		return true
	}
	var e *adapter.Error
	if errors.As(err, &e) {
		return e.Attempts > 0
	}
	return true // a context error mid-call
}

func retryable(err error) bool {
	var e *adapter.Error
	return errors.As(err, &e) && e.Retryable
}
