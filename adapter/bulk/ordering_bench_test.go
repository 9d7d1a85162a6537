package bulk_test

import (
	"context"
	"fmt"
	"iter"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// BenchmarkOrdering measures what per-customer order costs: the
// records/s of a bulk run against the sandbox (Upwell, 1 ms latency, no
// pacing, concurrency 16), without repeated ids, ordered and (as before
// ordering existed) unordered, and with repeated ids, spread out or
// adjacent. Compare the sub-benchmarks side by side:
//
//	go test ./adapter/bulk -run '^$' -bench Ordering -count 6 | benchstat -col /input -
func BenchmarkOrdering(b *testing.B) {
	const records, customers, concurrency = 1000, 250, 16
	sb := sandbox.New(sandbox.WithSyntheticCustomers(records), sandbox.WithFaults(specs.Upwell, sandbox.Faults{Latency: time.Millisecond}))
	ts := httptest.NewServer(sb)
	defer ts.Close()
	client := vendorCases[0].client(b, ts.URL+sandbox.BasePath(specs.Upwell), ts.Client())

	// id returns the customer of record i of the input.
	inputs := []struct {
		name string
		id   func(i int) int
		opts []bulk.Option
	}{
		{"input=distinct ids/order=none (baseline)", func(i int) int { return i }, []bulk.Option{bulk.WithoutOrdering()}},
		{"input=distinct ids/order=per customer", func(i int) int { return i }, nil},
		{"input=each id 4 times, spread/order=per customer", func(i int) int { return i % customers }, nil},
		{"input=each id 4 times, adjacent/order=per customer", func(i int) int { return i / 4 }, nil},
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			var updates iter.Seq[*adapter.CustomerUpdate] = func(yield func(*adapter.CustomerUpdate) bool) {
				for i := range records {
					u := &adapter.CustomerUpdate{ID: sandbox.SyntheticID(specs.Upwell, in.id(i)+1), Name: adapter.Set(fmt.Sprintf("Bench %d", i))}
					if !yield(u) {
						return
					}
				}
			}
			opts := append([]bulk.Option{bulk.WithConcurrency(concurrency)}, in.opts...)
			start := time.Now()
			for b.Loop() {
				for out := range runUpdates(b, context.Background(), client, updates, opts...) {
					if out.Err != nil {
						b.Fatal(out.Err)
					}
				}
			}
			b.ReportMetric(float64(b.N*records)/time.Since(start).Seconds(), "records/s")
		})
	}
}
