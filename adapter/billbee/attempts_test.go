package billbee_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/internal/vendortest"
	"github.com/custsync/custsync/specs"
)

func TestTheReadAndTheWriteAreObservedUnderTheirOwnOperations(t *testing.T) {
	srv := vendortest.New(t, specs.Billbee, "", phpSdkCustomer(t)).Then(saved)
	var got []adapter.Attempt
	observe := adapter.WithAttemptObserver(func(a adapter.Attempt) { got = append(got, a) })

	_, err := newClient(t, srv.URL()).Update(context.Background(), &adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("Max M")}, observe)

	require.NoError(t, err)
	require.Len(t, got, 2)
	for i, want := range []string{"Customer_GetOne", "Customer_Update"} {
		assert.Equal(t, want, got[i].Operation)
		assert.Equal(t, i+1, got[i].Number)
		assert.Equal(t, 200, got[i].Status)
		assert.NoError(t, got[i].Err)
	}
}
