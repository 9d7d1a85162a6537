// Package drivertest is the conformance suite every custsync driver must
// pass, after gocloud.dev's drivertest: one body of tests, run for each
// vendor against the sandbox through a small Harness, so the three drivers
// cannot drift apart in what they promise. Driver-specific cases live in
// each driver's own tests beside it.
//
// A driver's test calls RunConformanceTests with its Harness:
//
//	func TestConformance(t *testing.T) { drivertest.RunConformanceTests(t, harness) }
//
// Every sandbox answer during the suite is checked against the vendor's
// spec, and the suite fails on any violation or leaked goroutine.
//
// CheckFieldTable holds the field table in a driver's package doc to the
// driver's Fields():
//
//	func TestThePackageDocFieldTableMatchesFields(t *testing.T) {
//		drivertest.CheckFieldTable(t, ".", client.Fields())
//	}
package drivertest

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/driver"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// Harness adapts one driver to the suite.
type Harness struct {
	Vendor specs.Vendor
	// NewClient returns a client for the vendor at baseURL with the given
	// credentials (the sandbox's demo ones, or deliberately wrong ones).
	NewClient func(baseURL string, creds sandbox.Credentials, opts ...adapter.Option) (*adapter.Client, error)
	// FullUpdate sets every field the vendor stores, to values unlike the
	// seed's; PartialUpdate changes one field (for BlueTape, which replaces
	// the contact, one changed value among the five required).
	FullUpdate    func(id string) *adapter.CustomerUpdate
	PartialUpdate func(id string) *adapter.CustomerUpdate
	// ClearUpdate clears one field; ClearRefused says the vendor cannot
	// clear anything, so the update must fail with InvalidArgument.
	ClearUpdate  func(id string) *adapter.CustomerUpdate
	ClearRefused bool
	// MissingRequired is an update the vendor's rules refuse before any
	// request (a missing required field, a malformed id).
	MissingRequired func(id string) *adapter.CustomerUpdate
	// Stored returns the vendor's stored value for a portable field, in
	// the JSON shape the canonical form uses (strings, json.Number, nil for
	// cleared), from a record returned by Sandbox.Customer.
	Stored func(record map[string]any, field string) any
	// Unchanged lists vendor record keys a partial update must not touch.
	Unchanged []string
	// MissingID names no customer.
	MissingID string
	// BulkSize is how many synthetic customers bulk cases update (small
	// for vendors with low rate limits).
	BulkSize int
}

// RunConformanceTests runs the suite.
func RunConformanceTests(t *testing.T, h Harness) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := goleak.IgnoreCurrent()
			f := newFixture(t, h, false)
			c.run(t, f)
			assert.Empty(t, f.srv.Violations(), "every sandbox answer matches the spec")
			f.srv.Close()
			goleak.VerifyNone(t, before)
		})
	}
}

// fixture is what each case starts from: its own sandbox and client.
type fixture struct {
	h          Harness
	srv        *sandbox.Server  // nil on a test clock
	sb         *sandbox.Sandbox // srv's, or the one on the test clock
	baseURL    string
	httpClient *http.Client
	client     *adapter.Client
	seed       string // a seeded customer the case may change
	paced      bool
}

// newFixture starts a sandbox and a client for one case. The client is
// unpaced (no rate limiter) unless paced: the sandbox enforces no throttle
// unless asked, and cases about pacing ask for both, so the rest of the
// suite need not run at Billbee's 2 updates/s.
func newFixture(t *testing.T, h Harness, paced bool, opts ...sandbox.Option) *fixture {
	t.Helper()
	srv := sandbox.NewServer(fixtureSandbox(h, opts)...)
	t.Cleanup(srv.Close)
	f := &fixture{h: h, srv: srv, sb: srv.Sandbox, baseURL: srv.URL(h.Vendor), httpClient: srv.Client(), seed: sandbox.SyntheticID(h.Vendor, 1), paced: paced}
	f.client = f.newClient(t, sandbox.DefaultCredentials())
	return f
}

// newClockFixture is a paced fixture for a case run in a testing/synctest
// bubble (it must be called inside one): the sandbox is served over
// in-memory connections, so that it sees requests when the client sent
// them on the bubble's clock, however loaded the machine.
func newClockFixture(t *testing.T, h Harness, opts ...sandbox.Option) *fixture {
	t.Helper()
	sb := sandbox.New(fixtureSandbox(h, opts)...)
	mem := newMemNet(sb)
	t.Cleanup(mem.Close)
	// Any loopback host: every connection reaches sb.
	f := &fixture{h: h, sb: sb, baseURL: "http://127.0.0.1" + sandbox.BasePath(h.Vendor), httpClient: mem.Client(), seed: sandbox.SyntheticID(h.Vendor, 1), paced: true}
	f.client = f.newClient(t, sandbox.DefaultCredentials())
	return f
}

func fixtureSandbox(h Harness, opts []sandbox.Option) []sandbox.Option {
	return append([]sandbox.Option{sandbox.WithSyntheticCustomers(max(h.BulkSize, 8)), sandbox.WithSeed(7)}, opts...)
}

// fastRetries keeps retry waits short so the suite runs in seconds; the
// policy (what is retried) is the default one.
var fastRetries = adapter.WithRetryBackoff(5*time.Millisecond, 40*time.Millisecond)

func (f *fixture) newClient(t *testing.T, creds sandbox.Credentials, opts ...adapter.Option) *adapter.Client {
	t.Helper()
	base := []adapter.Option{adapter.WithHTTPClient(f.httpClient), fastRetries}
	if !f.paced {
		base = append(base, adapter.WithRateLimiter(nil))
	}
	c, err := f.h.NewClient(f.baseURL, creds, append(base, opts...)...)
	require.NoError(t, err)
	return c
}

func (f *fixture) record(t *testing.T, id string) map[string]any {
	t.Helper()
	r, ok := f.sb.Customer(f.h.Vendor, id)
	require.True(t, ok, "customer %s exists", id)
	return r
}

func (f *fixture) requests() int64 { return f.sb.Stats(f.h.Vendor).Requests }

type testCase struct {
	name string
	run  func(t *testing.T, f *fixture)
}

var cases = []testCase{
	{"an update of every supported field is stored", func(t *testing.T, f *fixture) {
		u := f.h.FullUpdate(f.seed)
		// Strict: the sandbox stores what it is sent, so a verified write
		// that reports a mismatch here is a driver comparing wrongly.
		res, err := f.client.Update(context.Background(), u, adapter.WithStrict(true))
		require.NoError(t, err)
		assert.Empty(t, res.Mismatches)
		assert.Equal(t, string(f.h.Vendor), res.Vendor)
		assert.Equal(t, f.seed, res.ID)
		assert.NotEmpty(t, res.VendorID)
		assert.GreaterOrEqual(t, res.Attempts, 1)
		assert.Empty(t, res.Dropped)
		assertStored(t, f, f.seed, u)
	}},
	{"a partial update changes only what it sets", func(t *testing.T, f *fixture) {
		before := f.record(t, f.seed)
		u := f.h.PartialUpdate(f.seed)
		_, err := f.client.Update(context.Background(), u)
		require.NoError(t, err)
		after := f.record(t, f.seed)
		assertStored(t, f, f.seed, u)
		for _, key := range f.h.Unchanged {
			assert.Equal(t, before[key], after[key], "%s is untouched", key)
		}
	}},
	{"a cleared field is cleared", func(t *testing.T, f *fixture) {
		u := f.h.ClearUpdate(f.seed)
		before := f.record(t, f.seed)
		sent := f.requests()
		_, err := f.client.Update(context.Background(), u)
		if f.h.ClearRefused {
			assert.ErrorIs(t, err, adapter.InvalidArgument)
			assert.Equal(t, sent, f.requests(), "nothing was sent")
			assert.Equal(t, before, f.record(t, f.seed))
			return
		}
		require.NoError(t, err)
		assertStored(t, f, f.seed, u)
		res, err := f.client.Update(context.Background(), u, adapter.WithStrict(true))
		require.NoError(t, err, "a clear verified against the record as stored")
		assert.Empty(t, res.Mismatches)
	}},
	{"an unsupported field fails naming it and sends nothing, or is dropped when lenient", func(t *testing.T, f *fixture) {
		field := unsupportedField(f.client)
		require.NotEmpty(t, field, "every vendor lacks some portable field")
		u := f.h.PartialUpdate(f.seed)
		setField(u, field)
		_, err := f.client.Update(context.Background(), u)
		var e *adapter.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, adapter.InvalidArgument, e.Code)
		assert.Equal(t, field, e.Field)
		assert.Zero(t, f.requests(), "nothing was sent")

		res, err := f.client.Update(context.Background(), u, adapter.WithLenient(true))
		require.NoError(t, err)
		assert.Equal(t, []string{field}, res.Dropped)
		assert.NotContains(t, res.Sent, field)
	}},
	{"a missing required field fails and sends nothing", func(t *testing.T, f *fixture) {
		_, err := f.client.Update(context.Background(), f.h.MissingRequired(f.seed))
		var e *adapter.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, adapter.InvalidArgument, e.Code)
		assert.NotEmpty(t, e.Field, "the error names the field")
		assert.Zero(t, f.requests())
	}},
	{"an unknown customer is NotFound", func(t *testing.T, f *fixture) {
		_, err := f.client.Update(context.Background(), f.h.PartialUpdate(f.h.MissingID))
		assert.ErrorIs(t, err, adapter.NotFound)
		var e *adapter.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, string(f.h.Vendor), e.Vendor)
		assert.False(t, e.Retryable)
		assert.False(t, e.Config, "a missing customer is the record's fault, not the configuration's")
	}},
	{"a base URL with no such endpoint is a configuration error naming the URL", func(t *testing.T, f *fixture) {
		f.baseURL += "/v9"
		_, err := f.newClient(t, sandbox.DefaultCredentials()).Update(context.Background(), f.h.PartialUpdate(f.seed))
		var e *adapter.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, adapter.FailedPrecondition, e.Code)
		assert.True(t, e.Config)
		assert.Contains(t, e.Message, "/v9/")
		assert.Contains(t, e.Message, "check the base URL")
		assert.False(t, e.Retryable)
	}},
	{"Check passes with the right credentials, in one request that writes nothing", func(t *testing.T, f *fixture) {
		before := f.record(t, f.seed)
		require.NoError(t, f.client.Check(context.Background()))
		assert.Equal(t, int64(1), f.requests())
		assert.Equal(t, before, f.record(t, f.seed))
	}},
	{"Check fails on wrong credentials and on a base URL with no such endpoint, as a configuration error", func(t *testing.T, f *fixture) {
		wrong := sandbox.Credentials{
			UpwellAPIKey: "wrong-key-123", BlueTapeAPIKey: "wrong-key-123", BlueTapeAccountID: "wrong-account",
			BillbeeAPIKey: "wrong-key-123", BillbeeUsername: "nobody@example.com", BillbeeAPIPassword: "wrong-password",
		}
		err := f.newClient(t, wrong).Check(context.Background())
		var e *adapter.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, adapter.PermissionDenied, e.Code)
		assert.True(t, e.Config)
		assert.NotContains(t, err.Error(), "wrong-key-123", "no credential in the error")

		f.baseURL += "/v9"
		err = f.newClient(t, sandbox.DefaultCredentials()).Check(context.Background())
		require.ErrorAs(t, err, &e)
		assert.Equal(t, adapter.FailedPrecondition, e.Code)
		assert.True(t, e.Config)
		assert.Contains(t, e.Message, "/v9/")
	}},
	{"wrong credentials are PermissionDenied", func(t *testing.T, f *fixture) {
		wrong := sandbox.Credentials{
			UpwellAPIKey: "wrong-key-123", BlueTapeAPIKey: "wrong-key-123", BlueTapeAccountID: "wrong-account",
			BillbeeAPIKey: "wrong-key-123", BillbeeUsername: "nobody@example.com", BillbeeAPIPassword: "wrong-password",
		}
		c := f.newClient(t, wrong)
		_, err := c.Update(context.Background(), f.h.PartialUpdate(f.seed))
		assert.ErrorIs(t, err, adapter.PermissionDenied)
		var e *adapter.Error
		require.ErrorAs(t, err, &e)
		assert.True(t, e.Config, "a refused credential is the configuration's fault")
	}},
	{"a throttled request is ResourceExhausted without retries and succeeds with them", func(t *testing.T, f *fixture) {
		f.srv.FailNext(f.h.Vendor, 1, sandbox.FaultTooManyRequests)
		_, err := f.client.Update(context.Background(), f.h.PartialUpdate(f.seed), adapter.WithMaxRetries(0))
		assert.ErrorIs(t, err, adapter.ResourceExhausted)

		f.srv.FailNext(f.h.Vendor, 2, sandbox.FaultTooManyRequests)
		res, err := f.client.Update(context.Background(), f.h.PartialUpdate(f.seed))
		require.NoError(t, err)
		assert.GreaterOrEqual(t, res.Attempts, 3)
	}},
	{"a server error is a typed error, and retried", func(t *testing.T, f *fixture) {
		for fault, code := range map[sandbox.Fault]adapter.Code{
			sandbox.FaultInternalError: adapter.Internal,
			sandbox.FaultUnavailable:   adapter.Unavailable,
		} {
			f.srv.FailNext(f.h.Vendor, 1, fault)
			_, err := f.client.Update(context.Background(), f.h.PartialUpdate(f.seed), adapter.WithMaxRetries(0))
			var e *adapter.Error
			require.ErrorAs(t, err, &e, "%s", fault)
			assert.Equal(t, code, e.Code, "%s", fault)
			assert.True(t, e.Retryable)

			f.srv.FailNext(f.h.Vendor, 1, fault)
			_, err = f.client.Update(context.Background(), f.h.PartialUpdate(f.seed))
			assert.NoError(t, err, "%s is retried", fault)
		}
	}},
	{"an HTML error page is a typed error", func(t *testing.T, f *fixture) {
		f.srv.FailNext(f.h.Vendor, 1, sandbox.FaultBadGateway)
		_, err := f.client.Update(context.Background(), f.h.PartialUpdate(f.seed), adapter.WithMaxRetries(0))
		var e *adapter.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, adapter.Unavailable, e.Code)
		assert.Equal(t, http.StatusBadGateway, e.HTTPStatus)
		assert.Contains(t, e.Body, "502")
	}},
	{"a broken connection or a cut body is retried for these idempotent updates", func(t *testing.T, f *fixture) {
		for _, fault := range []sandbox.Fault{sandbox.FaultReset, sandbox.FaultResetAfterApply, sandbox.FaultTruncate} {
			f.srv.FailNext(f.h.Vendor, 1, fault)
			u := f.h.PartialUpdate(f.seed)
			_, err := f.client.Update(context.Background(), u)
			require.NoError(t, err, "%s", fault)
			assertStored(t, f, f.seed, u)
		}
	}},
	{"a canceled or expired context is returned as it is", func(t *testing.T, f *fixture) {
		require.NoError(t, f.srv.SetFaults(f.h.Vendor, sandbox.Faults{Latency: 400 * time.Millisecond}))
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := f.client.Update(ctx, f.h.PartialUpdate(f.seed))
		assert.Equal(t, context.DeadlineExceeded, err)

		ctx, cancel2 := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel2)
		_, err = f.client.Update(ctx, f.h.PartialUpdate(f.seed))
		assert.Equal(t, context.Canceled, err)
	}},
	{"concurrent updates of distinct customers all land", func(t *testing.T, f *fixture) {
		n := f.h.BulkSize
		var wg sync.WaitGroup
		errs := make([]error, n)
		updates := make([]*adapter.CustomerUpdate, n)
		for i := range n {
			updates[i] = f.h.FullUpdate(sandbox.SyntheticID(f.h.Vendor, i+1))
			wg.Go(func() { _, errs[i] = f.client.Update(context.Background(), updates[i]) })
		}
		wg.Wait()
		for i := range n {
			require.NoError(t, errs[i])
			assertStored(t, f, updates[i].ID, updates[i])
		}
	}},
	{"a bulk run through faults loses nothing", func(t *testing.T, f *fixture) {
		require.NoError(t, f.srv.SetFaults(f.h.Vendor, sandbox.Faults{
			UnavailableRate: 0.15, BadGatewayRate: 0.05, ResetRate: 0.05, ResetAfterApplyRate: 0.05,
			TruncateRate: 0.05, Latency: time.Millisecond, Jitter: 3 * time.Millisecond,
		}))
		assertBulkSucceeds(t, f, f.h.BulkSize, bulk.WithConcurrency(8))
	}},
	{"a bulk run through 30% 503 answers succeeds for every record", func(t *testing.T, f *fixture) {
		require.NoError(t, f.srv.SetFaults(f.h.Vendor, sandbox.Faults{UnavailableRate: 0.3}))
		assertBulkSucceeds(t, f, f.h.BulkSize, bulk.WithConcurrency(16))
		assert.Positive(t, f.srv.Stats(f.h.Vendor).ByStatus[http.StatusServiceUnavailable], "faults were injected")
	}},
	{"a bulk run through slow answers succeeds for every record", func(t *testing.T, f *fixture) {
		require.NoError(t, f.srv.SetFaults(f.h.Vendor, sandbox.Faults{Latency: 5 * time.Millisecond, Jitter: 20 * time.Millisecond}))
		assertBulkSucceeds(t, f, min(f.h.BulkSize, 100), bulk.WithConcurrency(8))
	}},
	{"a bulk run against the vendor's throttle succeeds for every record, with or without Retry-After", func(t *testing.T, f *fixture) {
		for _, retryAfter := range []time.Duration{0, time.Second} {
			// On the bubble's clock the sandbox sees each request when the
			// client sent it, as over a network without delays: a limiter
			// that paces below the documented limits meets no 429, however
			// loaded the machine. Over sockets, a scheduling delay of a few
			// ms on a busy machine moves one request toward the next past
			// the margin pacing keeps, and the vendor's window counts it.
			synctest.Test(t, func(t *testing.T) {
				fresh := newClockFixture(t, f.h, sandbox.WithThrottle(f.h.Vendor, throttleFor(f.h.Vendor, retryAfter)))
				assertBulkSucceeds(t, fresh, min(f.h.BulkSize, 60), bulk.WithConcurrency(8))
				stats := fresh.sb.Stats(f.h.Vendor)
				if f.h.Vendor == specs.Billbee {
					// Its limits are documented, so the client paces below them.
					assert.Zero(t, stats.TooManyRequests, "Billbee's documented limits are paced: %d of %d requests answered 429", stats.TooManyRequests, stats.Requests)
				} else {
					assert.Positive(t, stats.TooManyRequests, "the limit without numbers is found by its 429s")
				}
				assert.Empty(t, fresh.sb.Violations())
			})
		}
	}},
}

// throttleFor returns the sandbox throttle a vendor is tested against:
// Billbee's documented limits, and for the others (which publish none) a
// limit the client must discover from 429s.
func throttleFor(v specs.Vendor, retryAfter time.Duration) sandbox.Throttle {
	if v == specs.Billbee {
		th := sandbox.BillbeeThrottle()
		th.RetryAfter = retryAfter
		return th
	}
	return sandbox.Throttle{PerKey: 40, RetryAfter: retryAfter}
}

// assertBulkSucceeds pushes FullUpdates of the first n synthetic customers
// through bulk.Updates and checks every one is reported once, succeeded, and
// stored.
func assertBulkSucceeds(t *testing.T, f *fixture, n int, opts ...bulk.Option) {
	t.Helper()
	updates := func(yield func(*adapter.CustomerUpdate) bool) {
		for i := range n {
			if !yield(f.h.FullUpdate(sandbox.SyntheticID(f.h.Vendor, i+1))) {
				return
			}
		}
	}
	seen := make(map[int]bool, n)
	opts = append([]bulk.Option{bulk.WithRecordPause(10 * time.Millisecond)}, opts...)
	outcomes, err := bulk.Updates(context.Background(), f.client, updates, opts...)
	require.NoError(t, err)
	for out := range outcomes {
		require.False(t, seen[out.Seq], "record %d reported once", out.Seq)
		seen[out.Seq] = true
		require.NoError(t, out.Err, "record %d (%s)", out.Seq, out.Record.Update.ID)
	}
	require.Len(t, seen, n, "every record reported")
	for i := range n {
		id := sandbox.SyntheticID(f.h.Vendor, i+1)
		assertStored(t, f, id, f.h.FullUpdate(id))
	}
}

// assertStored checks that every field u sets or clears is what the
// sandbox now holds.
func assertStored(t *testing.T, f *fixture, id string, u *adapter.CustomerUpdate) {
	t.Helper()
	rec := f.record(t, id)
	for _, field := range u.SetFields() {
		if field == driver.FieldSourceSystem {
			continue
		}
		want := canonicalValue(t, u, field)
		assert.Equal(t, want, f.h.Stored(rec, field), "%s of %s", field, id)
	}
}

// unsupportedField returns a portable field the client's vendor cannot
// store.
func unsupportedField(c *adapter.Client) string {
	supported := map[string]bool{}
	for _, m := range c.Fields() {
		supported[m.Field] = true
	}
	for _, name := range adapter.FieldNames() {
		if !supported[name] && name != driver.FieldSourceSystem {
			return name
		}
	}
	return ""
}
