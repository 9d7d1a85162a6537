// Package upwell is the custsync driver for Upwell's "Update a customer by
// source system id" (PUT /api/rest/customers), a Hasura REST endpoint.
//
// # Field mapping
//
//	portable                 Upwell                        note
//	id                       sourceSystemId                in the body
//	sourceSystem             sourceSystem                  in the body;
//	                                                       Config.SourceSystem
//	                                                       when absent
//	name                     input.name                    cannot be cleared
//	email                    input.emailAddress
//	ccEmails                 input.ccEmailAddresses
//	metadata                 input.metadata                jsonb
//	upwell.billToCustomerId  input.billToCustomerId
//	upwell.dueOption         customerRulesInput.dueOption
//
// Client.Fields returns the same mapping; a test keeps the two in step.
//
// firstName, lastName, phone, vatId, modifiedAt and the billbee fields have
// no place at Upwell: InvalidArgument, or dropped in lenient mode.
//
// # Safety
//
// The request is never sent unless sourceSystem and sourceSystemId are
// both non-empty (on some Hasura setups a null filter matches every row),
// and never with an empty update (Hasura then answers affectedRows 0 for
// any customer, which would read as "not found").
//
// # Errors
//
//   - InvalidArgument: bad input (before any request), or HTTP 400.
//   - NotFound: HTTP 200 with affectedRows 0 after a non-empty input.
//   - PermissionDenied: HTTP 401/403. ResourceExhausted: 429.
//   - FailedPrecondition: HTTP 404, which at Upwell is Hasura's "Endpoint
//     not found" (a wrong base URL or a renamed endpoint), never a missing
//     customer; the message names the URL. Also 409.
//   - Internal: HTTP 500, a 200 body that does not match the spec, or more
//     than one customer changed for one key.
//   - Unavailable / DeadlineExceeded: network failures, 502/503/504.
//
// Error bodies in both shapes Upwell uses are read: Hasura's
// {path, error, code} and the documented {error: {code, message,
// details}}, whose details (an array of {field, message}, or one object)
// are added to the message.
//
// # Verified writes
//
// The answer's returning record is the customer as stored. Each input
// column sent is compared with it, and a difference is reported in
// Result.Mismatches (see adapter.Mismatch for which differences count).
// The due option cannot be checked: the answer shows the rule as it was.
// Everything else in the answer is decoded leniently and only as far as
// needed, so no value in it can fail an update Upwell confirmed.
package upwell

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/oapi-codegen/nullable"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/driver"
	gen "github.com/custsync/custsync/gen/upwell"
)

// DefaultBaseURL is the server in specs/upwell.yaml.
const DefaultBaseURL = "https://api.upwell.com"

const operation = "updateCustomerBySourceSystemId"

// Environment variables read by FromEnv.
const (
	EnvAPIKey       = "UPWELL_API_KEY"
	EnvSourceSystem = "UPWELL_SOURCE_SYSTEM"
)

// Config holds the credentials and defaults of an Upwell client.
type Config struct {
	// APIKey is sent as the raw Authorization header (no "Bearer").
	APIKey adapter.Secret
	// SourceSystem is used for updates that do not name one.
	SourceSystem string
}

// New returns a client for Upwell.
func New(cfg Config, opts ...adapter.Option) (*adapter.Client, error) {
	if err := driver.CheckCredential(vendor, "APIKey", cfg.APIKey.Reveal()); err != nil {
		return nil, err
	}
	if err := checkSourceSystem("SourceSystem", cfg.SourceSystem); err != nil {
		return nil, err
	}
	account := driver.CredentialID(cfg.APIKey.Reveal())
	limits := []adapter.Limit{{Key: "upwell/" + account}}
	v := driver.Vendor{
		Name:           vendor,
		DefaultBaseURL: DefaultBaseURL,
		Fields:         fields,
		Header:         http.Header{"Authorization": {cfg.APIKey.Reveal()}, "Accept": {"application/json"}},
		Secrets:        []string{cfg.APIKey.Reveal()},
		Account:        account,
		Limits:         func(string) []adapter.Limit { return limits },
	}
	return driver.NewClient(v, func(conn driver.Conn) (driver.Driver, error) {
		return &upwellDriver{cfg: cfg, client: &gen.Client{Server: conn.Server(), Client: conn.Doer}}, nil
	}, opts...)
}

// FromEnv returns a client configured from UPWELL_API_KEY and, optionally,
// UPWELL_SOURCE_SYSTEM.
func FromEnv(opts ...adapter.Option) (*adapter.Client, error) {
	return FromLookup(os.LookupEnv, opts...)
}

// FromLookup is FromEnv reading the variables through lookup instead of
// the environment (os.LookupEnv has its shape).
func FromLookup(lookup func(string) (string, bool), opts ...adapter.Option) (*adapter.Client, error) {
	env, err := driver.Env(lookup, EnvAPIKey)
	if err != nil {
		return nil, err
	}
	source, found := lookup(EnvSourceSystem)
	if !found {
		source = ""
	}
	if err := checkSourceSystem(EnvSourceSystem, source); err != nil {
		return nil, err
	}
	return New(Config{APIKey: adapter.Secret(env[EnvAPIKey]), SourceSystem: source}, opts...)
}

// checkSourceSystem applies the rule for identifiers to the default
// sourceSystem: empty means none, and surrounding whitespace or a control
// character is refused, never trimmed ("ACME " may be another system).
// name is what the user set: the config field or the variable.
func checkSourceSystem(name, v string) error {
	if v == "" {
		return nil
	}
	if v != strings.TrimSpace(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 || !utf8.ValidString(v) {
		return &adapter.Error{Vendor: vendor, Code: adapter.InvalidArgument, Field: name,
			Message: fmt.Sprintf("%s %q has surrounding whitespace or a character that is not text; it is part of Upwell's key", name, v)}
	}
	return nil
}

// vendor is Upwell's name in errors and results.
const vendor = "upwell"

type upwellDriver struct {
	cfg    Config
	client *gen.Client
}

var _ driver.Driver = (*upwellDriver)(nil)

// Key is sourceSystem + id, as a JSON array: unambiguous whatever either holds.
func (d *upwellDriver) Key(u *adapter.CustomerUpdate) string {
	key, _ := json.Marshal([2]string{d.sourceSystem(u), u.ID})
	return string(key)
}

// fields is the mapping the package doc's table shows.
var fields = []adapter.FieldMapping{
	{Field: driver.FieldID, VendorField: "sourceSystemId"},
	{Field: driver.FieldSourceSystem, VendorField: "sourceSystem", Note: "defaults to UPWELL_SOURCE_SYSTEM"},
	{Field: driver.FieldName, VendorField: "input.name", Note: "cannot be cleared"},
	{Field: driver.FieldEmail, VendorField: "input.emailAddress"},
	{Field: driver.FieldCCEmails, VendorField: "input.ccEmailAddresses"},
	{Field: driver.FieldMetadata, VendorField: "input.metadata"},
	{Field: driver.FieldUpwellBillToCustomerID, VendorField: "input.billToCustomerId"},
	{Field: driver.FieldUpwellDueOption, VendorField: "customerRulesInput.dueOption"},
}

// sourceSystem is the update's, or the default. Neither is trimmed: both
// were checked to have no surrounding whitespace.
func (d *upwellDriver) sourceSystem(u *adapter.CustomerUpdate) string {
	if u.SourceSystem != "" {
		return u.SourceSystem
	}
	return d.cfg.SourceSystem
}

func (d *upwellDriver) Validate(u *adapter.CustomerUpdate) error {
	if d.sourceSystem(u) == "" {
		return driver.InvalidField(driver.FieldSourceSystem, "is empty and no default is configured (%s); Upwell's key is sourceSystem + id", EnvSourceSystem)
	}
	if u.Name.IsNull() {
		return driver.InvalidField(driver.FieldName, "Upwell cannot clear a customer's name")
	}
	return nil
}

func (d *upwellDriver) Update(ctx context.Context, u *adapter.CustomerUpdate) (*adapter.Result, error) {
	ctx = driver.WithOperation(ctx, operation)
	body, hasInput := request(u, d.sourceSystem(u))
	// Checked again here, right before the wire, whatever path led here:
	// an empty identifier can rewrite every customer.
	if strings.TrimSpace(*body.SourceSystem) == "" || strings.TrimSpace(*body.SourceSystemId) == "" {
		return nil, driver.InvalidField(driver.FieldID, "refusing to send an update without both sourceSystem and sourceSystemId")
	}
	if !hasInput && body.CustomerRulesInput == nil {
		return nil, driver.InvalidField("", "refusing to send an empty update")
	}
	if driver.IsDryRun(ctx) {
		// The generated client writes the body with encoding/json too.
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		return &adapter.Result{DryRun: &adapter.DryRunReport{Method: http.MethodPut, Path: "/api/rest/customers", Body: b}}, nil
	}
	resp, err := d.client.UpdateCustomerBySourceSystemId(ctx, nil, body) //nolint:bodyclose // the transport read the body whole and closed it; ReadBody hands back the copy
	if err != nil {
		return nil, err
	}
	raw := driver.ReadBody(resp)
	if resp.StatusCode != http.StatusOK {
		return nil, responseError(ctx, resp, raw)
	}
	out, err := decodeResponse(raw)
	if err != nil {
		return nil, driver.DecodeError(ctx, resp, raw, err)
	}
	return result(ctx, resp, raw, out, u, hasInput, *body.SourceSystem, *body.SourceSystemId)
}

// responseError builds the error for a status that is not 200. A 404 is
// never a missing customer at Upwell (that is 200 with affectedRows 0):
// it is Hasura's "Endpoint not found", a wrong base URL or a renamed
// endpoint, so it is a configuration error naming the URL.
func responseError(ctx context.Context, resp *http.Response, raw []byte) *adapter.Error {
	code, msg := decodeError(raw)
	e := driver.ResponseError(ctx, resp, raw, code, msg)
	if resp.StatusCode == http.StatusNotFound {
		e.Code = adapter.FailedPrecondition
		what := msg
		if what == "" {
			what = "HTTP 404"
		}
		e.Message = fmt.Sprintf("Upwell has no endpoint %s (%s); check the base URL", requestURL(resp), what)
	}
	return e
}

// requestURL is the method and URL a response answered, without query.
func requestURL(resp *http.Response) string {
	if resp.Request == nil || resp.Request.URL == nil {
		return "at the configured base URL"
	}
	u := *resp.Request.URL
	u.RawQuery, u.User = "", nil
	return resp.Request.Method + " " + u.String()
}

// answer is what an update needs from a 200 body, and nothing more: the
// counts, and the first returned record's columns kept as raw JSON. It is
// decoded in one pass, and a value it does not need can have any shape or
// size: a number beyond float64 in metadata, an enum value added
// tomorrow or a new column must never turn an update Upwell confirmed
// into a failure.
type answer struct {
	UpdateCustomer *struct {
		AffectedRows *json.Number                 `json:"affectedRows"`
		Returning    []map[string]json.RawMessage `json:"returning"`
	} `json:"updateCustomer"`
	UpdateCustomerRules *struct {
		AffectedRows *json.Number `json:"affectedRows"`
	} `json:"updateCustomerRules"`
}

// decoded is an answer with its counts read.
type decoded struct {
	rows, rulesRows int64
	hasRules        bool
	stored          map[string]json.RawMessage // the first returned record, nil when none
}

// decodeResponse reads a 200 body, which must carry an updateCustomer
// object with affectedRows: without one, affectedRows would read as 0 and
// an answer that breaks the contract (a proxy's {}, a null) would pass
// for NotFound.
func decodeResponse(raw []byte) (decoded, error) {
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil {
		return decoded{}, err
	}
	if a.UpdateCustomer == nil || a.UpdateCustomer.AffectedRows == nil {
		return decoded{}, errors.New("no updateCustomer.affectedRows in the answer")
	}
	var out decoded
	var err error
	if out.rows, err = count(*a.UpdateCustomer.AffectedRows); err != nil {
		return decoded{}, fmt.Errorf("updateCustomer.affectedRows: %w", err)
	}
	if r := a.UpdateCustomerRules; r != nil && r.AffectedRows != nil {
		if out.rulesRows, err = count(*r.AffectedRows); err != nil {
			return decoded{}, fmt.Errorf("updateCustomerRules.affectedRows: %w", err)
		}
		out.hasRules = true
	}
	if len(a.UpdateCustomer.Returning) > 0 {
		out.stored = a.UpdateCustomer.Returning[0]
	}
	return out, nil
}

// count reads a row count, which Postgres sends as an integer; 1.0 or
// 1e0 are the same count.
func count(n json.Number) (int64, error) {
	if i, err := n.Int64(); err == nil {
		return i, nil
	}
	f, err := n.Float64()
	if err != nil || f != float64(int64(f)) {
		return 0, fmt.Errorf("%s is not a row count", n)
	}
	return int64(f), nil
}

// request builds the body; hasInput reports whether input sets anything.
func request(u *adapter.CustomerUpdate, sourceSystem string) (gen.UpdateCustomerRequest, bool) {
	id := u.ID
	var in gen.CustomersSetInput
	hasInput := false
	if v, ok := u.Name.Value(); ok {
		in.Name, hasInput = &v, true
	}
	if f := nullableOf(u.Email); f != nil {
		in.EmailAddress, hasInput = *f, true
	}
	if f := nullableOf(u.CCEmails); f != nil {
		in.CcEmailAddresses, hasInput = *f, true
	}
	if !u.Metadata.IsAbsent() {
		hasInput = true
		if m, ok := u.Metadata.Value(); ok {
			in.Metadata = nullable.NewNullableWithValue[any](map[string]any(m))
		} else {
			in.Metadata = nullable.NewNullNullable[any]()
		}
	}
	var rules *gen.CustomerRulesSetInput
	if u.Upwell != nil {
		if f := nullableOf(u.Upwell.BillToCustomerID); f != nil {
			in.BillToCustomerId, hasInput = *f, true
		}
		if f := nullableOf(u.Upwell.DueOption); f != nil {
			rules = &gen.CustomerRulesSetInput{DueOption: *f}
		}
	}
	body := gen.UpdateCustomerRequest{SourceSystem: &sourceSystem, SourceSystemId: &id, CustomerRulesInput: rules}
	if hasInput {
		body.Input = &in
	}
	return body, hasInput
}

// nullableOf translates a set or cleared Field; nil when absent.
func nullableOf[T any](f adapter.Field[T]) *nullable.Nullable[T] {
	if f.IsAbsent() {
		return nil
	}
	if v, ok := f.Value(); ok {
		n := nullable.NewNullableWithValue(v)
		return &n
	}
	n := nullable.NewNullNullable[T]()
	return &n
}

func result(ctx context.Context, resp *http.Response, raw []byte, out decoded, u *adapter.CustomerUpdate, hasInput bool, sourceSystem, id string) (*adapter.Result, error) {
	notFound := func(why string) error {
		e := driver.ResponseError(ctx, resp, raw, "", fmt.Sprintf("no customer with sourceSystem %q and sourceSystemId %q (%s)", sourceSystem, id, why))
		e.Code = adapter.NotFound
		return e
	}
	switch {
	case hasInput && out.rows == 0:
		return nil, notFound("affectedRows 0")
	case !hasInput:
		// Only the rules were changed: Hasura answers affectedRows 0 for an
		// empty input, so the rules' count is the only sign of a match.
		if !out.hasRules || out.rulesRows == 0 {
			return nil, notFound("no customer rule matched; the customer may not exist or has no rules")
		}
	case out.rows > 1:
		e := driver.ResponseError(ctx, resp, raw, "", fmt.Sprintf("Upwell changed %d customers for one key (sourceSystem %q, sourceSystemId %q)", out.rows, sourceSystem, id))
		e.Code = adapter.Internal
		return nil, e
	}
	res := &adapter.Result{HTTPStatus: resp.StatusCode}
	if vid, ok := driver.StoredString(out.stored["id"]); ok {
		res.VendorID = vid
	}
	if hasInput && out.stored != nil {
		res.Mismatches = verify(u, out.stored)
	}
	return res, nil
}

// verify compares each input column sent with the record Upwell returned
// as stored. customerRulesInput.dueOption cannot be checked: Hasura runs
// updateCustomerRules after updateCustomer's returning was read, so the
// answer shows the rule as it was.
func verify(u *adapter.CustomerUpdate, stored map[string]json.RawMessage) []adapter.Mismatch {
	var v driver.Verifier
	driver.VerifyField(&v, driver.FieldName, u.Name, stored, "name")
	driver.VerifyField(&v, driver.FieldEmail, u.Email, stored, "emailAddress")
	driver.VerifyField(&v, driver.FieldCCEmails, u.CCEmails, stored, "ccEmailAddresses")
	driver.VerifyField(&v, driver.FieldMetadata, u.Metadata, stored, "metadata")
	if u.Upwell != nil {
		driver.VerifyField(&v, driver.FieldUpwellBillToCustomerID, u.Upwell.BillToCustomerID, stored, "billToCustomerId")
	}
	return v.Mismatches()
}

// errorBody is what an error answer may say, in either shape: Hasura's
// {path, error: "<text>", code} or the documented {error: {code, message,
// details}, status}, where details is an array of {field, message}
// (VALIDATION_ERROR on the error-codes page) or one object (its format
// example, {field, issue}). Every part is optional and decoded on its own,
// so an odd part never hides the others.
type errorBody struct {
	Code  json.RawMessage `json:"code"`
	Error json.RawMessage `json:"error"`
}

type errorDetail struct {
	Code    json.RawMessage `json:"code"`
	Message json.RawMessage `json:"message"`
	Details json.RawMessage `json:"details"`
}

// decodeError reads either error shape; both are empty for HTML or garbage.
func decodeError(raw []byte) (code, message string) {
	var e errorBody
	if json.Unmarshal(raw, &e) != nil {
		return "", ""
	}
	code, _ = driver.StoredString(e.Code)
	if text, ok := driver.StoredString(e.Error); ok {
		return code, text
	}
	var d errorDetail
	if json.Unmarshal(e.Error, &d) != nil {
		return code, ""
	}
	if c, ok := driver.StoredString(d.Code); ok && code == "" {
		code = c
	}
	message, _ = driver.StoredString(d.Message)
	if details := detailsText(d.Details); details != "" {
		if message == "" {
			message = details
		} else {
			message += " (" + details + ")"
		}
	}
	return code, message
}

// maxDetails caps how many details go into a message; the Client caps its
// length once credentials are scrubbed.
const maxDetails = 5

// detailsText renders details as "field: message; field: message".
func detailsText(raw json.RawMessage) string {
	type item struct {
		Field   json.RawMessage `json:"field"`
		Message json.RawMessage `json:"message"`
		Issue   json.RawMessage `json:"issue"`
	}
	var items []item
	var one item
	switch {
	case json.Unmarshal(raw, &items) == nil:
	case json.Unmarshal(raw, &one) == nil:
		items = []item{one}
	default:
		return ""
	}
	var parts []string
	for i, it := range items {
		if i == maxDetails {
			parts = append(parts, fmt.Sprintf("and %d more", len(items)-i))
			break
		}
		field, _ := driver.StoredString(it.Field)
		text, ok := driver.StoredString(it.Message)
		if !ok {
			text, _ = driver.StoredString(it.Issue)
		}
		switch {
		case field != "" && text != "":
			parts = append(parts, field+": "+text)
		case field+text != "":
			parts = append(parts, field+text)
		}
	}
	return strings.Join(parts, "; ")
}

// Limits implements adapter.RateLimited. Upwell publishes no numbers, so
// the key is paced adaptively: unlimited until a 429, slower after.
