package bluetape_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bluetape"
	"github.com/custsync/custsync/internal/vendortest"
	"github.com/custsync/custsync/specs"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/*.json")

const (
	apiKey    = "bt-sentinel-key-7c1e94"
	accountID = "bt-sentinel-account-42a9d3"
	basePath  = "/genericBthubService"
	okBody    = `{"blueTapeId":"fb5637b2e5f3"}`
)

// fullContact sets the five fields BlueTape requires, as its docs show them.
const fullContact = `{"id":"dc506b22c7fa","firstName":"John","lastName":"Doe","email":"john@example.com",
	"phone":"+11234567890","modifiedAt":"2023-01-04T09:47:57.477Z"`

// noRetries keeps these tests about how one answer is read; retries are
// tested in package adapter and against the sandbox.
var noRetries = adapter.WithMaxRetries(0)

func newClient(t *testing.T, srv *vendortest.Server, opts ...adapter.Option) *adapter.Client {
	t.Helper()
	c, err := bluetape.New(bluetape.Config{APIKey: apiKey, AccountID: accountID}, append([]adapter.Option{adapter.WithBaseURL(srv.URL()), noRetries}, opts...)...)
	require.NoError(t, err)
	return c
}

func parse(t *testing.T, s string) *adapter.CustomerUpdate {
	t.Helper()
	u, err := adapter.ParseCustomerUpdate([]byte(s))
	require.NoError(t, err)
	return u
}

// contact returns the full contact plus extra JSON members ("" for none).
func contact(t *testing.T, extra string) *adapter.CustomerUpdate {
	t.Helper()
	if extra != "" {
		extra = "," + extra
	}
	return parse(t, fullContact+extra+"}")
}

// withContact builds a full contact, then changes it.
func withContact(change func(*adapter.CustomerUpdate)) func(*testing.T) *adapter.CustomerUpdate {
	return func(t *testing.T) *adapter.CustomerUpdate {
		u := contact(t, "")
		change(u)
		return u
	}
}

func TestUpdateSendsTheWholeContactAsTheSpecSays(t *testing.T) {
	srv := vendortest.New(t, specs.BlueTape, basePath, vendortest.JSON(202, okBody))
	c := newClient(t, srv)

	res, err := c.Update(context.Background(), contact(t, ""))
	require.NoError(t, err)
	assert.Equal(t, "fb5637b2e5f3", res.VendorID, "the blueTapeId")
	assert.Equal(t, "dc506b22c7fa", res.ID, "the integrator's id")
	assert.Equal(t, 202, res.HTTPStatus)
	assert.Equal(t, 1, res.Attempts)
	assert.Equal(t, []string{"firstName", "lastName", "email", "phone", "modifiedAt"}, res.Sent)
	assert.Empty(t, res.Dropped)

	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "PUT", reqs[0].Method)
	assert.Equal(t, "/integration/customer/dc506b22c7fa", reqs[0].Path)
	assert.Equal(t, "updateCustomer", reqs[0].Operation)
	assert.Equal(t, apiKey, reqs[0].Header.Get("X-BlueTape-Key"))
	assert.Equal(t, accountID, reqs[0].Header.Get("X-Integration-AccountId"))
	assert.Equal(t, "application/json", reqs[0].Header.Get("Accept"))
	assert.Equal(t, "application/json", reqs[0].Header.Get("Content-Type"))

	golden := filepath.Join("testdata", "update-request.json")
	if *updateGolden {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(golden, append(append([]byte(nil), reqs[0].Body...), '\n'), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "go test ./adapter/bluetape -update writes it")
	assert.Equal(t, strings.TrimSuffix(string(want), "\n"), string(reqs[0].Body), "byte for byte, the date included")
}

func TestModifiedAtIsSentInUTCWithMilliseconds(t *testing.T) {
	tests := []struct {
		name string
		at   time.Time
		want string
	}{
		{"a UTC time with milliseconds is sent as BlueTape's docs show it", time.Date(2023, 1, 4, 9, 47, 57, 477_000_000, time.UTC), "2023-01-04T09:47:57.477Z"},
		{"an offset is converted to UTC", time.Date(2023, 1, 4, 10, 47, 57, 477_000_000, time.FixedZone("CET", 3600)), "2023-01-04T09:47:57.477Z"},
		{"whole seconds keep three digits", time.Date(2023, 1, 4, 9, 47, 57, 0, time.UTC), "2023-01-04T09:47:57.000Z"},
		{"trailing zeros are kept", time.Date(2023, 1, 4, 9, 47, 57, 470_000_000, time.UTC), "2023-01-04T09:47:57.470Z"},
		{"nanoseconds are truncated, never rounded into the future", time.Date(2023, 12, 31, 23, 59, 59, 999_999_999, time.UTC), "2023-12-31T23:59:59.999Z"},
		{"a date before the Unix epoch", time.Date(1969, 7, 20, 20, 17, 40, 0, time.FixedZone("EDT", -4*3600)), "1969-07-21T00:17:40.000Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vendortest.New(t, specs.BlueTape, basePath, vendortest.JSON(202, okBody))
			u := contact(t, "")
			u.ModifiedAt = adapter.Set(tt.at)
			_, err := newClient(t, srv).Update(context.Background(), u)
			require.NoError(t, err, "and the spec's date-time check passed")
			assert.Equal(t, tt.want, srv.Requests()[0].JSON(t)["sourceModifiedDate"])
		})
	}
}

func TestTheIDIsPathEscapedAndStillRoutes(t *testing.T) {
	tests := []struct{ name, id, path string }{
		{"a slash stays inside the segment", "C/1001", "/integration/customer/C%2F1001"},
		{"a space is escaped", "C 1001", "/integration/customer/C%201001"},
		{"query and fragment characters are escaped", "a?b#c", "/integration/customer/a%3Fb%23c"},
		{"a percent sign is escaped", "100%", "/integration/customer/100%25"},
		{"a traversal attempt stays one segment", "../company/X", "/integration/customer/..%2Fcompany%2FX"},
		{"non-ASCII is UTF-8 escaped", "Müller-1", "/integration/customer/M%C3%BCller-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vendortest.New(t, specs.BlueTape, basePath, vendortest.JSON(202, okBody))
			u := contact(t, "")
			u.ID = tt.id
			_, err := newClient(t, srv).Update(context.Background(), u)
			require.NoError(t, err)
			reqs := srv.Requests()
			require.Len(t, reqs, 1)
			assert.Equal(t, tt.path, reqs[0].Path)
			assert.Equal(t, "updateCustomer", reqs[0].Operation, "the spec's route matched")
			id, err := url.PathUnescape(strings.TrimPrefix(reqs[0].Path, "/integration/customer/"))
			require.NoError(t, err)
			assert.Equal(t, tt.id, id, "BlueTape gets the id back whole")
		})
	}
}

// URL resolution removes dot segments, which path escaping leaves alone:
// sent, "/integration/customer/.." would address another endpoint.
func TestDotSegmentIDsAreRefused(t *testing.T) {
	for _, id := range []string{".", "..", " .. "} {
		t.Run(fmt.Sprintf("the id %q is refused before any request", id), func(t *testing.T) {
			srv := vendortest.New(t, specs.BlueTape, basePath)
			u := contact(t, "")
			u.ID = id
			_, err := newClient(t, srv).Update(context.Background(), u)
			var e *adapter.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, adapter.InvalidArgument, e.Code)
			assert.Equal(t, "id", e.Field)
			assert.Empty(t, srv.Requests())
		})
	}
}

func TestAny2xxIsASuccess(t *testing.T) {
	tests := []struct {
		name   string
		answer vendortest.Response
	}{
		{"the documented 202", vendortest.JSON(202, okBody)},
		{"a 200, as sibling endpoints answer", vendortest.Response{Status: 200, Header: map[string]string{"Content-Type": "application/json"}, Body: okBody, OffSpec: true}},
		{"a 201, as sibling endpoints answer", vendortest.Response{Status: 201, Header: map[string]string{"Content-Type": "application/json"}, Body: okBody, OffSpec: true}},
		{"extra members in the receipt", vendortest.JSON(202, `{"blueTapeId":"fb5637b2e5f3","signUpUrl":"https://app.bluetape.com/x"}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vendortest.New(t, specs.BlueTape, basePath, tt.answer)
			res, err := newClient(t, srv).Update(context.Background(), contact(t, ""))
			require.NoError(t, err)
			assert.Equal(t, "fb5637b2e5f3", res.VendorID)
			assert.Equal(t, tt.answer.Status, res.HTTPStatus)
		})
	}
}

// A 2xx says BlueTape accepted the update; blueTapeId is only a receipt.
// Without one the update still succeeded, with an empty VendorID.
func TestA2xxWithoutAReceiptIsStillASuccess(t *testing.T) {
	tests := []struct {
		name   string
		answer vendortest.Response
	}{
		{"a 204 with no body", vendortest.Response{Status: 204, OffSpec: true}},
		{"a 202 with an empty body", vendortest.Response{Status: 202, Header: map[string]string{"Content-Type": "application/json"}, OffSpec: true}},
		{"an empty object", vendortest.Response{Status: 202, Header: map[string]string{"Content-Type": "application/json"}, Body: `{}`, OffSpec: true}},
		{"a numeric blueTapeId", vendortest.Response{Status: 202, Header: map[string]string{"Content-Type": "application/json"}, Body: `{"blueTapeId":7}`, OffSpec: true}},
		{"a null blueTapeId", vendortest.Response{Status: 202, Header: map[string]string{"Content-Type": "application/json"}, Body: `{"blueTapeId":null}`, OffSpec: true}},
		{"a JSON array", vendortest.Response{Status: 202, Header: map[string]string{"Content-Type": "application/json"}, Body: `[]`, OffSpec: true}},
		{"a JSON string", vendortest.Response{Status: 200, Header: map[string]string{"Content-Type": "application/json"}, Body: `"Accepted"`, OffSpec: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vendortest.New(t, specs.BlueTape, basePath, tt.answer)
			res, err := newClient(t, srv).Update(context.Background(), contact(t, ""))
			require.NoError(t, err)
			assert.Empty(t, res.VendorID)
			assert.Equal(t, tt.answer.Status, res.HTTPStatus)
			assert.Equal(t, []string{"firstName", "lastName", "email", "phone", "modifiedAt"}, res.Sent)
		})
	}
}

// BlueTape only speaks JSON: a 2xx that is not JSON at all most likely
// came from something else at the base URL, so success is not claimed.
func TestA2xxThatIsNotJSONIsInternal(t *testing.T) {
	tests := []struct {
		name   string
		answer vendortest.Response
	}{
		{"an HTML page", vendortest.Response{Status: 200, Header: map[string]string{"Content-Type": "text/html"}, Body: "<html><body>Welcome</body></html>", OffSpec: true}},
		{"garbled JSON", vendortest.Response{Status: 202, Header: map[string]string{"Content-Type": "application/json"}, Body: `{"blueTapeId":"fb56`, OffSpec: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vendortest.New(t, specs.BlueTape, basePath, tt.answer)
			res, err := newClient(t, srv).Update(context.Background(), contact(t, ""))
			assert.Nil(t, res)
			var e *adapter.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, adapter.Internal, e.Code)
			assert.Equal(t, tt.answer.Status, e.HTTPStatus)
			assert.Contains(t, e.Message, "may or may not have been applied")
			assert.NotEmpty(t, e.Body)
		})
	}
}

func TestThereIsNoPartialUpdateEveryContactFieldIsRequired(t *testing.T) {
	tests := []struct {
		field  string
		remove func(*adapter.CustomerUpdate)
	}{
		{"firstName", func(u *adapter.CustomerUpdate) { u.FirstName = adapter.Field[string]{} }},
		{"lastName", func(u *adapter.CustomerUpdate) { u.LastName = adapter.Field[string]{} }},
		{"email", func(u *adapter.CustomerUpdate) { u.Email = adapter.Field[string]{} }},
		{"phone", func(u *adapter.CustomerUpdate) { u.Phone = adapter.Field[string]{} }},
		{"modifiedAt", func(u *adapter.CustomerUpdate) { u.ModifiedAt = adapter.Field[time.Time]{} }},
	}
	for _, tt := range tests {
		t.Run("an update without "+tt.field+" is refused before any request", func(t *testing.T) {
			srv := vendortest.New(t, specs.BlueTape, basePath)
			_, err := newClient(t, srv).Update(context.Background(), withContact(tt.remove)(t))
			var e *adapter.Error
			require.ErrorAs(t, err, &e)
			assert.ErrorIs(t, err, adapter.InvalidArgument)
			assert.Equal(t, tt.field, e.Field)
			assert.Equal(t, "bluetape", e.Vendor)
			assert.Equal(t, tt.field+": BlueTape requires all five contact fields on every update (it replaces the contact) (missing: "+tt.field+")", e.Message)
			assert.Empty(t, srv.Requests())
		})
	}
}

func TestAContactFieldCannotBeCleared(t *testing.T) {
	tests := []struct {
		field string
		clear func(*adapter.CustomerUpdate)
	}{
		{"firstName", func(u *adapter.CustomerUpdate) { u.FirstName = adapter.Clear[string]() }},
		{"lastName", func(u *adapter.CustomerUpdate) { u.LastName = adapter.Clear[string]() }},
		{"email", func(u *adapter.CustomerUpdate) { u.Email = adapter.Clear[string]() }},
		{"phone", func(u *adapter.CustomerUpdate) { u.Phone = adapter.Clear[string]() }},
		{"modifiedAt", func(u *adapter.CustomerUpdate) { u.ModifiedAt = adapter.Clear[time.Time]() }},
	}
	for _, tt := range tests {
		t.Run("clearing "+tt.field+" is refused before any request", func(t *testing.T) {
			srv := vendortest.New(t, specs.BlueTape, basePath)
			_, err := newClient(t, srv).Update(context.Background(), withContact(tt.clear)(t))
			var e *adapter.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, adapter.InvalidArgument, e.Code)
			assert.Equal(t, tt.field, e.Field)
			assert.Equal(t, tt.field+": BlueTape cannot clear it; every contact field is required (cleared: "+tt.field+")", e.Message)
			assert.Empty(t, srv.Requests())
		})
	}
}

func TestTheErrorNamesTheFirstProblemAndListsThemAll(t *testing.T) {
	tests := []struct {
		name, update, field, message string
	}{
		{"only an e-mail", `{"id":"C-1","email":"john@example.com"}`, "firstName",
			"firstName: BlueTape requires all five contact fields on every update (it replaces the contact) (missing: firstName, lastName, phone, modifiedAt)"},
		{"a cleared name before a missing date", `{"id":"C-1","firstName":null,"lastName":"Doe","email":"john@example.com","phone":"+11234567890"}`, "firstName",
			"firstName: BlueTape cannot clear it; every contact field is required (missing: modifiedAt; cleared: firstName)"},
		{"everything cleared", `{"id":"C-1","firstName":null,"lastName":null,"email":null,"phone":null,"modifiedAt":null}`, "firstName",
			"firstName: BlueTape cannot clear it; every contact field is required (cleared: firstName, lastName, email, phone, modifiedAt)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vendortest.New(t, specs.BlueTape, basePath)
			_, err := newClient(t, srv).Update(context.Background(), parse(t, tt.update))
			var e *adapter.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, adapter.InvalidArgument, e.Code)
			assert.Equal(t, tt.field, e.Field)
			assert.Equal(t, tt.message, e.Message)
			assert.Empty(t, srv.Requests())
		})
	}
}

func TestFieldsBlueTapeCannotStoreFailBeforeAnyRequest(t *testing.T) {
	tests := []struct{ field, member string }{
		{"name", `"name":"Acme Corp"`},
		{"ccEmails", `"ccEmails":["cfo@acme.example"]`},
		{"vatId", `"vatId":"DE123456789"`},
		{"vatId", `"vatId":null`},
		{"metadata", `"metadata":{"tier":"gold"}`},
		{"sourceSystem", `"sourceSystem":"ACME"`},
		{"upwell.dueOption", `"upwell":{"dueOption":30}`},
		{"billbee.priceGroupId", `"billbee":{"priceGroupId":1}`},
	}
	for _, tt := range tests {
		t.Run("an update setting "+tt.member+" is refused naming "+tt.field, func(t *testing.T) {
			srv := vendortest.New(t, specs.BlueTape, basePath)
			_, err := newClient(t, srv).Update(context.Background(), contact(t, tt.member))
			var e *adapter.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, adapter.InvalidArgument, e.Code)
			assert.Equal(t, tt.field, e.Field)
			assert.Contains(t, e.Message, "bluetape cannot store "+tt.field)
			assert.Empty(t, srv.Requests())
		})
	}
}

func TestLenientModeDropsWhatBlueTapeCannotStoreAndSendsTheContact(t *testing.T) {
	srv := vendortest.New(t, specs.BlueTape, basePath, vendortest.JSON(202, okBody))
	c := newClient(t, srv)
	u := contact(t, `"name":"Acme Corp","vatId":"DE123456789","billbee":{"number":7}`)

	res, err := c.Update(context.Background(), u, adapter.WithLenient(true))
	require.NoError(t, err)
	assert.Equal(t, []string{"name", "vatId", "billbee.number"}, res.Dropped)
	assert.Equal(t, []string{"firstName", "lastName", "email", "phone", "modifiedAt"}, res.Sent)
	require.Len(t, srv.Requests(), 1)
	assert.JSONEq(t, `{"firstName":"John","lastName":"Doe","emailAddress":"john@example.com",
		"cellPhoneNumber":"+11234567890","sourceModifiedDate":"2023-01-04T09:47:57.477Z"}`, string(srv.Requests()[0].Body))

	// Lenient mode never hides a missing required field: all five are supported.
	srv = vendortest.New(t, specs.BlueTape, basePath)
	_, err = newClient(t, srv).Update(context.Background(), parse(t, `{"id":"C-1","name":"Acme","email":"john@example.com"}`), adapter.WithLenient(true))
	var e *adapter.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "firstName", e.Field)
	assert.Empty(t, srv.Requests())
}

// times repeats an answer the portable layer may retry, so the test holds
// whatever its retry policy.
func times(n int, r vendortest.Response) []vendortest.Response {
	out := make([]vendortest.Response, n)
	for i := range out {
		out[i] = r
	}
	return out
}

// loopbackHost is the test server's address in messages that name a URL.
var loopbackHost = regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+`)

func TestVendorFailuresBecomeTypedErrors(t *testing.T) {
	html := map[string]string{"Content-Type": "text/html"}
	tests := []struct {
		name       string
		answers    []vendortest.Response
		code       adapter.Code
		sentinel   error
		vendorCode string
		message    string
		retryable  bool
	}{
		{"an unknown customer is NotFound", []vendortest.Response{vendortest.JSON(404, `{"code":"404","reason":"Customer not found."}`)},
			adapter.NotFound, adapter.NotFound, "404", "Customer not found.", false},
		{"a 401 is PermissionDenied", []vendortest.Response{vendortest.JSON(401, `{"code":"401","reason":"Unauthorized."}`)},
			adapter.PermissionDenied, adapter.PermissionDenied, "401", "Unauthorized.", false},
		{"a 403 is PermissionDenied", []vendortest.Response{{Status: 403, Header: map[string]string{"Content-Type": "application/json"}, Body: `{"code":"403","reason":"Forbidden."}`, OffSpec: true}},
			adapter.PermissionDenied, adapter.PermissionDenied, "403", "Forbidden.", false},
		{"a 400 with a slug keeps the slug", []vendortest.Response{vendortest.JSON(400, `{"code":"invalid_cell_phone_number","reason":"Cell phone number is invalid."}`)},
			adapter.InvalidArgument, adapter.InvalidArgument, "invalid_cell_phone_number", "Cell phone number is invalid.", false},
		{"a 409 is FailedPrecondition", []vendortest.Response{{Status: 409, Header: map[string]string{"Content-Type": "application/json"}, Body: `{"code":"409","reason":"Customer already exists."}`, OffSpec: true}},
			adapter.FailedPrecondition, adapter.FailedPrecondition, "409", "Customer already exists.", false},
		{"an undocumented 429 is ResourceExhausted", times(3, vendortest.Response{Status: 429, Header: map[string]string{"Content-Type": "application/json", "Retry-After": "1"}, Body: `{"code":"429","reason":"Too many requests."}`, OffSpec: true}),
			adapter.ResourceExhausted, adapter.ResourceExhausted, "429", "Too many requests.", true},
		{"a 500 is Internal", times(3, vendortest.JSON(500, `{"code":"500","reason":"Unexpected error."}`)),
			adapter.Internal, adapter.Internal, "500", "Unexpected error.", true},
		{"an HTML 502 is Unavailable", times(3, vendortest.Response{Status: 502, Header: html, Body: "<html><body><h1>502 Bad Gateway</h1></body></html>", OffSpec: true}),
			adapter.Unavailable, adapter.Unavailable, "", "", true},
		{"an empty 503 is Unavailable", times(3, vendortest.Response{Status: 503, OffSpec: true}),
			adapter.Unavailable, adapter.Unavailable, "", "", true},
		{"an HTML 404 from a proxy is a wrong base URL, not a missing customer", []vendortest.Response{{Status: 404, Header: html, Body: "<html>Not Found</html>", OffSpec: true}},
			adapter.FailedPrecondition, adapter.FailedPrecondition, "", "BlueTape has no endpoint PUT http://HOST/genericBthubService/integration/customer/dc506b22c7fa (HTTP 404 without BlueTape's error body, not \"Customer not found.\"); check the base URL", false},
		{"a 404 that names no customer is a wrong base URL", []vendortest.Response{{Status: 404, Header: map[string]string{"Content-Type": "application/json"}, Body: `{"code":"404","reason":"Not found."}`, OffSpec: true}},
			adapter.FailedPrecondition, adapter.FailedPrecondition, "404", "BlueTape has no endpoint PUT http://HOST/genericBthubService/integration/customer/dc506b22c7fa (Not found., not \"Customer not found.\"); check the base URL", false},
		{"an empty 404 is a wrong base URL", []vendortest.Response{{Status: 404, OffSpec: true}},
			adapter.FailedPrecondition, adapter.FailedPrecondition, "", "BlueTape has no endpoint PUT http://HOST/genericBthubService/integration/customer/dc506b22c7fa (HTTP 404 without BlueTape's error body, not \"Customer not found.\"); check the base URL", false},
		{"an empty 401 is PermissionDenied", []vendortest.Response{{Status: 401, OffSpec: true}},
			adapter.PermissionDenied, adapter.PermissionDenied, "", "", false},
		{"garbled JSON on 400 leaves code and message empty", []vendortest.Response{{Status: 400, Header: map[string]string{"Content-Type": "application/json"}, Body: `{"code":"40`, OffSpec: true}},
			adapter.InvalidArgument, adapter.InvalidArgument, "", "", false},
		{"a numeric code is read as its digits", []vendortest.Response{{Status: 404, Header: map[string]string{"Content-Type": "application/json"}, Body: `{"code":404,"reason":"Customer not found."}`, OffSpec: true}},
			adapter.NotFound, adapter.NotFound, "404", "Customer not found.", false},
		{"a code of another type is ignored", []vendortest.Response{{Status: 400, Header: map[string]string{"Content-Type": "application/json"}, Body: `{"code":{"id":1},"reason":["a","b"]}`, OffSpec: true}},
			adapter.InvalidArgument, adapter.InvalidArgument, "", "", false},
		{"a JSON array body is ignored", []vendortest.Response{{Status: 400, Header: map[string]string{"Content-Type": "application/json"}, Body: `[{"code":"400"}]`, OffSpec: true}},
			adapter.InvalidArgument, adapter.InvalidArgument, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vendortest.New(t, specs.BlueTape, basePath, tt.answers...)
			res, err := newClient(t, srv).Update(context.Background(), contact(t, ""))
			assert.Nil(t, res)
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.sentinel)
			var e *adapter.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.code, e.Code, e.Error())
			assert.Equal(t, "bluetape", e.Vendor)
			assert.Equal(t, "updateCustomer", e.Operation)
			assert.Equal(t, tt.answers[0].Status, e.HTTPStatus)
			assert.Equal(t, tt.vendorCode, e.VendorCode)
			assert.Equal(t, tt.message, loopbackHost.ReplaceAllString(e.Message, "http://HOST"))
			assert.Equal(t, tt.retryable, e.Retryable)
			assert.GreaterOrEqual(t, e.Attempts, 1)
			assert.Equal(t, tt.answers[0].Body != "", e.Body != "", "a body excerpt is kept when there is a body")
			assert.NotEmpty(t, e.Error())
		})
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	srv := vendortest.New(t, specs.BlueTape, basePath, vendortest.Response{
		Status: 307, Header: map[string]string{"Location": "https://elsewhere.example/genericBthubService/integration/customer/dc506b22c7fa"}, OffSpec: true,
	})
	_, err := newClient(t, srv).Update(context.Background(), contact(t, ""))
	var e *adapter.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, adapter.FailedPrecondition, e.Code)
	assert.Equal(t, 307, e.HTTPStatus)
	assert.Contains(t, e.Error(), "elsewhere.example")
	assert.Contains(t, e.Error(), "redirects are not followed")
	assert.Len(t, srv.Requests(), 1, "only the original request was made")
}

func TestContextErrorsPassThroughUnwrapped(t *testing.T) {
	srv := vendortest.New(t, specs.BlueTape, basePath)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newClient(t, srv).Update(ctx, contact(t, ""))
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, adapter.Canceled, adapter.CodeOf(err))
	assert.Empty(t, srv.Requests())
}

func TestNeitherCredentialAppearsInErrorsConfigsOrLogs(t *testing.T) {
	const (
		key     = "SENTINEL-key-9f8e7d6c<&>"
		account = "SENTINEL-account-1a2b3c4d"
	)
	// Distinctive cores: any encoding or excerpt of a value contains them.
	cores := []string{key, account, "9f8e7d6c", "1a2b3c4d"}
	cfg := bluetape.Config{APIKey: key, AccountID: account}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	echoJSON := func(status int) func(vendortest.Request) vendortest.Response {
		return func(r vendortest.Request) vendortest.Response {
			body, _ := json.Marshal(map[string]string{
				"code":   r.Header.Get("X-Integration-AccountId"),
				"reason": "bad key " + r.Header.Get("X-BlueTape-Key") + " for account " + r.Header.Get("X-Integration-AccountId"),
			})
			return vendortest.Response{Status: status, Header: map[string]string{"Content-Type": "application/json"}, Body: string(body), OffSpec: true}
		}
	}
	echoHTML := func(r vendortest.Request) vendortest.Response {
		return vendortest.Response{Status: 502, Header: map[string]string{"Content-Type": "text/html"}, OffSpec: true,
			Body: "<html><pre>X-BlueTape-Key: " + r.Header.Get("X-BlueTape-Key") + "\nX-Integration-AccountId: " + r.Header.Get("X-Integration-AccountId") + "</pre></html>"}
	}
	html := map[string]string{"Content-Type": "text/html"}
	tests := []struct {
		name    string
		update  string
		answers []vendortest.Response
		echo    func(vendortest.Request) vendortest.Response
	}{
		{"a missing field", `{"id":"C-1","email":"john@example.com"}`, nil, nil},
		{"an unsupported field", "", nil, nil},
		{"a 404", "", []vendortest.Response{vendortest.JSON(404, `{"code":"404","reason":"Customer not found."}`)}, nil},
		{"a 401", "", []vendortest.Response{vendortest.JSON(401, `{"code":"401","reason":"Unauthorized."}`)}, nil},
		{"a 400 with a slug", "", []vendortest.Response{vendortest.JSON(400, `{"code":"invalid_email","reason":"Invalid request."}`)}, nil},
		{"a 429", "", times(3, vendortest.Response{Status: 429, OffSpec: true}), nil},
		{"a 500", "", times(3, vendortest.JSON(500, `{"code":"500","reason":"Unexpected error."}`)), nil},
		{"an HTML 502", "", times(3, vendortest.Response{Status: 502, Header: html, Body: "<html>bad gateway</html>", OffSpec: true}), nil},
		{"an empty 503", "", times(3, vendortest.Response{Status: 503, OffSpec: true}), nil},
		{"garbled JSON", "", []vendortest.Response{{Status: 400, Body: `{"code":`, OffSpec: true}}, nil},
		{"a numeric code", "", []vendortest.Response{{Status: 404, Body: `{"code":404}`, OffSpec: true}}, nil},
		{"HTML on a 2xx", "", []vendortest.Response{{Status: 200, Header: html, Body: "<html>hi</html>", OffSpec: true}}, nil},
		{"a redirect", "", []vendortest.Response{{Status: 307, Header: map[string]string{"Location": "https://elsewhere.example/"}, OffSpec: true}}, nil},
		{"a 401 echoing both headers in JSON", "", nil, echoJSON(401)},
		{"a 404 echoing both headers in JSON", "", nil, echoJSON(404)},
		{"a 502 echoing both headers in HTML", "", nil, echoHTML},
	}
	var seen []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vendortest.New(t, specs.BlueTape, basePath, tt.answers...)
			if tt.echo != nil {
				for range 3 {
					srv.Then(tt.echo)
				}
			}
			c, err := bluetape.New(cfg, adapter.WithBaseURL(srv.URL()), adapter.WithLogger(logger), noRetries)
			require.NoError(t, err)
			u := contact(t, "")
			switch {
			case tt.update != "":
				u = parse(t, tt.update)
			case tt.name == "an unsupported field":
				u = contact(t, `"vatId":"DE1"`)
			}
			_, err = c.Update(context.Background(), u)
			require.Error(t, err)
			var e *adapter.Error
			require.ErrorAs(t, err, &e, "a typed error, never a panic")
			seen = append(seen, err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", *e),
				e.Message, e.Body, e.VendorCode, e.RequestID, fmt.Sprint(c))
		})
	}
	cfgJSON, err := json.Marshal(cfg)
	require.NoError(t, err)
	seen = append(seen, fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), string(cfgJSON), logs.String())
	for _, s := range seen {
		for _, core := range cores {
			assert.NotContains(t, s, core)
		}
	}
	assert.Contains(t, logs.String(), "custsync attempt", "the attempts were logged at Debug")
	assert.Contains(t, logs.String(), "[REDACTED]", "the echoes were scrubbed, not lost")
}

func TestBaseURLsMustBeHTTPSExceptOnLoopback(t *testing.T) {
	tests := []struct {
		name, baseURL string
		ok            bool
	}{
		{"plain http to a remote host is refused", "http://example.com/genericBthubService", false},
		{"https to a remote host is accepted", "https://example.com/genericBthubService", true},
		{"the sandbox is accepted", bluetape.SandboxBaseURL, true},
		{"plain http to loopback is accepted", "http://127.0.0.1:8080/genericBthubService", true},
		{"credentials in the URL are refused", "https://user:pw@example.com/genericBthubService", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := bluetape.New(bluetape.Config{APIKey: apiKey, AccountID: accountID}, adapter.WithBaseURL(tt.baseURL))
			if tt.ok {
				require.NoError(t, err)
				assert.Equal(t, tt.baseURL, c.BaseURL())
				return
			}
			var e *adapter.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, adapter.InvalidArgument, e.Code)
			assert.Equal(t, "baseURL", e.Field)
			assert.Equal(t, "bluetape", e.Vendor)
		})
	}

	c, err := bluetape.New(bluetape.Config{APIKey: apiKey, AccountID: accountID})
	require.NoError(t, err)
	assert.Equal(t, bluetape.DefaultBaseURL, c.BaseURL(), "production by default")
	assert.Equal(t, "bluetape", c.Vendor())
}

func TestTheBaseURLsAreTheSpecsServers(t *testing.T) {
	doc, err := specs.Load(context.Background(), specs.BlueTape)
	require.NoError(t, err)
	require.Len(t, doc.Servers, 2)
	assert.Equal(t, doc.Servers[0].URL, bluetape.DefaultBaseURL)
	assert.Equal(t, doc.Servers[1].URL, bluetape.SandboxBaseURL)
}

func TestNewRefusesUnusableCredentials(t *testing.T) {
	tests := []struct {
		name  string
		cfg   bluetape.Config
		field string
	}{
		{"an empty key", bluetape.Config{AccountID: accountID}, "APIKey"},
		{"a blank key", bluetape.Config{APIKey: "   ", AccountID: accountID}, "APIKey"},
		{"an empty account id", bluetape.Config{APIKey: apiKey}, "AccountID"},
		{"a key with a trailing newline", bluetape.Config{APIKey: apiKey + "\n", AccountID: accountID}, "APIKey"},
		{"an account id with a control character", bluetape.Config{APIKey: apiKey, AccountID: "acct\x00" + accountID}, "AccountID"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused naming "+tt.field, func(t *testing.T) {
			c, err := bluetape.New(tt.cfg)
			assert.Nil(t, c)
			var e *adapter.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, adapter.InvalidArgument, e.Code)
			assert.Equal(t, tt.field, e.Field)
			assert.NotContains(t, err.Error(), apiKey)
			assert.NotContains(t, err.Error(), accountID)
		})
	}
}

func TestFromEnvNeedsBothVariables(t *testing.T) {
	tests := []struct {
		name, key, account, missing string
	}{
		{"a missing account id is named", apiKey, "", bluetape.EnvAccountID},
		{"a missing key is named", "", accountID, bluetape.EnvAPIKey},
		{"a blank account id is missing", apiKey, "  ", bluetape.EnvAccountID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(bluetape.EnvAPIKey, tt.key)
			t.Setenv(bluetape.EnvAccountID, tt.account)
			c, err := bluetape.FromEnv()
			assert.Nil(t, c)
			var e *adapter.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, adapter.InvalidArgument, e.Code)
			assert.Equal(t, tt.missing, e.Field)
			assert.Contains(t, err.Error(), tt.missing)
		})
	}

	t.Run("both set configure a working client", func(t *testing.T) {
		t.Setenv(bluetape.EnvAPIKey, apiKey)
		t.Setenv(bluetape.EnvAccountID, accountID)
		srv := vendortest.New(t, specs.BlueTape, basePath, vendortest.JSON(202, okBody))
		c, err := bluetape.FromEnv(adapter.WithBaseURL(srv.URL()))
		require.NoError(t, err)
		_, err = c.Update(context.Background(), contact(t, ""))
		require.NoError(t, err)
		assert.Equal(t, apiKey, srv.Requests()[0].Header.Get("X-BlueTape-Key"))
		assert.Equal(t, accountID, srv.Requests()[0].Header.Get("X-Integration-AccountId"))
	})
}

func TestFieldsListsOnlyWhatBlueTapeStores(t *testing.T) {
	c, err := bluetape.New(bluetape.Config{APIKey: apiKey, AccountID: accountID})
	require.NoError(t, err)
	got := map[string]string{}
	for _, m := range c.Fields() {
		got[m.Field] = m.VendorField
	}
	assert.Equal(t, map[string]string{
		"id": "{id} (path)", "firstName": "firstName", "lastName": "lastName",
		"email": "emailAddress", "phone": "cellPhoneNumber", "modifiedAt": "sourceModifiedDate",
	}, got)
}
