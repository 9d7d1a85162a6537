package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/specs"
)

func TestUpdateDryRunAndUnchanged(t *testing.T) {
	t.Parallel()

	t.Run("a Billbee dry run reads, prints each change and writes nothing", func(t *testing.T) {
		t.Parallel()
		srv := newSandbox(t)
		before, _ := srv.Customer(specs.Billbee, "100000150176895")
		out := runBinary(t, invocation{
			args:  []string{"update", "--vendor", "billbee", "--base-url", srv.URL(specs.Billbee), "--dry-run"},
			env:   demoEnv(specs.Billbee),
			stdin: `{"id": "100000150176895", "name": "Max Mustermann GmbH", "vatId": null, "billbee": {"type": 0}}`,
		})
		require.Equal(t, exitOK, out.code)
		assert.Equal(t, "billbee 100000150176895: dry run, nothing written; PUT /api/v1/customers/100000150176895 would change 2 fields:\n"+
			"  name (Name): \"Max\" -> \"Max Mustermann GmbH\"\n"+
			"  vatId (VatId): \"1234\" -> null\n", out.stdout)
		assert.EqualValues(t, 1, srv.Stats(specs.Billbee).Requests, "one GET, no PUT")
		after, _ := srv.Customer(specs.Billbee, "100000150176895")
		assert.Equal(t, before, after)
	})

	for _, v := range []struct {
		vendor specs.Vendor
		input  string
		path   string
	}{
		{specs.Upwell, `{"id": "C-1001", "email": "payables@acme.example"}`, "/api/rest/customers"},
		{specs.BlueTape, `{"id": "dc506b22c7fa", "firstName": "John", "lastName": "Doe", "email": "john@example.com", "phone": "+11234567890", "modifiedAt": "2023-01-04T09:47:57.477Z"}`, "/integration/customer/dc506b22c7fa"},
	} {
		t.Run("a "+string(v.vendor)+" dry run sends no request and prints the body as JSON", func(t *testing.T) {
			t.Parallel()
			srv := newSandbox(t)
			out := runBinary(t, invocation{
				args:  []string{"update", "--vendor", string(v.vendor), "--base-url", srv.URL(v.vendor), "--dry-run", "--json"},
				env:   demoEnv(v.vendor),
				stdin: v.input,
			})
			require.Equal(t, exitOK, out.code)
			var got struct {
				DryRun struct {
					Method string          `json:"method"`
					Path   string          `json:"path"`
					Body   json.RawMessage `json:"body"`
				} `json:"dryRun"`
				Attempts int `json:"attempts"`
			}
			require.NoError(t, json.Unmarshal([]byte(out.stdout), &got))
			assert.Equal(t, "PUT", got.DryRun.Method)
			assert.Equal(t, v.path, got.DryRun.Path)
			assert.NotEmpty(t, got.DryRun.Body)
			assert.Zero(t, got.Attempts)
			assert.Zero(t, srv.Stats(v.vendor).Requests, "nothing reached the vendor")
		})
	}

	t.Run("a Billbee update that changes nothing says unchanged after one request", func(t *testing.T) {
		t.Parallel()
		srv := newSandbox(t)
		out := runBinary(t, invocation{
			args:  []string{"update", "--vendor", "billbee", "--base-url", srv.URL(specs.Billbee), "--json"},
			env:   demoEnv(specs.Billbee),
			stdin: `{"id": "100000150176895", "name": "Max"}`,
		})
		require.Equal(t, exitOK, out.code)
		var got map[string]any
		require.NoError(t, json.Unmarshal([]byte(out.stdout), &got))
		assert.Equal(t, true, got["unchanged"])
		assert.EqualValues(t, 1, got["attempts"])
		assert.EqualValues(t, 1, srv.Stats(specs.Billbee).Requests, "one GET, no PUT")
	})
}
