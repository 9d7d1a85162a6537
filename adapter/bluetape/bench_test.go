package bluetape_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bluetape"
	"github.com/custsync/custsync/internal/vendortest"
)

// BenchmarkUpdate measures the client's own cost per update, with an
// in-process vendor.
func BenchmarkUpdate(b *testing.B) {
	doer := vendortest.DoerFunc(func(*http.Request) *http.Response {
		return vendortest.Answer(202, "application/json", `{"blueTapeId":"fb5637b2e5f3"}`)
	})
	c, err := bluetape.New(bluetape.Config{APIKey: apiKey, AccountID: accountID}, adapter.WithTransport(doer), adapter.WithRateLimiter(nil))
	if err != nil {
		b.Fatal(err)
	}
	u := &adapter.CustomerUpdate{ID: "dc506b22c7fa", FirstName: adapter.Set("John"), LastName: adapter.Set("Doe"),
		Email: adapter.Set("john@example.com"), Phone: adapter.Set("+11234567890"),
		ModifiedAt: adapter.Set(time.Date(2023, 1, 4, 9, 47, 57, 477_000_000, time.UTC))}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Update(context.Background(), u); err != nil {
			b.Fatal(err)
		}
	}
}
