package specs_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/specs"
)

// vendorDoc is what one vendor doc in shared/vendors/*-update-customer.txt
// shows, transcribed field by field, so a spec edit that drops or retypes
// something the vendor documents fails here.
type vendorDoc struct {
	vendor       specs.Vendor
	server       string
	method, path string
	pathParams   map[string]string // name -> type[:format]
	queryParams  map[string]string
	request      map[string]string // dotted field path -> type[:format]; "any" = untyped
	responses    map[string]map[string]string
	statuses     []string
	authHeaders  []string // every one required together on each call
	basicAuth    bool
}

var vendorDocs = []vendorDoc{
	{
		vendor: specs.Upwell, server: "https://api.upwell.com",
		method: http.MethodPut, path: "/api/rest/customers",
		queryParams: map[string]string{"sourceSystem": "string", "sourceSystemId": "string"},
		request: map[string]string{
			"customerRulesInput": "object", "input": "object",
			"sourceSystem": "string", "sourceSystemId": "string",
			// The updatable scalar columns from the research notes.
			"input.name": "string", "input.emailAddress": "string", "input.ccEmailAddresses": "array",
			"input.ccEmailAddresses[]": "string", "input.billToCustomerId": "string", "input.metadata": "any",
			"customerRulesInput.dueOption": "integer",
		},
		responses: map[string]map[string]string{"200": {
			"updateCustomer": "object", "updateCustomer.affectedRows": "integer",
			"updateCustomer.returning":                               "array",
			"updateCustomer.returning[].addresses":                   "array",
			"updateCustomer.returning[].addresses[].city":            "string",
			"updateCustomer.returning[].addresses[].country":         "string",
			"updateCustomer.returning[].addresses[].id":              "string",
			"updateCustomer.returning[].addresses[].stateOrProvince": "string",
			"updateCustomer.returning[].addresses[].streetLine1":     "string",
			"updateCustomer.returning[].addresses[].streetLine2":     "string",
			"updateCustomer.returning[].addresses[].type":            "string",
			"updateCustomer.returning[].addresses[].zipOrPostalCode": "string",
			"updateCustomer.returning[].balance":                     "integer",
			"updateCustomer.returning[].billToCustomerId":            "string",
			"updateCustomer.returning[].ccEmailAddresses[]":          "string",
			"updateCustomer.returning[].createdAt":                   "string:date-time",
			"updateCustomer.returning[].customerRule.dueOption":      "integer",
			"updateCustomer.returning[].customerRule.id":             "string",
			"updateCustomer.returning[].emailAddress":                "string",
			"updateCustomer.returning[].id":                          "string",
			"updateCustomer.returning[].metadata":                    "any",
			"updateCustomer.returning[].name":                        "string",
			"updateCustomer.returning[].overdueBalance":              "integer",
			"updateCustomer.returning[].overdueInvoiceCount":         "integer",
			"updateCustomer.returning[].sourceSystem":                "string",
			"updateCustomer.returning[].sourceSystemId":              "string",
			"updateCustomer.returning[].updatedAt":                   "string:date-time",
			"updateCustomerRules.affectedRows":                       "integer",
		}},
		// The error-codes page lists 200 201 400 401 403 404 409 422 429
		// 500 503; 201 is for creating, every other one an update can get.
		statuses:    []string{"200", "400", "401", "403", "404", "409", "422", "429", "500", "503"},
		authHeaders: []string{"Authorization"},
	},
	{
		vendor: specs.BlueTape, server: "https://api.bluetape.com/genericBthubService",
		method: http.MethodPut, path: "/integration/customer/{id}",
		pathParams: map[string]string{"id": "string"},
		request: map[string]string{
			"firstName": "string", "lastName": "string", "emailAddress": "string",
			"cellPhoneNumber": "string", "sourceModifiedDate": "string:date-time",
		},
		responses: map[string]map[string]string{
			"202": {"blueTapeId": "string"},
			"404": {"code": "string", "reason": "string"},
		},
		// 202 on this page; 200 and 201 on sibling endpoints' pages.
		statuses:    []string{"200", "201", "202", "400", "401", "404", "500"},
		authHeaders: []string{"X-BlueTape-Key", "X-Integration-AccountId"},
	},
	{
		vendor: specs.Billbee, server: "https://app.billbee.io",
		method: http.MethodPut, path: "/api/v1/customers/{id}",
		pathParams: map[string]string{"id": "integer:int64"},
		request:    billbeeDocFields(),
		responses: map[string]map[string]string{"200": {
			"ErrorMessage": "string", "ErrorCode": "integer", "Data": "object", "Data.Id": "integer:int64",
		}},
		statuses:    []string{"200", "400", "401", "403", "404", "429", "500"},
		authHeaders: []string{"X-Billbee-Api-Key"},
		basicAuth:   true,
	},
}

// billbeeDocFields is the "Request body fields" table of
// billbee-update-customer.txt.
func billbeeDocFields() map[string]string {
	f := map[string]string{
		"RestoredAt": "string", "Number": "integer", "Name": "string", "LanguageId": "integer",
		"Type": "integer", "Tel2": "string", "Tel1": "string", "Email": "string",
		"Id": "integer:int64", "VatId": "string", "PriceGroupId": "integer:int64",
		"ArchivedAt": "string", "MetaData": "array",
	}
	for _, obj := range []string{"DefaultFax", "DefaultStatusUpdatesMailAddress", "DefaultMailAddress",
		"DefaultCommercialMailAddress", "DefaultPhone1", "DefaultPhone2", "MetaData[]"} {
		if obj != "MetaData[]" {
			f[obj] = "object"
		}
		f[obj+".Id"] = "integer:int64"
		f[obj+".SubType"] = "string"
		f[obj+".TypeName"] = "string"
		f[obj+".TypeId"] = "integer"
		f[obj+".Value"] = "string"
	}
	return f
}

func TestEveryVendorDocFieldIsInTheSpec(t *testing.T) {
	for _, vd := range vendorDocs {
		t.Run(string(vd.vendor), func(t *testing.T) {
			doc := load(t, vd.vendor)
			assert.Equal(t, vd.server, doc.Servers[0].URL)
			item := doc.Paths.Find(vd.path)
			require.NotNil(t, item, "path %s", vd.path)
			op := item.GetOperation(vd.method)
			require.NotNil(t, op, "%s %s", vd.method, vd.path)

			params := append(openapi3.Parameters{}, item.Parameters...)
			params = append(params, op.Parameters...)
			for in, want := range map[string]map[string]string{"path": vd.pathParams, "query": vd.queryParams} {
				for name, typ := range want {
					p := params.GetByInAndName(in, name)
					if assert.NotNil(t, p, "%s parameter %s", in, name) {
						assertType(t, in+" "+name, p.Schema.Value, typ)
					}
				}
			}

			require.NotNil(t, op.RequestBody)
			mt := op.RequestBody.Value.Content.Get("application/json")
			require.NotNil(t, mt, "request body is application/json")
			for field, typ := range vd.request {
				assertType(t, "request "+field, schemaAt(t, mt.Schema.Value, field), typ)
			}
			for status, fields := range vd.responses {
				resp := op.Responses.Value(status)
				require.NotNil(t, resp, "response %s", status)
				body := resp.Value.Content.Get("application/json")
				require.NotNil(t, body, "response %s is application/json", status)
				for field, typ := range fields {
					assertType(t, "response "+status+" "+field, schemaAt(t, body.Schema.Value, field), typ)
				}
			}
			for _, status := range vd.statuses {
				assert.NotNil(t, op.Responses.Value(status), "status %s documented", status)
			}
			assertSecurity(t, doc, op, vd.authHeaders, vd.basicAuth)
		})
	}
}

// assertSecurity checks that the operation's one security requirement asks
// for every credential header (and Basic auth) together.
func assertSecurity(t *testing.T, doc *openapi3.T, op *openapi3.Operation, headers []string, basic bool) {
	t.Helper()
	reqs := doc.Security
	if op.Security != nil {
		reqs = *op.Security
	}
	require.Len(t, reqs, 1, "one requirement: every credential is needed together")
	var gotHeaders []string
	gotBasic := false
	for name := range reqs[0] {
		scheme := doc.Components.SecuritySchemes[name]
		require.NotNil(t, scheme, "scheme %s", name)
		switch s := scheme.Value; {
		case s.Type == "apiKey" && s.In == "header":
			gotHeaders = append(gotHeaders, s.Name)
		case s.Type == "http" && s.Scheme == "basic":
			gotBasic = true
		default:
			t.Errorf("unexpected scheme %s: %s", name, s.Type)
		}
	}
	assert.ElementsMatch(t, headers, gotHeaders)
	assert.Equal(t, basic, gotBasic)
}

// schemaAt follows a dotted path ("a.b[].c") through properties, array
// items and allOf.
func schemaAt(t *testing.T, s *openapi3.Schema, path string) *openapi3.Schema {
	t.Helper()
	for _, part := range strings.Split(path, ".") {
		name, isArray := strings.CutSuffix(part, "[]")
		s = property(s, name)
		require.NotNil(t, s, "%s: no %q", path, name)
		if isArray {
			require.True(t, s.Type.Is("array"), "%s: %q is an array", path, name)
			s = s.Items.Value
		}
	}
	return s
}

func property(s *openapi3.Schema, name string) *openapi3.Schema {
	if p, ok := s.Properties[name]; ok {
		return p.Value
	}
	for _, sub := range s.AllOf {
		if p := property(sub.Value, name); p != nil {
			return p
		}
	}
	return nil
}

func assertType(t *testing.T, what string, s *openapi3.Schema, want string) {
	t.Helper()
	typ, format, _ := strings.Cut(want, ":")
	if typ == "any" {
		assert.True(t, s.Type == nil || len(*s.Type) == 0, "%s: untyped", what)
		return
	}
	if len(s.AllOf) == 1 && s.Type == nil {
		s = s.AllOf[0].Value
	}
	assert.True(t, s.Type.Is(typ), "%s: want type %s, spec has %v", what, typ, s.Type)
	if format != "" {
		assert.Equal(t, format, s.Format, "%s: format", what)
	}
}
