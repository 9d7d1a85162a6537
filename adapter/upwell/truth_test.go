package upwell_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/internal/vendortest"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// docs.upwell.com/api-reference/error-codes: VALIDATION_ERROR carries
// error.details as an array of {field, message}; its format example has
// one {field, issue} object. Both reach the error.
func TestValidationErrorDetailsReachTheError(t *testing.T) {
	tests := []struct {
		name, body, message string
	}{
		{"an array of {field, message}",
			`{"error":{"code":"VALIDATION_ERROR","message":"Validation failed for one or more fields","details":[{"field":"emailAddress","message":"Invalid e-mail"},{"field":"name","message":"Too long"}]},"status":"error"}`,
			"Validation failed for one or more fields (emailAddress: Invalid e-mail; name: Too long)"},
		{"one {field, issue} object",
			`{"error":{"code":"VALIDATION_ERROR","message":"The request contains invalid parameters","details":{"field":"billToCustomerId","issue":"Unknown customer"}},"status":"error","timestamp":"2025-03-01T12:00:00Z"}`,
			"The request contains invalid parameters (billToCustomerId: Unknown customer)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vendortest.New(t, specs.Upwell, "", vendortest.JSON(400, tt.body))
			_, err := newClient(t, srv).Update(context.Background(), parse(t, `{"id":"C-1","email":"x@y.example"}`))
			var e *adapter.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, adapter.InvalidArgument, e.Code)
			assert.Equal(t, "VALIDATION_ERROR", e.VendorCode)
			assert.Equal(t, tt.message, e.Message)
		})
	}
}

// hasura/graphql-engine tests-py endpoint_missing.yaml: an unknown REST
// endpoint is a 404 {"path":"$","error":"Endpoint not found","code":"not-found"}.
func TestAnEndpointNotFoundIsAConfigurationErrorNamingTheURL(t *testing.T) {
	srv := vendortest.New(t, specs.Upwell, "", vendortest.JSON(404, `{"path":"$","error":"Endpoint not found","code":"not-found"}`))
	_, err := newClient(t, srv).Update(context.Background(), parse(t, `{"id":"C-1","name":"x"}`))
	var e *adapter.Error
	require.ErrorAs(t, err, &e)
	assert.False(t, assert.ObjectsAreEqual(adapter.NotFound, e.Code), "not a missing customer: %v", err)
	assert.NotErrorIs(t, err, adapter.NotFound)
	assert.Equal(t, adapter.FailedPrecondition, e.Code)
	assert.Contains(t, e.Message, "PUT "+srv.URL()+"/api/rest/customers")
	assert.Contains(t, e.Message, "Endpoint not found")
	assert.Contains(t, e.Message, "base URL")
}

// Upwell's returning record is decoded only as far as an update needs it:
// nothing else in it can fail an update that affectedRows confirmed.
func TestOddValuesInTheReturnedRecordNeverFailAConfirmedUpdate(t *testing.T) {
	tests := []struct{ name, record string }{
		{"a metadata number beyond float64", `{"id":"cus_1","name":"x","metadata":{"a":1e400}}`},
		{"a balance beyond int64", `{"id":"cus_1","name":"x","balance":123456789012345678901234567890}`},
		{"an address type Upwell added", `{"id":"cus_1","name":"x","addresses":[{"type":"WAREHOUSE","country":"Atlantis"}]}`},
		{"columns the spec does not know", `{"id":"cus_1","name":"x","riskScore":{"v":0.7},"tags":["a"]}`},
		{"a date in another format", `{"id":"cus_1","name":"x","updatedAt":"yesterday"}`},
		{"an id that is a number", `{"id":7,"name":"x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"updateCustomer":{"affectedRows":1,"returning":[` + tt.record + `]},"updateCustomerRules":{"affectedRows":0}}`
			srv := vendortest.New(t, specs.Upwell, "", vendortest.Response{Status: 200, Header: map[string]string{"Content-Type": "application/json"}, Body: body, OffSpec: true})
			res, err := newClient(t, srv).Update(context.Background(), parse(t, `{"id":"C-1","name":"x"}`))
			require.NoError(t, err)
			assert.Empty(t, res.Mismatches)
		})
	}
}

// End to end: metadata holding 1e400 is accepted, stored,
// and every later update of that customer still succeeds.
func TestMetadataBeyondFloat64StaysUpdatable(t *testing.T) {
	stored := `{"id":"cus_1","name":"Acme","metadata":{"a":1e400}}`
	answer := vendortest.JSON(200, `{"updateCustomer":{"affectedRows":1,"returning":[`+stored+`]},"updateCustomerRules":{"affectedRows":0}}`)
	srv := vendortest.New(t, specs.Upwell, "", answer, answer)
	c := newClient(t, srv)

	res, err := c.Update(context.Background(), parse(t, `{"id":"C-1","metadata":{"a":1e400}}`))
	require.NoError(t, err)
	assert.Empty(t, res.Mismatches, "1e400 sent, 1e400 stored")
	var sent struct {
		Input struct{ Metadata json.RawMessage }
	}
	require.NoError(t, json.Unmarshal(srv.Requests()[0].Body, &sent))
	assert.Equal(t, `{"a":1e400}`, string(sent.Input.Metadata), "sent with every digit")

	res, err = c.Update(context.Background(), parse(t, `{"id":"C-1","name":"Acme"}`))
	require.NoError(t, err, "a later update of the same customer")
	assert.Equal(t, "cus_1", res.VendorID)
}

func TestAFieldStoredOtherwiseThanSentIsReported(t *testing.T) {
	const stored = `{"id":"cus_1","name":"ACME CORP","emailAddress":"AP@Acme.Example","ccEmailAddresses":["cfo@acme.example"],"billToCustomerId":null,"metadata":{"tier":"gold","limit":12345678901234567891}}`
	answer := vendortest.JSON(200, `{"updateCustomer":{"affectedRows":1,"returning":[`+stored+`]},"updateCustomerRules":{"affectedRows":0}}`)
	update := `{"id":"C-1","name":"Acme Corp","email":"ap@acme.example","ccEmails":["CFO@acme.example"],
		"metadata":{"tier":"gold","limit":12345678901234567890},"upwell":{"billToCustomerId":"C-1000"}}`

	t.Run("the result lists each field, sent and stored; case-only e-mail differences do not count", func(t *testing.T) {
		srv := vendortest.New(t, specs.Upwell, "", answer)
		res, err := newClient(t, srv).Update(context.Background(), parse(t, update))
		require.NoError(t, err)
		got := map[string][2]string{}
		for _, m := range res.Mismatches {
			got[m.Field] = [2]string{string(m.Sent), string(m.Stored)}
		}
		assert.Equal(t, map[string][2]string{
			"name":                    {`"Acme Corp"`, `"ACME CORP"`},
			"metadata":                {`{"limit":12345678901234567890,"tier":"gold"}`, `{"tier":"gold","limit":12345678901234567891}`},
			"upwell.billToCustomerId": {`"C-1000"`, `null`},
		}, got)
	})
	t.Run("strict makes it a failure that lists them", func(t *testing.T) {
		srv := vendortest.New(t, specs.Upwell, "", answer)
		res, err := newClient(t, srv).Update(context.Background(), parse(t, update), adapter.WithStrict(true))
		assert.Nil(t, res)
		var e *adapter.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, adapter.Internal, e.Code)
		assert.False(t, e.Retryable)
		assert.Len(t, e.Mismatches, 3)
		assert.Contains(t, e.Message, "the update was applied")
		assert.Contains(t, e.Message, `name: sent "Acme Corp", stored "ACME CORP"`)
	})
}

func TestTheDefaultSourceSystemFollowsTheIdentifierRule(t *testing.T) {
	t.Run("a Config value with spaces is refused, naming the field", func(t *testing.T) {
		_, err := upwell.New(upwell.Config{APIKey: apiKey, SourceSystem: " ACME "})
		var e *adapter.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, "SourceSystem", e.Field)
	})
	t.Run("an environment value with spaces is refused, naming the variable", func(t *testing.T) {
		t.Setenv(upwell.EnvAPIKey, apiKey)
		t.Setenv(upwell.EnvSourceSystem, "ACME ")
		_, err := upwell.FromEnv()
		var e *adapter.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, upwell.EnvSourceSystem, e.Field)
		assert.Contains(t, e.Message, upwell.EnvSourceSystem)
	})
	t.Run("an update's own sourceSystem is sent exactly", func(t *testing.T) {
		srv := vendortest.New(t, specs.Upwell, "", vendortest.JSON(200, okBody))
		_, err := newClient(t, srv).Update(context.Background(), parse(t, `{"id":"C-1","sourceSystem":"TMSEZ","name":"x"}`))
		require.NoError(t, err)
		assert.Equal(t, "TMSEZ", srv.Requests()[0].JSON(t)["sourceSystem"])
	})
	t.Run("an explicit empty sourceSystem never falls back to the default", func(t *testing.T) {
		_, err := adapter.ParseCustomerUpdate([]byte(`{"id":"C-1","sourceSystem":"","name":"x"}`))
		assert.Equal(t, adapter.InvalidArgument, adapter.CodeOf(err))
	})
}

// docs.upwell.com/api-reference/error-codes lists 409, 422 and 503 beside
// the others; each has its portable code.
func TestTheDocumentedErrorStatusesHaveTheirCodes(t *testing.T) {
	tests := []struct {
		status    int
		code      adapter.Code
		retryable bool
	}{
		{409, adapter.FailedPrecondition, false},
		{422, adapter.InvalidArgument, false},
		{503, adapter.Unavailable, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("HTTP %d", tt.status), func(t *testing.T) {
			srv := vendortest.New(t, specs.Upwell, "", vendortest.JSON(tt.status, `{"error":{"code":"E","message":"m"},"status":"error"}`))
			_, err := newClient(t, srv).Update(context.Background(), parse(t, `{"id":"C-1","name":"x"}`))
			var e *adapter.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.code, e.Code)
			assert.Equal(t, tt.retryable, e.Retryable)
			assert.Equal(t, "E", e.VendorCode)
			assert.Equal(t, "m", e.Message)
		})
	}
}

func TestAWrongBaseURLAtTheSandboxIsNotAMissingCustomer(t *testing.T) {
	srv := sandbox.NewServer()
	defer srv.Close()
	c, err := upwell.New(upwell.Config{APIKey: sandbox.UpwellAPIKey, SourceSystem: sandbox.UpwellSourceSystem},
		adapter.WithBaseURL(srv.URL(specs.Upwell)+"/v2"), adapter.WithHTTPClient(srv.Client()), noRetries)
	require.NoError(t, err)
	_, err = c.Update(context.Background(), parse(t, `{"id":"C-1001","name":"x"}`))
	assert.Equal(t, adapter.FailedPrecondition, adapter.CodeOf(err), "%v", err)
	assert.Contains(t, err.Error(), srv.URL(specs.Upwell)+"/v2/api/rest/customers")
}
