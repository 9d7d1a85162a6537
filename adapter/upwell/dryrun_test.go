package upwell_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/internal/vendortest"
	"github.com/custsync/custsync/specs"
)

// A dry run sends nothing and returns the body a real update sends: the
// same updates as TestWireFormOfAbsentNullAndValue, against its goldens.
func TestADryRunSendsNothingAndReturnsTheBodyThatWouldBeSent(t *testing.T) {
	tests := []struct{ name, update string }{
		{"partial", `{"id":"C-1001","email":"ap@acme.example"}`},
		{"clear", `{"id":"C-1001","email":null,"ccEmails":null,"metadata":null,"upwell":{"billToCustomerId":null,"dueOption":null}}`},
		{"value", `{"id":"C-1001","sourceSystem":"NETSUITE","name":"Acme","email":"ap@acme.example","ccEmails":["a@acme.example","b@acme.example"],"metadata":{"k":[1,"two",null]},"upwell":{"billToCustomerId":"P-1","dueOption":45}}`},
		{"rules-only", `{"id":"C-1001","upwell":{"dueOption":15}}`},
	}
	for _, tt := range tests {
		t.Run("the "+tt.name+" update", func(t *testing.T) {
			srv := vendortest.New(t, specs.Upwell, "") // no answer scripted: any request fails the test
			res, err := newClient(t, srv).Update(context.Background(), parse(t, tt.update), adapter.WithDryRun(true))
			require.NoError(t, err)
			assert.Empty(t, srv.Requests())
			require.NotNil(t, res.DryRun)
			assert.Equal(t, "PUT", res.DryRun.Method)
			assert.Equal(t, "/api/rest/customers", res.DryRun.Path)
			assert.Nil(t, res.DryRun.Changes, "Upwell has no documented read to diff against")
			want, err := os.ReadFile(filepath.Join("testdata", "wire-"+tt.name+".json"))
			require.NoError(t, err)
			assert.JSONEq(t, string(want), string(res.DryRun.Body))
			assert.Zero(t, res.Attempts)
		})
	}
}

func TestADryRunStillRefusesBadInput(t *testing.T) {
	srv := vendortest.New(t, specs.Upwell, "")
	_, err := newClient(t, srv).Update(context.Background(), parse(t, `{"id":"C-1001","email":"not-an-address"}`), adapter.WithDryRun(true))
	assert.ErrorIs(t, err, adapter.InvalidArgument)
	assert.Empty(t, srv.Requests())
}
