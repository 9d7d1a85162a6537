package bulk_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/driver"
)

// fakeDriver is the smallest driver: it sends the update's name to
// <base>/customers/<id> through the portable transport and reports the
// status, so that a run goes through a real *adapter.Client. It keys
// customers as "fake:<id>".
type fakeDriver struct {
	method   string // default PUT; GET reads, as Billbee's driver does first
	base     string
	doer     driver.HTTPDoer
	validate func(*adapter.CustomerUpdate) error
}

func (d *fakeDriver) Key(u *adapter.CustomerUpdate) string { return "fake:" + u.ID }

func (d *fakeDriver) Validate(u *adapter.CustomerUpdate) error {
	if d.validate != nil {
		return d.validate(u)
	}
	return nil
}

func (d *fakeDriver) Update(ctx context.Context, u *adapter.CustomerUpdate, _ adapter.DriverCall) (*adapter.Result, error) {
	method := d.method
	if method == "" {
		method = http.MethodPut
	}
	req, err := http.NewRequestWithContext(ctx, method, d.base+"/customers/"+u.ID, strings.NewReader(nameOf(u)))
	if err != nil {
		return nil, err
	}
	resp, err := d.doer.Do(req) //nolint:bodyclose // the transport read the body whole and closed it; ReadBody hands back the bytes it read
	if err != nil {
		return nil, err
	}
	body := driver.ReadBody(resp)
	if resp.StatusCode != http.StatusOK {
		return nil, driver.ResponseError(resp, body, "E"+fmt.Sprint(resp.StatusCode), strings.TrimSpace(string(body)))
	}
	return &adapter.Result{VendorID: "v-" + u.ID, HTTPStatus: resp.StatusCode}, nil
}

// newFake returns a Client of the vendor "fake" over a fakeDriver that
// sends to handler, without retries within a call.
func newFake(t *testing.T, handler http.HandlerFunc, opts ...adapter.Option) (*adapter.Client, *fakeDriver) {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	d := &fakeDriver{}
	v := driver.Vendor{
		Name:           "fake",
		DefaultBaseURL: "https://fake.example",
		Fields:         []adapter.FieldMapping{{Field: driver.FieldName, VendorField: "Name"}},
		Account:        driver.CredentialID("fake-key"),
	}
	opts = append([]adapter.Option{adapter.WithBaseURL(srv.URL), adapter.WithMaxRetries(0)}, opts...)
	c, err := driver.NewClient(v, func(conn driver.Conn) (driver.Driver, error) {
		d.base, d.doer = conn.BaseURL, conn.Doer("fakeUpdate")
		return d, nil
	}, opts...)
	require.NoError(t, err)
	return c, d
}
