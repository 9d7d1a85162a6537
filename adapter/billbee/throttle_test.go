package billbee_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// throttledRun pushes n updates of synthetic customers through a sandbox
// enforcing Billbee's documented throttles, and returns what it counted.
func throttledRun(tb testing.TB, n int) (elapsed time.Duration, tooMany int64, failed int) {
	srv := sandbox.NewServer(sandbox.WithSyntheticCustomers(n), sandbox.WithThrottle(specs.Billbee, sandbox.BillbeeThrottle()))
	defer srv.Close()
	c, err := harness.NewClient(srv.URL(specs.Billbee), sandbox.DefaultCredentials(), adapter.WithHTTPClient(srv.Client()))
	require.NoError(tb, err)
	updates := func(yield func(*adapter.CustomerUpdate) bool) {
		for i := range n {
			if !yield(&adapter.CustomerUpdate{ID: sandbox.SyntheticID(specs.Billbee, i+1), Name: adapter.Set("Throttled")}) {
				return
			}
		}
	}
	start := time.Now()
	for out := range adapter.UpdateAll(context.Background(), c, updates, adapter.WithConcurrency(8)) {
		if out.Err != nil {
			failed++
			tb.Errorf("record %d: %v", out.Seq, out.Err)
		}
	}
	elapsed = time.Since(start)
	stats := srv.Stats(specs.Billbee)
	assert.Equal(tb, int64(2*n), stats.ByStatus[http.StatusOK], "one GET and one PUT per update, none repeated")
	return elapsed, stats.TooManyRequests, failed
}

// inProcess serves requests with the sandbox's handler in the calling
// goroutine: no sockets, so a synctest bubble sees every wait as the
// client's own and its clock moves only when all of them block.
type inProcess struct{ h http.Handler }

func (inProcess) SingleRoundTrip() {}

func (p inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	in := r.Clone(r.Context()) // as a server sees it: a body, even if empty
	if in.Body == nil {
		in.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, in)
	in.Body.Close()
	return rec.Result(), nil
}

// The client's pacing against the sandbox enforcing Billbee's documented
// throttles, on a fake clock (testing/synctest): on a loaded machine a
// request delayed by a few tens of milliseconds on its way to an
// in-process server looks to the server like two sent too close
// together, so on real time this would fail for reasons that are not the
// client's. BenchmarkThrottledBulk measures the same on real time.
func TestABulkUnderBillbeesThrottlesGetsNo429(t *testing.T) {
	const n, allowed = 40, 2.0
	synctest.Test(t, func(t *testing.T) {
		sb := sandbox.New(sandbox.WithSyntheticCustomers(n), sandbox.WithThrottle(specs.Billbee, sandbox.BillbeeThrottle()))
		c, err := harness.NewClient("http://127.0.0.1"+sandbox.BasePath(specs.Billbee), sandbox.DefaultCredentials(),
			adapter.WithTransport(inProcess{sb}))
		require.NoError(t, err)
		updates := func(yield func(*adapter.CustomerUpdate) bool) {
			for i := range n {
				if !yield(&adapter.CustomerUpdate{ID: sandbox.SyntheticID(specs.Billbee, i+1), Name: adapter.Set("Throttled")}) {
					return
				}
			}
		}
		start := time.Now()
		for out := range adapter.UpdateAll(context.Background(), c, updates, adapter.WithConcurrency(8)) {
			assert.NoError(t, out.Err, "record %d", out.Seq)
		}
		rate := float64(n-1) / time.Since(start).Seconds() // n updates need n-1 intervals
		stats := sb.Stats(specs.Billbee)
		assert.Zero(t, stats.TooManyRequests, "the client paces below Billbee's documented limits")
		assert.Equal(t, int64(2*n), stats.ByStatus[http.StatusOK], "one GET and one PUT per update, none repeated")
		assert.GreaterOrEqual(t, rate/allowed, 0.97, "%.3f updates/s of the %.0f allowed", rate, allowed)
	})
}

// BenchmarkThrottledBulk reports how close a bulk gets to the rate
// Billbee allows: 2 updates/s per credential (each update is a GET and a
// PUT, each endpoint allowing 2/s). Run with
//
//	go test ./adapter/billbee -run '^$' -bench ThrottledBulk -benchtime 1x
func BenchmarkThrottledBulk(b *testing.B) {
	const n, allowed = 40, 2.0
	for range b.N {
		elapsed, tooMany, _ := throttledRun(b, n)
		// n updates need n-1 intervals at the allowed rate.
		rate := float64(n-1) / elapsed.Seconds()
		b.ReportMetric(rate, "updates/s")
		b.ReportMetric(100*rate/allowed, "%allowed")
		b.ReportMetric(float64(tooMany), "429s")
	}
}
