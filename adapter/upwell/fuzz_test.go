package upwell_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/internal/vendortest"
)

// FuzzResponseDecoding feeds any status and body to the driver: it never
// panics, and answers with a Result on 2xx or a typed error.
func FuzzResponseDecoding(f *testing.F) {
	f.Add(200, okBody)
	f.Add(200, `{"updateCustomer":{"affectedRows":0,"returning":[]}}`)
	f.Add(200, `{"updateCustomer":{"affectedRows":1,"returning":[{"id":null}]},"updateCustomerRules":null}`)
	f.Add(200, `{"updateCustomer":null}`)
	f.Add(400, `{"path":"$","error":"Unexpected variable foo","code":"bad-request"}`)
	f.Add(401, `{"error":{"code":"INVALID_API_KEY","message":"Invalid API key"},"status":"error"}`)
	f.Add(400, `{"error":{"code":5,"message":["x"]}}`)
	f.Add(502, `<html><body>502</body></html>`)
	f.Add(200, ``)
	f.Add(500, `{"error":`)
	f.Fuzz(func(t *testing.T, status int, body string) {
		status = vendortest.FuzzStatus(status)
		doer := vendortest.DoerFunc(func(*http.Request) *http.Response {
			return vendortest.Answer(status, "application/json", body)
		})
		c, err := upwell.New(upwell.Config{APIKey: apiKey, SourceSystem: "ACME"},
			adapter.WithTransport(doer), adapter.WithMaxRetries(0), adapter.WithRateLimiter(nil))
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: "C-1", Name: adapter.Set("x"),
			Upwell: &adapter.UpwellFields{DueOption: adapter.Set[int32](1)}})
		vendortest.CheckOutcome(t, res, err, status)
	})
}
