package sandbox_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

func TestEverySandboxStartsWithTheDocumentedSeeds(t *testing.T) {
	srv := newServer(t)

	assert.Equal(t, []string{"ACME/C-1001", "ACME/C-1002", "ACME/C-1003"}, srv.CustomerIDs(specs.Upwell))
	assert.Equal(t, []string{sandbox.BlueTapeCustomerJohn, sandbox.BlueTapeCustomerJane}, srv.CustomerIDs(specs.BlueTape))
	assert.Equal(t, []string{
		strconv.FormatInt(sandbox.BillbeeCustomerSparse, 10),
		strconv.FormatInt(sandbox.BillbeeCustomerMax, 10),
		strconv.FormatInt(sandbox.BillbeeCustomerArchived, 10),
	}, srv.CustomerIDs(specs.Billbee))

	acme := customer(t, srv, specs.Upwell, sandbox.UpwellCustomerAcme)
	for _, field := range []string{"id", "name", "emailAddress", "ccEmailAddresses", "billToCustomerId",
		"metadata", "balance", "customerRule", "addresses", "createdAt", "updatedAt"} {
		assert.NotNil(t, acme[field], field)
	}
	assert.Nil(t, customer(t, srv, specs.Upwell, sandbox.UpwellCustomerInitech)["customerRule"])
}

func TestSandboxesDoNotShareState(t *testing.T) {
	first, second := newServer(t), newServer(t)

	call(t, first, specs.BlueTape, http.MethodPut, blueTapePath(sandbox.BlueTapeCustomerJohn), blueTapeContact)

	assert.Equal(t, "Johnny", customer(t, first, specs.BlueTape, sandbox.BlueTapeCustomerJohn)["firstName"])
	assert.Equal(t, "John", customer(t, second, specs.BlueTape, sandbox.BlueTapeCustomerJohn)["firstName"])
}

func TestSyntheticCustomersFollowTheDocumentedIds(t *testing.T) {
	const n = 500
	srv := newServer(t, sandbox.WithSyntheticCustomers(n))

	assert.Len(t, srv.CustomerIDs(specs.Upwell), 3+n)
	assert.Len(t, srv.CustomerIDs(specs.BlueTape), 2+n)
	assert.Len(t, srv.CustomerIDs(specs.Billbee), 3+n)
	assert.Equal(t, "S-00001", sandbox.SyntheticID(specs.Upwell, 1))
	assert.Equal(t, "synthetic-00500", sandbox.SyntheticID(specs.BlueTape, n))
	assert.Equal(t, "200000000000001", sandbox.SyntheticID(specs.Billbee, 1))

	tests := []struct {
		vendor       specs.Vendor
		method, path string
		body         string
		success      int
	}{
		{specs.Upwell, http.MethodPut, upwellPath,
			`{"sourceSystem":"ACME","sourceSystemId":"` + sandbox.SyntheticID(specs.Upwell, n) + `","input":{"name":"Bulk"}}`, http.StatusOK},
		{specs.BlueTape, http.MethodPut, blueTapePath(sandbox.SyntheticID(specs.BlueTape, n)), blueTapeContact, http.StatusAccepted},
		{specs.Billbee, http.MethodGet, "/api/v1/customers/" + sandbox.SyntheticID(specs.Billbee, n), "", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(string(tt.vendor)+" serves synthetic customer 500", func(t *testing.T) {
			_, ok := srv.Customer(tt.vendor, sandbox.SyntheticID(tt.vendor, n))
			require.True(t, ok)
			a := call(t, srv, tt.vendor, tt.method, tt.path, tt.body)
			assert.Equal(t, tt.success, a.status, "%s", a.body)
		})
	}
}
