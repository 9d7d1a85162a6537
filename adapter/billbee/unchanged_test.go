package billbee_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/driver"
	"github.com/custsync/custsync/internal/vendortest"
	"github.com/custsync/custsync/specs"
)

func realWithNulls(t *testing.T) vendortest.Response {
	t.Helper()
	return vendortest.JSON(200, specResponseExample(t, "CustomerEnvelope", "realWithNulls"))
}

func TestAnUpdateThatChangesNothingSendsOneGETAndNoPUT(t *testing.T) {
	tests := []struct {
		name   string
		read   func(*testing.T) vendortest.Response
		update adapter.CustomerUpdate
	}{
		{"the name Billbee holds", phpSdkCustomer, adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("Max")}},
		{"every field as Billbee holds it", phpSdkCustomer, adapter.CustomerUpdate{ID: customerID,
			Name: adapter.Set("Max"), Email: adapter.Set("max@mustermann.tld"), Phone: adapter.Set("12345"), VATID: adapter.Set("1234"),
			Billbee: &adapter.BillbeeFields{PriceGroupID: adapter.Set[int64](1818), LanguageID: adapter.Set[int32](3),
				Type: adapter.Set[int32](0), Number: adapter.Set[int32](1)}}},
		{"clearing fields Billbee holds as null", realWithNulls, adapter.CustomerUpdate{ID: "7674534536",
			VATID: adapter.Clear[string](), Phone: adapter.Clear[string](),
			Billbee: &adapter.BillbeeFields{PriceGroupID: adapter.Clear[int64](), Type: adapter.Clear[int32]()}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vendortest.New(t, specs.Billbee, "", tt.read(t)) // a PUT would find no answer and fail
			c := newClient(t, srv.URL())
			res, err := c.Update(context.Background(), &tt.update)
			require.NoError(t, err)
			reqs := srv.Requests()
			require.Len(t, reqs, 1)
			assert.Equal(t, "Customer_GetOne", reqs[0].Operation)
			assert.True(t, res.Unchanged)
			assert.Equal(t, 1, res.Attempts, "one request instead of two")
			assert.Equal(t, 200, res.HTTPStatus)
			assert.Equal(t, tt.update.ID, res.VendorID)
			assert.Nil(t, res.DryRun)
		})
	}
}

func TestAnUpdateThatChangesOneFieldIsWritten(t *testing.T) {
	tests := []struct {
		name   string
		read   func(*testing.T) vendortest.Response
		update adapter.CustomerUpdate
	}{
		{"another name", phpSdkCustomer, adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("Max M")}},
		{"the same name and another number", phpSdkCustomer, adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("Max"),
			Billbee: &adapter.BillbeeFields{Number: adapter.Set[int32](2)}}},
		{"clearing a field Billbee holds", phpSdkCustomer, adapter.CustomerUpdate{ID: customerID, VATID: adapter.Clear[string]()}},
		{"setting a field Billbee holds as null", realWithNulls, adapter.CustomerUpdate{ID: "7674534536", VATID: adapter.Set("DE1")}},
		{"a name that differs only in case", phpSdkCustomer, adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("max")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vendortest.New(t, specs.Billbee, "", tt.read(t)).Then(saved)
			c := newClient(t, srv.URL())
			res, err := c.Update(context.Background(), &tt.update)
			require.NoError(t, err)
			putBody(t, srv) // a read, then a write
			assert.False(t, res.Unchanged)
			assert.Equal(t, 2, res.Attempts)
		})
	}
}

func TestADryRunReadsAndReportsTheFieldsItWouldChange(t *testing.T) {
	u := adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("Max Mustermann"), Email: adapter.Set("max@mustermann.tld"),
		VATID: adapter.Clear[string](), Billbee: &adapter.BillbeeFields{PriceGroupID: adapter.Set[int64](2020)}}

	// What a real update sends, for comparison.
	applied := vendortest.New(t, specs.Billbee, "", phpSdkCustomer(t)).Then(saved)
	_, err := newClient(t, applied.URL()).Update(context.Background(), &u)
	require.NoError(t, err)
	sent := applied.Requests()[1].Body

	srv := vendortest.New(t, specs.Billbee, "", phpSdkCustomer(t))
	res, err := newClient(t, srv.URL()).Update(context.Background(), &u, adapter.WithDryRun(true))
	require.NoError(t, err)
	reqs := srv.Requests()
	require.Len(t, reqs, 1, "a dry run reads and never writes")
	assert.Equal(t, "Customer_GetOne", reqs[0].Operation)
	require.NotNil(t, res.DryRun)
	assert.False(t, res.Unchanged)
	assert.Equal(t, "PUT", res.DryRun.Method)
	assert.Equal(t, "/api/v1/customers/"+customerID, res.DryRun.Path)
	assert.JSONEq(t, string(sent), string(res.DryRun.Body), "the body is what a real update sends")
	assert.Equal(t, []adapter.Change{
		{Field: driver.FieldName, VendorField: "Name", Current: json.RawMessage(`"Max"`), New: json.RawMessage(`"Max Mustermann"`)},
		{Field: driver.FieldVATID, VendorField: "VatId", Current: json.RawMessage(`"1234"`), New: json.RawMessage(`null`)},
		{Field: driver.FieldBillbeePriceGroupID, VendorField: "PriceGroupId", Current: json.RawMessage(`1818`), New: json.RawMessage(`2020`)},
	}, res.DryRun.Changes, "email is set to what Billbee holds: no change")
}

func TestADryRunOfAnUpdateThatChangesNothingSaysSo(t *testing.T) {
	srv := vendortest.New(t, specs.Billbee, "", phpSdkCustomer(t))
	res, err := newClient(t, srv.URL()).Update(context.Background(),
		&adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("Max")}, adapter.WithDryRun(true))
	require.NoError(t, err)
	assert.Len(t, srv.Requests(), 1)
	assert.True(t, res.Unchanged)
	require.NotNil(t, res.DryRun)
	assert.Empty(t, res.DryRun.Changes)
}

func TestADryRunStillFailsOnWhatTheReadFinds(t *testing.T) {
	srv := vendortest.New(t, specs.Billbee, "", vendortest.JSON(404, `{"Message":"Not found"}`))
	_, err := newClient(t, srv.URL()).Update(context.Background(),
		&adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("Max")}, adapter.WithDryRun(true))
	assert.ErrorIs(t, err, adapter.NotFound)
}
