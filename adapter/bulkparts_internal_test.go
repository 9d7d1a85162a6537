package adapter

import (
	"context"
	"errors"
	"math"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter/internal/fieldname"
)

func TestFailedCustomersHoldBackTheLaterUpdatesOfACustomerThatFailed(t *testing.T) {
	f := newFailedCustomers()
	failure := Outcome{Err: &Error{Code: Unavailable}}
	a1 := bulkJob{seq: 3, key: "A", keyed: true}
	a2 := bulkJob{seq: 7, key: "A", keyed: true, update: &CustomerUpdate{ID: "A"}}
	b1 := bulkJob{seq: 4, key: "B", keyed: true}

	t.Run("nothing is held before a failure", func(t *testing.T) {
		_, held := f.holdBack(a2)
		assert.False(t, held)
	})
	t.Run("a success marks nothing", func(t *testing.T) {
		f.note(b1, Outcome{})
		_, held := f.holdBack(b1)
		assert.False(t, held)
	})
	t.Run("after a failure the customer's later updates are held, naming the first failure", func(t *testing.T) {
		f.note(a1, failure)
		out, held := f.holdBack(a2)
		require.True(t, held)
		assert.Equal(t, 7, out.Seq)
		assert.Same(t, a2.update, out.Update)
		assert.Zero(t, out.Calls)
		var e *Error
		require.ErrorAs(t, out.Err, &e)
		assert.Equal(t, FailedPrecondition, e.Code)
		assert.Equal(t, fieldname.ID, e.Field)
		assert.Contains(t, e.Message, "(input record 4)")
	})
	t.Run("a later failure does not move the first", func(t *testing.T) {
		f.note(a2, failure)
		out, _ := f.holdBack(bulkJob{seq: 9, key: "A", keyed: true})
		assert.Contains(t, out.Err.Error(), "(input record 4)")
	})
	t.Run("other customers flow on", func(t *testing.T) {
		_, held := f.holdBack(bulkJob{seq: 8, key: "B", keyed: true})
		assert.False(t, held)
	})
	t.Run("an unkeyed update is never held or noted", func(t *testing.T) {
		f.note(bulkJob{seq: 1}, failure)
		_, held := f.holdBack(bulkJob{seq: 2})
		assert.False(t, held)
		_, held = f.holdBack(bulkJob{seq: 2, key: "", keyed: true})
		assert.False(t, held, "the unkeyed failure did not mark the empty key")
	})
}

func TestRecordPausesDoubleFromTheFirstAndNeverOverflow(t *testing.T) {
	p := recordPauses{next: 2 * time.Second}
	assert.Equal(t, []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second}, []time.Duration{p.take(), p.take(), p.take()})

	zero := recordPauses{}
	assert.Equal(t, []time.Duration{0, 0}, []time.Duration{zero.take(), zero.take()}, "a pause of 0 stays 0")

	huge := recordPauses{next: math.MaxInt64/2 + 1}
	for range 3 {
		assert.Positive(t, huge.take(), "held, not wrapped around to a negative pause")
	}
}

func TestTryRecordAgainOnlyWhileRetryableAndAttemptsRemain(t *testing.T) {
	retryableErr := &Error{Code: Unavailable, Retryable: true}
	tests := []struct {
		name            string
		err             error
		calls, attempts int
		want            bool
	}{
		{"a success is not tried again", nil, 1, 5, false},
		{"a retryable failure with attempts left is", retryableErr, 1, 5, true},
		{"a retryable failure on its last attempt is not", retryableErr, 5, 5, false},
		{"a failure that is not retryable is not", &Error{Code: InvalidArgument}, 1, 5, false},
		{"a context error is not", context.Canceled, 1, 5, false},
		{"with one attempt nothing is tried again", retryableErr, 1, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tryRecordAgain(tt.err, tt.calls, tt.attempts))
		})
	}
}

func TestJudgeCallReadsWhatACallSentAndWhatItTellsReachability(t *testing.T) {
	refused := &Error{Code: Unavailable, Err: syscall.ECONNREFUSED, Attempts: 1}
	limiterDown := &Error{Code: Unavailable, Retryable: true}
	answered := &Error{Code: Internal, HTTPStatus: 500, Attempts: 1}
	tests := []struct {
		name  string
		probe attemptProbe
		err   error
		want  callVerdict
	}{
		{"a client whose attempts went out has told the clock itself", attemptProbe{reported: true, attempts: 2}, answered,
			callVerdict{attempted: true, reachErr: answered}},
		{"a client that sent nothing tells the clock why", attemptProbe{reported: true}, limiterDown,
			callVerdict{tellReach: true, reachErr: limiterDown}},
		{"a client canceled before sending tells nothing", attemptProbe{reported: true}, context.Canceled,
			callVerdict{reachErr: context.Canceled}},
		{"another updater's success is an answer", attemptProbe{}, nil,
			callVerdict{attempted: true, tellReach: true}},
		{"another updater's HTTP failure is an answer", attemptProbe{}, answered,
			callVerdict{attempted: true, tellReach: true}},
		{"another updater's network failure is told as it is", attemptProbe{}, refused,
			callVerdict{attempted: true, tellReach: true, reachErr: refused}},
		{"another updater's failure with no attempt sent nothing", attemptProbe{}, limiterDown,
			callVerdict{tellReach: true, reachErr: limiterDown}},
		{"another updater's context error may have sent, and tells nothing", attemptProbe{}, context.DeadlineExceeded,
			callVerdict{attempted: true, reachErr: context.DeadlineExceeded}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := judgeCall(&tt.probe, tt.err)
			assert.Equal(t, tt.want.attempted, got.attempted, "attempted")
			assert.Equal(t, tt.want.tellReach, got.tellReach, "tellReach")
			if tt.want.tellReach {
				assert.True(t, errors.Is(got.reachErr, tt.want.reachErr), "reachErr %v", got.reachErr) // errors.Is(nil, nil) holds
				if tt.want.reachErr == nil {
					assert.NoError(t, got.reachErr)
				}
			}
		})
	}
}

func TestJobOfKeysAnUpdateByItsCustomerUnlessItHasNone(t *testing.T) {
	r := &bulkRun{cfg: bulkConfig{keyOf: func(u *CustomerUpdate) string { return "k:" + u.ID }}}
	assert.Equal(t, bulkJob{seq: 2, update: &CustomerUpdate{ID: "C-1"}, key: "k:C-1", keyed: true}, r.jobOf(2, &CustomerUpdate{ID: "C-1"}))
	assert.Equal(t, bulkJob{seq: 3}, r.jobOf(3, nil), "a nil update addresses no customer")
	r.cfg.unordered = true
	assert.False(t, r.jobOf(4, &CustomerUpdate{ID: "C-1"}).keyed, "a run without order keys nothing")
}

func TestNewBulkConfigKeepsTheDefaultsAndTheValuesGiven(t *testing.T) {
	noop := updaterFunc(func(context.Context, *CustomerUpdate, ...CallOption) (*Result, error) { return &Result{}, nil })
	cfg, err := newBulkConfig(noop, nil)
	require.NoError(t, err)
	assert.Equal(t, defaultConcurrency, cfg.concurrency)
	assert.Equal(t, defaultRecordAttempts, cfg.recordAttempts)
	assert.Equal(t, recordRetryPause, cfg.recordPause)
	assert.Equal(t, defaultHaltAfter, cfg.haltAfter)
	assert.Equal(t, defaultUnreachableAfter, cfg.unreachableAfter)
	assert.Equal(t, "C-1", cfg.keyOf(&CustomerUpdate{ID: "C-1"}), "an Updater without Key is keyed by the id")

	cfg, err = newBulkConfig(noop, []BulkOption{WithConcurrency(7), WithRecordAttempts(1), WithRecordPause(0),
		WithHaltAfter(0), WithUnreachableAfter(0), WithCallOptions(WithMaxRetries(0)), WithCallOptions(WithLenient(true))})
	require.NoError(t, err)
	assert.Equal(t, bulkConfig{concurrency: 7, recordAttempts: 1}, bulkConfig{concurrency: cfg.concurrency, recordAttempts: cfg.recordAttempts,
		recordPause: cfg.recordPause, haltAfter: cfg.haltAfter, unreachableAfter: cfg.unreachableAfter}, "zeros given are kept, not defaulted")
	assert.Len(t, cfg.callOptions, 2, "call options accumulate")

	_, err = newBulkConfig(noop, []BulkOption{WithConcurrency(2), WithConcurrency(0), WithRecordAttempts(0)})
	assert.ErrorContains(t, err, "WithConcurrency(0)", "the first refused option is the error")
}

// updaterFunc is an Updater from a function.
type updaterFunc func(context.Context, *CustomerUpdate, ...CallOption) (*Result, error)

func (f updaterFunc) Update(ctx context.Context, u *CustomerUpdate, opts ...CallOption) (*Result, error) {
	return f(ctx, u, opts...)
}
