package vendortest

import (
	"context"
	"testing"

	"github.com/custsync/custsync/adapter"
)

// CompareWithFloor runs the two sub-benchmarks `make bench` compares
// through benchstat -col /client: client=floor, the driver's hand-written
// floor client, and client=custsync, the Client sending u. Both report
// allocations.
func CompareWithFloor(b *testing.B, floor func(context.Context) error, c *adapter.Client, u *adapter.CustomerUpdate) {
	b.Helper()
	b.Run("client=floor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := floor(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("client=custsync", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Update(context.Background(), u); err != nil {
				b.Fatal(err)
			}
		}
	})
}
