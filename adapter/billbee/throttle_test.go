package billbee_test

import (
	"context"
	"net/http"
	"testing"
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

func TestABulkUnderBillbeesThrottlesGetsNo429(t *testing.T) {
	t.Parallel()                              // ~20 s of waiting at 2 updates/s: alongside the rest
	_, tooMany, failed := throttledRun(t, 16) // 8 s; BenchmarkThrottledBulk runs 40
	assert.Zero(t, failed)
	assert.Zero(t, tooMany, "the client paces below Billbee's documented limits")
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
