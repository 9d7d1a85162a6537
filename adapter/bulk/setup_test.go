package bulk_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// setupRun is what a run against a wrong setup came to.
type setupRun struct {
	statuses map[bulk.Status]int
	codes    map[adapter.Code]int // of the records sent
	halt     *bulk.Halt
}

func runSetup(t *testing.T, c bulk.Client, records int, opts ...bulk.Option) setupRun {
	t.Helper()
	r := setupRun{statuses: map[bulk.Status]int{}, codes: map[adapter.Code]int{}}
	for out := range runUpdates(t, context.Background(), c, stream(records, nil), append([]bulk.Option{bulk.WithConcurrency(8)}, opts...)...) {
		r.statuses[out.Status]++
		if out.Calls > 0 {
			r.codes[adapter.CodeOf(out.Err)]++
		}
		var h *bulk.Halt
		if errors.As(out.Err, &h) {
			r.halt = h
		}
	}
	return r
}

func TestAWrongKeyCostsThreeRequestsNotOnePerRecord(t *testing.T) {
	srv := sandbox.NewServer()
	defer srv.Close()
	c, err := upwell.New(upwell.Config{APIKey: "wrong-key", SourceSystem: sandbox.UpwellSourceSystem},
		adapter.WithBaseURL(srv.URL(specs.Upwell)), adapter.WithRateLimiter(nil))
	require.NoError(t, err)
	r := runSetup(t, c, 500)
	assert.Equal(t, int64(3), srv.Stats(specs.Upwell).Requests, "one record at a time until the setup is proven, and a halt after the third refusal")
	assert.Equal(t, map[bulk.Status]int{bulk.Failed: 3, bulk.NotSent: 497}, r.statuses)
	assert.Equal(t, map[adapter.Code]int{adapter.PermissionDenied: 3}, r.codes)
	require.NotNil(t, r.halt)
	assert.Equal(t, "upwell refused the credentials for 3 records in a row (HTTP 401): check them; no line needs fixing", r.halt.Reason)
	var last *adapter.Error
	require.ErrorAs(t, r.halt.Last, &last)
	assert.True(t, last.Config, "a refused credential is the configuration's fault")
	assert.True(t, r.halt.Setup)
}

func TestAMistypedBaseURLPathCostsThreeRequests(t *testing.T) {
	srv := sandbox.NewServer()
	defer srv.Close()
	r := runSetup(t, upwellAt(t, srv.URL(specs.Upwell)+"/v2"), 500)
	assert.Equal(t, map[bulk.Status]int{bulk.Failed: 3, bulk.NotSent: 497}, r.statuses)
	assert.Equal(t, map[adapter.Code]int{adapter.FailedPrecondition: 3}, r.codes)
	require.NotNil(t, r.halt)
	assert.Equal(t, "3 records in a row found no upwell endpoint at the base URL (HTTP 404): check the base URL; no line needs fixing", r.halt.Reason)
	assert.Contains(t, r.halt.Last.Error(), "/v2/api/rest/customers", "the URL tried is named")
}

func TestAMistypedPortHaltsWithinTheFirstRecordsAttempts(t *testing.T) {
	// The record could be tried 50 times and the run would wait 20s for
	// the reachability rule: an unproven setup halts after 3 attempts.
	c := upwellAt(t, "http://"+closedPort(t), adapter.WithRetryBackoff(time.Millisecond, 5*time.Millisecond), adapter.WithMaxRetries(10))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second) // a bound for a broken rule, not the claim
	defer cancel()
	statuses := map[bulk.Status]int{}
	var halt *bulk.Halt
	for out := range runUpdates(t, ctx, c, stream(100, nil), bulk.WithConcurrency(8), bulk.WithRecordAttempts(50), bulk.WithRecordPause(time.Millisecond)) {
		statuses[out.Status]++
		errors.As(out.Err, &halt)
	}
	require.NoError(t, ctx.Err())
	assert.Equal(t, map[bulk.Status]int{bulk.Failed: 1, bulk.NotSent: 99}, statuses, "only the first record was tried")
	require.NotNil(t, halt)
	assert.Equal(t, "the vendor could not be reached in its first 3 attempts (connection refused): check the base URL's host and port", halt.Reason)
}

// gate is a vendor that answers each request as answer says, and counts
// the requests in flight before one proved the setup (a 200 or a 404).
type gate struct {
	mu              sync.Mutex
	inFlight, most  int
	mostBeforeProof int
	proven          bool
	n               atomic.Int64
	answer          func(n int64) int // the status of the nth request, from 1
}

func (g *gate) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	status := g.answer(g.n.Add(1))
	g.mu.Lock()
	g.inFlight++
	g.most = max(g.most, g.inFlight)
	proven := g.proven
	if !proven {
		g.mostBeforeProof = max(g.mostBeforeProof, g.inFlight)
	}
	g.mu.Unlock()
	if !proven {
		// Time for the other workers to send, were they let.
		time.Sleep(20 * time.Millisecond)
	} else {
		time.Sleep(2 * time.Millisecond) // a vendor's usual pace: records overlap
	}
	g.mu.Lock()
	g.inFlight--
	g.proven = g.proven || status == http.StatusOK || status == http.StatusNotFound
	g.mu.Unlock()
	w.WriteHeader(status)
	if status != http.StatusOK {
		_, _ = w.Write([]byte("no"))
	}
}

func TestARunSendsOneRecordUntilTheVendorShowsTheSetupWorks(t *testing.T) {
	for _, tc := range []struct {
		name  string
		first int
	}{
		{"a success", http.StatusOK},
		{"a failure of the record's own", http.StatusNotFound}, // routed and authenticated: the customer is missing
	} {
		t.Run("proven by "+tc.name, func(t *testing.T) {
			g := &gate{answer: func(n int64) int {
				if n == 1 {
					return tc.first
				}
				return http.StatusOK
			}}
			c, _ := newFake(t, g.ServeHTTP)
			r := runSetup(t, c, 200)
			assert.Nil(t, r.halt)
			assert.Equal(t, 1, g.mostBeforeProof, "one record in flight until the first answer")
			assert.Greater(t, g.most, 1, "full concurrency once the setup is proven")
			succeeded := 199
			if tc.first == http.StatusOK {
				succeeded = 200
			}
			assert.Equal(t, succeeded, r.statuses[bulk.Succeeded])
		})
	}
	t.Run("a record retried on 503s stays alone until it ends", func(t *testing.T) {
		g := &gate{answer: func(n int64) int {
			if n <= 3 {
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		}}
		c, _ := newFake(t, g.ServeHTTP)
		r := runSetup(t, c, 20, bulk.WithRecordPause(0))
		assert.Nil(t, r.halt)
		assert.Equal(t, 20, r.statuses[bulk.Succeeded])
		assert.Equal(t, 1, g.mostBeforeProof, "still one record in flight while the first one is retried")
	})
	t.Run("off with WithSetupCheck(0)", func(t *testing.T) {
		g := &gate{answer: func(int64) int { return http.StatusOK }}
		c, _ := newFake(t, g.ServeHTTP)
		r := runSetup(t, c, 200, bulk.WithSetupCheck(0))
		assert.Equal(t, 200, r.statuses[bulk.Succeeded])
		assert.Greater(t, g.mostBeforeProof, 1, "full concurrency from the start")
	})
}

func TestACredentialRevokedMidRunHaltsTheRun(t *testing.T) {
	const revokedAt = 50
	g := &gate{answer: func(n int64) int {
		if n >= revokedAt {
			return http.StatusUnauthorized
		}
		return http.StatusOK
	}}
	c, _ := newFake(t, g.ServeHTTP)
	r := runSetup(t, c, 1000)
	require.NotNil(t, r.halt)
	assert.Contains(t, r.halt.Reason, "refused the credentials for 3 records in a row")
	assert.Equal(t, revokedAt-1, r.statuses[bulk.Succeeded])
	sent := r.statuses[bulk.Succeeded] + r.statuses[bulk.Failed]
	assert.Less(t, sent, revokedAt-1+3+2*8, "the third refusal halts the run: only the records in flight follow")
	assert.Equal(t, 1000, sent+r.statuses[bulk.NotSent])
}

func TestAFewFailuresOfTheirOwnDoNotHaltTheRun(t *testing.T) {
	// Two refusals in a row, then a success: the count starts again.
	g := &gate{answer: func(n int64) int {
		if n%3 != 1 {
			return http.StatusForbidden
		}
		return http.StatusOK
	}}
	c, _ := newFake(t, g.ServeHTTP)
	r := runSetup(t, c, 30, bulk.WithConcurrency(1))
	assert.Nil(t, r.halt)
	assert.Equal(t, map[bulk.Status]int{bulk.Succeeded: 10, bulk.Failed: 20}, r.statuses)
}

func TestWithSetupCheckRefusesANegativeCount(t *testing.T) {
	_, err := bulk.Updates(context.Background(), &orderClient{}, stream(1, nil), bulk.WithSetupCheck(-1))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "WithSetupCheck(-1): must be 0 (no check) or more")
}

func TestAVendorThatFailsEveryRecordIsNotTriedOneRecordAtATime(t *testing.T) {
	// Down for the night: every request 503. The first record's answer,
	// after its retries, lets the run widen, and the failure streak halts
	// it as it would without the setup check.
	g := &gate{answer: func(int64) int { return http.StatusServiceUnavailable }}
	c, _ := newFake(t, g.ServeHTTP)
	r := runSetup(t, c, 500, bulk.WithRecordAttempts(1), bulk.WithHaltAfter(20))
	require.NotNil(t, r.halt)
	assert.Equal(t, "20 records in a row failed with retryable errors", r.halt.Reason)
	assert.Greater(t, g.most, 1, "records in flight together after the first answer")
}

func TestThrottledOrFailedRecordsDoNotBreakARowOfRefusals(t *testing.T) {
	statuses := []int{http.StatusUnauthorized, http.StatusServiceUnavailable, http.StatusUnauthorized, http.StatusUnauthorized, http.StatusOK}
	g := &gate{answer: func(n int64) int { return statuses[min(int(n), len(statuses))-1] }}
	c, _ := newFake(t, g.ServeHTTP)
	r := runSetup(t, c, 50, bulk.WithConcurrency(1), bulk.WithRecordAttempts(1))
	require.NotNil(t, r.halt)
	assert.Contains(t, r.halt.Reason, "refused the credentials for 3 records in a row")
	assert.Equal(t, int64(4), g.n.Load(), "the 503 between the refusals neither counts nor starts the count again")
}
