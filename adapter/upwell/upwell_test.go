package upwell_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/internal/vendortest"
	"github.com/custsync/custsync/specs"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/*.json")

const apiKey = "upwell-sentinel-key-5f0c2e"

const okBody = `{"updateCustomer":{"affectedRows":1,"returning":[{"id":"cus_123","name":"Acme Corp","sourceSystem":"ACME","sourceSystemId":"C-1001"}]},"updateCustomerRules":{"affectedRows":0}}`

// noRetries keeps these tests about how one answer is read; retries are
// tested in package adapter and against the sandbox.
var noRetries = adapter.WithMaxRetries(0)

func newClient(t *testing.T, srv *vendortest.Server, opts ...adapter.Option) *adapter.Client {
	t.Helper()
	c, err := upwell.New(upwell.Config{APIKey: apiKey, SourceSystem: "ACME"}, append([]adapter.Option{adapter.WithBaseURL(srv.URL()), noRetries}, opts...)...)
	require.NoError(t, err)
	return c
}

func parse(t *testing.T, s string) *adapter.CustomerUpdate {
	t.Helper()
	u, err := adapter.ParseCustomerUpdate([]byte(s))
	require.NoError(t, err)
	return u
}

func TestUpdateSendsEveryFieldAsTheSpecSays(t *testing.T) {
	srv := vendortest.New(t, specs.Upwell, "", vendortest.JSON(200, okBody))
	c := newClient(t, srv)
	u := parse(t, `{"id":"C-1001","name":"Acme Corp","email":"ap@acme.example",
		"ccEmails":["cfo@acme.example"],"metadata":{"tier":"gold","limit":12345678901234567890},
		"upwell":{"billToCustomerId":"C-1000","dueOption":30}}`)

	res, err := c.Update(context.Background(), u)
	require.NoError(t, err)
	assert.Equal(t, "cus_123", res.VendorID)
	assert.Equal(t, 200, res.HTTPStatus)
	assert.Equal(t, 1, res.Attempts)
	assert.Equal(t, []string{"name", "email", "ccEmails", "metadata", "upwell.billToCustomerId", "upwell.dueOption"}, res.Sent)

	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, apiKey, reqs[0].Header.Get("Authorization"), "raw key, no Bearer")
	assert.Equal(t, "updateCustomerBySourceSystemId", reqs[0].Operation)
	assert.Contains(t, string(reqs[0].Body), `12345678901234567890`, "metadata numbers keep every digit")
	assert.JSONEq(t, `{"sourceSystem":"ACME","sourceSystemId":"C-1001",
		"input":{"name":"Acme Corp","emailAddress":"ap@acme.example","ccEmailAddresses":["cfo@acme.example"],
			"metadata":{"tier":"gold","limit":12345678901234567890},"billToCustomerId":"C-1000"},
		"customerRulesInput":{"dueOption":30}}`, string(reqs[0].Body))
}

// The wire form of absent, null and value for every field the driver
// sends, pinned in testdata (rewrite with go test -update).
func TestWireFormOfAbsentNullAndValue(t *testing.T) {
	tests := []struct{ name, update string }{
		{"partial", `{"id":"C-1001","email":"ap@acme.example"}`},
		{"clear", `{"id":"C-1001","email":null,"ccEmails":null,"metadata":null,"upwell":{"billToCustomerId":null,"dueOption":null}}`},
		{"value", `{"id":"C-1001","sourceSystem":"NETSUITE","name":"Acme","email":"ap@acme.example","ccEmails":["a@acme.example","b@acme.example"],"metadata":{"k":[1,"two",null]},"upwell":{"billToCustomerId":"P-1","dueOption":45}}`},
		{"rules-only", `{"id":"C-1001","upwell":{"dueOption":15}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answer := okBody
			if tt.name == "rules-only" {
				answer = `{"updateCustomer":{"affectedRows":0,"returning":[]},"updateCustomerRules":{"affectedRows":1}}`
			}
			srv := vendortest.New(t, specs.Upwell, "", vendortest.JSON(200, answer))
			_, err := newClient(t, srv).Update(context.Background(), parse(t, tt.update))
			require.NoError(t, err)
			var pretty bytes.Buffer
			require.NoError(t, json.Indent(&pretty, srv.Requests()[0].Body, "", "  "))
			golden := filepath.Join("testdata", "wire-"+tt.name+".json")
			if *updateGolden {
				require.NoError(t, os.MkdirAll("testdata", 0o755))
				require.NoError(t, os.WriteFile(golden, append(pretty.Bytes(), '\n'), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "go test ./adapter/upwell -update writes it")
			assert.JSONEq(t, string(want), pretty.String())
		})
	}
}

func TestNoRequestIsSentWithoutBothIdentifiersOrWithAnEmptyUpdate(t *testing.T) {
	tests := []struct {
		name          string
		defaultSource string
		update        string
		opts          []adapter.CallOption
		field         string
	}{
		{"an empty id", "ACME", `{"id":"","name":"x"}`, nil, "id"},
		{"a blank id", "ACME", `{"id":"   ","name":"x"}`, nil, "id"},
		{"no sourceSystem and no default", "", `{"id":"C-1","name":"x"}`, nil, "sourceSystem"},
		{"a blank sourceSystem and no default", "", `{"id":"C-1","sourceSystem":"  ","name":"x"}`, nil, "sourceSystem"},
		{"an update that sets nothing", "ACME", `{"id":"C-1"}`, nil, ""},
		{"an update lenient mode empties", "ACME", `{"id":"C-1","phone":"+1","vatId":"x"}`, []adapter.CallOption{adapter.WithLenient(true)}, ""},
		{"only a sourceSystem", "ACME", `{"id":"C-1","sourceSystem":"ACME"}`, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vendortest.New(t, specs.Upwell, "")
			c, err := upwell.New(upwell.Config{APIKey: apiKey, SourceSystem: tt.defaultSource}, adapter.WithBaseURL(srv.URL()))
			require.NoError(t, err)
			var u adapter.CustomerUpdate
			require.NoError(t, json.Unmarshal([]byte(tt.update), &u))
			_, err = c.Update(context.Background(), &u, tt.opts...)
			var e *adapter.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, adapter.InvalidArgument, e.Code)
			assert.Equal(t, tt.field, e.Field)
			assert.Empty(t, srv.Requests(), "nothing was sent")
		})
	}
}

func TestFieldsUpwellCannotStoreFailOrAreDropped(t *testing.T) {
	srv := vendortest.New(t, specs.Upwell, "", vendortest.JSON(200, okBody))
	c := newClient(t, srv)
	u := parse(t, `{"id":"C-1001","name":"Acme","firstName":"Max","billbee":{"priceGroupId":1}}`)

	_, err := c.Update(context.Background(), u)
	var e *adapter.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, adapter.InvalidArgument, e.Code)
	assert.Equal(t, "firstName", e.Field)
	assert.Contains(t, e.Message, "billbee.priceGroupId")
	assert.Empty(t, srv.Requests())

	res, err := c.Update(context.Background(), u, adapter.WithLenient(true))
	require.NoError(t, err)
	assert.Equal(t, []string{"firstName", "billbee.priceGroupId"}, res.Dropped)
	assert.JSONEq(t, `{"sourceSystem":"ACME","sourceSystemId":"C-1001","input":{"name":"Acme"}}`, string(srv.Requests()[0].Body))
}

func TestClearingTheNameIsRefused(t *testing.T) {
	srv := vendortest.New(t, specs.Upwell, "")
	_, err := newClient(t, srv).Update(context.Background(), parse(t, `{"id":"C-1001","name":null}`))
	var e *adapter.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "name", e.Field)
	assert.Empty(t, srv.Requests())
}

func TestFailuresBecomeTypedErrors(t *testing.T) {
	const missRows = `{"updateCustomer":{"affectedRows":0,"returning":[]},"updateCustomerRules":{"affectedRows":0}}`
	tests := []struct {
		name       string
		update     string
		answer     vendortest.Response
		code       adapter.Code
		vendorCode string
		message    string
	}{
		{"affectedRows 0 is NotFound", `{"id":"C-9","name":"x"}`, vendortest.JSON(200, missRows), adapter.NotFound, "", `sourceSystemId "C-9"`},
		{"a rules-only miss is NotFound", `{"id":"C-9","upwell":{"dueOption":1}}`, vendortest.JSON(200, missRows), adapter.NotFound, "", "no customer rule matched"},
		{"two customers changed for one key is Internal", `{"id":"C-1","name":"x"}`,
			vendortest.JSON(200, `{"updateCustomer":{"affectedRows":2,"returning":[]}}`), adapter.Internal, "", "changed 2 customers"},
		{"a Hasura 400", `{"id":"C-1","name":"x"}`,
			vendortest.JSON(400, `{"path":"$","error":"Unexpected variable foo","code":"bad-request"}`), adapter.InvalidArgument, "bad-request", "Unexpected variable foo"},
		{"a documented 401", `{"id":"C-1","name":"x"}`,
			vendortest.JSON(401, `{"error":{"code":"INVALID_API_KEY","message":"Invalid API key"},"status":"error"}`), adapter.PermissionDenied, "INVALID_API_KEY", "Invalid API key"},
		{"a 403", `{"id":"C-1","name":"x"}`, vendortest.JSON(403, `{"path":"$","error":"permission denied","code":"permission-error"}`), adapter.PermissionDenied, "permission-error", "permission denied"},
		{"a 429", `{"id":"C-1","name":"x"}`, vendortest.Response{Status: 429, Header: map[string]string{"Content-Type": "application/json", "Retry-After": "2"}, Body: `{"error":{"code":"RATE_LIMITED","message":"slow down"}}`}, adapter.ResourceExhausted, "RATE_LIMITED", "slow down"},
		{"a 500", `{"id":"C-1","name":"x"}`, vendortest.JSON(500, `{"error":{"code":"INTERNAL","message":"boom"}}`), adapter.Internal, "INTERNAL", "boom"},
		{"an HTML 502", `{"id":"C-1","name":"x"}`, vendortest.Response{Status: 502, Header: map[string]string{"Content-Type": "text/html"}, Body: "<html><body><h1>502 Bad Gateway</h1></body></html>", OffSpec: true}, adapter.Unavailable, "", ""},
		{"an empty 503", `{"id":"C-1","name":"x"}`, vendortest.Response{Status: 503, OffSpec: true}, adapter.Unavailable, "", ""},
		{"garbled JSON on 200", `{"id":"C-1","name":"x"}`, vendortest.Response{Status: 200, Header: map[string]string{"Content-Type": "application/json"}, Body: `{"updateCustomer":{"affec`, OffSpec: true}, adapter.Internal, "", "does not match its spec"},
		{"a 200 without updateCustomer is not a NotFound", `{"id":"C-1","name":"x"}`, vendortest.Response{Status: 200, Header: map[string]string{"Content-Type": "application/json"}, Body: `{}`, OffSpec: true}, adapter.Internal, "", "does not match its spec"},
		{"a null 200 is not a NotFound", `{"id":"C-1","name":"x"}`, vendortest.Response{Status: 200, Header: map[string]string{"Content-Type": "application/json"}, Body: `null`, OffSpec: true}, adapter.Internal, "", "does not match its spec"},
		{"HTML on 200", `{"id":"C-1","name":"x"}`, vendortest.Response{Status: 200, Header: map[string]string{"Content-Type": "text/html"}, Body: "<html>maintenance</html>", OffSpec: true}, adapter.Internal, "", "does not match its spec"},
		{"garbled JSON on 400", `{"id":"C-1","name":"x"}`, vendortest.Response{Status: 400, Body: `{"error":`, OffSpec: true}, adapter.InvalidArgument, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vendortest.New(t, specs.Upwell, "", tt.answer)
			res, err := newClient(t, srv).Update(context.Background(), parse(t, tt.update))
			assert.Nil(t, res)
			var e *adapter.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.code, e.Code, e.Error())
			assert.Equal(t, "upwell", e.Vendor)
			assert.Equal(t, "updateCustomerBySourceSystemId", e.Operation)
			assert.Equal(t, tt.answer.Status, e.HTTPStatus)
			assert.Equal(t, tt.vendorCode, e.VendorCode)
			assert.Contains(t, e.Error(), tt.message)
			if tt.answer.Body != "" && tt.answer.Status >= 300 {
				assert.NotEmpty(t, e.Body, "a body excerpt is kept")
			}
		})
	}
}

func TestTheAPIKeyNeverAppearsInErrorsConfigsOrLogs(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	echo := func(r vendortest.Request) vendortest.Response {
		return vendortest.Response{Status: 401, Body: `{"error":{"code":"INVALID_API_KEY","message":"bad key ` + r.Header.Get("Authorization") + `"}}`, OffSpec: true}
	}
	srv := vendortest.New(t, specs.Upwell, "",
		vendortest.JSON(404, `{"path":"$","error":"Endpoint not found","code":"not-found"}`),
		vendortest.Response{Status: 502, Body: "<html>bad gateway</html>", OffSpec: true},
	).Then(echo)
	c := newClient(t, srv, adapter.WithLogger(logger))
	cfg := upwell.Config{APIKey: apiKey, SourceSystem: "ACME"}

	var seen []string
	for range 3 {
		_, err := c.Update(context.Background(), parse(t, `{"id":"C-1","name":"x"}`))
		require.Error(t, err)
		seen = append(seen, err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
	}
	_, err := c.Update(context.Background(), parse(t, `{"id":"","name":"x"}`))
	seen = append(seen, fmt.Sprintf("%+v", err), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprint(c), logs.String())
	for _, s := range seen {
		assert.NotContains(t, s, apiKey)
	}
	assert.Contains(t, logs.String(), "custsync attempt", "the attempts were logged")
	assert.NotContains(t, logs.String(), "bad gateway", "logs hold no response bodies")
}

func TestFromEnvNamesTheMissingVariable(t *testing.T) {
	t.Setenv(upwell.EnvAPIKey, "")
	_, err := upwell.FromEnv()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "UPWELL_API_KEY")

	t.Setenv(upwell.EnvAPIKey, apiKey)
	t.Setenv(upwell.EnvSourceSystem, "ACME")
	srv := vendortest.New(t, specs.Upwell, "", vendortest.JSON(200, okBody))
	c, err := upwell.FromEnv(adapter.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	_, err = c.Update(context.Background(), parse(t, `{"id":"C-1001","name":"Acme Corp"}`))
	require.NoError(t, err)
	assert.Contains(t, string(srv.Requests()[0].Body), `"sourceSystem":"ACME"`)
}

func TestNewRefusesAKeyThatCannotBeSentAsAHeader(t *testing.T) {
	for _, key := range []string{"", "   ", "k-123456\n", " k-123456", "k-12\x003456"} {
		_, err := upwell.New(upwell.Config{APIKey: adapter.Secret(key)})
		var e *adapter.Error
		require.ErrorAs(t, err, &e, "%q", key)
		assert.Equal(t, adapter.InvalidArgument, e.Code)
		assert.Equal(t, "APIKey", e.Field)
		if len(key) > 3 {
			assert.NotContains(t, e.Error(), key)
		}
	}
}

func TestTheKeyIsSourceSystemPlusIDAfterTheDefault(t *testing.T) {
	c, err := upwell.New(upwell.Config{APIKey: apiKey, SourceSystem: "ACME"})
	require.NoError(t, err)
	other, err := upwell.New(upwell.Config{APIKey: "another-key", SourceSystem: "ACME"})
	require.NoError(t, err)

	byDefault := c.Key(&adapter.CustomerUpdate{ID: "C-1", Name: adapter.Set("x")})
	explicit := c.Key(&adapter.CustomerUpdate{ID: "C-1", SourceSystem: "ACME", Email: adapter.Set("a@example.com")})
	elsewhere := c.Key(&adapter.CustomerUpdate{ID: "C-1", SourceSystem: "QBO", Name: adapter.Set("x")})

	assert.Equal(t, `["ACME","C-1"]`, byDefault)
	assert.Equal(t, byDefault, explicit, "the same record whether or not the default is spelled out")
	assert.NotEqual(t, byDefault, elsewhere, "another source system is another record")
	assert.NotEqual(t, c.Account(), other.Account(), "another credential is another account")
	assert.NotContains(t, c.Account(), apiKey)
}
