package billbee_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/billbee"
	"github.com/custsync/custsync/internal/vendortest"
)

// BenchmarkUpdate measures the client's own cost per read-modify-write,
// with an in-process vendor and no rate limiter.
func BenchmarkUpdate(b *testing.B) {
	doer := vendortest.DoerFunc(func(*http.Request) *http.Response {
		return vendortest.Answer(200, "application/json", fuzzCustomer)
	})
	c, err := billbee.New(billbee.Config{APIKey: apiKey, Username: username, APIPassword: password},
		adapter.WithTransport(doer), adapter.WithRateLimiter(nil))
	if err != nil {
		b.Fatal(err)
	}
	u := &adapter.CustomerUpdate{ID: "100000150176895", Name: adapter.Set("Moritz"), VATID: adapter.Clear[string]()}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Update(context.Background(), u); err != nil {
			b.Fatal(err)
		}
	}
}
