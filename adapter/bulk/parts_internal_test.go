package bulk

import (
	"context"
	"errors"
	"math"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/internal/fieldname"
)

func TestFailedCustomersHoldBackTheLaterRecordsOfACustomerThatFailed(t *testing.T) {
	f := newFailedCustomers()
	failure := Outcome{Status: Failed, Err: &adapter.Error{Code: adapter.Unavailable}}
	a1 := &job{seq: 3, rec: Record{Line: 4}, key: "A", keyed: true}
	a2Update := &adapter.CustomerUpdate{ID: "A"}
	a2 := &job{seq: 7, rec: Record{Line: 8, Update: a2Update}, update: a2Update, key: "A", keyed: true}
	b1 := &job{seq: 4, rec: Record{Line: 5}, key: "B", keyed: true}

	t.Run("nothing is held before a failure", func(t *testing.T) {
		_, held := f.holdBack(a2)
		assert.False(t, held)
	})
	t.Run("a success marks nothing", func(t *testing.T) {
		f.note(b1, Outcome{Status: Succeeded})
		_, held := f.holdBack(b1)
		assert.False(t, held)
	})
	t.Run("an unchanged record marks nothing", func(t *testing.T) {
		f.note(b1, Outcome{Status: Unchanged})
		_, held := f.holdBack(b1)
		assert.False(t, held)
	})
	t.Run("after a failure the customer's later records are held, naming the first failure's line", func(t *testing.T) {
		f.note(a1, failure)
		out, held := f.holdBack(a2)
		require.True(t, held)
		assert.Equal(t, 7, out.Seq)
		assert.Equal(t, a2.rec, out.Record)
		assert.Same(t, a2Update, out.Record.Update)
		assert.Equal(t, Failed, out.Status)
		assert.Zero(t, out.Calls)
		assert.False(t, out.Attempted)
		var e *adapter.Error
		require.ErrorAs(t, out.Err, &e)
		assert.Equal(t, adapter.FailedPrecondition, e.Code)
		assert.Equal(t, fieldname.ID, e.Field)
		assert.Contains(t, e.Message, "(line 4)")
	})
	t.Run("a later failure does not move the first", func(t *testing.T) {
		f.note(a2, failure)
		out, _ := f.holdBack(&job{seq: 9, rec: Record{Line: 10}, key: "A", keyed: true})
		assert.Contains(t, out.Err.Error(), "(line 4)")
	})
	t.Run("other customers flow on", func(t *testing.T) {
		_, held := f.holdBack(&job{seq: 8, rec: Record{Line: 9}, key: "B", keyed: true})
		assert.False(t, held)
	})
	t.Run("a record not sent holds its customer's later records back too", func(t *testing.T) {
		f.note(&job{seq: 11, rec: Record{Line: 12}, key: "C", keyed: true}, Outcome{Status: NotSent, Err: context.Canceled})
		out, held := f.holdBack(&job{seq: 13, rec: Record{Line: 14}, key: "C", keyed: true})
		require.True(t, held)
		assert.Contains(t, out.Err.Error(), "(line 12)")
	})
	t.Run("an unkeyed record is never held or noted", func(t *testing.T) {
		f.note(&job{seq: 1, rec: Record{Line: 2}}, failure)
		_, held := f.holdBack(&job{seq: 2, rec: Record{Line: 3}})
		assert.False(t, held)
		_, held = f.holdBack(&job{seq: 2, rec: Record{Line: 3}, key: "", keyed: true})
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
	retryableErr := &adapter.Error{Code: adapter.Unavailable, Retryable: true}
	tests := []struct {
		name            string
		err             error
		calls, attempts int
		want            bool
	}{
		{"a success is not tried again", nil, 1, 5, false},
		{"a retryable failure with attempts left is", retryableErr, 1, 5, true},
		{"a retryable failure on its last attempt is not", retryableErr, 5, 5, false},
		{"a failure that is not retryable is not", &adapter.Error{Code: adapter.InvalidArgument}, 1, 5, false},
		{"a context error is not", context.Canceled, 1, 5, false},
		{"with one attempt nothing is tried again", retryableErr, 1, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tryRecordAgain(tt.err, tt.calls, tt.attempts))
		})
	}
}

// ownClient is a Client of a user's own: it reports no attempts.
type ownClient struct{}

func (ownClient) Update(context.Context, *adapter.CustomerUpdate, ...adapter.CallOption) (*adapter.Result, error) {
	return &adapter.Result{}, nil
}
func (ownClient) Key(u *adapter.CustomerUpdate) string { return "k:" + u.ID }
func (ownClient) Vendor() string                       { return "own" }
func (ownClient) Account() string                      { return "own-account" }

func TestJudgeReadsWhatACallSentAndWhatItTellsReachability(t *testing.T) {
	refused := &adapter.Error{Code: adapter.Unavailable, Err: syscall.ECONNREFUSED, Attempts: 1}
	limiterDown := &adapter.Error{Code: adapter.Unavailable, Retryable: true}
	answered := &adapter.Error{Code: adapter.Internal, HTTPStatus: 500, Attempts: 1}
	reporting := &adapter.Client{} // an *adapter.Client reports its attempts to the observer
	tests := []struct {
		name     string
		c        Client
		attempts int // attempts the observer heard
		err      error
		want     callVerdict
	}{
		{"a client whose attempts went out has told the clock itself", reporting, 2, answered,
			callVerdict{attempted: true, reachErr: answered}},
		{"a client that sent nothing tells the clock why", reporting, 0, limiterDown,
			callVerdict{tellReach: true, reachErr: limiterDown}},
		{"a client canceled before sending tells nothing", reporting, 0, context.Canceled,
			callVerdict{reachErr: context.Canceled}},
		{"another client that reports its attempts is judged by them", ownClient{}, 1, answered,
			callVerdict{attempted: true, reachErr: answered}},
		{"another client's success is an answer", ownClient{}, 0, nil,
			callVerdict{attempted: true, tellReach: true}},
		{"another client's HTTP failure is an answer", ownClient{}, 0, answered,
			callVerdict{attempted: true, tellReach: true}},
		{"another client's network failure is told as it is", ownClient{}, 0, refused,
			callVerdict{attempted: true, tellReach: true, reachErr: refused}},
		{"another client's failure with no attempt sent nothing", ownClient{}, 0, limiterDown,
			callVerdict{tellReach: true, reachErr: limiterDown}},
		{"another client's context error may have sent, and tells nothing", ownClient{}, 0, context.DeadlineExceeded,
			callVerdict{attempted: true, reachErr: context.DeadlineExceeded}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := attemptLog{attempts: tt.attempts}
			got := log.judge(tt.c, tt.err)
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

func TestJobOfKeysARecordByItsCustomerUnlessItNamesNone(t *testing.T) {
	e := &engine{c: ownClient{}}
	valid := &adapter.CustomerUpdate{ID: "C-1"}
	assert.Equal(t, &job{seq: 2, rec: Record{Line: 3, Update: valid}, update: valid, key: "k:C-1", keyed: true},
		e.jobOf(2, Record{Line: 3, Update: valid}))

	invalid := errors.New("bad")
	named := &adapter.CustomerUpdate{ID: "C-2"}
	assert.Equal(t, &job{seq: 3, rec: Record{Line: 4, Err: invalid, Customer: named}, update: named, key: "k:C-2", keyed: true},
		e.jobOf(3, Record{Line: 4, Err: invalid, Customer: named}), "an invalid record that names its customer keeps its place among its records")
	assert.Equal(t, &job{seq: 4, rec: Record{Line: 5, Err: invalid}}, e.jobOf(4, Record{Line: 5, Err: invalid}),
		"an invalid record that names no customer addresses none")

	e.cfg.unordered = true
	assert.False(t, e.jobOf(5, Record{Line: 6, Update: valid}).keyed, "a run without order keys nothing")
}

func TestNewConfigKeepsTheDefaultsAndTheValuesGiven(t *testing.T) {
	cfg, err := newConfig("Updates", nil)
	require.NoError(t, err)
	assert.Equal(t, defaultConcurrency, cfg.concurrency)
	assert.Equal(t, defaultRecordAttempts, cfg.recordAttempts)
	assert.Equal(t, defaultRecordPause, cfg.recordPause)
	assert.Equal(t, defaultHaltAfter, cfg.haltAfter)
	assert.Equal(t, defaultUnreachableAfter, cfg.unreachableAfter)
	assert.Empty(t, cfg.callOptions)
	assert.NotNil(t, cfg.now, "a run reads the time from the clock")

	cfg, err = newConfig("Updates", []Option{WithConcurrency(7), WithRecordAttempts(1), WithRecordPause(0),
		WithHaltAfter(0), WithUnreachableAfter(0), WithCallOptions(adapter.WithMaxRetries(0)), WithCallOptions(adapter.WithLenient(true))})
	require.NoError(t, err)
	assert.Equal(t, config{concurrency: 7, recordAttempts: 1}, config{concurrency: cfg.concurrency, recordAttempts: cfg.recordAttempts,
		recordPause: cfg.recordPause, haltAfter: cfg.haltAfter, unreachableAfter: cfg.unreachableAfter}, "zeros given are kept, not defaulted")
	assert.Len(t, cfg.callOptions, 2, "call options accumulate")

	cfg, err = newConfig("Updates", []Option{WithCallOptions(adapter.WithMaxRetries(0)), WithDryRun(true)})
	require.NoError(t, err)
	assert.True(t, cfg.dryRun)
	assert.Len(t, cfg.callOptions, 2, "a dry run sends every update with adapter.WithDryRun")

	_, err = newConfig("Updates", []Option{WithConcurrency(2), WithConcurrency(0), WithRecordAttempts(0)})
	assert.ErrorContains(t, err, "WithConcurrency(0)", "the first refused option is the error")
}
