// Package bluetape is the custsync driver for BlueTape's "Update a
// customer" (PUT /integration/customer/{id}) in the Generic Connector API.
//
// Client.Check asks for the sign-up link of an id no customer has (GET
// /integration/customer/{id}/signup, operation getCustomerSignUpLink): it
// writes nothing, and "Customer not found." says the credentials and base
// URL work.
//
// # Field mapping
//
//	portable    BlueTape            note
//	id          {id} (path)         the integrator's own customer id (the
//	                                id sent when the customer was
//	                                created), not the blueTapeId
//	firstName   firstName
//	lastName    lastName
//	email       emailAddress
//	phone       cellPhoneNumber
//	modifiedAt  sourceModifiedDate  sent in UTC with milliseconds
//	                                ("2023-01-04T09:47:57.477Z", as
//	                                BlueTape's docs show it)
//
// Client.Fields returns the same mapping; a test keeps the two in step.
//
// name, ccEmails, vatId, metadata, sourceSystem and the upwell and billbee
// fields have no place at BlueTape: InvalidArgument, or dropped in lenient
// mode.
//
// BlueTape publishes no rule for cellPhoneNumber; its examples are E.164
// ("+11234567890"), so E.164 is the safe choice, but any non-empty phone is
// sent as given. The id is path-escaped, so "C/1001" is one path segment.
//
// # Full replacement
//
// The update replaces the customer's main contact and all five body fields
// are required, so every update must set firstName, lastName, email, phone
// and modifiedAt. A missing field is InvalidArgument before any request,
// and none can be cleared (null): there is no partial update at BlueTape.
//
// # Errors
//
//   - InvalidArgument: bad input (before any request), or HTTP 400; the
//     vendor code may be a slug such as "company_can_have_only_one_customer".
//   - NotFound: HTTP 404, vendor code "404" ("Customer not found.").
//   - FailedPrecondition: any other HTTP 404 (another reason, HTML, no
//     body): no such endpoint at the base URL, named in the message.
//   - PermissionDenied: HTTP 401/403 (a wrong or missing key or account id).
//   - ResourceExhausted: HTTP 429 (undocumented, but possible).
//   - Internal: HTTP 500, or a 2xx answer that is not JSON at all.
//   - Unavailable / DeadlineExceeded: network failures, 502/503/504.
//   - FailedPrecondition: a redirect (never followed) or HTTP 409, and
//     the 404s above.
//
// Error bodies are BlueTape's {code, reason}; code is read whether it comes
// as a string ("404", a slug) or a number. HTML, empty or garbled bodies
// leave the vendor code and message empty; the status decides the code.
package bluetape

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/driver"
	gen "github.com/custsync/custsync/gen/bluetape"
)

// DefaultBaseURL is the production server in specs/bluetape.yaml.
const DefaultBaseURL = "https://api.bluetape.com/genericBthubService"

// SandboxBaseURL is BlueTape's beta server in specs/bluetape.yaml; pass it
// with adapter.WithBaseURL to test against BlueTape before going live.
const SandboxBaseURL = "https://beta-api.bluetape.com/genericBthubService"

const operation = "updateCustomer"

// checkOperation is the request of Client.Check (see bluetapeDriver.Check).
const checkOperation = "getCustomerSignUpLink"

// Environment variables read by FromEnv.
const (
	EnvAPIKey    = "BLUETAPE_API_KEY"
	EnvAccountID = "BLUETAPE_ACCOUNT_ID"
)

// Credential headers, both sent on every call.
const (
	headerKey     = "X-BlueTape-Key"
	headerAccount = "X-Integration-AccountId"
)

// dateLayout writes sourceModifiedDate as BlueTape's docs do: UTC, always
// three fraction digits. time.Time's own JSON (RFC3339Nano) would keep the
// caller's offset and write 0 to 9 digits.
const dateLayout = "2006-01-02T15:04:05.000Z07:00"

// Config holds the credentials of a BlueTape client, both issued by the
// BlueTape team.
type Config struct {
	// APIKey is sent as X-BlueTape-Key.
	APIKey adapter.Secret
	// AccountID is sent as X-Integration-AccountId. It identifies the
	// integrator and travels with the key on every call, so it is treated
	// as a credential too: never printed, logged or kept in errors.
	AccountID adapter.Secret
}

// New returns a client for BlueTape.
func New(cfg Config, opts ...adapter.Option) (*adapter.Client, error) {
	if err := driver.CheckCredential(vendor, "APIKey", cfg.APIKey.Reveal()); err != nil {
		return nil, err
	}
	if err := driver.CheckCredential(vendor, "AccountID", cfg.AccountID.Reveal()); err != nil {
		return nil, err
	}
	account := driver.CredentialID(cfg.APIKey.Reveal(), cfg.AccountID.Reveal())
	// BlueTape publishes no numbers, so the credential's key is paced
	// adaptively: unlimited until a 429, slower after.
	limits := []adapter.Limit{{Key: "bluetape/" + account}}
	v := driver.Vendor{
		Name:           vendor,
		DefaultBaseURL: DefaultBaseURL,
		Fields:         fields,
		Header: http.Header{
			headerKey:     {cfg.APIKey.Reveal()},
			headerAccount: {cfg.AccountID.Reveal()},
			"Accept":      {"application/json"},
		},
		// Both credentials; the Client also scrubs their escaped forms.
		Secrets: []string{cfg.APIKey.Reveal(), cfg.AccountID.Reveal()},
		Account: account,
		Limits:  func(string) []adapter.Limit { return limits },
	}
	return driver.NewClient(v, func(conn driver.Conn) (driver.Driver, error) {
		return &bluetapeDriver{client: &gen.Client{Server: conn.Server(), Client: conn.Doer(operation)},
			checker: &gen.Client{Server: conn.Server(), Client: conn.Doer(checkOperation)}}, nil
	}, opts...)
}

// FromEnv returns a client configured from BLUETAPE_API_KEY and
// BLUETAPE_ACCOUNT_ID; both are required.
func FromEnv(opts ...adapter.Option) (*adapter.Client, error) {
	return FromLookup(os.LookupEnv, opts...)
}

// FromLookup is FromEnv reading the variables through lookup instead of
// the environment (os.LookupEnv has its shape).
func FromLookup(lookup func(string) (string, bool), opts ...adapter.Option) (*adapter.Client, error) {
	env, err := driver.Env(lookup, EnvAPIKey, EnvAccountID)
	if err != nil {
		return nil, err
	}
	return New(Config{APIKey: adapter.Secret(env[EnvAPIKey]), AccountID: adapter.Secret(env[EnvAccountID])}, opts...)
}

// vendor is BlueTape's name in errors and results.
const vendor = "bluetape"

// fields is the mapping the package doc's table shows.
var fields = []adapter.FieldMapping{
	{Field: driver.FieldID, VendorField: "{id} (path)", Note: "the integrator's own customer id, not the blueTapeId"},
	{Field: driver.FieldFirstName, VendorField: "firstName", Note: "required on every update"},
	{Field: driver.FieldLastName, VendorField: "lastName", Note: "required on every update"},
	{Field: driver.FieldEmail, VendorField: "emailAddress", Note: "required on every update; BlueTape sends notifications to it"},
	{Field: driver.FieldPhone, VendorField: "cellPhoneNumber", Note: "required on every update; no format published, examples are E.164"},
	{Field: driver.FieldModifiedAt, VendorField: "sourceModifiedDate", Note: "required on every update; sent in UTC with milliseconds"},
}

type bluetapeDriver struct {
	client  *gen.Client
	checker *gen.Client // sends getCustomerSignUpLink, for Check
}

var _ driver.Driver = (*bluetapeDriver)(nil)
var _ driver.Checker = (*bluetapeDriver)(nil)

// checkID is an id no customer has: a check reads only the status.
const checkID = "custsync-check"

// Check asks for the sign-up link of a customer no one has. BlueTape
// checks both credential headers first; "Customer not found." (or a link)
// comes from the endpoint itself, so the credentials and base URL both
// work. Any other 404 is a base URL with no such endpoint.
func (d *bluetapeDriver) Check(ctx context.Context) error {
	resp, err := d.checker.GetCustomerSignUpLink(ctx, checkID) //nolint:bodyclose // the transport read the body whole and closed it; ReadBody hands back the bytes it read
	if err != nil {
		return err
	}
	raw := driver.ReadBody(resp)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	if _, msg := decodeError(raw); resp.StatusCode == http.StatusNotFound && strings.Contains(strings.ToLower(msg), "customer") {
		return nil
	}
	return responseError(resp, raw)
}

func (d *bluetapeDriver) Key(u *adapter.CustomerUpdate) string { return u.ID }

// contactField is one of the five body fields BlueTape requires.
type contactField struct {
	name          string
	absent, clear bool
}

// contactFields is an array, not a slice: it stays on the stack of the
// hot path.
func contactFields(u *adapter.CustomerUpdate) [5]contactField {
	return [5]contactField{
		{driver.FieldFirstName, u.FirstName.IsAbsent(), u.FirstName.IsNull()},
		{driver.FieldLastName, u.LastName.IsAbsent(), u.LastName.IsNull()},
		{driver.FieldEmail, u.Email.IsAbsent(), u.Email.IsNull()},
		{driver.FieldPhone, u.Phone.IsAbsent(), u.Phone.IsNull()},
		{driver.FieldModifiedAt, u.ModifiedAt.IsAbsent(), u.ModifiedAt.IsNull()},
	}
}

func (d *bluetapeDriver) Validate(u *adapter.CustomerUpdate) error {
	fields := contactFields(u)
	firstAt := -1
	var missing, cleared []string
	for i, f := range fields {
		switch {
		case f.absent:
			missing = append(missing, f.name)
		case f.clear:
			cleared = append(cleared, f.name)
		default:
			continue
		}
		if firstAt < 0 {
			firstAt = i
		}
	}
	if firstAt < 0 {
		return nil
	}
	first := fields[firstAt]
	why := "BlueTape requires all five contact fields on every update (it replaces the contact)"
	if first.clear {
		why = "BlueTape cannot clear it; every contact field is required"
	}
	var list []string
	if len(missing) > 0 {
		list = append(list, "missing: "+strings.Join(missing, ", "))
	}
	if len(cleared) > 0 {
		list = append(list, "cleared: "+strings.Join(cleared, ", "))
	}
	return driver.InvalidField(first.name, "%s (%s)", why, strings.Join(list, "; "))
}

// wireCustomer is the generated body with sourceModifiedDate written in
// dateLayout: the outer field hides the embedded time.Time for
// encoding/json, and the other four fields keep the generated names.
type wireCustomer struct {
	gen.Customer
	SourceModifiedDate string `json:"sourceModifiedDate"`
}

func (d *bluetapeDriver) Update(ctx context.Context, u *adapter.CustomerUpdate, call driver.Call) (*adapter.Result, error) {
	// Validate again right before the wire, whatever path led here: a
	// missing field would be sent as "" and blank the contact.
	if err := d.Validate(u); err != nil {
		return nil, err
	}
	body, err := json.Marshal(request(u))
	if err != nil {
		return nil, err
	}
	if call.DryRun {
		return &adapter.Result{DryRun: &adapter.DryRunReport{Method: http.MethodPut,
			Path: "/integration/customer/" + url.PathEscape(u.ID), Body: body}}, nil
	}
	resp, err := d.client.UpdateCustomerWithBody(ctx, u.ID, "application/json", bytes.NewReader(body)) //nolint:bodyclose // the transport read the body whole and closed it; ReadBody hands back the bytes it read
	if err != nil {
		return nil, err
	}
	raw := driver.ReadBody(resp)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, responseError(resp, raw)
	}
	return result(resp, raw)
}

// responseError builds the error for a status that is not 2xx. BlueTape
// answers a missing customer with 404 and its {code, reason} naming the
// customer ("Customer not found."); any other 404 (another reason, HTML,
// no body) came from something at the base URL that has no such
// endpoint, and is a configuration error naming the URL: reporting every
// customer as missing would send a user hunting for records that exist.
func responseError(resp *http.Response, raw []byte) *adapter.Error {
	code, msg := decodeError(raw)
	e := driver.ResponseError(resp, raw, code, msg)
	if resp.StatusCode == http.StatusNotFound && !strings.Contains(strings.ToLower(msg), "customer") {
		what := msg
		if what == "" {
			what = "HTTP 404 without BlueTape's error body"
		}
		e.Code, e.Config = adapter.FailedPrecondition, true
		e.Message = fmt.Sprintf("BlueTape has no endpoint %s (%s, not \"Customer not found.\"); check the base URL", driver.RequestURL(resp), what)
	}
	return e
}

// request builds the body; Validate has made sure every field is set.
func request(u *adapter.CustomerUpdate) wireCustomer {
	first, _ := u.FirstName.Value()
	last, _ := u.LastName.Value()
	email, _ := u.Email.Value()
	phone, _ := u.Phone.Value()
	modified, _ := u.ModifiedAt.Value()
	modified = modified.UTC().Truncate(time.Millisecond)
	return wireCustomer{
		Customer:           gen.Customer{FirstName: first, LastName: last, EmailAddress: email, CellPhoneNumber: phone},
		SourceModifiedDate: modified.Format(dateLayout),
	}
}

// result reads a 2xx answer. The status is BlueTape's statement that it
// accepted the update; blueTapeId is only a receipt. So an empty body, or
// JSON without a string blueTapeId, is a success with an empty VendorID:
// failing it would report an update as lost that BlueTape has applied.
// A body that is not JSON at all is different: BlueTape only speaks JSON,
// so that answer most likely came from something else at the base URL (a
// proxy, a web page), and claiming success could hide a lost update; it is
// Internal ("may or may not have been applied") instead. A retry is safe:
// the update replaces the whole contact.
func result(resp *http.Response, raw []byte) (*adapter.Result, error) {
	// The result and the decoded answer in one allocation.
	a := &struct {
		res adapter.Result
		out gen.UpdateResult
	}{res: adapter.Result{HTTPStatus: resp.StatusCode}}
	res, out := &a.res, &a.out
	if len(bytes.TrimSpace(raw)) == 0 {
		return res, nil
	}
	// One pass: encoding/json checks the whole body is JSON before it
	// decodes anything, and says so with a *SyntaxError.
	if err := json.Unmarshal(raw, out); err != nil {
		// Declared here, not above: errors.As moves its target to the
		// heap, which only a failed decode should pay for.
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return nil, driver.DecodeError(resp, raw, errors.New("the body is not JSON"))
		}
		return res, nil // JSON of another shape: no receipt
	}
	res.VendorID = out.BlueTapeId
	return res, nil
}

// decodeError reads BlueTape's {code, reason}, code as a string or a
// number; both are empty for HTML, empty or garbled bodies.
func decodeError(raw []byte) (code, message string) {
	var e struct {
		Code   json.RawMessage `json:"code"`
		Reason json.RawMessage `json:"reason"`
	}
	if json.Unmarshal(raw, &e) != nil {
		return "", ""
	}
	return scalar(e.Code), scalar(e.Reason)
}

// scalar returns a JSON string's text or a number's digits, else "".
func scalar(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}
