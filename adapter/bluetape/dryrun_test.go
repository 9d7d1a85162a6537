package bluetape_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/internal/vendortest"
	"github.com/custsync/custsync/specs"
)

func TestADryRunSendsNothingAndReturnsTheBodyThatWouldBeSent(t *testing.T) {
	srv := vendortest.New(t, specs.BlueTape, basePath) // no answer scripted: any request fails the test
	res, err := newClient(t, srv).Update(context.Background(), contact(t, ""), adapter.WithDryRun(true))
	require.NoError(t, err)
	assert.Empty(t, srv.Requests())
	require.NotNil(t, res.DryRun)
	assert.Equal(t, "PUT", res.DryRun.Method)
	assert.Equal(t, "/integration/customer/dc506b22c7fa", res.DryRun.Path)
	want, err := os.ReadFile(filepath.Join("testdata", "update-request.json"))
	require.NoError(t, err)
	assert.Equal(t, strings.TrimSuffix(string(want), "\n"), string(res.DryRun.Body), "byte for byte what a real update sends")
	assert.Zero(t, res.Attempts)
}

func TestADryRunEscapesTheIDInThePath(t *testing.T) {
	srv := vendortest.New(t, specs.BlueTape, basePath)
	u := contact(t, "")
	u.ID = "a/b c"
	res, err := newClient(t, srv).Update(context.Background(), u, adapter.WithDryRun(true))
	require.NoError(t, err)
	assert.Equal(t, "/integration/customer/a%2Fb%20c", res.DryRun.Path)
}
