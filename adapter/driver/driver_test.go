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

// echoDriver PUTs to <base>/c/<id> and succeeds on 200.
type echoDriver struct{ conn driver.Conn }

func (d *echoDriver) Validate(*adapter.CustomerUpdate) error { return nil }
func (d *echoDriver) Key(u *adapter.CustomerUpdate) string   { return u.ID }
func (d *echoDriver) Update(ctx context.Context, u *adapter.CustomerUpdate) (*adapter.Result, error) {
	ctx = driver.WithOperation(ctx, "echo")
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, d.conn.BaseURL+"/c/"+u.ID, http.NoBody)
	if err != nil {
		return nil, err
	}
	resp, err := d.conn.Doer.Do(req) //nolint:bodyclose // the transport read the body whole and closed it; ReadBody hands back the bytes it read
	if err != nil {
		return nil, err
	}
	body := driver.ReadBody(resp)
	if resp.StatusCode != http.StatusOK {
		return nil, driver.ResponseError(ctx, resp, body, "", "")
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
			http.Error(w, "bad key echo-secret-0001", http.StatusUnauthorized)
		}
	}))
	defer srv.Close()
	c, err := driver.NewClient(vendor(srv.URL), func(conn driver.Conn) (driver.Driver, error) {
		return &echoDriver{conn: conn}, nil
	})
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
	assert.Equal(t, "echo", e.Operation)
	assert.NotContains(t, e.Body, "echo-secret-0001", "the Client scrubs the body the driver passed")

	require.Len(t, got, 2)
	for _, h := range got {
		assert.Equal(t, "echo-secret-0001", h.Get("X-Echo-Key"))
		assert.Equal(t, "application/json", h.Get("Accept"))
	}
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
