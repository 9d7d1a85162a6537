package redislimit_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"slices"
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
	"github.com/custsync/custsync/adapter/internal/pacing"
	"github.com/custsync/custsync/adapter/redislimit"
	"github.com/custsync/custsync/internal/redistest"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// newLimiter connects a limiter to url and closes it when t ends.
func newLimiter(t *testing.T, url string, opts ...redislimit.Option) *redislimit.Limiter {
	t.Helper()
	l, err := redislimit.New(t.Context(), url, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, l.Close()) })
	return l
}

// grants records when each Wait returned, across goroutines.
type grants struct {
	mu    sync.Mutex
	times []time.Time
}

func (g *grants) add(at time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.times = append(g.times, at)
}

// maxInWindow is the most grants in any window of length w, counted the
// way a vendor's rolling window counts arrivals.
func maxInWindow(times []time.Time, w time.Duration) int {
	sorted := slices.Clone(times)
	slices.SortFunc(sorted, func(a, b time.Time) int { return a.Compare(b) })
	most := 0
	for i := range sorted {
		n := 0
		for j := i; j < len(sorted) && sorted[j].Sub(sorted[i]) < w; j++ {
			n++
		}
		most = max(most, n)
	}
	return most
}

func span(times []time.Time) time.Duration {
	return slices.MaxFunc(times, time.Time.Compare).Sub(slices.MinFunc(times, time.Time.Compare))
}

func TestNewFailsWhenRedisCannotBeReached(t *testing.T) {
	addr := redistest.FreeAddr(t)
	tests := []struct {
		name, url string
	}{
		{"without credentials", "redis://" + addr + "/0"},
		{"with a password in the URL", "redis://:hunter2-secret@" + addr + "/0"},
		{"with a user and password in the URL", "redis://ops:hunter2-secret@" + addr + "/3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := redislimit.New(t.Context(), tt.url)

			require.Error(t, err)
			assert.Nil(t, l)
			assert.ErrorIs(t, err, adapter.Unavailable)
			assert.Contains(t, err.Error(), addr, "the error names the address")
			assert.NotContains(t, err.Error(), "hunter2", "the password is a secret")
			assert.NotContains(t, fmt.Sprintf("%+v %#v", err, err), "hunter2")
		})
	}
}

func TestNewRefusesBadURLsNamingTheProblem(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{"another scheme", "http://127.0.0.1:6379/0", `scheme "http"`},
		{"no host", "redis:///0", "no host"},
		{"not a URL", "redis://[::1/0", "not a URL"},
		{"a password in plain text to a remote host", "redis://:hunter2-secret@redis.example.com:6379/0", "use rediss://"},
		{"a bad database number", "redis://:hunter2-secret@127.0.0.1:6379/zero", "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := redislimit.New(t.Context(), tt.url)

			require.Error(t, err)
			assert.ErrorIs(t, err, adapter.InvalidArgument)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "hunter2")
		})
	}
}

func TestNewFailsAgainstARedisThatRefusesThePassword(t *testing.T) {
	srv := redistest.Start(t) // no user "nobody": AUTH fails

	_, err := redislimit.New(t.Context(), "redis://nobody:hunter2-secret@"+srv.Addr()+"/0")

	require.Error(t, err)
	assert.Contains(t, err.Error(), srv.Addr())
	assert.NotContains(t, err.Error(), "hunter2")
}

func TestLimitersInManyGoroutinesShareOneSchedule(t *testing.T) {
	srv := redistest.Start(t)
	const perSecond, limiters, waitsEach = 20, 4, 6
	limits := []adapter.Limit{{Key: "test/" + t.Name(), PerSecond: perSecond}}
	var got grants
	var wg sync.WaitGroup
	for range limiters {
		l := newLimiter(t, srv.URL()) // its own connection pool, as another process has
		for range 2 {
			wg.Go(func() {
				for range waitsEach / 2 {
					if !assert.NoError(t, l.Wait(t.Context(), limits)) {
						return
					}
					got.add(time.Now())
				}
			})
		}
	}
	wg.Wait()

	require.Len(t, got.times, limiters*waitsEach)
	assert.LessOrEqual(t, maxInWindow(got.times, time.Second), perSecond, "never more than the vendor's limit in any second")
	interval := intervalAt(perSecond)
	assert.GreaterOrEqual(t, span(got.times), time.Duration(float64(len(got.times)-1)*0.9*float64(interval)),
		"the grants are spaced at the shared rate, not each limiter's own")
}

func TestAllLimitsOfARequestAreTakenTogetherOrNotAtAll(t *testing.T) {
	srv := redistest.Start(t)
	l := newLimiter(t, srv.URL())
	endpoint := adapter.Limit{Key: "test/" + t.Name() + "/endpoint", PerSecond: 2}
	user := adapter.Limit{Key: "test/" + t.Name() + "/user", PerSecond: 2}

	require.NoError(t, l.Wait(t.Context(), []adapter.Limit{endpoint}), "the endpoint's token is spent")

	t.Run("a request that cannot have one key within its deadline takes none", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		err := l.Wait(ctx, []adapter.Limit{endpoint, user})
		require.Error(t, err)
		assert.NoError(t, ctx.Err(), "it fails at once rather than at the deadline")

		ctx, cancel = context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		assert.NoError(t, l.Wait(ctx, []adapter.Limit{user}), "the user key was not spent")
	})

	t.Run("a request waiting for one key leaves the other free meanwhile", func(t *testing.T) {
		require.NoError(t, l.Wait(t.Context(), []adapter.Limit{endpoint}))
		second := adapter.Limit{Key: user.Key + "/2", PerSecond: 2}
		done := make(chan error, 1)
		go func() { done <- l.Wait(t.Context(), []adapter.Limit{endpoint, second}) }()
		time.Sleep(50 * time.Millisecond)

		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		assert.NoError(t, l.Wait(ctx, []adapter.Limit{second}), "the waiting request holds no token of the free key")
		assert.NoError(t, <-done, "and it goes once both keys allow it")
	})
}

func TestA429SeenByOneProcessPausesAll(t *testing.T) {
	srv := redistest.Start(t)
	a, b := newLimiter(t, srv.URL()), newLimiter(t, srv.URL())
	limits := []adapter.Limit{{Key: "test/" + t.Name(), PerSecond: 50}}
	require.NoError(t, b.Wait(t.Context(), limits))

	a.Throttled(limits, 300*time.Millisecond)
	start := time.Now()
	require.NoError(t, b.Wait(t.Context(), limits))

	assert.GreaterOrEqual(t, time.Since(start), 250*time.Millisecond, "b waited out a's Retry-After")
}

func TestA429OnADocumentedLimitSlowsEveryProcessSharingIt(t *testing.T) {
	srv := redistest.Start(t)
	a, b := newLimiter(t, srv.URL()), newLimiter(t, srv.URL())
	limits := []adapter.Limit{{Key: "test/" + t.Name(), PerSecond: 10}}
	require.NoError(t, b.Wait(t.Context(), limits))

	// The vendor refuses one of a's: the shared pace drops to
	// ThrottleBackoff of SafetyFactor's, for b too (a lower bound: the
	// test cannot be made to fail by a slow machine).
	a.Throttled(limits, time.Millisecond)
	time.Sleep(5 * time.Millisecond)
	var got grants
	for range 4 {
		require.NoError(t, b.Wait(t.Context(), limits))
		got.add(time.Now())
	}
	slowed := time.Duration(float64(intervalAt(10)) / pacing.ThrottleBackoff)
	assert.GreaterOrEqual(t, span(got.times), 3*slowed-10*time.Millisecond, "b sends at the slowed pace (%v apart)", slowed)
}

func TestAnAdaptiveLimitLearnedByOneProcessSlowsAll(t *testing.T) {
	srv := redistest.Start(t)
	a, b := newLimiter(t, srv.URL()), newLimiter(t, srv.URL())
	limits := []adapter.Limit{{Key: "test/" + t.Name()}} // PerSecond 0: not published

	// Unpublished limits start unlimited: 10 requests at once.
	for range 10 {
		require.NoError(t, b.Wait(t.Context(), limits))
	}
	// The vendor refuses one of a's: the 10 requests/s that drew it are
	// halved to 5/s, for a and b alike.
	a.Throttled(limits, 100*time.Millisecond)

	var got grants
	for range 4 {
		require.NoError(t, b.Wait(t.Context(), limits))
		got.add(time.Now())
	}
	assert.GreaterOrEqual(t, span(got.times), 3*180*time.Millisecond, "b sends at a's learned rate of about 5/s")
}

func TestRedisRestartedMidRunIsUsedAgain(t *testing.T) {
	srv := redistest.Start(t)
	l := newLimiter(t, srv.URL())
	limits := []adapter.Limit{{Key: "test/" + t.Name(), PerSecond: 100}}
	require.NoError(t, l.Wait(t.Context(), limits))

	srv.Stop()
	var mu sync.Mutex
	var restartedAt time.Time
	go func() {
		time.Sleep(300 * time.Millisecond)
		srv.Restart()
		mu.Lock()
		restartedAt = time.Now()
		mu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	err := l.Wait(ctx, limits)
	returnedAt := time.Now()

	require.NoError(t, err, "the request waited for Redis instead of failing")
	mu.Lock()
	defer mu.Unlock()
	require.False(t, restartedAt.IsZero())
	assert.True(t, returnedAt.After(restartedAt), "and went only once Redis was back")
}

func TestRedisLostMidRunFailsUnavailableWithinTheDeadline(t *testing.T) {
	tests := []struct {
		name    string
		opts    []redislimit.Option
		timeout time.Duration
	}{
		{"the context's deadline comes first", nil, 400 * time.Millisecond},
		{"the maximum outage comes first", []redislimit.Option{redislimit.WithMaxOutage(300 * time.Millisecond)}, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := redistest.Start(t)
			l := newLimiter(t, srv.URL(), tt.opts...)
			srv.Stop()
			ctx, cancel := context.WithTimeout(t.Context(), tt.timeout)
			defer cancel()

			err := l.Wait(ctx, []adapter.Limit{{Key: "test/" + t.Name(), PerSecond: 2}})

			require.Error(t, err)
			assert.NoError(t, ctx.Err(), "the limiter answers before the deadline")
			var e *adapter.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, adapter.Unavailable, e.Code)
			assert.True(t, e.Retryable, "a retry once Redis is back may succeed")
			assert.Contains(t, e.Message, srv.Addr())
			assert.Contains(t, e.Message, "nothing was sent")
		})
	}
}

func TestAClientNeverSendsUnpacedWhenRedisIsLost(t *testing.T) {
	rdb := redistest.Start(t)
	vendor := sandbox.NewServer(sandbox.WithThrottle(specs.Billbee, sandbox.BillbeeThrottle()))
	t.Cleanup(vendor.Close)
	l := newLimiter(t, rdb.URL(), redislimit.WithMaxOutage(300*time.Millisecond))
	creds := sandbox.DefaultCredentials()
	client, err := billbee.New(billbee.Config{APIKey: adapter.Secret(creds.BillbeeAPIKey), Username: creds.BillbeeUsername, APIPassword: adapter.Secret(creds.BillbeeAPIPassword)},
		adapter.WithBaseURL(vendor.URL(specs.Billbee)), adapter.WithHTTPClient(vendor.Client()), adapter.WithRateLimiter(l))
	require.NoError(t, err)
	rdb.Stop()

	_, err = client.Update(t.Context(), &adapter.CustomerUpdate{ID: strconv.FormatInt(sandbox.BillbeeCustomerMax, 10), Name: adapter.Set("Paced")})

	require.Error(t, err)
	assert.ErrorIs(t, err, adapter.Unavailable)
	var e *adapter.Error
	require.ErrorAs(t, err, &e)
	assert.True(t, e.Retryable)
	assert.Equal(t, "billbee", e.Vendor)
	assert.Contains(t, e.Error(), rdb.Addr())
	assert.Zero(t, vendor.Stats(specs.Billbee).Requests, "nothing reached the vendor")
}

func TestClientsInSeveralProcessesShareTheVendorsLimit(t *testing.T) {
	srv := redistest.Start(t)
	const children, waitsEach, perSecond = 3, 6, 10
	key := "test/" + t.Name()
	var wg sync.WaitGroup
	var got grants
	for i := range children {
		wg.Go(func() {
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), childEnv+"="+strings.Join([]string{srv.URL(), key, strconv.Itoa(perSecond), strconv.Itoa(waitsEach)}, " "))
			out, err := cmd.Output()
			if !assert.NoError(t, err, "child %d", i) {
				return
			}
			for _, line := range strings.Fields(string(out)) {
				ns, err := strconv.ParseInt(line, 10, 64)
				if assert.NoError(t, err, "child %d printed %q", i, line) {
					got.add(time.Unix(0, ns))
				}
			}
		})
	}
	wg.Wait()

	require.Len(t, got.times, children*waitsEach)
	assert.LessOrEqual(t, maxInWindow(got.times, time.Second), perSecond, "the processes together keep the limit")
	interval := intervalAt(perSecond)
	assert.GreaterOrEqual(t, span(got.times), time.Duration(float64(len(got.times)-1)*0.9*float64(interval)))
}

// childEnv makes the test binary a child of
// TestClientsInSeveralProcessesShareTheVendorsLimit: "URL KEY RATE N".
const childEnv = "REDISLIMIT_TEST_CHILD"

func TestMain(m *testing.M) {
	// go-redis logs each failed dial; the tests that stop Redis cause many.
	redis.SetLogger(discardLogger{})
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(runChild(spec))
	}
	os.Exit(m.Run())
}

// runChild waits N times for KEY at RATE through Redis at URL and prints
// the time of each grant in Unix nanoseconds.
func runChild(spec string) int {
	f := strings.Fields(spec)
	rate, _ := strconv.ParseFloat(f[2], 64)
	n, _ := strconv.Atoi(f[3])
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, err := redislimit.New(ctx, f[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for range n {
		if err := l.Wait(ctx, []adapter.Limit{{Key: f[1], PerSecond: rate}}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println(time.Now().UnixNano())
	}
	if err := l.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func BenchmarkWait(b *testing.B) {
	srv := redistest.Start(b)
	// Billbee's three limits of one request, at rates that never make a
	// request wait: what is measured is the limiter's own cost.
	limits := []adapter.Limit{
		{Key: "bench/user/Customer_GetOne", PerSecond: 1e9},
		{Key: "bench/user", PerSecond: 1e9},
		{Key: "bench/key", PerSecond: 1e9},
	}
	redisLimiter, err := redislimit.New(context.Background(), srv.URL())
	require.NoError(b, err)
	defer func() { assert.NoError(b, redisLimiter.Close()) }()
	for _, bc := range []struct {
		name    string
		limiter adapter.RateLimiter
	}{
		{"in-process", adapter.NewRateLimiter()},
		{"redis", redisLimiter},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := bc.limiter.Wait(ctx, limits); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type discardLogger struct{}

func (discardLogger) Printf(context.Context, string, ...any) {}

// intervalAt is the spacing the limiter keeps for a documented rate.
func intervalAt(perSecond float64) time.Duration {
	return time.Duration(float64(time.Second) / (perSecond * pacing.SafetyFactor))
}

// TestAHungRedisFailsUnavailableNotTheCallersDeadline: a Redis that
// accepts the request and never answers is Unavailable, not the caller's
// own deadline, even when the answer comes late (a loaded machine wakes
// the waiting goroutine after the caller's deadline: seen at load 6).
func TestAHungRedisFailsUnavailableNotTheCallersDeadline(t *testing.T) {
	srv := redistest.Start(t)
	l := newLimiter(t, srv.URL())
	limits := []adapter.Limit{{Key: "test/" + t.Name(), PerSecond: 100}}
	require.NoError(t, l.Wait(t.Context(), limits), "a pooled connection exists")
	srv.Freeze()
	t.Cleanup(srv.Thaw)

	ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
	defer cancel()
	err := l.Wait(ctx, limits)

	assert.ErrorIs(t, err, adapter.Unavailable, "Redis is the cause, not the caller's deadline, however late the answer")
	srv.Thaw()
	assert.NoError(t, l.Wait(t.Context(), limits), "and used again once it answers")
}

func TestABulkRunWithRedisLostReportsEveryRecordAndSendsNothing(t *testing.T) {
	rdb := redistest.Start(t)
	vendor := sandbox.NewServer(sandbox.WithSyntheticCustomers(5), sandbox.WithThrottle(specs.Billbee, sandbox.BillbeeThrottle()))
	t.Cleanup(vendor.Close)
	l := newLimiter(t, rdb.URL(), redislimit.WithMaxOutage(100*time.Millisecond))
	creds := sandbox.DefaultCredentials()
	client, err := billbee.New(billbee.Config{APIKey: adapter.Secret(creds.BillbeeAPIKey), Username: creds.BillbeeUsername, APIPassword: adapter.Secret(creds.BillbeeAPIPassword)},
		adapter.WithBaseURL(vendor.URL(specs.Billbee)), adapter.WithHTTPClient(vendor.Client()), adapter.WithRateLimiter(l))
	require.NoError(t, err)
	rdb.Stop()
	updates := func(yield func(*adapter.CustomerUpdate) bool) {
		for i := range 5 {
			if !yield(&adapter.CustomerUpdate{ID: sandbox.SyntheticID(specs.Billbee, i+1), Name: adapter.Set("Lost")}) {
				return
			}
		}
	}

	outcomes, err := bulk.Updates(t.Context(), client, updates, bulk.WithRecordAttempts(2))
	require.NoError(t, err)
	var failed int
	for out := range outcomes {
		if assert.Error(t, out.Err, "record %d", out.Seq) {
			failed++
			assert.ErrorIs(t, out.Err, adapter.Unavailable)
			assert.Contains(t, out.Err.Error(), rdb.Addr())
		}
	}

	assert.Equal(t, 5, failed, "every record is reported")
	assert.Zero(t, vendor.Stats(specs.Billbee).Requests, "none was sent unpaced")
}

func TestNewFromClientUsesTheCallersClientAndLeavesItOpen(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { assert.NoError(t, rdb.Close()) })

	l, err := redislimit.NewFromClient(t.Context(), rdb, redislimit.WithKeyPrefix("other:{x}:"))
	require.NoError(t, err)
	require.NoError(t, l.Wait(t.Context(), []adapter.Limit{{Key: "k", PerSecond: 2}}))
	require.NoError(t, l.Close())

	assert.NoError(t, rdb.Ping(t.Context()).Err(), "the caller's client is still open")
	assert.Equal(t, int64(1), rdb.Exists(t.Context(), "other:{x}:k").Val(), "keys live under the prefix")
	assert.Equal(t, srv.Addr(), l.Addr())

	_, err = redislimit.NewFromClient(t.Context(), redis.NewClient(&redis.Options{Addr: redistest.FreeAddr(t)}))
	assert.ErrorIs(t, err, adapter.Unavailable)
}

func TestA429ReportedWhileRedisIsDownStillPausesThisProcess(t *testing.T) {
	srv := redistest.Start(t)
	l := newLimiter(t, srv.URL())
	limits := []adapter.Limit{{Key: "test/" + t.Name(), PerSecond: 50}}
	srv.Stop()

	throttledAt := time.Now()
	l.Throttled(limits, 500*time.Millisecond) // Redis cannot be told
	require.True(t, srv.Restart())            // and comes back knowing nothing
	require.NoError(t, l.Wait(t.Context(), limits))

	assert.GreaterOrEqual(t, time.Since(throttledAt), 450*time.Millisecond, "the vendor's Retry-After held anyway")
}

func TestAnOutageIsLoggedOnceAndWithoutThePassword(t *testing.T) {
	srv := redistest.Start(t)
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	// The default user of a Redis without requirepass takes any password.
	l := newLimiter(t, "redis://:hunter2-secret@"+srv.Addr()+"/0", redislimit.WithLogger(logger), redislimit.WithMaxOutage(200*time.Millisecond))
	limits := []adapter.Limit{{Key: "test/" + t.Name(), PerSecond: 1000}}
	srv.Stop()

	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			assert.ErrorIs(t, l.Wait(t.Context(), limits), adapter.Unavailable)
		})
	}
	wg.Wait()
	require.True(t, srv.Restart())
	// go-redis redials a pool that kept failing about once a second.
	require.Eventually(t, func() bool { return l.Wait(t.Context(), limits) == nil }, 10*time.Second, 50*time.Millisecond)

	out := logs.String()
	assert.Equal(t, 1, strings.Count(out, "Redis unreachable"), "one record per outage, not per request:\n%s", out)
	assert.Equal(t, 1, strings.Count(out, "reachable again"), out)
	assert.Contains(t, out, srv.Addr())
	assert.NotContains(t, out, "hunter2")
}

// syncBuffer is a bytes.Buffer safe for a logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
