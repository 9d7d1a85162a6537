package vendors_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/billbee"
	"github.com/custsync/custsync/adapter/bluetape"
	"github.com/custsync/custsync/adapter/driver"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/adapter/vendors"
	"github.com/custsync/custsync/specs"
)

// env holds a credential of every vendor, as a lookup would return them.
var env = map[string]string{
	upwell.EnvAPIKey:       "upwell-key-0001",
	upwell.EnvSourceSystem: "ACME",
	bluetape.EnvAPIKey:     "bluetape-key-0001",
	bluetape.EnvAccountID:  "bluetape-account-0001",
	billbee.EnvAPIKey:      "billbee-key-0001",
	billbee.EnvUsername:    "shop@example.com",
	billbee.EnvAPIPassword: "billbee-password-0001",
}

func lookup(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) { v, ok := vars[name]; return v, ok }
}

func TestEveryNamedVendorGivesItsOwnClient(t *testing.T) {
	require.Equal(t, []vendors.Name{vendors.Upwell, vendors.BlueTape, vendors.Billbee}, vendors.Names())
	for _, name := range vendors.Names() {
		t.Run(string(name), func(t *testing.T) {
			parsed, err := vendors.Parse(string(name))
			require.NoError(t, err)
			c, err := vendors.FromLookup(parsed, lookup(env))
			require.NoError(t, err)
			assert.Equal(t, string(name), c.Vendor(), "the client is the named vendor's")
			assert.NotEmpty(t, c.Fields())
		})
	}
}

func TestAnUnknownVendorIsRefusedNamingTheKnownOnes(t *testing.T) {
	for _, s := range []string{"", "Billbee", "bilbee", " billbee"} {
		t.Run(s, func(t *testing.T) {
			_, err := vendors.Parse(s)
			require.Error(t, err)
			assert.ErrorIs(t, err, adapter.InvalidArgument)
			assert.Contains(t, err.Error(), "upwell, bluetape, billbee")
			_, err = vendors.FromEnv(vendors.Name(s))
			assert.ErrorIs(t, err, adapter.InvalidArgument)
		})
	}
}

func TestAMistypedVendorIsRefusedWithTheOneMeant(t *testing.T) {
	for typed, meant := range map[string]string{"bilbee": "billbee", "Billbee": "billbee", "upwel": "upwell", "blue-tape": "bluetape"} {
		t.Run(typed, func(t *testing.T) {
			_, err := vendors.Parse(typed)
			require.Error(t, err)
			assert.Contains(t, err.Error(), `did you mean "`+meant+`"?`)
		})
	}
	_, err := vendors.Parse("salesforce")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "did you mean", "no vendor is close")
}

func TestAMissingVariableIsNamedNeverAValue(t *testing.T) {
	vars := map[string]string{billbee.EnvAPIKey: "billbee-key-0001", billbee.EnvUsername: "shop@example.com"}
	_, err := vendors.FromLookup(vendors.Billbee, lookup(vars))
	require.Error(t, err)
	assert.True(t, errors.Is(err, driver.ErrEnvNotSet))
	assert.Contains(t, err.Error(), billbee.EnvAPIPassword)
	assert.NotContains(t, err.Error(), "billbee-key-0001")
}

func TestFromEnvReadsTheEnvironment(t *testing.T) {
	t.Setenv(bluetape.EnvAPIKey, "bluetape-key-0002")
	t.Setenv(bluetape.EnvAccountID, "bluetape-account-0002")
	c, err := vendors.FromEnv(vendors.BlueTape)
	require.NoError(t, err)
	assert.Equal(t, "bluetape", c.Vendor())
}

func TestTheNamesAreTheSpecsVendors(t *testing.T) {
	var names []vendors.Name
	for _, v := range specs.Vendors {
		names = append(names, vendors.Name(v))
	}
	assert.Equal(t, names, vendors.Names(), "the command converts between the two")
}

func TestAVariableTheLookupDoesNotFindIsMissingWhateverItReturns(t *testing.T) {
	notFound := func(string) (string, bool) { return "x", false }
	_, err := vendors.FromLookup(vendors.Billbee, notFound)
	require.Error(t, err)
	assert.ErrorIs(t, err, vendors.ErrEnvNotSet)
	var e *adapter.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "billbee", e.Vendor, "the error names the vendor")
}
