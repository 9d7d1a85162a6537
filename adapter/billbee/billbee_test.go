package billbee_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/billbee"
	"github.com/custsync/custsync/internal/vendortest"
	"github.com/custsync/custsync/specs"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const (
	apiKey       = "billbee-test-key-7d2e"
	username     = "shop@example.com"
	password     = "billbee-test-password-91ac"
	customerID   = "100000150176895" // the PHP SDK fixture customer
	customerPath = "/api/v1/customers/100000150176895"
)

// noRetries keeps these tests about how one answer is read; retries are
// tested in package adapter and against the sandbox.
var noRetries = adapter.WithMaxRetries(0)

// unpaced lets these tests run faster than Billbee's 2 requests/s; pacing
// is tested against the throttled sandbox (throttle_test.go).
var unpaced = adapter.WithRateLimiter(nil)

func newClient(t *testing.T, baseURL string, opts ...adapter.Option) *adapter.Client {
	t.Helper()
	c, err := billbee.New(billbee.Config{APIKey: apiKey, Username: username, APIPassword: password},
		append([]adapter.Option{adapter.WithBaseURL(baseURL), noRetries, unpaced}, opts...)...)
	require.NoError(t, err)
	return c
}

// specResponseExample returns an example of a response in specs/billbee.yaml
// as JSON, so the tests answer with exactly what the spec documents.
func specResponseExample(t *testing.T, response, name string) string {
	t.Helper()
	doc, err := specs.Load(context.Background(), specs.Billbee)
	require.NoError(t, err)
	ref := doc.Components.Responses[response]
	require.NotNil(t, ref, "response %s", response)
	ex := ref.Value.Content.Get("application/json").Examples[name]
	require.NotNil(t, ex, "example %s of %s", name, response)
	b, err := json.Marshal(ex.Value.Value)
	require.NoError(t, err)
	return string(b)
}

// specRequestExample returns an example of the PUT body in specs/billbee.yaml.
func specRequestExample(t *testing.T, name string) map[string]any {
	t.Helper()
	doc, err := specs.Load(context.Background(), specs.Billbee)
	require.NoError(t, err)
	put := doc.Paths.Value("/api/v1/customers/{id}").Put
	ex := put.RequestBody.Value.Content.Get("application/json").Examples[name]
	require.NotNil(t, ex, "request example %s", name)
	b, err := json.Marshal(ex.Value.Value)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

// withoutTypeName drops TypeName from every contact entry of a customer.
func withoutTypeName(c map[string]any) map[string]any {
	for _, v := range c {
		switch v := v.(type) {
		case map[string]any:
			delete(v, "TypeName")
		case []any:
			for _, e := range v {
				if e, ok := e.(map[string]any); ok {
					delete(e, "TypeName")
				}
			}
		}
	}
	return c
}

func phpSdkCustomer(t *testing.T) vendortest.Response {
	t.Helper()
	return vendortest.JSON(200, specResponseExample(t, "CustomerEnvelope", "phpSdkFixture"))
}

// saved answers a PUT the way Billbee does: the envelope around the customer.
func saved(r vendortest.Request) vendortest.Response {
	return vendortest.JSON(200, `{"ErrorMessage":null,"ErrorCode":0,"ErrorDescription":"NoError","Data":`+string(r.Body)+`}`)
}

func putBody(t *testing.T, srv *vendortest.Server) map[string]any {
	t.Helper()
	reqs := srv.Requests()
	require.Len(t, reqs, 2, "a read, then a write")
	require.Equal(t, "Customer_Update", reqs[1].Operation)
	return reqs[1].JSON(t)
}

func asError(t *testing.T, err error) *adapter.Error {
	t.Helper()
	require.Error(t, err)
	var e *adapter.Error
	require.True(t, errors.As(err, &e), "want *adapter.Error, got %T: %v", err, err)
	return e
}

func TestUpdateWritesEverySupportedFieldOverTheCustomerAsRead(t *testing.T) {
	srv := vendortest.New(t, specs.Billbee, "", phpSdkCustomer(t)).Then(saved)
	c := newClient(t, srv.URL())
	u := &adapter.CustomerUpdate{
		ID:    customerID,
		Name:  adapter.Set("Max Mustermann"),
		Email: adapter.Set("max@example.com"),
		Phone: adapter.Set("+49 30 123456"),
		VATID: adapter.Set("DE123456789"),
		Billbee: &adapter.BillbeeFields{
			PriceGroupID: adapter.Set[int64](2020),
			LanguageID:   adapter.Set[int32](1),
			Type:         adapter.Set[int32](1),
			Number:       adapter.Set[int32](42),
		},
	}

	res, err := c.Update(context.Background(), u)
	require.NoError(t, err)
	assert.Equal(t, "billbee", res.Vendor)
	assert.Equal(t, customerID, res.ID)
	assert.Equal(t, customerID, res.VendorID)
	assert.Equal(t, 200, res.HTTPStatus)
	assert.Equal(t, 2, res.Attempts, "GET + PUT")
	assert.Equal(t, []string{"name", "email", "phone", "vatId", "billbee.priceGroupId", "billbee.languageId", "billbee.type", "billbee.number"}, res.Sent)
	assert.Empty(t, res.Dropped)

	reqs := srv.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "Customer_GetOne", reqs[0].Operation)
	assert.Equal(t, http.MethodGet, reqs[0].Method)
	assert.Equal(t, "Customer_Update", reqs[1].Operation)
	assert.Equal(t, http.MethodPut, reqs[1].Method)
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(username+":"+password))
	for _, r := range reqs {
		assert.Equal(t, customerPath, r.Path)
		assert.Equal(t, apiKey, r.Header.Get("X-Billbee-Api-Key"), "%s carries the API key", r.Operation)
		assert.Equal(t, basic, r.Header.Get("Authorization"), "%s carries HTTP Basic", r.Operation)
		assert.Equal(t, "application/json", r.Header.Get("Accept"), "%s asks for JSON, not XML", r.Operation)
	}
	assert.Equal(t, "application/json", reqs[1].Header.Get("Content-Type"))
	assert.JSONEq(t, `{
		"Id": 100000150176895,
		"Name": "Max Mustermann", "Email": "max@example.com", "Tel1": "+49 30 123456", "Tel2": "12345",
		"Number": 42, "PriceGroupId": 2020, "LanguageId": 1, "VatId": "DE123456789", "Type": 1,
		"DefaultMailAddress": {"Id": 208297764, "TypeId": 1, "SubType": "", "Value": "max@mustermann.tld"},
		"DefaultCommercialMailAddress": {"Id": 208297764, "TypeId": 1, "SubType": "", "Value": "max@mustermann.tld"},
		"DefaultStatusUpdatesMailAddress": {"Id": 208297764, "TypeId": 1, "SubType": "", "Value": "max@mustermann.tld"},
		"DefaultPhone1": {"Id": 208297765, "TypeId": 2, "SubType": "", "Value": "12345"},
		"DefaultPhone2": {"Id": 208297765, "TypeId": 2, "SubType": "", "Value": "12345"},
		"DefaultFax": {"Id": 208297765, "TypeId": 2, "SubType": "", "Value": "12345"},
		"MetaData": [
			{"Id": 208297764, "TypeId": 1, "SubType": "", "Value": "max@mustermann.tld"},
			{"Id": 208297765, "TypeId": 2, "SubType": "", "Value": "12345"}
		]
	}`, string(reqs[1].Body))
}

func TestPartialUpdateKeepsEveryFieldItDoesNotTouch(t *testing.T) {
	srv := vendortest.New(t, specs.Billbee, "", phpSdkCustomer(t)).Then(saved)
	c := newClient(t, srv.URL())

	_, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("Maximilian")})
	require.NoError(t, err)

	got := putBody(t, srv)
	// The spec's phpSdkModel example is the PHP SDK customer as its SDK
	// sends it back; the write must be exactly that, with the one change
	// and without TypeName (custsync leaves it out; TypeId says the same).
	want := withoutTypeName(specRequestExample(t, "phpSdkModel"))
	want["Name"] = "Maximilian"
	assert.Equal(t, want, got)

	raw := string(srv.Requests()[1].Body)
	assert.NotContains(t, raw, "TypeName", "TypeName is read-only")
	assert.NotContains(t, got, "ArchivedAt")
	assert.NotContains(t, got, "RestoredAt")
}

func TestClearingAFieldSendsNull(t *testing.T) {
	tests := []struct {
		name        string
		update      adapter.CustomerUpdate
		vendorField string
	}{
		{"clearing vatId nulls VatId", adapter.CustomerUpdate{VATID: adapter.Clear[string]()}, "VatId"},
		{"clearing phone nulls Tel1", adapter.CustomerUpdate{Phone: adapter.Clear[string]()}, "Tel1"},
		{"clearing email nulls Email", adapter.CustomerUpdate{Email: adapter.Clear[string]()}, "Email"},
		{"clearing name nulls Name", adapter.CustomerUpdate{Name: adapter.Clear[string]()}, "Name"},
		{"clearing the price group nulls PriceGroupId", adapter.CustomerUpdate{Billbee: &adapter.BillbeeFields{PriceGroupID: adapter.Clear[int64]()}}, "PriceGroupId"},
		{"clearing the language nulls LanguageId", adapter.CustomerUpdate{Billbee: &adapter.BillbeeFields{LanguageID: adapter.Clear[int32]()}}, "LanguageId"},
		{"clearing the type nulls Type", adapter.CustomerUpdate{Billbee: &adapter.BillbeeFields{Type: adapter.Clear[int32]()}}, "Type"},
		{"clearing the number nulls Number", adapter.CustomerUpdate{Billbee: &adapter.BillbeeFields{Number: adapter.Clear[int32]()}}, "Number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vendortest.New(t, specs.Billbee, "", phpSdkCustomer(t)).Then(saved)
			c := newClient(t, srv.URL())
			u := tt.update
			u.ID = customerID

			_, err := c.Update(context.Background(), &u)
			require.NoError(t, err)

			got := putBody(t, srv)
			require.Contains(t, got, tt.vendorField, "a cleared field is sent, as null")
			assert.Nil(t, got[tt.vendorField])
			want := withoutTypeName(specRequestExample(t, "phpSdkModel"))
			want[tt.vendorField] = nil
			assert.Equal(t, want, got, "everything else is as read")
		})
	}
}

func TestNullsReadFromBillbeeStayNull(t *testing.T) {
	srv := vendortest.New(t, specs.Billbee, "",
		vendortest.JSON(200, specResponseExample(t, "CustomerEnvelope", "realWithNulls"))).Then(saved)
	c := newClient(t, srv.URL())

	res, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: "7674534536", Email: adapter.Set("new@example.com")})
	require.NoError(t, err)
	assert.Equal(t, "7674534536", res.VendorID)

	// Null stays null; the Default* entries and MetaData, absent from the
	// read, stay absent.
	assert.JSONEq(t, `{
		"Id": 7674534536, "Name": "tgytyty ytewytewyte", "Email": "new@example.com",
		"Tel1": null, "Tel2": null, "Number": 676746376,
		"PriceGroupId": null, "LanguageId": null, "VatId": null, "Type": null
	}`, string(srv.Requests()[1].Body))
}

// This test uses a plain httptest server, not vendortest, to hold on to
// the raw write. The write carries fields our spec does not know, and the
// spec's request schema is open so that our own validator never rejects
// our own request the day Billbee adds a field: the whole write, unknown
// fields included, is checked against the spec below.
func TestFieldsBillbeeAddsLaterSurviveTheWrite(t *testing.T) {
	const read = `{"ErrorMessage":null,"ErrorCode":0,"ErrorDescription":"NoError","Data":{
		"Id": 100000150176895, "Name": "Max", "Email": "max@mustermann.tld", "VatId": "1234",
		"LoyaltyTier": "gold", "CreatedAt": "2021-08-21T13:00:33.23", "CreditLimit": 12345678901234567890,
		"Tags": ["a", {"b": null}], "Note": null,
		"ArchivedAt": null, "RestoredAt": "2022-01-05T08:00:00.1234567",
		"DefaultMailAddress": {"Id": 208297764, "TypeId": 1, "TypeName": "EMail", "SubType": "default", "Value": "max@mustermann.tld", "Verified": true},
		"DefaultFax": null,
		"MetaData": [{"Id": 208297765, "TypeId": 2, "TypeName": "Phone", "SubType": "phone", "Value": "12345", "ValidFrom": "2021-08-21T11:09:46"}]
	}}`
	var (
		mu     sync.Mutex
		got    []*http.Request
		bodies [][]byte
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, bodies = append(got, r.Clone(context.Background())), append(bodies, body)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodGet {
			_, _ = io.WriteString(w, read)
			return
		}
		_, _ = fmt.Fprintf(w, `{"ErrorCode":0,"Data":%s}`, body)
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL)

	_, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: customerID, VATID: adapter.Clear[string]()})
	require.NoError(t, err)

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, 2)
	put := string(bodies[1])
	assert.JSONEq(t, `{
		"Id": 100000150176895, "Name": "Max", "Email": "max@mustermann.tld", "VatId": null,
		"LoyaltyTier": "gold", "CreatedAt": "2021-08-21T13:00:33.23", "CreditLimit": 12345678901234567890,
		"Tags": ["a", {"b": null}], "Note": null,
		"DefaultMailAddress": {"Id": 208297764, "TypeId": 1, "SubType": "default", "Value": "max@mustermann.tld", "Verified": true},
		"DefaultFax": null,
		"MetaData": [{"Id": 208297765, "TypeId": 2, "SubType": "phone", "Value": "12345", "ValidFrom": "2021-08-21T11:09:46"}]
	}`, put)
	// JSONEq compares numbers as float64; the digits must be exact.
	assert.Contains(t, put, `"CreditLimit":12345678901234567890`)
	assert.Contains(t, put, `"CreatedAt":"2021-08-21T13:00:33.23"`, "dates go back as written")
	assert.Contains(t, put, `"ValidFrom":"2021-08-21T11:09:46"`)
	assert.NotContains(t, put, "TypeName")
	assert.NotContains(t, put, "ArchivedAt")
	assert.NotContains(t, put, "RestoredAt")

	// The whole write, fields only Billbee knows included, is what the spec allows.
	v, err := specs.NewValidator(context.Background(), specs.Billbee, srv.URL)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPut, srv.URL+got[1].URL.Path, bytes.NewReader(bodies[1]))
	require.NoError(t, err)
	req.Header = got[1].Header.Clone()
	_, err = v.ValidateRequest(req)
	assert.NoError(t, err)
}

// The shapes of two real customers in a paged 2023 answer
// (ithoc-de/billbee-mock orders-1.json): a 15-digit id, Email null, every
// Default* null, MetaData [], ArchivedAt and RestoredAt null; and one whose
// DefaultMailAddress has SubType "". Dates without offset with 0 to 7
// fraction digits (Billbee's wire form, il55 order.json and the C# SDK's
// DateTime) come back unchanged. The values are ours.
func TestCustomersShapedLikeRealAnswersGoBackAsRead(t *testing.T) {
	tests := []struct {
		name, data, put string
	}{
		{"every Default* null, MetaData empty",
			`{"Id":300000123456789,"Name":"Muster GmbH","Email":null,"Tel1":null,"Tel2":null,"Number":17,"PriceGroupId":null,"LanguageId":null,
			"DefaultMailAddress":null,"DefaultCommercialMailAddress":null,"DefaultStatusUpdatesMailAddress":null,"DefaultPhone1":null,"DefaultPhone2":null,"DefaultFax":null,
			"VatId":null,"Type":1,"MetaData":[],"ArchivedAt":null,"RestoredAt":null}`,
			`{"Id":300000123456789,"Name":"Muster AG","Email":null,"Tel1":null,"Tel2":null,"Number":17,"PriceGroupId":null,"LanguageId":null,
			"DefaultMailAddress":null,"DefaultCommercialMailAddress":null,"DefaultStatusUpdatesMailAddress":null,"DefaultPhone1":null,"DefaultPhone2":null,"DefaultFax":null,
			"VatId":null,"Type":1,"MetaData":[]}`},
		{"a DefaultMailAddress with an empty SubType, and a restore date with 7 fraction digits",
			`{"Id":300000123456789,"Name":"Muster GmbH","Email":"info@muster.example",
			"DefaultMailAddress":{"Id":41,"TypeId":1,"TypeName":"EMail","SubType":"","Value":"info@muster.example"},
			"MetaData":[{"Id":41,"TypeId":1,"TypeName":"EMail","SubType":"","Value":"info@muster.example"}],"ArchivedAt":null,"RestoredAt":"2023-04-26T09:18:44.0812345"}`,
			`{"Id":300000123456789,"Name":"Muster AG","Email":"info@muster.example",
			"DefaultMailAddress":{"Id":41,"TypeId":1,"SubType":"","Value":"info@muster.example"},
			"MetaData":[{"Id":41,"TypeId":1,"SubType":"","Value":"info@muster.example"}]}`},
		{"a restore date without fraction digits",
			`{"Id":300000123456789,"Name":"Muster GmbH","ArchivedAt":null,"RestoredAt":"2023-04-26T09:18:44"}`,
			`{"Id":300000123456789,"Name":"Muster AG"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			read := vendortest.JSON(200, `{"ErrorMessage":null,"ErrorCode":0,"ErrorDescription":"NoError","Data":`+tt.data+`}`)
			srv := vendortest.New(t, specs.Billbee, "", read).Then(saved)
			res, err := newClient(t, srv.URL()).Update(context.Background(), &adapter.CustomerUpdate{ID: "300000123456789", Name: adapter.Set("Muster AG")})
			require.NoError(t, err)
			assert.Equal(t, "300000123456789", res.VendorID)
			assert.Empty(t, res.Mismatches)
			assert.JSONEq(t, tt.put, string(srv.Requests()[1].Body))
			assert.Contains(t, string(srv.Requests()[1].Body), `"Id":300000123456789`, "every digit of the id")
		})
	}
}

func TestFieldsBillbeeCannotStore(t *testing.T) {
	tests := []struct {
		name   string
		update adapter.CustomerUpdate
		field  string
	}{
		{"firstName is refused", adapter.CustomerUpdate{FirstName: adapter.Set("Max")}, "firstName"},
		{"lastName is refused", adapter.CustomerUpdate{LastName: adapter.Set("Mustermann")}, "lastName"},
		{"ccEmails are refused", adapter.CustomerUpdate{CCEmails: adapter.Set([]string{"a@b.example"})}, "ccEmails"},
		{"metadata is refused", adapter.CustomerUpdate{Metadata: adapter.Set(adapter.JSONObject{"tier": "gold"})}, "metadata"},
		{"modifiedAt is refused", adapter.CustomerUpdate{ModifiedAt: adapter.Set(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))}, "modifiedAt"},
		{"sourceSystem is refused", adapter.CustomerUpdate{SourceSystem: "ACME", Name: adapter.Set("Max")}, "sourceSystem"},
		{"an Upwell field is refused", adapter.CustomerUpdate{Upwell: &adapter.UpwellFields{DueOption: adapter.Set[int32](30)}}, "upwell.dueOption"},
		{"clearing firstName is refused too", adapter.CustomerUpdate{FirstName: adapter.Clear[string]()}, "firstName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vendortest.New(t, specs.Billbee, "") // any request fails the test
			c := newClient(t, srv.URL())
			u := tt.update
			u.ID = customerID

			_, err := c.Update(context.Background(), &u)
			e := asError(t, err)
			assert.True(t, errors.Is(err, adapter.InvalidArgument))
			assert.Equal(t, tt.field, e.Field)
			assert.Contains(t, e.Message, tt.field)
			assert.Empty(t, srv.Requests())
		})
	}

	t.Run("lenient mode drops them, says so, and sends the rest", func(t *testing.T) {
		srv := vendortest.New(t, specs.Billbee, "", phpSdkCustomer(t)).Then(saved)
		c := newClient(t, srv.URL())
		u := &adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("Max Mustermann"),
			FirstName: adapter.Set("Max"), LastName: adapter.Set("Mustermann")}

		res, err := c.Update(context.Background(), u, adapter.WithLenient(true))
		require.NoError(t, err)
		assert.Equal(t, []string{"firstName", "lastName"}, res.Dropped)
		assert.Equal(t, []string{"name"}, res.Sent)
		got := putBody(t, srv)
		assert.Equal(t, "Max Mustermann", got["Name"])
	})
}

func TestInvalidInputIsRefusedBeforeAnyRequest(t *testing.T) {
	tests := []struct {
		name    string
		update  adapter.CustomerUpdate
		field   string
		message string
	}{
		{"a non-numeric id", adapter.CustomerUpdate{ID: "C-1001"}, "id", `"C-1001" is not a Billbee customer id`},
		{"id 0", adapter.CustomerUpdate{ID: "0"}, "id", `"0" is not a Billbee customer id`},
		{"a negative id", adapter.CustomerUpdate{ID: "-5"}, "id", `"-5" is not a Billbee customer id`},
		{"an id with a plus sign", adapter.CustomerUpdate{ID: "+5"}, "id", `"+5" is not a Billbee customer id`},
		{"an id with a decimal point", adapter.CustomerUpdate{ID: "1.5"}, "id", `"1.5" is not a Billbee customer id`},
		{"an id with a leading zero, which would address another spelling's record", adapter.CustomerUpdate{ID: "0200000000000001"}, "id", "leading zero"},
		{"an id beyond int64", adapter.CustomerUpdate{ID: "99999999999999999999"}, "id", "out of range"},
		{"customer type 2", adapter.CustomerUpdate{Billbee: &adapter.BillbeeFields{Type: adapter.Set[int32](2)}}, "billbee.type", "0 (end customer) and 1 (business customer)"},
		{"customer type -1", adapter.CustomerUpdate{Billbee: &adapter.BillbeeFields{Type: adapter.Set[int32](-1)}}, "billbee.type", "is -1"},
		{"price group 0", adapter.CustomerUpdate{Billbee: &adapter.BillbeeFields{PriceGroupID: adapter.Set[int64](0)}}, "billbee.priceGroupId", "positive"},
		{"language -3", adapter.CustomerUpdate{Billbee: &adapter.BillbeeFields{LanguageID: adapter.Set[int32](-3)}}, "billbee.languageId", "positive"},
		{"a negative customer number", adapter.CustomerUpdate{Billbee: &adapter.BillbeeFields{Number: adapter.Set[int32](-1)}}, "billbee.number", "not negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			srv := vendortest.New(t, specs.Billbee, "")
			c := newClient(t, srv.URL())
			u := tt.update
			if u.ID == "" {
				u.ID = customerID
			}
			if u.Billbee == nil {
				u.Name = adapter.Set("Max")
			}

			_, err := c.Update(context.Background(), &u)
			e := asError(t, err)
			assert.Equal(t, adapter.InvalidArgument, e.Code)
			assert.Equal(t, tt.field, e.Field)
			assert.Contains(t, e.Message, tt.message)
			assert.Equal(t, "billbee", e.Vendor)
			assert.Zero(t, e.Attempts)
			assert.Empty(t, srv.Requests())
		})
	}

	t.Run("type 0 and 1, number 0 are accepted", func(t *testing.T) {
		for _, typ := range []int32{0, 1} {
			srv := vendortest.New(t, specs.Billbee, "", phpSdkCustomer(t)).Then(saved)
			c := newClient(t, srv.URL())
			_, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: customerID,
				Billbee: &adapter.BillbeeFields{Type: adapter.Set(typ), Number: adapter.Set[int32](0)}})
			require.NoError(t, err)
			got := putBody(t, srv)
			assert.EqualValues(t, typ, got["Type"])
			assert.EqualValues(t, 0, got["Number"])
		}
	})
}

func TestUnknownCustomerIsNotFound(t *testing.T) {
	t.Run("a 404 from the read ends the update before any write", func(t *testing.T) {
		// billbee-csharp-sdk issue 83: the 404 for an unknown id has no body.
		srv := vendortest.New(t, specs.Billbee, "", vendortest.Response{Status: 404})
		c := newClient(t, srv.URL())

		_, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: "42", Name: adapter.Set("Max Mustermann")})
		assert.True(t, errors.Is(err, adapter.NotFound), "%v", err)
		e := asError(t, err)
		assert.Equal(t, "Customer_GetOne", e.Operation)
		assert.Equal(t, 404, e.HTTPStatus)
		assert.Equal(t, "Billbee has no customer with id 42", e.Message)
		assert.Equal(t, 1, e.Attempts)
		assert.Len(t, srv.Requests(), 1, "no PUT")
	})
	t.Run("a 404 for a path no controller serves is a configuration error, not a missing customer", func(t *testing.T) {
		srv := vendortest.New(t, specs.Billbee, "", vendortest.JSON(404,
			`{"Message":"No HTTP resource was found that matches the request URI 'https://app.billbee.io/api/v1/customers/42'."}`))
		c := newClient(t, srv.URL())

		_, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: "42", Name: adapter.Set("Max")})
		assert.False(t, errors.Is(err, adapter.NotFound), "%v", err)
		e := asError(t, err)
		assert.Equal(t, adapter.FailedPrecondition, e.Code)
		assert.Contains(t, e.Message, srv.URL()+"/api/v1/customers/42")
		assert.Contains(t, e.Message, "base URL")
	})
	t.Run("a 404 whose body is nothing Billbee writes is a configuration error too", func(t *testing.T) {
		for _, body := range []string{"<html><body>404 Not Found</body></html>", "sandbox: no vendor at /billbe/api/v1/customers/42\n"} {
			srv := vendortest.New(t, specs.Billbee, "", vendortest.Response{Status: 404, Header: map[string]string{"Content-Type": "text/html"}, Body: body, OffSpec: true})
			c := newClient(t, srv.URL())

			_, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: "42", Name: adapter.Set("Max")})
			e := asError(t, err)
			assert.Equal(t, adapter.FailedPrecondition, e.Code, "%v", err)
			assert.Contains(t, e.Message, srv.URL()+"/api/v1/customers/42")
		}
	})
	t.Run("an HTTP 200 read whose Data is null is not found either", func(t *testing.T) {
		srv := vendortest.New(t, specs.Billbee, "",
			vendortest.JSON(200, `{"ErrorMessage":null,"ErrorCode":0,"ErrorDescription":"NoError","Data":null}`))
		c := newClient(t, srv.URL())

		_, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: "42", Name: adapter.Set("Max Mustermann")})
		assert.True(t, errors.Is(err, adapter.NotFound), "%v", err)
		assert.Contains(t, err.Error(), "no customer with id 42")
		assert.Len(t, srv.Requests(), 1, "no PUT")
	})
	t.Run("a 404 from the write is not found", func(t *testing.T) {
		srv := vendortest.New(t, specs.Billbee, "", phpSdkCustomer(t), vendortest.Response{Status: 404})
		c := newClient(t, srv.URL())

		_, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("Max Mustermann")})
		assert.True(t, errors.Is(err, adapter.NotFound), "%v", err)
		assert.Equal(t, "Customer_Update", asError(t, err).Operation)
		assert.Equal(t, 2, asError(t, err).Attempts)
	})
}

func TestArchivedCustomerIsNotModified(t *testing.T) {
	srv := vendortest.New(t, specs.Billbee, "", vendortest.JSON(200, specResponseExample(t, "CustomerEnvelope", "archived")))
	c := newClient(t, srv.URL())

	_, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: "100000150176896", Name: adapter.Set("Erika Mustermann")})
	assert.True(t, errors.Is(err, adapter.FailedPrecondition), "%v", err)
	e := asError(t, err)
	assert.Equal(t, "customer 100000150176896 is archived (since 2021-08-21T13:00:33.23) and cannot be modified", e.Message)
	assert.Equal(t, "Customer_GetOne", e.Operation)
	assert.False(t, e.Retryable)
	assert.Len(t, srv.Requests(), 1, "no PUT")
}

func TestAReadOfAnotherCustomerIsNotWrittenBack(t *testing.T) {
	srv := vendortest.New(t, specs.Billbee, "", phpSdkCustomer(t))
	c := newClient(t, srv.URL())

	_, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: "42", Name: adapter.Set("Max Mustermann")})
	e := asError(t, err)
	assert.Equal(t, adapter.Internal, e.Code)
	assert.Contains(t, e.Message, "asked for customer 42, Billbee answered with customer 100000150176895")
	assert.Len(t, srv.Requests(), 1, "no PUT")
}

func TestEnvelopeErrorsOnHTTP200AreErrors(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		code       adapter.Code
		vendorCode string
		message    string
	}{
		{"InvalidData is InvalidArgument", specResponseExample(t, "CustomerEnvelope", "envelopeError"),
			adapter.InvalidArgument, "11 InvalidData", "Parameter SKU is empty"},
		{"ApiNotActivated is PermissionDenied",
			`{"ErrorMessage":"API not activated","ErrorCode":1,"ErrorDescription":"ApiNotActivated","Data":null}`,
			adapter.PermissionDenied, "1 ApiNotActivated", "API not activated"},
		{"APIServiceNotBooked without a description is PermissionDenied and named",
			`{"ErrorMessage":"Service not booked","ErrorCode":17,"Data":null}`,
			adapter.PermissionDenied, "17 APIServiceNotBooked", "Service not booked"},
		{"NoPaidAccount is PermissionDenied",
			`{"ErrorMessage":"No paid account","ErrorCode":16,"ErrorDescription":"NoPaidAccount","Data":null}`,
			adapter.PermissionDenied, "16 NoPaidAccount", "No paid account"},
		{"InternalError with an integer description is Internal",
			`{"ErrorMessage":"Internal error","ErrorCode":8,"ErrorDescription":8,"Data":null}`,
			adapter.Internal, "8 InternalError", "Internal error"},
		{"a code without a known name is Unknown",
			`{"ErrorMessage":"Something new","ErrorCode":27,"ErrorDescription":"SomethingNew","Data":null}`,
			adapter.Unknown, "27 SomethingNew", "Something new"},
		{"a code without any name is Unknown and still described",
			`{"ErrorCode":29,"Data":null}`,
			adapter.Unknown, "29", "Billbee reported error 29 in the envelope of an HTTP 200 answer"},
		{"an error message with ErrorCode 0 is Unknown",
			`{"ErrorMessage":"Kunde gesperrt","ErrorCode":0,"ErrorDescription":"NoError","Data":null}`,
			adapter.Unknown, "0 NoError", "Kunde gesperrt"},
		{"an error wins over the Data that comes with it",
			`{"ErrorMessage":"Ungültige Daten","ErrorCode":11,"ErrorDescription":"InvalidData","Data":{"Id":100000150176895,"Name":"Max"}}`,
			adapter.InvalidArgument, "11 InvalidData", "Ungültige Daten"},
	}
	for _, tt := range tests {
		t.Run("read: "+tt.name, func(t *testing.T) {
			srv := vendortest.New(t, specs.Billbee, "", vendortest.JSON(200, tt.body))
			c := newClient(t, srv.URL())

			_, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("Max Mustermann")})
			e := asError(t, err)
			assert.Equal(t, tt.code, e.Code)
			assert.Equal(t, tt.vendorCode, e.VendorCode)
			assert.Equal(t, tt.message, e.Message)
			assert.Equal(t, 200, e.HTTPStatus)
			assert.Equal(t, "Customer_GetOne", e.Operation)
			assert.Len(t, srv.Requests(), 1, "no PUT after a failed read")
		})
		t.Run("write: "+tt.name, func(t *testing.T) {
			srv := vendortest.New(t, specs.Billbee, "", phpSdkCustomer(t), vendortest.JSON(200, tt.body))
			c := newClient(t, srv.URL())

			_, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("Max Mustermann")})
			e := asError(t, err)
			assert.Equal(t, tt.code, e.Code)
			assert.Equal(t, tt.vendorCode, e.VendorCode)
			assert.Equal(t, tt.message, e.Message)
			assert.Equal(t, 200, e.HTTPStatus)
			assert.Equal(t, "Customer_Update", e.Operation)
			assert.Contains(t, err.Error(), "vendor code "+tt.vendorCode)
		})
	}
}

func TestHTTPStatusesMapToPortableCodes(t *testing.T) {
	html := func(status int) vendortest.Response {
		return vendortest.Response{Status: status, Header: map[string]string{"Content-Type": "text/html"},
			Body: "<html><body><h1>502 Bad Gateway</h1></body></html>", OffSpec: true}
	}
	tests := []struct {
		name       string
		answer     vendortest.Response
		code       adapter.Code
		vendorCode string
		message    string // contained in Message
		retryable  bool
	}{
		{"a German ModelState 400 is InvalidArgument and carries the ModelState",
			vendortest.JSON(400, specResponseExample(t, "BadRequest", "germanModelState")),
			adapter.InvalidArgument, "", "Die Anforderung ist ungültig. (orderData.InvoiceAddress.BillbeeId: Error converting value {null} to type 'System.Int64'.", false},
		{"an English ModelState 400 is InvalidArgument",
			vendortest.JSON(400, specResponseExample(t, "BadRequest", "englishModelState")),
			adapter.InvalidArgument, "", "The request is invalid. (orderData: Required property 'CreatedAt' not found in JSON.)", false},
		{"401 is PermissionDenied",
			vendortest.JSON(401, `{"Message":"Authorization has been denied for this request."}`),
			adapter.PermissionDenied, "", "Authorization has been denied for this request.", false},
		{"403 with the envelope is PermissionDenied with the vendor code",
			vendortest.JSON(403, specResponseExample(t, "Forbidden", "notActivated")),
			adapter.PermissionDenied, "1 ApiNotActivated", "API not activated", false},
		{"429 with Retry-After is ResourceExhausted",
			vendortest.Response{Status: 429, Header: map[string]string{"Content-Type": "application/json", "Retry-After": "2"}, Body: `{"Message":"Too many requests"}`},
			adapter.ResourceExhausted, "", "Too many requests", true},
		{"429 without Retry-After is ResourceExhausted",
			vendortest.JSON(429, `{"Message":"Too many requests"}`),
			adapter.ResourceExhausted, "", "Too many requests", true},
		{"500 is Internal",
			vendortest.JSON(500, specResponseExample(t, "InternalError", "internal")),
			adapter.Internal, "8 InternalError", "Internal error", true},
		{"502 with an HTML page is Unavailable", html(502), adapter.Unavailable, "", "", true},
		{"503 is Unavailable",
			vendortest.Response{Status: 503, Header: map[string]string{"Content-Type": "application/json"}, Body: `{"Message":"Service Unavailable"}`, OffSpec: true},
			adapter.Unavailable, "", "Service Unavailable", true},
	}
	for _, tt := range tests {
		for _, step := range []string{"read", "write"} {
			t.Run(step+": "+tt.name, func(t *testing.T) {
				answers := []vendortest.Response{tt.answer}
				op := "Customer_GetOne"
				if step == "write" {
					answers = []vendortest.Response{phpSdkCustomer(t), tt.answer}
					op = "Customer_Update"
				}
				srv := vendortest.New(t, specs.Billbee, "", answers...)
				c := newClient(t, srv.URL())

				_, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("Max Mustermann")})
				e := asError(t, err)
				assert.Equal(t, tt.code, e.Code)
				assert.Equal(t, tt.answer.Status, e.HTTPStatus)
				assert.Equal(t, tt.vendorCode, e.VendorCode)
				if tt.message == "" {
					assert.Empty(t, e.Message)
				} else {
					assert.Contains(t, e.Message, tt.message)
				}
				assert.Equal(t, tt.retryable, e.Retryable)
				assert.Equal(t, op, e.Operation)
				assert.NotEmpty(t, e.Body, "the body excerpt is kept")
				assert.Len(t, srv.Requests(), len(answers))
			})
		}
	}
}

func TestModelStateMessagesAreCapped(t *testing.T) {
	ms := map[string][]string{}
	for i := range 20 {
		ms[fmt.Sprintf("model.Field%02d", i)] = []string{strings.Repeat("Der Wert ist ungültig. ", 10)}
	}
	body, err := json.Marshal(map[string]any{"Message": "Die Anforderung ist ungültig.", "ModelState": ms})
	require.NoError(t, err)
	srv := vendortest.New(t, specs.Billbee, "", phpSdkCustomer(t), vendortest.JSON(400, string(body)))
	c := newClient(t, srv.URL())

	_, err = c.Update(context.Background(), &adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("Max Mustermann")})
	e := asError(t, err)
	assert.Equal(t, adapter.InvalidArgument, e.Code)
	assert.True(t, strings.HasPrefix(e.Message, "Die Anforderung ist ungültig. (model.Field00: Der Wert"), e.Message)
	assert.LessOrEqual(t, len(e.Message), 1024+len("…"), "the Client caps messages at 1 KiB")
	assert.NotContains(t, e.Message, "model.Field05", "at most five entries")
}

func TestBodiesThatAreNotTheEnvelopeGiveTypedErrors(t *testing.T) {
	offSpec := func(status int, contentType, body string) vendortest.Response {
		return vendortest.Response{Status: status, Header: map[string]string{"Content-Type": contentType}, Body: body, OffSpec: true}
	}
	tests := []struct {
		name   string
		answer vendortest.Response
		code   adapter.Code
	}{
		{"an HTML page with HTTP 200", offSpec(200, "text/html", "<!DOCTYPE html><html><body>Wartungsarbeiten</body></html>"), adapter.Internal},
		{"an empty HTTP 200", offSpec(200, "application/json", ""), adapter.Internal},
		{"garbled JSON with HTTP 200", offSpec(200, "application/json", `{"ErrorCode":0,"Data":{"Id":1`), adapter.Internal},
		{"a JSON array with HTTP 200", offSpec(200, "application/json", `[]`), adapter.Internal},
		{"JSON null with HTTP 200", offSpec(200, "application/json", `null`), adapter.Internal},
		{"an object that is not the envelope", vendortest.JSON(200, `{}`), adapter.Internal},
		{"XML with HTTP 200", offSpec(200, "application/xml", `<ApiResult><ErrorCode>0</ErrorCode></ApiResult>`), adapter.Internal},
		{"an HTML 502", offSpec(502, "text/html", "<html><head><title>502 Bad Gateway</title></head></html>"), adapter.Unavailable},
		{"an empty 500", offSpec(500, "application/json", ""), adapter.Internal},
		{"garbled JSON with 404", offSpec(404, "application/json", `{"Message":`), adapter.NotFound},
		{"a ModelState of the wrong shape", offSpec(400, "application/json", `{"Message":5,"ModelState":{"x":"not a list"},"ErrorCode":"11"}`), adapter.InvalidArgument},
		{"a JSON string error body", offSpec(401, "application/json", `"denied"`), adapter.PermissionDenied},
	}
	for _, tt := range tests {
		for _, step := range []string{"read", "write"} {
			t.Run(step+": "+tt.name, func(t *testing.T) {
				answers := []vendortest.Response{tt.answer}
				op := "Customer_GetOne"
				if step == "write" {
					answers = []vendortest.Response{phpSdkCustomer(t), tt.answer}
					op = "Customer_Update"
				}
				srv := vendortest.New(t, specs.Billbee, "", answers...)
				c := newClient(t, srv.URL())

				var err error
				require.NotPanics(t, func() {
					_, err = c.Update(context.Background(), &adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("Max Mustermann")})
				})
				e := asError(t, err)
				assert.Equal(t, tt.code, e.Code, "%v", err)
				assert.Equal(t, "billbee", e.Vendor)
				assert.Equal(t, op, e.Operation)
				assert.Equal(t, tt.answer.Status, e.HTTPStatus)
				assert.LessOrEqual(t, len(e.Body), 600, "the body excerpt is capped")
				assert.NotEmpty(t, err.Error())
				if tt.answer.Status == 200 && step == "read" {
					assert.Contains(t, e.Message, "nothing was written")
				}
				if tt.answer.Status == 200 && step == "write" {
					assert.Contains(t, e.Message, "may or may not have been applied")
				}
				assert.Len(t, srv.Requests(), len(answers))
			})
		}
	}
}

// The write is done once Billbee's envelope says so: odd values in the
// Data of its answer fail the read (nothing is written then), never the
// write.
func TestOddValuesInTheWritesAnswerNeverFailTheUpdate(t *testing.T) {
	odd := []struct{ name, data string }{
		{"a string id", `{"Id":"abc","Name":"Max"}`},
		{"a date Billbee's format does not allow", `{"Id":100000150176895,"Name":"Max","ArchivedAt":"yesterday"}`},
		{"a number beyond int64 and float64", `{"Id":100000150176895,"Name":"Max","Number":1e400,"PriceGroupId":123456789012345678901234567890}`},
		{"an enum value Billbee added", `{"Id":100000150176895,"Name":"Max","Type":7}`},
		{"fields the spec does not know", `{"Id":100000150176895,"Name":"Max","LoyaltyTier":{"level":3},"Tags":["a"]}`},
		{"an ErrorDescription of another type", `{"Id":100000150176895,"Name":"Max"},"ErrorDescription":{"x":1}`},
	}
	for _, tt := range odd {
		t.Run(tt.name, func(t *testing.T) {
			answer := vendortest.Response{Status: 200, Header: map[string]string{"Content-Type": "application/json"},
				Body: `{"ErrorCode":0,"Data":` + tt.data + `}`, OffSpec: true}
			srv := vendortest.New(t, specs.Billbee, "", phpSdkCustomer(t), answer)
			c := newClient(t, srv.URL())

			res, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("Max")})
			require.NoError(t, err)
			assert.Equal(t, customerID, res.VendorID)
			assert.Empty(t, res.Mismatches)
		})
	}
	for _, code := range []string{"0.0", "0e0", "-0"} {
		t.Run("an ErrorCode of "+code+", which is no error", func(t *testing.T) {
			answer := vendortest.Response{Status: 200, Header: map[string]string{"Content-Type": "application/json"},
				Body: `{"ErrorMessage":null,"ErrorCode":` + code + `,"ErrorDescription":"NoError","Data":{"Id":100000150176895,"Name":"Max"}}`, OffSpec: true}
			srv := vendortest.New(t, specs.Billbee, "", phpSdkCustomer(t), answer)
			c := newClient(t, srv.URL())
			_, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("Max")})
			require.NoError(t, err)
		})
	}
	t.Run("the same values fail the read, before anything is written", func(t *testing.T) {
		answer := vendortest.Response{Status: 200, Header: map[string]string{"Content-Type": "application/json"},
			Body: `{"ErrorCode":0,"Data":{"Id":"abc"}}`, OffSpec: true}
		srv := vendortest.New(t, specs.Billbee, "", answer)
		c := newClient(t, srv.URL())
		_, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("Max")})
		assert.Equal(t, adapter.Internal, adapter.CodeOf(err))
		assert.Len(t, srv.Requests(), 1)
	})
}

func TestLargeIdsKeepEveryDigit(t *testing.T) {
	// 2^53 + 1: a float64 would turn it into 9007199254740992.
	const id = "9007199254740993"
	srv := vendortest.New(t, specs.Billbee, "",
		vendortest.JSON(200, `{"ErrorCode":0,"Data":{"Id":9007199254740993,"Name":"Max","DefaultMailAddress":{"Id":9007199254740995,"TypeId":1,"Value":"max@mustermann.tld"}}}`),
	).Then(saved)
	c := newClient(t, srv.URL())

	res, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: id,
		Billbee: &adapter.BillbeeFields{PriceGroupID: adapter.Set[int64](9007199254740997)}})
	require.NoError(t, err)
	assert.Equal(t, id, res.VendorID)
	reqs := srv.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "/api/v1/customers/"+id, reqs[0].Path)
	assert.Equal(t, "/api/v1/customers/"+id, reqs[1].Path)
	body := string(reqs[1].Body)
	assert.Contains(t, body, `"Id":9007199254740993`)
	assert.Contains(t, body, `"PriceGroupId":9007199254740997`)
	assert.Contains(t, body, `"Id":9007199254740995`)
}

func TestAWriteAnsweredWithNoContentSucceeds(t *testing.T) {
	srv := vendortest.New(t, specs.Billbee, "", phpSdkCustomer(t), vendortest.Response{Status: 204, OffSpec: true})
	c := newClient(t, srv.URL())

	res, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("Max Mustermann")})
	require.NoError(t, err)
	assert.Equal(t, 204, res.HTTPStatus)
	assert.Equal(t, customerID, res.VendorID)
}

func TestARedirectIsNotFollowed(t *testing.T) {
	srv := vendortest.New(t, specs.Billbee, "", vendortest.Response{Status: 302,
		Header: map[string]string{"Location": "https://elsewhere.example/api/v1/customers/100000150176895"}, OffSpec: true})
	c := newClient(t, srv.URL())

	_, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("Max Mustermann")})
	e := asError(t, err)
	assert.Equal(t, adapter.FailedPrecondition, e.Code)
	assert.Equal(t, 302, e.HTTPStatus)
	assert.Contains(t, e.Message, "redirected")
	assert.Contains(t, e.Message, "not followed")
	assert.Equal(t, "Customer_GetOne", e.Operation)
	assert.Len(t, srv.Requests(), 1, "neither the redirect nor a PUT was sent")
}

func TestACanceledContextComesBackAsItIs(t *testing.T) {
	srv := vendortest.New(t, specs.Billbee, "")
	c := newClient(t, srv.URL())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	_, err := c.Update(ctx, &adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("Max Mustermann")})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, srv.Requests())
}

// The goldens pin the write for absent, null and set fields: what the
// update leaves absent keeps the value read, null clears, a value sets.
func TestTheWriteOnTheWireMatchesTheGoldens(t *testing.T) {
	tests := []struct {
		name   string
		update adapter.CustomerUpdate
	}{
		{"put-absent", adapter.CustomerUpdate{Name: adapter.Set("Max Mustermann")}},
		{"put-null", adapter.CustomerUpdate{
			Name: adapter.Clear[string](), Email: adapter.Clear[string](), Phone: adapter.Clear[string](), VATID: adapter.Clear[string](),
			Billbee: &adapter.BillbeeFields{PriceGroupID: adapter.Clear[int64](), LanguageID: adapter.Clear[int32](),
				Type: adapter.Clear[int32](), Number: adapter.Clear[int32]()},
		}},
		{"put-value", adapter.CustomerUpdate{
			Name: adapter.Set("Muster GmbH"), Email: adapter.Set("buchhaltung@muster.example"), Phone: adapter.Set("+49 30 987654"),
			VATID: adapter.Set("DE987654321"),
			Billbee: &adapter.BillbeeFields{PriceGroupID: adapter.Set[int64](2020), LanguageID: adapter.Set[int32](1),
				Type: adapter.Set[int32](1), Number: adapter.Set[int32](4711)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vendortest.New(t, specs.Billbee, "", phpSdkCustomer(t)).Then(saved)
			c := newClient(t, srv.URL())
			u := tt.update
			u.ID = customerID

			_, err := c.Update(context.Background(), &u)
			require.NoError(t, err)
			reqs := srv.Requests()
			require.Len(t, reqs, 2)
			var got bytes.Buffer
			require.NoError(t, json.Indent(&got, reqs[1].Body, "", "  "))
			got.WriteByte('\n')

			golden := filepath.Join("testdata", tt.name+".json")
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(golden), 0o755))
				require.NoError(t, os.WriteFile(golden, got.Bytes(), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test ./adapter/billbee -update to create it")
			assert.JSONEq(t, string(want), got.String())
		})
	}
}

func TestCredentialsNeverLeak(t *testing.T) {
	const (
		key  = "KEYSENTINEL-3f9a1c0d"
		user = "sentinel-user@example.com"
		pass = "PWSENTINEL-8e2b7d41"
	)
	token := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	cfg := billbee.Config{APIKey: key, Username: user, APIPassword: pass}

	// echo answers with every credential the request carried, in every
	// place an error keeps text: the message, the vendor code, the body.
	echo := func(status int) func(r vendortest.Request) vendortest.Response {
		return func(r vendortest.Request) vendortest.Response {
			auth := r.Header.Get("Authorization")
			decoded, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(auth, "Basic "))
			body, _ := json.Marshal(map[string]any{
				"Message":          "denied for " + r.Header.Get("X-Billbee-Api-Key") + " with " + auth,
				"ErrorMessage":     "credentials " + string(decoded),
				"ErrorCode":        11,
				"ErrorDescription": r.Header.Get("X-Billbee-Api-Key"),
				"ModelState":       map[string][]string{auth: {string(decoded), r.Header.Get("X-Billbee-Api-Key")}},
			})
			return vendortest.Response{Status: status, Header: map[string]string{"Content-Type": "application/json"}, Body: string(body), OffSpec: true}
		}
	}
	echoHTML := func(r vendortest.Request) vendortest.Response {
		return vendortest.Response{Status: 502, Header: map[string]string{"Content-Type": "text/html"}, OffSpec: true,
			Body: "<html>" + r.Header.Get("X-Billbee-Api-Key") + " " + r.Header.Get("Authorization") + "</html>"}
	}
	tests := []struct {
		name    string
		answers []vendortest.Response
		then    []func(vendortest.Request) vendortest.Response
	}{
		{"not found", []vendortest.Response{{Status: 404}}, nil},
		{"unauthorized", []vendortest.Response{vendortest.JSON(401, `{"Message":"Authorization has been denied for this request."}`)}, nil},
		{"throttled", []vendortest.Response{vendortest.JSON(429, `{"Message":"Too many requests"}`)}, nil},
		{"server error", []vendortest.Response{vendortest.JSON(500, `{"ErrorMessage":"Internal error","ErrorCode":8}`)}, nil},
		{"HTML 502", []vendortest.Response{{Status: 502, Header: map[string]string{"Content-Type": "text/html"}, Body: "<html>Bad Gateway</html>", OffSpec: true}}, nil},
		{"HTML 200", []vendortest.Response{{Status: 200, Header: map[string]string{"Content-Type": "text/html"}, Body: "<html>ok</html>", OffSpec: true}}, nil},
		{"empty 200", []vendortest.Response{{Status: 200, OffSpec: true}}, nil},
		{"garbled 200", []vendortest.Response{{Status: 200, Header: map[string]string{"Content-Type": "application/json"}, Body: `{"Data":`, OffSpec: true}}, nil},
		{"envelope error", []vendortest.Response{vendortest.JSON(200, `{"ErrorMessage":"Parameter SKU is empty","ErrorCode":11,"Data":null}`)}, nil},
		{"archived", []vendortest.Response{vendortest.JSON(200, specResponseExample(t, "CustomerEnvelope", "archived"))}, nil},
		{"ModelState 400 on the write", []vendortest.Response{phpSdkCustomer(t), vendortest.JSON(400, specResponseExample(t, "BadRequest", "germanModelState"))}, nil},
		{"redirect", []vendortest.Response{{Status: 302, Header: map[string]string{"Location": "https://elsewhere.example/"}, OffSpec: true}}, nil},
		{"a read answer echoing the credentials", nil, []func(vendortest.Request) vendortest.Response{echo(400)}},
		{"an HTTP 200 envelope echoing the credentials", nil, []func(vendortest.Request) vendortest.Response{echo(200)}},
		{"a write answer echoing the credentials", []vendortest.Response{phpSdkCustomer(t)}, []func(vendortest.Request) vendortest.Response{echo(403)}},
		{"an HTML page echoing the credentials", nil, []func(vendortest.Request) vendortest.Response{echoHTML}},
		// Errors keep capped excerpts; a cap must not cut a credential in
		// half, leaving a piece no scrubber recognises.
		{"credentials where the body excerpt is cut", []vendortest.Response{{Status: 502, OffSpec: true,
			Body: strings.Repeat("x", 500) + key + " " + pass + " " + token}}, nil},
		{"credentials where the ModelState text is cut", []vendortest.Response{vendortest.JSON(400,
			`{"Message":"Die Anforderung ist ungültig.","ModelState":{"a":["`+strings.Repeat("x", 580)+key+`"],"b":["`+strings.Repeat("x", 570)+pass+`"]}}`)}, nil},
		{"credentials where the error description is cut", []vendortest.Response{vendortest.JSON(200,
			`{"ErrorCode":11,"ErrorDescription":"`+strings.Repeat("x", 50)+key+`","Data":null}`)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name+" leaks no credential", func(t *testing.T) {
			srv := vendortest.New(t, specs.Billbee, "", tt.answers...)
			for _, f := range tt.then {
				srv.Then(f)
			}
			var logs bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			c, err := billbee.New(cfg, adapter.WithBaseURL(srv.URL()), adapter.WithLogger(logger), noRetries)
			require.NoError(t, err)

			_, err = c.Update(context.Background(), &adapter.CustomerUpdate{ID: "100000150176896", Name: adapter.Set("Max Mustermann")})
			e := asError(t, err)
			reqs := srv.Requests()
			require.NotEmpty(t, reqs)
			require.Equal(t, key, reqs[0].Header.Get("X-Billbee-Api-Key"), "the sentinel went out")
			require.Equal(t, "Basic "+token, reqs[0].Header.Get("Authorization"), "the sentinel went out")
			require.NotEmpty(t, logs.String(), "the logger saw the call")

			outputs := map[string]string{
				"err.Error()":  err.Error(),
				"%v":           fmt.Sprintf("%v", err),
				"%+v":          fmt.Sprintf("%+v", err),
				"%#v of Error": fmt.Sprintf("%#v", *e),
				"log":          logs.String(),
				"cfg %+v":      fmt.Sprintf("%+v", cfg),
				"cfg %v":       fmt.Sprintf("%v", cfg),
				"cfg %#v":      fmt.Sprintf("%#v", cfg),
				"client":       fmt.Sprintf("%v %+v", c, c),
			}
			if e.Err != nil {
				outputs["cause"] = e.Err.Error()
			}
			for where, text := range outputs {
				for _, secret := range []string{key, pass, token} {
					assert.NotContains(t, text, secret[:10], "%s leaks (a piece of) a credential", where)
				}
			}
		})
	}
}

func TestNewRefusesIncompleteCredentials(t *testing.T) {
	tests := []struct {
		name  string
		cfg   billbee.Config
		field string
	}{
		{"no API key", billbee.Config{Username: username, APIPassword: password}, "APIKey"},
		{"a blank API key", billbee.Config{APIKey: "  ", Username: username, APIPassword: password}, "APIKey"},
		{"no username", billbee.Config{APIKey: apiKey, APIPassword: password}, "Username"},
		{"a username with a colon", billbee.Config{APIKey: apiKey, Username: "a:b", APIPassword: password}, "Username"},
		{"no API password", billbee.Config{APIKey: apiKey, Username: username}, "APIPassword"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			c, err := billbee.New(tt.cfg)
			assert.Nil(t, c)
			e := asError(t, err)
			assert.Equal(t, adapter.InvalidArgument, e.Code)
			assert.Equal(t, tt.field, e.Field)
			assert.Equal(t, "billbee", e.Vendor)
			assert.NotContains(t, err.Error(), password)
			assert.NotContains(t, err.Error(), apiKey)
		})
	}
}

func TestFromEnvReadsAllThreeCredentials(t *testing.T) {
	t.Run("all three set: every request carries them", func(t *testing.T) {
		t.Setenv(billbee.EnvAPIKey, "env-key-1234")
		t.Setenv(billbee.EnvUsername, "env-user@example.com")
		t.Setenv(billbee.EnvAPIPassword, "env-password-5678")
		srv := vendortest.New(t, specs.Billbee, "", phpSdkCustomer(t)).Then(saved)
		c, err := billbee.FromEnv(adapter.WithBaseURL(srv.URL()))
		require.NoError(t, err)

		_, err = c.Update(context.Background(), &adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("Max Mustermann")})
		require.NoError(t, err)
		for _, r := range srv.Requests() {
			assert.Equal(t, "env-key-1234", r.Header.Get("X-Billbee-Api-Key"))
			assert.Equal(t, "Basic "+base64.StdEncoding.EncodeToString([]byte("env-user@example.com:env-password-5678")), r.Header.Get("Authorization"))
		}
	})
	t.Run("the default server is Billbee's", func(t *testing.T) {
		t.Setenv(billbee.EnvAPIKey, "env-key-1234")
		t.Setenv(billbee.EnvUsername, "env-user@example.com")
		t.Setenv(billbee.EnvAPIPassword, "env-password-5678")
		c, err := billbee.FromEnv()
		require.NoError(t, err)
		assert.Equal(t, "billbee", c.Vendor())
		assert.Equal(t, billbee.DefaultBaseURL, c.BaseURL())
	})
	t.Run("a missing variable is named", func(t *testing.T) {
		t.Setenv(billbee.EnvAPIKey, "env-key-1234")
		t.Setenv(billbee.EnvUsername, "")
		t.Setenv(billbee.EnvAPIPassword, "env-password-5678")
		_, err := billbee.FromEnv()
		e := asError(t, err)
		assert.Equal(t, adapter.InvalidArgument, e.Code)
		assert.Equal(t, billbee.EnvUsername, e.Field)
		assert.NotContains(t, err.Error(), "env-password-5678")
	})
}

func TestFieldsListsWhatBillbeeStores(t *testing.T) {
	c, err := billbee.New(billbee.Config{APIKey: apiKey, Username: username, APIPassword: password})
	require.NoError(t, err)
	var names []string
	for _, m := range c.Fields() {
		names = append(names, m.Field)
		assert.NotEmpty(t, m.VendorField, m.Field)
	}
	assert.Equal(t, []string{"id", "name", "email", "phone", "vatId",
		"billbee.priceGroupId", "billbee.languageId", "billbee.type", "billbee.number"}, names)
}
