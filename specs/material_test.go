package specs_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/specs"
)

// The shapes the vendors' published material shows, each in a body of our
// own making (the published files stay in shared/vendors/fixtures), must
// pass the validator that checks the drivers' and the sandbox's traffic.

func billbeeRequest(method, body string) *http.Request {
	var req *http.Request
	if body == "" {
		req = httptest.NewRequest(method, "http://127.0.0.1:9/api/v1/customers/100000150176895", nil)
	} else {
		req = httptest.NewRequest(method, "http://127.0.0.1:9/api/v1/customers/100000150176895", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Billbee-Api-Key", "k")
	req.SetBasicAuth("user", "pw")
	return req
}

func TestBillbeeRequestsAsTheOfficialSDKSendsThem(t *testing.T) {
	v, err := specs.NewValidator(context.Background(), specs.Billbee, "http://127.0.0.1:9")
	require.NoError(t, err)
	tests := []struct {
		name, body string
	}{
		// billbeeio/billbee-php-sdk tests/fixtures/Model/customer.json: the
		// SDK's PUT body carries TypeName on every contact entry.
		{"a contact entry with TypeName passes", `{"Id":100000150176895,"Name":"Erika",` +
			`"DefaultMailAddress":{"Id":208297770,"TypeId":1,"TypeName":"EMail","SubType":"","Value":"erika@example.com"},` +
			`"MetaData":[{"Id":208297770,"TypeId":1,"TypeName":"EMail","SubType":"","Value":"erika@example.com"}]}`},
		// A read-modify-write sends back what it read, including fields
		// Billbee adds after this spec was written.
		{"a top-level field the spec does not know passes", `{"Id":100000150176895,"Name":"Erika","LoyaltyTier":"gold"}`},
		{"a contact entry field the spec does not know passes", `{"Id":100000150176895,"DefaultPhone1":{"Id":1,"TypeId":2,"Value":"+49301234","Verified":true}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.ValidateRequest(billbeeRequest(http.MethodPut, tt.body))
			assert.NoError(t, err)
		})
	}
	_, err = v.ValidateRequest(billbeeRequest(http.MethodPut, `{"Id":"100000150176895"}`))
	assert.Error(t, err, "known fields keep their types")
}

func TestBillbeeAnswersAnUnknownIDWithABodylessNotFound(t *testing.T) {
	// billbee-csharp-sdk issue 83: a Billbee employee confirms the 404; the
	// SDK's "HTTP Response: NotFound: -" is what it prints for an empty body.
	v, err := specs.NewValidator(context.Background(), specs.Billbee, "http://127.0.0.1:9")
	require.NoError(t, err)
	for _, method := range []string{http.MethodGet, http.MethodPut} {
		t.Run(method, func(t *testing.T) {
			body := ""
			if method == http.MethodPut {
				body = `{"Id":100000150176895}`
			}
			route, err := v.ValidateRequest(billbeeRequest(method, body))
			require.NoError(t, err)
			assert.NoError(t, route.ValidateResponse(context.Background(), http.StatusNotFound, http.Header{}, nil))
			assert.Error(t, route.ValidateResponse(context.Background(), http.StatusTeapot, http.Header{}, nil), "undocumented statuses still fail")
		})
	}
}

func TestBillbeeListsBothDocumentedHosts(t *testing.T) {
	doc := load(t, specs.Billbee)
	var urls []string
	for _, s := range doc.Servers {
		urls = append(urls, s.URL)
	}
	assert.ElementsMatch(t, []string{"https://app.billbee.io", "https://api.billbee.io"}, urls)
}

func TestUpwellErrorBodiesAsTheDocsShowThem(t *testing.T) {
	v, err := specs.NewValidator(context.Background(), specs.Upwell, "http://127.0.0.1:9")
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodPut, "http://127.0.0.1:9/api/rest/customers",
		strings.NewReader(`{"sourceSystem":"ACME","sourceSystemId":"C-1","input":{"name":"x"}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "k")
	route, err := v.ValidateRequest(req)
	require.NoError(t, err)
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		name   string
		status int
		body   string
	}{
		// docs.upwell.com/api-reference/error-codes, VALIDATION_ERROR.
		{"details as an array of {field, message}", 400, `{"error":{"code":"VALIDATION_ERROR","message":"Validation failed","details":[{"field":"name","message":"Name is too long"},{"field":"emailAddress","message":"Invalid e-mail"}]}}`},
		// The same page's "Error Response Format".
		{"details as one object", 400, `{"error":{"code":"VALIDATION_ERROR","message":"Bad","details":{"field":"name","issue":"too long"}},"status":"error","timestamp":"2025-02-01T08:00:00Z"}`},
		// The page's status list: 409, 422 and 503 can answer an update.
		{"a 409", 409, `{"error":{"code":"CONFLICT","message":"Conflict"}}`},
		{"a 422", 422, `{"error":{"code":"UNPROCESSABLE_ENTITY","message":"Unprocessable"}}`},
		{"a 503", 503, `{"error":{"code":"SERVICE_UNAVAILABLE","message":"Try later"}}`},
		// hasura/graphql-engine tests-py endpoint_missing.yaml.
		{"Hasura's endpoint-not-found 404", 404, `{"path":"$","error":"Endpoint not found","code":"not-found"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.NoError(t, route.ValidateResponse(context.Background(), tt.status, jsonHeader, []byte(tt.body)))
		})
	}
}

func TestBlueTapeSuccessStatusesOfItsSiblingEndpoints(t *testing.T) {
	// integration-doc.bluetape.com: sibling endpoints show "HTTP 200" where
	// their tables say 201/202.
	v, err := specs.NewValidator(context.Background(), specs.BlueTape, "http://127.0.0.1:9/genericBthubService")
	require.NoError(t, err)
	route, err := v.ValidateRequest(blueTapeRequest(blueTapeBody, bothBlueTapeHeaders))
	require.NoError(t, err)
	for _, status := range []int{200, 201, 202} {
		assert.NoError(t, route.ValidateResponse(context.Background(), status, http.Header{"Content-Type": {"application/json"}}, []byte(`{"blueTapeId":"ab12cd34ef56"}`)), "HTTP %d", status)
	}
}
