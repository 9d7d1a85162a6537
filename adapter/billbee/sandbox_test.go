package billbee_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/billbee"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// Against the stateful sandbox: the second of two equal updates costs one
// GET and no PUT, and a dry run never changes the stored record.
func TestAgainstTheSandboxAnUnchangedUpdateIsOneGETAndADryRunWritesNothing(t *testing.T) {
	srv := sandbox.NewServer(sandbox.WithSyntheticCustomers(3))
	defer srv.Close()
	c, err := billbee.New(billbee.Config{APIKey: sandbox.BillbeeAPIKey, Username: sandbox.BillbeeUsername, APIPassword: sandbox.BillbeeAPIPassword},
		adapter.WithBaseURL(srv.URL(specs.Billbee)), unpaced)
	require.NoError(t, err)
	id := sandbox.SyntheticID(specs.Billbee, 1)
	u := &adapter.CustomerUpdate{ID: id, Name: adapter.Set("Nightly Name"), Billbee: &adapter.BillbeeFields{Number: adapter.Set[int32](77)}}
	ctx := context.Background()

	first, err := c.Update(ctx, u)
	require.NoError(t, err)
	assert.False(t, first.Unchanged)
	assert.EqualValues(t, 2, srv.Stats(specs.Billbee).Requests, "a change is a GET and a PUT")

	again, err := c.Update(ctx, u)
	require.NoError(t, err)
	assert.True(t, again.Unchanged)
	assert.EqualValues(t, 3, srv.Stats(specs.Billbee).Requests, "no change is one GET")

	before, ok := srv.Customer(specs.Billbee, id)
	require.True(t, ok)
	dry, err := c.Update(ctx, &adapter.CustomerUpdate{ID: id, Name: adapter.Set("Dry Name")}, adapter.WithDryRun(true))
	require.NoError(t, err)
	require.NotNil(t, dry.DryRun)
	require.Len(t, dry.DryRun.Changes, 1)
	assert.JSONEq(t, `"Nightly Name"`, string(dry.DryRun.Changes[0].Current))
	assert.JSONEq(t, `"Dry Name"`, string(dry.DryRun.Changes[0].New))
	assert.EqualValues(t, 4, srv.Stats(specs.Billbee).Requests, "a dry run is one GET")
	after, _ := srv.Customer(specs.Billbee, id)
	assert.Equal(t, before, after, "the dry run changed nothing")
	assert.Empty(t, srv.Violations())
}
