package driver_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/driver"
)

// echoDriver PUTs to <base>/c/<id> (operation "echo") and succeeds on 200;
// in a dry run it sends nothing and says so.
type echoDriver struct {
	base string
	put  driver.HTTPDoer
}

func openEcho(conn driver.Conn) (driver.Driver, error) {
	return &echoDriver{base: conn.BaseURL, put: conn.Doer("echo")}, nil
}

func (d *echoDriver) Validate(*adapter.CustomerUpdate) error { return nil }
func (d *echoDriver) Key(u *adapter.CustomerUpdate) string   { return u.ID }
func (d *echoDriver) Update(ctx context.Context, u *adapter.CustomerUpdate, call driver.Call) (*adapter.Result, error) {
	if call.DryRun {
		return &adapter.Result{DryRun: &adapter.DryRunReport{Method: http.MethodPut, Path: "/c/" + u.ID}}, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, d.base+"/c/"+u.ID, http.NoBody)
	if err != nil {
		return nil, err
	}
	resp, err := d.put.Do(req) //nolint:bodyclose // the transport read the body whole and closed it; ReadBody hands back the bytes it read
	if err != nil {
		return nil, err
	}
	body := driver.ReadBody(resp)
	if resp.StatusCode != http.StatusOK {
		return nil, driver.ResponseError(resp, body, "", "")
	}
	return &adapter.Result{HTTPStatus: resp.StatusCode}, nil
}

func vendor(base string) driver.Vendor {
	return driver.Vendor{
		Name:           "echo",
		DefaultBaseURL: base,
		Fields:         []adapter.FieldMapping{{Field: driver.FieldName, VendorField: "n"}},
		Header:         http.Header{"x-echo-KEY": {"echo-secret-0001"}, "Accept": {"application/json"}},
		Secrets:        []string{"echo-secret-0001"},
		Account:        driver.CredentialID("echo-secret-0001"),
	}
}

func TestTheVendorsHeadersGoOnEveryRequestAndItsSecretsNeverOut(t *testing.T) {
	var got []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Clone())
		if len(got) == 2 {
			w.Header().Set("X-Request-Id", "req-2")
			http.Error(w, "bad key echo-secret-0001", http.StatusUnauthorized)
		}
	}))
	defer srv.Close()
	c, err := driver.NewClient(vendor(srv.URL), openEcho)
	require.NoError(t, err)
	assert.Equal(t, "echo", c.Vendor())
	assert.Equal(t, driver.CredentialID("echo-secret-0001"), c.Account())

	_, err = c.Update(context.Background(), &adapter.CustomerUpdate{ID: "1", Name: adapter.Set("N")})
	require.NoError(t, err)
	_, err = c.Update(context.Background(), &adapter.CustomerUpdate{ID: "2", Name: adapter.Set("N")})
	require.Error(t, err)
	assert.ErrorIs(t, err, adapter.PermissionDenied)
	assert.NotContains(t, err.Error(), "echo-secret-0001")
	var e *adapter.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "echo", e.Operation, "the operation of the Doer the request went through")
	assert.Equal(t, "req-2", e.RequestID, "the request id of the answer the error is about")
	assert.NotContains(t, e.Body, "echo-secret-0001", "the Client scrubs the body the driver passed")

	require.Len(t, got, 2)
	for _, h := range got {
		assert.Equal(t, "echo-secret-0001", h.Get("X-Echo-Key"))
		assert.Equal(t, "application/json", h.Get("Accept"))
	}
}

func TestADryRunReachesTheDriverAsAnArgument(t *testing.T) {
	var requests int
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { requests++ }))
	defer srv.Close()
	c, err := driver.NewClient(vendor(srv.URL), openEcho)
	require.NoError(t, err)

	res, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: "1", Name: adapter.Set("N")}, adapter.WithDryRun(true))
	require.NoError(t, err)
	require.NotNil(t, res.DryRun, "the driver was told: Call.DryRun")
	assert.Equal(t, "/c/1", res.DryRun.Path)
	assert.Zero(t, requests)

	res, err = c.Update(context.Background(), &adapter.CustomerUpdate{ID: "1", Name: adapter.Set("N")})
	require.NoError(t, err)
	assert.Nil(t, res.DryRun, "a call without WithDryRun is no dry run")
	assert.Equal(t, 1, requests)
}

func TestADriverThatCannotOpenFailsTheConstructor(t *testing.T) {
	boom := errors.New("boom")
	_, err := driver.NewClient(vendor("https://echo.example"), func(driver.Conn) (driver.Driver, error) { return nil, boom })
	require.Error(t, err)
	assert.ErrorIs(t, err, boom)
	var e *adapter.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "echo", e.Vendor)

	_, err = driver.NewClient(vendor("https://echo.example"), func(driver.Conn) (driver.Driver, error) { return nil, nil })
	assert.ErrorIs(t, err, adapter.Internal, "no driver and no error is the driver's bug, reported")
}

func TestTheFieldNamesAreThePortableOnes(t *testing.T) {
	names := []string{driver.FieldID, driver.FieldSourceSystem, driver.FieldName, driver.FieldFirstName, driver.FieldLastName,
		driver.FieldEmail, driver.FieldCCEmails, driver.FieldPhone, driver.FieldVATID, driver.FieldMetadata, driver.FieldModifiedAt,
		driver.FieldUpwellBillToCustomerID, driver.FieldUpwellDueOption, driver.FieldBillbeePriceGroupID,
		driver.FieldBillbeeLanguageID, driver.FieldBillbeeType, driver.FieldBillbeeNumber}
	assert.Equal(t, adapter.FieldNames(), names)
}

func TestAConnTheClientDidNotMakeSendsNothing(t *testing.T) {
	req, err := http.NewRequest(http.MethodGet, "https://echo.example/c/1", http.NoBody)
	require.NoError(t, err)
	resp, err := driver.Conn{BaseURL: "https://echo.example"}.Doer("echo").Do(req) //nolint:bodyclose // there is no response
	assert.Nil(t, resp)
	assert.ErrorIs(t, err, adapter.Internal)
}
