package billbee_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/billbee"
	"github.com/custsync/custsync/internal/vendortest"
)

const fuzzCustomer = `{"ErrorMessage":null,"ErrorCode":0,"ErrorDescription":"NoError","Data":{"Id":100000150176895,"Name":"Max","Email":null,"ArchivedAt":null,"DefaultMailAddress":{"Id":1,"TypeId":1,"TypeName":"EMail","Value":"max@mustermann.tld"},"MetaData":[]}}`

// FuzzResponseDecoding feeds any status and body to the read and to the
// write: the driver never panics, writes nothing after a bad read, and
// answers with a Result on 2xx or a typed error.
func FuzzResponseDecoding(f *testing.F) {
	f.Add(200, fuzzCustomer, 200, fuzzCustomer)
	f.Add(200, `{"ErrorCode":11,"ErrorMessage":"x","ErrorDescription":11,"Data":null}`, 200, fuzzCustomer)
	f.Add(200, `{"ErrorCode":0,"Data":{"Id":100000150176895,"ArchivedAt":"2021-08-21T13:00:33.23"}}`, 200, fuzzCustomer)
	f.Add(200, `{"ErrorCode":0,"Data":{"Id":100000150176895,"ArchivedAt":"garbage"}}`, 200, fuzzCustomer)
	f.Add(400, `{"Message":"Die Anforderung ist ungültig.","ModelState":{"m":["a","b"]}}`, 200, fuzzCustomer)
	f.Add(200, fuzzCustomer, 200, `{"ErrorCode":"11"}`)
	f.Add(200, fuzzCustomer, 502, `<html>502</html>`)
	f.Add(404, ``, 200, ``)
	f.Add(200, `{"ErrorCode":0,"Data":{"Id":1}}`, 204, ``)
	f.Fuzz(func(t *testing.T, getStatus int, getBody string, putStatus int, putBody string) {
		getStatus, putStatus = vendortest.FuzzStatus(getStatus), vendortest.FuzzStatus(putStatus)
		puts := 0
		doer := vendortest.DoerFunc(func(r *http.Request) *http.Response {
			if r.Method == http.MethodGet {
				return vendortest.Answer(getStatus, "application/json", getBody)
			}
			puts++
			return vendortest.Answer(putStatus, "application/json", putBody)
		})
		c, err := billbee.New(billbee.Config{APIKey: apiKey, Username: username, APIPassword: password},
			adapter.WithTransport(doer), adapter.WithMaxRetries(0), adapter.WithRateLimiter(nil))
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: "100000150176895", Name: adapter.Set("Moritz")})
		last := putStatus
		if puts == 0 {
			last = getStatus
			if err == nil {
				t.Fatal("success reported without a write")
			}
		}
		vendortest.CheckOutcome(t, res, err, last)
	})
}
