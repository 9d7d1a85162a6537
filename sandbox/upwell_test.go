package sandbox_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

const upwellPath = "/api/rest/customers"

func TestUpwellUpdatesOnlyTheFieldsSent(t *testing.T) {
	tests := []struct {
		name   string
		query  string
		body   string
		check  func(t *testing.T, returned, stored map[string]any)
		target string // the customer that must change
	}{
		{
			name:   "a new name changes the name and nothing else",
			body:   `{"sourceSystem":"ACME","sourceSystemId":"C-1001","input":{"name":"Acme Corporation"}}`,
			target: "C-1001",
			check: func(t *testing.T, returned, stored map[string]any) {
				assert.Equal(t, "Acme Corporation", returned["name"])
				assert.Equal(t, "ap@acme.example", returned["emailAddress"])
				assert.Equal(t, []any{"controller@acme.example", "billing@acme.example"}, returned["ccEmailAddresses"])
				assert.Equal(t, json.Number("1250075"), returned["balance"])
				assert.Equal(t, "Acme Corporation", stored["name"])
			},
		},
		{
			name:   "an explicit null clears a column",
			body:   `{"sourceSystem":"ACME","sourceSystemId":"C-1001","input":{"billToCustomerId":null,"emailAddress":null}}`,
			target: "C-1001",
			check: func(t *testing.T, returned, stored map[string]any) {
				assert.Contains(t, returned, "billToCustomerId")
				assert.Nil(t, returned["billToCustomerId"])
				assert.Nil(t, returned["emailAddress"])
				assert.Equal(t, "Acme Corp", returned["name"])
				assert.Nil(t, stored["billToCustomerId"])
			},
		},
		{
			name:   "identifiers may come in the query string",
			query:  "?sourceSystem=ACME&sourceSystemId=C-1002",
			body:   `{"input":{"metadata":{"segment":"key account"}}}`,
			target: "C-1002",
			check: func(t *testing.T, returned, _ map[string]any) {
				assert.Equal(t, map[string]any{"segment": "key account"}, returned["metadata"])
			},
		},
		{
			name:   "the body wins over the query string",
			query:  "?sourceSystem=ACME&sourceSystemId=C-1002",
			body:   `{"sourceSystemId":"C-1003","input":{"emailAddress":"ap@initech.example"}}`,
			target: "C-1003",
			check: func(t *testing.T, returned, _ map[string]any) {
				assert.Equal(t, "C-1003", returned["sourceSystemId"])
				assert.Equal(t, "ap@initech.example", returned["emailAddress"])
			},
		},
		{
			name:   "a column the answer omits is stored",
			body:   `{"sourceSystem":"ACME","sourceSystemId":"C-1001","input":{"collectorId":"usr_9z"}}`,
			target: "C-1001",
			check: func(t *testing.T, returned, stored map[string]any) {
				assert.NotContains(t, returned, "collectorId")
				assert.Equal(t, "usr_9z", stored["collectorId"])
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			before := customer(t, srv, specs.Upwell, tt.target)

			a := call(t, srv, specs.Upwell, http.MethodPut, upwellPath+tt.query, tt.body)

			require.Equal(t, http.StatusOK, a.status, "%s", a.body)
			got := a.json(t)
			updated := got["updateCustomer"].(map[string]any)
			assert.Equal(t, json.Number("1"), updated["affectedRows"])
			require.Len(t, updated["returning"], 1)
			returned := updated["returning"].([]any)[0].(map[string]any)
			stored := customer(t, srv, specs.Upwell, tt.target)
			assert.NotEqual(t, before["updatedAt"], returned["updatedAt"], "updatedAt changes")
			assert.Equal(t, stored["updatedAt"], returned["updatedAt"])
			assert.Equal(t, before["createdAt"], returned["createdAt"])
			tt.check(t, returned, stored)
		})
	}
}

func TestUpwellAffectsNoRows(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"when no customer has the source system id", `{"sourceSystem":"ACME","sourceSystemId":"C-9999","input":{"name":"Nobody"},"customerRulesInput":{"dueOption":10}}`},
		{"when the source system differs", `{"sourceSystem":"OTHER","sourceSystemId":"C-1001","input":{"name":"Nobody"}}`},
		{"when input is empty, although the customer exists", `{"sourceSystem":"ACME","sourceSystemId":"C-1001","input":{}}`},
		{"when input is absent, although the customer exists", `{"sourceSystem":"ACME","sourceSystemId":"C-1001"}`},
		{"when both inputs are empty, as in Upwell's docs", `{"sourceSystem":"ACME","sourceSystemId":"C-1001","input":{},"customerRulesInput":{}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			before := customer(t, srv, specs.Upwell, "C-1001")

			a := call(t, srv, specs.Upwell, http.MethodPut, upwellPath, tt.body)

			require.Equal(t, http.StatusOK, a.status, "%s", a.body)
			assert.JSONEq(t, `{"updateCustomer":{"affectedRows":0,"returning":[]},"updateCustomerRules":{"affectedRows":0}}`, string(a.body))
			assert.Equal(t, before, customer(t, srv, specs.Upwell, "C-1001"), "nothing changed")
		})
	}
}

func TestUpwellUpdatesTheCustomerRule(t *testing.T) {
	tests := []struct {
		name         string
		customer     string
		body         string
		wantRules    string
		wantCustomer string
		wantDue      any
	}{
		{
			name:         "a due option alone changes the rule, not the customer",
			customer:     sandbox.UpwellCustomerAcme,
			body:         `{"sourceSystem":"ACME","sourceSystemId":"C-1001","customerRulesInput":{"dueOption":60}}`,
			wantRules:    "1",
			wantCustomer: "0",
			wantDue:      json.Number("60"),
		},
		{
			name:         "both inputs change both",
			customer:     sandbox.UpwellCustomerAcmeWest,
			body:         `{"sourceSystem":"ACME","sourceSystemId":"C-1002","input":{"name":"West"},"customerRulesInput":{"dueOption":null}}`,
			wantRules:    "1",
			wantCustomer: "1",
			wantDue:      nil,
		},
		{
			name:         "a customer without a rule affects no rule rows",
			customer:     sandbox.UpwellCustomerInitech,
			body:         `{"sourceSystem":"ACME","sourceSystemId":"C-1003","customerRulesInput":{"dueOption":15}}`,
			wantRules:    "0",
			wantCustomer: "0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)

			a := call(t, srv, specs.Upwell, http.MethodPut, upwellPath, tt.body)

			require.Equal(t, http.StatusOK, a.status, "%s", a.body)
			got := a.json(t)
			assert.Equal(t, json.Number(tt.wantRules), got["updateCustomerRules"].(map[string]any)["affectedRows"])
			assert.Equal(t, json.Number(tt.wantCustomer), got["updateCustomer"].(map[string]any)["affectedRows"])
			stored := customer(t, srv, specs.Upwell, tt.customer)
			if rule, ok := stored["customerRule"].(map[string]any); ok {
				assert.Equal(t, tt.wantDue, rule["dueOption"])
			} else {
				assert.Nil(t, stored["customerRule"])
			}
		})
	}
}

func TestUpwellReturnsTheCustomerAsItWasBeforeTheRuleChanged(t *testing.T) {
	// updateCustomer runs before updateCustomerRules in the same mutation,
	// so its returning shows the old rule, as Hasura's would.
	srv := newServer(t)

	a := call(t, srv, specs.Upwell, http.MethodPut, upwellPath,
		`{"sourceSystem":"ACME","sourceSystemId":"C-1001","input":{"name":"N"},"customerRulesInput":{"dueOption":90}}`)

	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	returned := a.json(t)["updateCustomer"].(map[string]any)["returning"].([]any)[0].(map[string]any)
	assert.Equal(t, json.Number("30"), returned["customerRule"].(map[string]any)["dueOption"])
	assert.Equal(t, json.Number("90"), customer(t, srv, specs.Upwell, "C-1001")["customerRule"].(map[string]any)["dueOption"])
}

func TestUpwellRefusesToDuplicateASourceSystemID(t *testing.T) {
	srv := newServer(t)

	a := call(t, srv, specs.Upwell, http.MethodPut, upwellPath,
		`{"sourceSystem":"ACME","sourceSystemId":"C-1001","input":{"sourceSystemId":"C-1002","name":"Clash"}}`)

	require.Equal(t, http.StatusBadRequest, a.status)
	assert.Equal(t, "constraint-violation", a.json(t)["code"])
	assert.Equal(t, "Acme Corp", customer(t, srv, specs.Upwell, "C-1001")["name"], "the transaction rolled back")
}

func TestUpwellMovesACustomerToANewSourceSystemID(t *testing.T) {
	srv := newServer(t)

	a := call(t, srv, specs.Upwell, http.MethodPut, upwellPath,
		`{"sourceSystem":"ACME","sourceSystemId":"C-1001","input":{"sourceSystemId":"C-2001"}}`)

	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	_, old := srv.Customer(specs.Upwell, "ACME/C-1001")
	assert.False(t, old)
	assert.Equal(t, "Acme Corp", customer(t, srv, specs.Upwell, "ACME/C-2001")["name"])
}

func TestUpwellRejectsBadRequestsInHasurasForm(t *testing.T) {
	tests := []struct {
		name      string
		query     string
		body      string
		status    int
		code      string
		errorText string
	}{
		{"an extra top-level key is an unexpected variable", "",
			`{"sourceSystem":"ACME","sourceSystemId":"C-1001","input":{},"dryRun":true}`,
			http.StatusBadRequest, "bad-request", "Unexpected variable dryRun"},
		{"an extra query parameter is an unexpected variable too", "?sourceSystem=ACME&sourceSystemId=C-1001&limit=1",
			`{"input":{"name":"X"}}`,
			http.StatusBadRequest, "bad-request", "Unexpected variable limit"},
		{"a missing sourceSystem is a missing variable", "",
			`{"sourceSystemId":"C-1001","input":{"name":"X"}}`,
			http.StatusBadRequest, "validation-failed", `expecting a value for non-nullable variable: "sourceSystem"`},
		{"a missing sourceSystemId is a missing variable", "",
			`{"sourceSystem":"ACME","input":{"name":"X"}}`,
			http.StatusBadRequest, "validation-failed", `expecting a value for non-nullable variable: "sourceSystemId"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			before := customer(t, srv, specs.Upwell, "C-1001")

			a := call(t, srv, specs.Upwell, http.MethodPut, upwellPath+tt.query, tt.body)

			require.Equal(t, tt.status, a.status, "%s", a.body)
			got := a.json(t)
			assert.Equal(t, "$", got["path"])
			assert.Equal(t, tt.code, got["code"])
			assert.Contains(t, got["error"], tt.errorText)
			assert.Equal(t, before, customer(t, srv, specs.Upwell, "C-1001"), "nothing changed")
		})
	}
}

// A body its schema rejects gets the VALIDATION_ERROR of Upwell's
// error-codes page (docs.upwell.com/api-reference/error-codes), whose
// error.details is an array of {field, message}.
func TestUpwellRejectsSchemaViolationsWithADetailsArray(t *testing.T) {
	tests := []struct {
		name, body, field string
	}{
		{"an empty identifier is refused",
			`{"sourceSystem":"ACME","sourceSystemId":"","input":{"name":"X"}}`, "sourceSystemId"},
		{"a null name is refused",
			`{"sourceSystem":"ACME","sourceSystemId":"C-1001","input":{"name":null}}`, "input.name"},
		{"a relationship is not an input column",
			`{"sourceSystem":"ACME","sourceSystemId":"C-1001","input":{"addresses":[]}}`, "input"},
		{"a wrong type is refused",
			`{"sourceSystem":"ACME","sourceSystemId":"C-1001","customerRulesInput":{"dueOption":"thirty"}}`, "customerRulesInput.dueOption"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			before := customer(t, srv, specs.Upwell, "C-1001")

			a := call(t, srv, specs.Upwell, http.MethodPut, upwellPath, tt.body)

			require.Equal(t, http.StatusBadRequest, a.status, "%s", a.body)
			var got struct {
				Error struct {
					Code    string
					Details []struct{ Field, Message string }
				}
			}
			require.NoError(t, json.Unmarshal(a.body, &got), "%s", a.body)
			assert.Equal(t, "VALIDATION_ERROR", got.Error.Code)
			require.NotEmpty(t, got.Error.Details, "%s", a.body)
			assert.Equal(t, tt.field, got.Error.Details[0].Field, "%s", a.body)
			assert.NotEmpty(t, got.Error.Details[0].Message)
			assert.Equal(t, before, customer(t, srv, specs.Upwell, "C-1001"), "nothing changed")
		})
	}
}

func TestUpwellRejectsBadCredentialsWithA401(t *testing.T) {
	tests := []struct {
		name          string
		authorization string
		code          string
	}{
		{"a missing Authorization header", "", "MISSING_AUTHORIZATION"},
		{"a wrong key", "not-the-key", "INVALID_API_KEY"},
		{"the right key behind Bearer", "Bearer " + sandbox.UpwellAPIKey, "INVALID_API_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			req := request(t, srv, specs.Upwell, http.MethodPut, upwellPath,
				`{"sourceSystem":"ACME","sourceSystemId":"C-1001","input":{"name":"X"}}`)
			req.Header.Del("Authorization")
			if tt.authorization != "" {
				req.Header.Set("Authorization", tt.authorization)
			}

			a := send(t, srv, req)

			require.Equal(t, http.StatusUnauthorized, a.status)
			got := a.json(t)
			assert.Equal(t, "error", got["status"])
			assert.Equal(t, tt.code, got["error"].(map[string]any)["code"])
			assert.NotEmpty(t, got["error"].(map[string]any)["message"])
			assert.Equal(t, "Acme Corp", customer(t, srv, specs.Upwell, "C-1001")["name"])
		})
	}
}

func TestUpwellAnswersUnknownPathsAndMethodsInHasurasForm(t *testing.T) {
	srv := newServer(t)

	notFound := call(t, srv, specs.Upwell, http.MethodGet, "/api/rest/nothing", "")
	wrongMethod := call(t, srv, specs.Upwell, http.MethodPost, upwellPath, `{}`)

	assert.Equal(t, http.StatusNotFound, notFound.status)
	assert.Equal(t, "not-found", notFound.json(t)["code"])
	assert.Equal(t, http.StatusMethodNotAllowed, wrongMethod.status)
	assert.Equal(t, "method-not-allowed", wrongMethod.json(t)["code"])
}

func TestUpwellGetsACustomerByItsOwnIDOrNull(t *testing.T) {
	srv := newServer(t)
	id := customer(t, srv, specs.Upwell, sandbox.UpwellCustomerAcme)["id"].(string)

	a := call(t, srv, specs.Upwell, http.MethodGet, upwellPath+"/"+id, "")
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	assert.Equal(t, "Acme Corp", a.json(t)["customer"].(map[string]any)["name"])

	a = call(t, srv, specs.Upwell, http.MethodGet, upwellPath+"/no-such-id", "")
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	assert.JSONEq(t, `{"customer":null}`, string(a.body))

	req := request(t, srv, specs.Upwell, http.MethodGet, upwellPath+"/"+id, "")
	req.Header.Set("Authorization", "not-the-key")
	assert.Equal(t, http.StatusUnauthorized, send(t, srv, req).status)
}
