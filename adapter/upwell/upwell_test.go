package upwell_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/internal/vendortest"
	"github.com/custsync/custsync/specs"
)

const apiKey = "upwell-test-key-5f0c"

const okBody = `{"updateCustomer":{"affectedRows":1,"returning":[{"id":"cus_123","name":"Acme Corp","sourceSystem":"ACME","sourceSystemId":"C-1001"}]},"updateCustomerRules":{"affectedRows":0}}`

func newClient(t *testing.T, srv *vendortest.Server, opts ...adapter.Option) *adapter.Client {
	t.Helper()
	c, err := upwell.New(upwell.Config{APIKey: apiKey, SourceSystem: "ACME"}, append([]adapter.Option{adapter.WithBaseURL(srv.URL())}, opts...)...)
	require.NoError(t, err)
	return c
}

func TestUpdateSendsEveryFieldAsTheSpecSays(t *testing.T) {
	srv := vendortest.New(t, specs.Upwell, "", vendortest.JSON(200, okBody))
	c := newClient(t, srv)
	u, err := adapter.ParseCustomerUpdate([]byte(`{"id":"C-1001","name":"Acme Corp","email":"ap@acme.example",
		"ccEmails":["cfo@acme.example"],"metadata":{"tier":"gold","limit":12345678901234567890},
		"upwell":{"billToCustomerId":"C-1000","dueOption":30}}`))
	require.NoError(t, err)

	res, err := c.Update(context.Background(), u)
	require.NoError(t, err)
	assert.Equal(t, "cus_123", res.VendorID)
	assert.Equal(t, 200, res.HTTPStatus)
	assert.Equal(t, 1, res.Attempts)
	assert.Equal(t, []string{"name", "email", "ccEmails", "metadata", "upwell.billToCustomerId", "upwell.dueOption"}, res.Sent)

	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, apiKey, reqs[0].Header.Get("Authorization"), "raw key, no Bearer")
	assert.JSONEq(t, `{"sourceSystem":"ACME","sourceSystemId":"C-1001",
		"input":{"name":"Acme Corp","emailAddress":"ap@acme.example","ccEmailAddresses":["cfo@acme.example"],
			"metadata":{"tier":"gold","limit":12345678901234567890},"billToCustomerId":"C-1000"},
		"customerRulesInput":{"dueOption":30}}`, string(reqs[0].Body))
}
