package upwell_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/internal/vendortest"
)

// BenchmarkUpdate measures the client's own cost per update (validation,
// marshalling, transport bookkeeping, decoding), with an in-process vendor.
func BenchmarkUpdate(b *testing.B) {
	doer := vendortest.DoerFunc(func(*http.Request) *http.Response { return vendortest.Answer(200, "application/json", okBody) })
	c, err := upwell.New(upwell.Config{APIKey: apiKey, SourceSystem: "ACME"}, adapter.WithTransport(doer), adapter.WithRateLimiter(nil))
	if err != nil {
		b.Fatal(err)
	}
	u := &adapter.CustomerUpdate{ID: "C-1001", Name: adapter.Set("Acme Corp"), Email: adapter.Set("ap@acme.example"),
		Metadata: adapter.Set(adapter.JSONObject{"tier": "gold"}), Upwell: &adapter.UpwellFields{DueOption: adapter.Set[int32](30)}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Update(context.Background(), u); err != nil {
			b.Fatal(err)
		}
	}
}
