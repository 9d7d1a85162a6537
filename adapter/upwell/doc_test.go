package upwell_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter/drivertest"
	"github.com/custsync/custsync/adapter/upwell"
)

func TestThePackageDocFieldTableMatchesFields(t *testing.T) {
	t.Parallel()
	client, err := upwell.New(upwell.Config{APIKey: "placeholder"})
	require.NoError(t, err)
	drivertest.CheckFieldTable(t, ".", client.Fields())
}
