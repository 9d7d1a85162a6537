package adapter_test

import (
	"testing"

	"github.com/custsync/custsync/adapter"
)

// BenchmarkDigest measures the digest the bulk engine computes for every
// input record: a small update as a nightly batch has them, and one with
// metadata (nested objects, a list and numbers). Compare:
//
//	go test ./adapter -run '^$' -bench Digest -benchmem -count 6 | go run golang.org/x/perf/cmd/benchstat -
func BenchmarkDigest(b *testing.B) {
	for _, bc := range []struct{ name, doc string }{
		{"small update", `{"id":"S-000123","name":"Nightly S-000123","email":"nS-000123@example.com"}`},
		{"with metadata", `{"id":"S-000123","name":"Nightly S-000123","email":"nS-000123@example.com",` +
			`"modifiedAt":"2024-03-01T13:00:00.250+01:00","billbee":{"priceGroupId":1818,"type":1},` +
			`"metadata":{"tier":"gold","score":12.50,"tags":["a","b"],"limits":{"max":1000,"min":-0.5,"on":true},"note":null}}`},
	} {
		u, err := adapter.ParseCustomerUpdate([]byte(bc.doc))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := u.Digest(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
