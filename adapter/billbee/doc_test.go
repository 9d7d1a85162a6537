package billbee_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter/billbee"
	"github.com/custsync/custsync/adapter/drivertest"
)

func TestThePackageDocFieldTableMatchesFields(t *testing.T) {
	t.Parallel()
	client, err := billbee.New(billbee.Config{APIKey: "placeholder", Username: "placeholder", APIPassword: "placeholder"})
	require.NoError(t, err)
	drivertest.CheckFieldTable(t, ".", client.Fields())
}
