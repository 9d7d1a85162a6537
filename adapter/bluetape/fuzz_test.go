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

// FuzzResponseDecoding feeds any status and body to the driver: it never
// panics, and answers with a Result on 2xx or a typed error.
func FuzzResponseDecoding(f *testing.F) {
	f.Add(202, `{"blueTapeId":"fb5637b2e5f3"}`)
	f.Add(202, `{"blueTapeId":7}`)
	f.Add(404, `{"code":"404","reason":"Customer not found."}`)
	f.Add(400, `{"code":404,"reason":null}`)
	f.Add(400, `{"code":"company_can_have_only_one_customer","reason":"x"}`)
	f.Add(502, `<html>bad gateway</html>`)
	f.Add(200, `[]`)
	f.Add(500, ``)
	f.Fuzz(func(t *testing.T, status int, body string) {
		status = vendortest.FuzzStatus(status)
		doer := vendortest.DoerFunc(func(*http.Request) *http.Response {
			return vendortest.Answer(status, "application/json", body)
		})
		c, err := bluetape.New(bluetape.Config{APIKey: apiKey, AccountID: accountID},
			adapter.WithTransport(doer), adapter.WithMaxRetries(0), adapter.WithRateLimiter(nil))
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Update(context.Background(), &adapter.CustomerUpdate{
			ID: "dc506b22c7fa", FirstName: adapter.Set("John"), LastName: adapter.Set("Doe"),
			Email: adapter.Set("john@example.com"), Phone: adapter.Set("+11234567890"),
			ModifiedAt: adapter.Set(time.Date(2023, 1, 4, 9, 47, 57, 0, time.UTC)),
		})
		vendortest.CheckOutcome(t, res, err, status)
	})
}
