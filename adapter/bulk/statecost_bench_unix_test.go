//go:build unix

package bulk_test

import (
	"context"
	"fmt"
	"iter"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/syncstate"
	"github.com/custsync/custsync/adapter/syncstate/sqlite"
)

// instantVendor answers every update at once, as Upwell would: what a
// run costs beside it is the engine's own.
type instantVendor struct{}

func (instantVendor) Update(_ context.Context, u *adapter.CustomerUpdate, _ ...adapter.CallOption) (*adapter.Result, error) {
	return &adapter.Result{Vendor: "upwell", ID: u.ID, VendorID: "v-" + u.ID, HTTPStatus: 200, Sent: []string{"name", "email"}}, nil
}
func (instantVendor) Key(u *adapter.CustomerUpdate) string { return u.ID }
func (instantVendor) Vendor() string                       { return "upwell" }
func (instantVendor) Account() string                      { return "acct-0123456789" }

// discardStore holds nothing and writes nowhere: with it a run pays the
// engine's own part of incremental sync (digests, bookkeeping, handing
// each confirmation over), and none of a store's.
type discardStore struct{}

func (discardStore) Get(context.Context, syncstate.Key) (syncstate.Record, bool, error) {
	return syncstate.Record{}, false, nil
}
func (discardStore) GetMany(context.Context, []syncstate.Key) (map[syncstate.Key]syncstate.Record, error) {
	return nil, nil
}
func (discardStore) Holds(context.Context, string, string) (bool, error) { return false, nil }
func (discardStore) Put(context.Context, ...syncstate.Entry) error       { return nil }
func (discardStore) Close() error                                        { return nil }

// BenchmarkFirstNightState measures what a state store costs a first
// night, without HTTP: the CPU per record of a run of 20,000 new
// customers (concurrency 16) against a vendor that answers at once,
// without a store, with one that discards every write (the engine's own
// part) and with a new SQLite one. The differences are the lookups,
// digests and confirmations the store costs each record; the nightly
// benchmarks in cmd/custsync measure the same beside real HTTP.
//
//	go test ./adapter/bulk -run '^$' -bench FirstNightState -benchtime 3x -count 6 | benchstat -col /store -
func BenchmarkFirstNightState(b *testing.B) {
	const records = 20_000
	var updates iter.Seq[*adapter.CustomerUpdate] = func(yield func(*adapter.CustomerUpdate) bool) {
		for i := range records {
			u := &adapter.CustomerUpdate{ID: fmt.Sprintf("S-%06d", i), Name: adapter.Set(fmt.Sprintf("Customer %d", i)),
				Email: adapter.Set(fmt.Sprintf("c%d@example.com", i))}
			if !yield(u) {
				return
			}
		}
	}
	for _, store := range []string{"none", "discard", "sqlite"} {
		b.Run("store="+store, func(b *testing.B) {
			var cpu time.Duration
			n := 0
			for b.Loop() {
				opts := []bulk.Option{bulk.WithConcurrency(16)}
				var st *sqlite.Store
				if store == "discard" {
					opts = append(opts, bulk.WithState(discardStore{}))
				}
				if store == "sqlite" {
					b.StopTimer()
					var err error
					if st, err = sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "state.db")); err != nil {
						b.Fatal(err)
					}
					opts = append(opts, bulk.WithState(st))
					b.StartTimer()
				}
				before := processCPU()
				outs, err := bulk.Updates(context.Background(), instantVendor{}, updates, opts...)
				if err != nil {
					b.Fatal(err)
				}
				for out := range outs {
					if out.Status != bulk.Succeeded {
						b.Fatalf("%s: %v", out.Status, out.Err)
					}
					n++
				}
				if st != nil {
					if err := st.Close(); err != nil {
						b.Fatal(err)
					}
				}
				cpu += processCPU() - before
			}
			b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(n), "cpu-µs/record")
		})
	}
}

// processCPU is the CPU time (user and system) the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
