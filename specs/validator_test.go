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

const blueTapeBody = `{"firstName":"John","lastName":"Doe","emailAddress":"john@example.com",` +
	`"cellPhoneNumber":"+11234567890","sourceModifiedDate":"2023-01-04T09:47:57.477Z"}`

func blueTapeRequest(body string, headers map[string]string) *http.Request {
	req := httptest.NewRequest(http.MethodPut, "http://127.0.0.1:9/genericBthubService/integration/customer/dc506b22c7fa", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return req
}

var bothBlueTapeHeaders = map[string]string{"X-BlueTape-Key": "k", "X-Integration-AccountId": "a"}

func TestValidatorChecksRequestsAgainstTheSpec(t *testing.T) {
	v, err := specs.NewValidator(context.Background(), specs.BlueTape, "http://127.0.0.1:9/genericBthubService")
	require.NoError(t, err)

	tests := []struct {
		name    string
		req     *http.Request
		wantErr string
	}{
		{"a valid request passes", blueTapeRequest(blueTapeBody, bothBlueTapeHeaders), ""},
		{"one of two credential headers is not enough", blueTapeRequest(blueTapeBody, map[string]string{"X-BlueTape-Key": "k"}), "X-Integration-AccountId"},
		{"no credentials fail", blueTapeRequest(blueTapeBody, nil), "missing"},
		{"a missing required field fails", blueTapeRequest(strings.Replace(blueTapeBody, `"firstName":"John",`, "", 1), bothBlueTapeHeaders), "firstName"},
		{"an unknown field fails", blueTapeRequest(strings.Replace(blueTapeBody, `{`, `{"nickname":"Jo",`, 1), bothBlueTapeHeaders), "nickname"},
		{"a wrong type fails", blueTapeRequest(strings.Replace(blueTapeBody, `"Doe"`, `42`, 1), bothBlueTapeHeaders), "lastName"},
		{"a bad date fails", blueTapeRequest(strings.Replace(blueTapeBody, `2023-01-04T09:47:57.477Z`, `yesterday`, 1), bothBlueTapeHeaders), "sourceModifiedDate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			route, err := v.ValidateRequest(tt.req)
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, "updateCustomer", route.OperationID())
				assert.Equal(t, "dc506b22c7fa", route.PathParams()["id"])
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestValidatorChecksBasicAuthAndAPIKeyTogether(t *testing.T) {
	v, err := specs.NewValidator(context.Background(), specs.Billbee, "http://127.0.0.1:9")
	require.NoError(t, err)
	get := func(key bool, basic bool) *http.Request {
		req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:9/api/v1/customers/100000150176895", nil)
		if key {
			req.Header.Set("X-Billbee-Api-Key", "k")
		}
		if basic {
			req.SetBasicAuth("user", "pw")
		}
		return req
	}
	_, err = v.ValidateRequest(get(true, true))
	assert.NoError(t, err)
	_, err = v.ValidateRequest(get(true, false))
	assert.Error(t, err, "API key without Basic")
	_, err = v.ValidateRequest(get(false, true))
	assert.Error(t, err, "Basic without API key")

	req := get(true, true)
	req.URL.Path = "/api/v1/customers/abc"
	_, err = v.ValidateRequest(req)
	assert.Error(t, err, "a non-numeric id")
}

func TestValidatorChecksResponses(t *testing.T) {
	v, err := specs.NewValidator(context.Background(), specs.BlueTape, "http://127.0.0.1:9/genericBthubService")
	require.NoError(t, err)
	route, err := v.ValidateRequest(blueTapeRequest(blueTapeBody, bothBlueTapeHeaders))
	require.NoError(t, err)
	ctx := context.Background()
	jsonHeader := http.Header{"Content-Type": {"application/json"}}

	assert.NoError(t, route.ValidateResponse(ctx, 202, jsonHeader, []byte(`{"blueTapeId":"fb5637b2e5f3"}`)))
	assert.NoError(t, route.ValidateResponse(ctx, 404, jsonHeader, []byte(`{"code":"404","reason":"Customer not found."}`)))
	assert.Error(t, route.ValidateResponse(ctx, 202, jsonHeader, []byte(`{"blueTapeId":7}`)), "wrong type")
	assert.Error(t, route.ValidateResponse(ctx, 202, jsonHeader, []byte(`{}`)), "missing blueTapeId")
	assert.Error(t, route.ValidateResponse(ctx, 418, jsonHeader, []byte(`{}`)), "undocumented status")
}
