package statetest

import (
	"context"
	"iter"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// SecondNightRecords is how many records BenchmarkSecondNight pushes.
const SecondNightRecords = 10_000

func secondNight(n int) iter.Seq[*adapter.CustomerUpdate] {
	return func(yield func(*adapter.CustomerUpdate) bool) {
		for i := 1; i <= n; i++ {
			id := sandbox.SyntheticID(specs.Upwell, i)
			if !yield(&adapter.CustomerUpdate{ID: id, Name: adapter.Set("Nightly " + id), Email: adapter.Set("n" + id + "@example.com")}) {
				return
			}
		}
	}
}

// BenchmarkSecondNight pushes SecondNightRecords unchanged Upwell records
// to the sandbox a second time, without a state store (every record is
// sent again) and with one (every record is skipped), and reports each
// run's wall time and records/s side by side. Upwell is the fastest
// vendor to re-send to, so the ratio is the least favourable to the store;
// at Billbee's 2 updates/s a re-send costs 500 ms per record.
func BenchmarkSecondNight(b *testing.B, h Harness) {
	ctx := context.Background()
	srv := sandbox.NewServer(sandbox.WithSyntheticCustomers(SecondNightRecords))
	b.Cleanup(srv.Close)
	client, err := upwell.New(upwell.Config{APIKey: sandbox.UpwellAPIKey, SourceSystem: sandbox.UpwellSourceSystem},
		adapter.WithBaseURL(srv.URL(specs.Upwell)))
	require.NoError(b, err)
	open := h.NewStorage(b)
	store := opened(b, open)
	push := func(opts ...bulk.Option) {
		outcomes, err := bulk.Updates(ctx, client, secondNight(SecondNightRecords), append(opts, bulk.WithConcurrency(16))...)
		require.NoError(b, err)
		for out := range outcomes {
			if out.Err != nil {
				b.Fatal(out.Err)
			}
		}
	}
	push(bulk.WithState(store)) // the first night fills the store
	for _, run := range []struct {
		name string
		opts []bulk.Option
	}{{"store=none", nil}, {"store=yes", []bulk.Option{bulk.WithState(store)}}} {
		b.Run(run.name, func(b *testing.B) {
			before := srv.Stats(specs.Upwell).Requests
			start := time.Now()
			for range b.N {
				push(run.opts...)
			}
			elapsed := time.Since(start) / time.Duration(b.N)
			b.ReportMetric(elapsed.Seconds(), "s/night")
			b.ReportMetric(float64(SecondNightRecords)/elapsed.Seconds(), "records/s")
			b.ReportMetric(float64(srv.Stats(specs.Upwell).Requests-before)/float64(b.N), "requests/night")
		})
	}
}
