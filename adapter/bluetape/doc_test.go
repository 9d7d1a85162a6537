package bluetape_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter/bluetape"
	"github.com/custsync/custsync/adapter/drivertest"
)

func TestThePackageDocFieldTableMatchesFields(t *testing.T) {
	t.Parallel()
	client, err := bluetape.New(bluetape.Config{APIKey: "placeholder", AccountID: "placeholder"})
	require.NoError(t, err)
	drivertest.CheckFieldTable(t, ".", client.Fields())
}
