package redislimit_test

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/billbee"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/redislimit"
	"github.com/custsync/custsync/internal/redistest"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// errorReplies are ways a Redis that is up answers the limiter's script
// with an error instead of a schedule: set makes it do so for keys under
// prefix, undo makes it answer again.
var errorReplies = []struct {
	name       string
	reply      string // how the error reply starts
	set, undo  [][]any
	keyCommand bool // set and undo name a key: append the limit's key
}{
	{
		name: "out of memory", reply: "OOM",
		set:  [][]any{{"CONFIG", "SET", "maxmemory-policy", "noeviction"}, {"CONFIG", "SET", "maxmemory", "1"}},
		undo: [][]any{{"CONFIG", "SET", "maxmemory", "0"}},
	},
	{
		name: "refusing scripts to the limiter's user", reply: "NOPERM",
		set:  [][]any{{"ACL", "SETUSER", "default", "-evalsha", "-eval"}},
		undo: [][]any{{"ACL", "SETUSER", "default", "+evalsha", "+eval"}},
	},
	{
		name: "holding another type under the limiter's key", reply: "WRONGTYPE",
		set:  [][]any{{"SET", "x"}},
		undo: [][]any{{"DEL"}}, keyCommand: true,
	},
}

// admin runs Redis commands for a test, outside the limiter.
func admin(t *testing.T, srv *redistest.Server, key string, cmds [][]any, keyCommand bool) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer func() { assert.NoError(t, rdb.Close()) }()
	for _, c := range cmds {
		if keyCommand {
			c = append([]any{c[0], key}, c[1:]...)
		}
		require.NoError(t, rdb.Do(t.Context(), c...).Err(), "%v", c)
	}
}

func TestARedisAnsweringErrorsIsWaitedForAndThenFailsRetryablyWithNothingSent(t *testing.T) {
	for _, tt := range errorReplies {
		t.Run("a Redis "+tt.name+" holds the request, then fails it Unavailable and retryable", func(t *testing.T) {
			srv := redistest.Start(t)
			l := newLimiter(t, srv.URL(), redislimit.WithMaxOutage(300*time.Millisecond))
			limits := []adapter.Limit{{Key: "test/" + t.Name(), PerSecond: 100}}
			require.NoError(t, l.Wait(t.Context(), limits), "Redis paces before it fails")
			admin(t, srv, redislimit.DefaultKeyPrefix+limits[0].Key, tt.set, tt.keyCommand)

			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			err := l.Wait(ctx, limits)

			require.Error(t, err)
			assert.NoError(t, ctx.Err(), "answered before the caller's deadline")
			var e *adapter.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, adapter.Unavailable, e.Code)
			assert.True(t, e.Retryable, "nothing was sent: a retry once Redis answers may succeed")
			assert.Zero(t, e.HTTPStatus)
			assert.Contains(t, e.Message, srv.Addr())
			assert.Contains(t, e.Message, tt.reply, "the reply is named")
			assert.Contains(t, e.Message, "nothing was sent")
		})
		t.Run("a Redis "+tt.name+" is used again as soon as it answers", func(t *testing.T) {
			srv := redistest.Start(t)
			var logs syncBuffer
			l := newLimiter(t, srv.URL(), redislimit.WithMaxOutage(time.Minute), redislimit.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			limits := []adapter.Limit{{Key: "test/" + t.Name(), PerSecond: 100}}
			admin(t, srv, redislimit.DefaultKeyPrefix+limits[0].Key, tt.set, tt.keyCommand)

			var mu sync.Mutex
			var undoneAt, returnedAt time.Time
			done := make(chan error, 1)
			go func() {
				err := l.Wait(t.Context(), limits)
				mu.Lock()
				returnedAt = time.Now()
				mu.Unlock()
				done <- err
			}()
			time.Sleep(300 * time.Millisecond) // Wait meets the error reply, and retries
			mu.Lock()
			undoneAt = time.Now()
			mu.Unlock()
			admin(t, srv, redislimit.DefaultKeyPrefix+limits[0].Key, tt.undo, tt.keyCommand)

			require.NoError(t, <-done)
			mu.Lock()
			defer mu.Unlock()
			assert.True(t, returnedAt.After(undoneAt), "the request went only once Redis answered")
			out := logs.String()
			assert.Equal(t, 1, strings.Count(out, "Redis answers the limiter with an error"), "said once, not per retry:\n%s", out)
			assert.Equal(t, 1, strings.Count(out, "Redis paces requests again"), out)
			assert.Contains(t, out, tt.reply)
		})
	}
}

// A limiter that cannot pace sends nothing, and a bulk run over it halts
// as it does when Redis is down: the records it tried fail retryably, the
// rest are reported not sent with the Halt, and the vendor sees no request.
func TestABulkRunWhoseRedisAnswersErrorsHaltsAndSendsNothing(t *testing.T) {
	rdb := redistest.Start(t)
	vendor := sandbox.NewServer(sandbox.WithSyntheticCustomers(40), sandbox.WithThrottle(specs.Billbee, sandbox.BillbeeThrottle()))
	t.Cleanup(vendor.Close)
	l := newLimiter(t, rdb.URL(), redislimit.WithMaxOutage(100*time.Millisecond))
	creds := sandbox.DefaultCredentials()
	client, err := billbee.New(billbee.Config{APIKey: adapter.Secret(creds.BillbeeAPIKey), Username: creds.BillbeeUsername, APIPassword: adapter.Secret(creds.BillbeeAPIPassword)},
		adapter.WithBaseURL(vendor.URL(specs.Billbee)), adapter.WithHTTPClient(vendor.Client()), adapter.WithRateLimiter(l))
	require.NoError(t, err)
	admin(t, rdb, "", errorReplies[0].set, false)
	updates := func(yield func(*adapter.CustomerUpdate) bool) {
		for i := range 40 {
			if !yield(&adapter.CustomerUpdate{ID: sandbox.SyntheticID(specs.Billbee, i+1), Name: adapter.Set("OOM " + strconv.Itoa(i))}) {
				return
			}
		}
	}

	var reported, halted int
	outcomes, err := bulk.Updates(t.Context(), client, updates, bulk.WithUnreachableAfter(300*time.Millisecond))
	require.NoError(t, err)
	for out := range outcomes {
		reported++
		var e *adapter.Error
		if assert.ErrorAs(t, out.Err, &e, "record %d", out.Seq) {
			assert.Equal(t, adapter.Unavailable, e.Code, "record %d: %v", out.Seq, out.Err)
			assert.True(t, e.Retryable, "record %d: %v", out.Seq, out.Err)
		}
		var h *bulk.Halt
		if errors.As(out.Err, &h) {
			halted++
			assert.Contains(t, h.Reason, "nothing could be sent", "the halt says why")
		}
	}

	assert.Equal(t, 40, reported, "every record is reported")
	assert.Positive(t, halted, "the run halted, reporting the rest as not sent")
	assert.Zero(t, vendor.Stats(specs.Billbee).Requests, "none was sent unpaced")
}
