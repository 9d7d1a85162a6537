package sandbox_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

const blueTapeContact = `{"firstName":"Johnny","lastName":"Doe-Smith","emailAddress":"johnny@example.com",` +
	`"cellPhoneNumber":"+15550100200","sourceModifiedDate":"2026-01-02T03:04:05.678Z"}`

func blueTapePath(id string) string { return "/integration/customer/" + id }

func TestBlueTapeReplacesTheWholeContact(t *testing.T) {
	srv := newServer(t)

	a := call(t, srv, specs.BlueTape, http.MethodPut, blueTapePath(sandbox.BlueTapeCustomerJohn), blueTapeContact)

	require.Equal(t, http.StatusAccepted, a.status, "%s", a.body)
	assert.JSONEq(t, `{"blueTapeId":"`+sandbox.BlueTapeCustomerJohnBlueTapeID+`"}`, string(a.body))
	assert.Equal(t, map[string]any{
		"id":                 sandbox.BlueTapeCustomerJohn,
		"blueTapeId":         sandbox.BlueTapeCustomerJohnBlueTapeID,
		"firstName":          "Johnny",
		"lastName":           "Doe-Smith",
		"emailAddress":       "johnny@example.com",
		"cellPhoneNumber":    "+15550100200",
		"sourceModifiedDate": "2026-01-02T03:04:05.678Z",
	}, customer(t, srv, specs.BlueTape, sandbox.BlueTapeCustomerJohn))
	assert.Equal(t, "Jane", customer(t, srv, specs.BlueTape, sandbox.BlueTapeCustomerJane)["firstName"], "other customers are untouched")
}

func TestBlueTapeAnswers404ForAnUnknownCustomer(t *testing.T) {
	srv := newServer(t)

	a := call(t, srv, specs.BlueTape, http.MethodPut, blueTapePath("no-such-customer"), blueTapeContact)

	require.Equal(t, http.StatusNotFound, a.status)
	assert.JSONEq(t, `{"code":"404","reason":"Customer not found."}`, string(a.body))
}

func TestBlueTapeRejectsBadRequestsInItsErrorForm(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		reason string
	}{
		{"an unknown field such as a nickname", strings.Replace(blueTapeContact, `{`, `{"nickname":"JD",`, 1), "nickname"},
		{"a missing required field", strings.Replace(blueTapeContact, `"firstName":"Johnny",`, "", 1), "firstName"},
		{"an empty required field", strings.Replace(blueTapeContact, `"Johnny"`, `""`, 1), "firstName"},
		{"a wrong type", strings.Replace(blueTapeContact, `"Doe-Smith"`, `42`, 1), "lastName"},
		{"a date that is not a date-time", strings.Replace(blueTapeContact, `2026-01-02T03:04:05.678Z`, `02/01/2026`, 1), "sourceModifiedDate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)

			a := call(t, srv, specs.BlueTape, http.MethodPut, blueTapePath(sandbox.BlueTapeCustomerJohn), tt.body)

			require.Equal(t, http.StatusBadRequest, a.status, "%s", a.body)
			got := a.json(t)
			assert.Equal(t, "400", got["code"])
			assert.Contains(t, got["reason"], tt.reason)
			assert.Equal(t, "John", customer(t, srv, specs.BlueTape, sandbox.BlueTapeCustomerJohn)["firstName"])
		})
	}
}

func TestBlueTapeRejectsBadCredentialsWithA401(t *testing.T) {
	tests := []struct {
		name   string
		header func(http.Header)
	}{
		{"without X-BlueTape-Key", func(h http.Header) { h.Del("X-BlueTape-Key") }},
		{"without X-Integration-AccountId", func(h http.Header) { h.Del("X-Integration-AccountId") }},
		{"with a wrong key", func(h http.Header) { h.Set("X-BlueTape-Key", "wrong") }},
		{"with a wrong account id", func(h http.Header) { h.Set("X-Integration-AccountId", "wrong") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			req := request(t, srv, specs.BlueTape, http.MethodPut, blueTapePath(sandbox.BlueTapeCustomerJohn), blueTapeContact)
			tt.header(req.Header)

			a := send(t, srv, req)

			require.Equal(t, http.StatusUnauthorized, a.status)
			assert.JSONEq(t, `{"code":"401","reason":"Unauthorized."}`, string(a.body))
		})
	}
}

func TestBlueTapeAnswersASignUpLinkOrCustomerNotFound(t *testing.T) {
	srv := newServer(t)

	a := call(t, srv, specs.BlueTape, http.MethodGet, blueTapePath(sandbox.BlueTapeCustomerJohn)+"/signup", "")
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	assert.Contains(t, a.json(t)["signUpUrl"], sandbox.BlueTapeCustomerJohnBlueTapeID)

	a = call(t, srv, specs.BlueTape, http.MethodGet, blueTapePath("no-such-customer")+"/signup", "")
	require.Equal(t, http.StatusNotFound, a.status)
	assert.JSONEq(t, `{"code":"404","reason":"Customer not found."}`, string(a.body))

	req := request(t, srv, specs.BlueTape, http.MethodGet, blueTapePath(sandbox.BlueTapeCustomerJohn)+"/signup", "")
	req.Header.Set("X-BlueTape-Key", "wrong")
	assert.Equal(t, http.StatusUnauthorized, send(t, srv, req).status)
}
