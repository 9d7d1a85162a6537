package sandbox_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

func billbeePath(id int64) string { return "/api/v1/customers/" + strconv.FormatInt(id, 10) }

// billbeeData checks the envelope of a successful answer and returns Data.
func billbeeData(t *testing.T, a answer) map[string]any {
	t.Helper()
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	got := a.json(t)
	require.Contains(t, got, "ErrorMessage")
	assert.Nil(t, got["ErrorMessage"])
	assert.Equal(t, json.Number("0"), got["ErrorCode"])
	assert.Equal(t, "NoError", got["ErrorDescription"])
	data, ok := got["Data"].(map[string]any)
	require.True(t, ok, "Data is an object: %s", a.body)
	return data
}

func TestBillbeeGetAnswersTheEnvelope(t *testing.T) {
	tests := []struct {
		name  string
		id    int64
		check func(t *testing.T, data map[string]any)
	}{
		{
			name: "the PHP SDK fixture customer comes whole, with type names",
			id:   sandbox.BillbeeCustomerMax,
			check: func(t *testing.T, data map[string]any) {
				assert.Equal(t, json.Number("100000150176895"), data["Id"], "an int64 id survives exactly")
				assert.Equal(t, "Max", data["Name"])
				assert.Equal(t, json.Number("1818"), data["PriceGroupId"])
				assert.Equal(t, json.Number("3"), data["LanguageId"])
				assert.Equal(t, json.Number("0"), data["Type"])
				assert.Equal(t, map[string]any{
					"Id": json.Number("208297764"), "TypeId": json.Number("1"), "TypeName": "EMail", "SubType": "", "Value": "max@mustermann.tld",
				}, data["DefaultMailAddress"])
				assert.Equal(t, "Phone", data["DefaultFax"].(map[string]any)["TypeName"])
				assert.Len(t, data["MetaData"], 2)
				assert.Nil(t, data["ArchivedAt"])
			},
		},
		{
			name: "unset scalars and Default objects of the sparse customer are null",
			id:   sandbox.BillbeeCustomerSparse,
			check: func(t *testing.T, data map[string]any) {
				for _, field := range []string{"Tel1", "Tel2", "PriceGroupId", "LanguageId", "VatId", "Type",
					"DefaultMailAddress", "DefaultCommercialMailAddress", "DefaultStatusUpdatesMailAddress",
					"DefaultPhone1", "DefaultPhone2", "DefaultFax", "MetaData"} {
					require.Contains(t, data, field, "null fields are sent, not left out")
					assert.Nil(t, data[field], field)
				}
				assert.Equal(t, json.Number("676746376"), data["Number"])
			},
		},
		{
			name: "dates come without an offset, as stored",
			id:   sandbox.BillbeeCustomerArchived,
			check: func(t *testing.T, data map[string]any) {
				assert.Equal(t, "2021-08-21T13:00:33.23", data["ArchivedAt"])
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			tt.check(t, billbeeData(t, call(t, srv, specs.Billbee, http.MethodGet, billbeePath(tt.id), "")))
		})
	}
}

// billbee-csharp-sdk issue 83: Billbee answers an unknown id with a 404
// that has no body (the SDK prints "HTTP Response: NotFound: -").
func TestBillbeeAnswersAnUnknownCustomerWithABodylessNotFound(t *testing.T) {
	srv := newServer(t)

	for _, method := range []string{http.MethodGet, http.MethodPut} {
		body := ""
		if method == http.MethodPut {
			body = `{"Name":"Nobody"}`
		}
		a := call(t, srv, specs.Billbee, method, billbeePath(123456789), body)

		assert.Equal(t, http.StatusNotFound, a.status, method)
		assert.Empty(t, a.body, method)
	}
}

func TestBillbeePutReplacesTheRecord(t *testing.T) {
	srv := newServer(t)

	a := call(t, srv, specs.Billbee, http.MethodPut, billbeePath(sandbox.BillbeeCustomerMax), `{"Name":"Maximilian"}`)

	data := billbeeData(t, a)
	assert.Equal(t, "Maximilian", data["Name"])
	assert.Equal(t, json.Number("100000150176895"), data["Id"], "the id comes from the path")
	for _, field := range []string{"Email", "Tel1", "Number", "PriceGroupId", "LanguageId", "VatId", "Type",
		"DefaultMailAddress", "DefaultPhone1", "MetaData"} {
		assert.Nil(t, data[field], "%s was not sent, so it is blanked", field)
	}
	assert.Equal(t, data, customer(t, srv, specs.Billbee, strconv.FormatInt(sandbox.BillbeeCustomerMax, 10)))
}

func TestBillbeeReadModifyWriteKeepsEverything(t *testing.T) {
	srv := newServer(t)
	path := billbeePath(sandbox.BillbeeCustomerMax)
	read := billbeeData(t, call(t, srv, specs.Billbee, http.MethodGet, path, ""))

	// What a careful driver sends: the record as read, with the change,
	// minus the read-only TypeName and the archive dates.
	write := stripTypeNames(read)
	write["Name"] = "Maximilian"
	delete(write, "ArchivedAt")
	delete(write, "RestoredAt")
	body, err := json.Marshal(write)
	require.NoError(t, err)

	data := billbeeData(t, call(t, srv, specs.Billbee, http.MethodPut, path, string(body)))

	read["Name"] = "Maximilian"
	assert.Equal(t, read, data, "only the name changed; Default* and MetaData keep their Ids")
	assert.Equal(t, data, billbeeData(t, call(t, srv, specs.Billbee, http.MethodGet, path, "")))
}

// stripTypeNames returns a copy of v without the read-only TypeName keys.
func stripTypeNames(v map[string]any) map[string]any {
	return stripTypeNamesFrom(v).(map[string]any)
}

func stripTypeNamesFrom(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if k != "TypeName" {
				out[k] = stripTypeNamesFrom(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = stripTypeNamesFrom(e)
		}
		return out
	default:
		return v
	}
}

func TestBillbeeGivesNewIdsToMetaDataSentWithoutOne(t *testing.T) {
	srv := newServer(t)

	data := billbeeData(t, call(t, srv, specs.Billbee, http.MethodPut, billbeePath(sandbox.BillbeeCustomerSparse),
		`{"Name":"N","DefaultMailAddress":{"TypeId":1,"Value":"n@example.com"},"MetaData":[{"Id":5,"TypeId":2,"Value":"123"}]}`))

	mail := data["DefaultMailAddress"].(map[string]any)
	assert.NotNil(t, mail["Id"])
	assert.Equal(t, "EMail", mail["TypeName"])
	assert.Equal(t, json.Number("5"), data["MetaData"].([]any)[0].(map[string]any)["Id"])
}

func TestBillbeeRefusesToModifyAnArchivedCustomer(t *testing.T) {
	srv := newServer(t)
	id := strconv.FormatInt(sandbox.BillbeeCustomerArchived, 10)
	before := customer(t, srv, specs.Billbee, id)

	a := call(t, srv, specs.Billbee, http.MethodPut, billbeePath(sandbox.BillbeeCustomerArchived), `{"Name":"Erika M."}`)

	require.Equal(t, http.StatusOK, a.status, "the refusal is inside a 200")
	assert.JSONEq(t, `{"ErrorMessage":"Customer is archived and cannot be modified","ErrorCode":11,"ErrorDescription":"InvalidData","Data":null}`, string(a.body))
	assert.Equal(t, before, customer(t, srv, specs.Billbee, id))
}

// The official PHP SDK sends TypeName on contact entries
// (billbeeio/billbee-php-sdk tests/fixtures/Model/customer.json) and Billbee
// accepts it; ASP.NET's binder ignores members it does not know.
func TestBillbeeAcceptsTypeNameAndUnknownFieldsInAPut(t *testing.T) {
	srv := newServer(t)
	a := call(t, srv, specs.Billbee, http.MethodPut, billbeePath(sandbox.BillbeeCustomerMax),
		`{"Name":"Max","Nickname":"M","DefaultMailAddress":{"Id":208297764,"TypeId":1,"TypeName":"EMail","Value":"m@x.tld","Verified":true}}`)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	got := customer(t, srv, specs.Billbee, strconv.FormatInt(sandbox.BillbeeCustomerMax, 10))
	assert.Equal(t, "Max", got["Name"])
	assert.Equal(t, "m@x.tld", got["DefaultMailAddress"].(map[string]any)["Value"])
	assert.NotContains(t, got, "Nickname", "fields Billbee does not know are not stored")
}

func TestBillbeeRejectsBadRequestsWithModelState(t *testing.T) {
	tests := []struct {
		name string
		path string
		body string
		key  string
		msg  string
	}{
		{"a Number sent as a string", billbeePath(sandbox.BillbeeCustomerMax), `{"Name":"Max","Number":"1"}`, "model", "Number"},
		{"a non-numeric id", "/api/v1/customers/abc", `{"Name":"Max"}`, "model", "id"},
		{"an id of zero", "/api/v1/customers/0", `{"Name":"Max"}`, "model", "id"},
		{"a body id that is not the path id", billbeePath(sandbox.BillbeeCustomerMax), `{"Id":7674534536,"Name":"Max"}`, "model.Id", "does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			id := strconv.FormatInt(sandbox.BillbeeCustomerMax, 10)
			before := customer(t, srv, specs.Billbee, id)

			a := call(t, srv, specs.Billbee, http.MethodPut, tt.path, tt.body)

			require.Equal(t, http.StatusBadRequest, a.status, "%s", a.body)
			got := a.json(t)
			assert.Equal(t, "The request is invalid.", got["Message"])
			messages, ok := got["ModelState"].(map[string]any)[tt.key].([]any)
			require.True(t, ok, "ModelState has %q: %s", tt.key, a.body)
			require.Len(t, messages, 1)
			assert.Contains(t, messages[0], tt.msg)
			assert.Equal(t, before, customer(t, srv, specs.Billbee, id))
		})
	}
}

func TestBillbeeRejectsBadCredentialsWithA401(t *testing.T) {
	tests := []struct {
		name   string
		header func(*http.Request)
	}{
		{"without the API key", func(r *http.Request) { r.Header.Del("X-Billbee-Api-Key") }},
		{"without Basic credentials", func(r *http.Request) { r.Header.Del("Authorization") }},
		{"with a wrong API key", func(r *http.Request) { r.Header.Set("X-Billbee-Api-Key", "wrong") }},
		{"with a wrong API password", func(r *http.Request) { r.SetBasicAuth(sandbox.BillbeeUsername, "wrong") }},
		{"with another user", func(r *http.Request) { r.SetBasicAuth("someone@else.example", sandbox.BillbeeAPIPassword) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			req := request(t, srv, specs.Billbee, http.MethodGet, billbeePath(sandbox.BillbeeCustomerMax), "")
			tt.header(req)

			a := send(t, srv, req)

			require.Equal(t, http.StatusUnauthorized, a.status)
			assert.JSONEq(t, `{"Message":"Authorization has been denied for this request."}`, string(a.body))
		})
	}
}

func TestBillbeeAcceptsTheUsernameInAnyCase(t *testing.T) {
	srv := newServer(t)
	req := request(t, srv, specs.Billbee, http.MethodGet, billbeePath(sandbox.BillbeeCustomerMax), "")
	req.SetBasicAuth(strings.ToUpper(sandbox.BillbeeUsername), sandbox.BillbeeAPIPassword)

	assert.Equal(t, http.StatusOK, send(t, srv, req).status)
}
