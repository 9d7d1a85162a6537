// Package upwell is the custsync driver for Upwell's "Update a customer by
// source system id" (PUT /api/rest/customers), a Hasura REST endpoint.
//
// # Field mapping
//
//	portable                 Upwell
//	id                       sourceSystemId (body)
//	sourceSystem             sourceSystem (body); Config.SourceSystem when absent
//	name                     input.name (cannot be cleared)
//	email                    input.emailAddress
//	ccEmails                 input.ccEmailAddresses
//	metadata                 input.metadata (jsonb)
//	upwell.billToCustomerId  input.billToCustomerId
//	upwell.dueOption         customerRulesInput.dueOption
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
//   - Internal: HTTP 500, a 200 body that does not match the spec, or more
//     than one customer changed for one key.
//   - Unavailable / DeadlineExceeded: network failures, 502/503/504.
//
// Error bodies in both shapes Upwell uses are read: Hasura's
// {path, error, code} and the documented {error: {code, message}}.
package upwell

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/oapi-codegen/nullable"

	"github.com/custsync/custsync/adapter"
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
	if err := adapter.CheckCredential("upwell", "APIKey", cfg.APIKey.Reveal()); err != nil {
		return nil, err
	}
	d := &driver{cfg: cfg}
	d.limits = []adapter.Limit{{Key: "upwell/" + adapter.CredentialID(cfg.APIKey.Reveal())}}
	return adapter.NewClient(d, opts...)
}

// FromEnv returns a client configured from UPWELL_API_KEY and, optionally,
// UPWELL_SOURCE_SYSTEM.
func FromEnv(opts ...adapter.Option) (*adapter.Client, error) {
	env, err := adapter.Env(EnvAPIKey)
	if err != nil {
		return nil, err
	}
	return New(Config{APIKey: adapter.Secret(env[EnvAPIKey]), SourceSystem: strings.TrimSpace(os.Getenv(EnvSourceSystem))}, opts...)
}

type driver struct {
	cfg    Config
	client *gen.Client
	limits []adapter.Limit // computed once: CredentialID hashes
}

var _ adapter.Driver = (*driver)(nil)

func (d *driver) Vendor() string         { return "upwell" }
func (d *driver) DefaultBaseURL() string { return DefaultBaseURL }
func (d *driver) Secrets() []string      { return []string{d.cfg.APIKey.Reveal()} }
func (d *driver) Account() string        { return adapter.CredentialID(d.cfg.APIKey.Reveal()) }

// Key is sourceSystem + id, as a JSON array: unambiguous whatever either holds.
func (d *driver) Key(u *adapter.CustomerUpdate) string {
	key, _ := json.Marshal([2]string{d.sourceSystem(u), u.ID})
	return string(key)
}

func (d *driver) Fields() []adapter.FieldMapping {
	return []adapter.FieldMapping{
		{Field: adapter.FieldID, VendorField: "sourceSystemId"},
		{Field: adapter.FieldSourceSystem, VendorField: "sourceSystem", Note: "defaults to UPWELL_SOURCE_SYSTEM"},
		{Field: adapter.FieldName, VendorField: "input.name", Note: "cannot be cleared"},
		{Field: adapter.FieldEmail, VendorField: "input.emailAddress"},
		{Field: adapter.FieldCCEmails, VendorField: "input.ccEmailAddresses"},
		{Field: adapter.FieldMetadata, VendorField: "input.metadata"},
		{Field: adapter.FieldUpwellBillToCustomerID, VendorField: "input.billToCustomerId"},
		{Field: adapter.FieldUpwellDueOption, VendorField: "customerRulesInput.dueOption"},
	}
}

func (d *driver) Open(baseURL string, doer adapter.HTTPDoer) error {
	c, err := gen.NewClient(baseURL, gen.WithHTTPClient(doer), gen.WithRequestEditorFn(d.authorize))
	if err != nil {
		return err
	}
	d.client = c
	return nil
}

func (d *driver) authorize(_ context.Context, req *http.Request) error {
	req.Header.Set("Authorization", d.cfg.APIKey.Reveal())
	req.Header.Set("Accept", "application/json")
	return nil
}

func (d *driver) sourceSystem(u *adapter.CustomerUpdate) string {
	if s := strings.TrimSpace(u.SourceSystem); s != "" {
		return s
	}
	return strings.TrimSpace(d.cfg.SourceSystem)
}

func (d *driver) Validate(u *adapter.CustomerUpdate) error {
	if d.sourceSystem(u) == "" {
		return adapter.InvalidField(adapter.FieldSourceSystem, "is empty and no default is configured (%s); Upwell's key is sourceSystem + id", EnvSourceSystem)
	}
	if u.Name.IsNull() {
		return adapter.InvalidField(adapter.FieldName, "Upwell cannot clear a customer's name")
	}
	return nil
}

func (d *driver) Update(ctx context.Context, u *adapter.CustomerUpdate) (*adapter.Result, error) {
	ctx = adapter.WithOperation(ctx, operation)
	body, hasInput := request(u, d.sourceSystem(u))
	// Checked again here, right before the wire, whatever path led here:
	// an empty identifier can rewrite every customer.
	if strings.TrimSpace(*body.SourceSystem) == "" || strings.TrimSpace(*body.SourceSystemId) == "" {
		return nil, adapter.InvalidField(adapter.FieldID, "refusing to send an update without both sourceSystem and sourceSystemId")
	}
	if !hasInput && body.CustomerRulesInput == nil {
		return nil, adapter.InvalidField("", "refusing to send an empty update")
	}
	if adapter.IsDryRun(ctx) {
		// The generated client writes the body with encoding/json too.
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		return &adapter.Result{DryRun: &adapter.DryRunReport{Method: http.MethodPut, Path: "/api/rest/customers", Body: b}}, nil
	}
	resp, err := d.client.UpdateCustomerBySourceSystemId(ctx, nil, body)
	if err != nil {
		return nil, err
	}
	raw := adapter.ReadBody(resp)
	if resp.StatusCode != http.StatusOK {
		code, msg := decodeError(raw)
		return nil, adapter.ResponseError(ctx, resp, raw, code, msg)
	}
	out, err := decodeResponse(raw)
	if err != nil {
		return nil, adapter.DecodeError(ctx, resp, raw, err)
	}
	return result(ctx, resp, raw, out, hasInput, *body.SourceSystem, *body.SourceSystemId)
}

// decodeResponse reads a 200 body, which must carry an updateCustomer
// object: without one, affectedRows would read as 0 and an answer that
// breaks the contract (a proxy's {}, a null) would pass for NotFound.
func decodeResponse(raw []byte) (gen.UpdateCustomerResponse, error) {
	var out gen.UpdateCustomerResponse
	var shape struct {
		UpdateCustomer map[string]json.RawMessage `json:"updateCustomer"`
	}
	if err := json.Unmarshal(raw, &shape); err != nil {
		return out, err
	}
	if _, ok := shape.UpdateCustomer["affectedRows"]; !ok {
		return out, errors.New("no updateCustomer.affectedRows in the answer")
	}
	return out, json.Unmarshal(raw, &out)
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

func result(ctx context.Context, resp *http.Response, raw []byte, out gen.UpdateCustomerResponse, hasInput bool, sourceSystem, id string) (*adapter.Result, error) {
	notFound := func(why string) error {
		e := adapter.ResponseError(ctx, resp, raw, "", fmt.Sprintf("no customer with sourceSystem %q and sourceSystemId %q (%s)", sourceSystem, id, why))
		e.Code = adapter.NotFound
		return e
	}
	rows := out.UpdateCustomer.AffectedRows
	switch {
	case hasInput && rows == 0:
		return nil, notFound("affectedRows 0")
	case !hasInput:
		// Only the rules were changed: Hasura answers affectedRows 0 for an
		// empty input, so the rules' count is the only sign of a match.
		rules, err := out.UpdateCustomerRules.Get()
		if err != nil || rules.AffectedRows == 0 {
			return nil, notFound("no customer rule matched; the customer may not exist or has no rules")
		}
	case rows > 1:
		e := adapter.ResponseError(ctx, resp, raw, "", fmt.Sprintf("Upwell changed %d customers for one key (sourceSystem %q, sourceSystemId %q)", rows, sourceSystem, id))
		e.Code = adapter.Internal
		return nil, e
	}
	res := &adapter.Result{HTTPStatus: resp.StatusCode}
	if out.UpdateCustomer.Returning != nil && len(*out.UpdateCustomer.Returning) > 0 {
		if vid := (*out.UpdateCustomer.Returning)[0].Id; vid != nil {
			res.VendorID = *vid
		}
	}
	return res, nil
}

// decodeError reads either error shape; both are empty for HTML or garbage.
func decodeError(raw []byte) (code, message string) {
	var e gen.Error
	if json.Unmarshal(raw, &e) != nil {
		return "", ""
	}
	if e.Code != nil {
		code = *e.Code
	}
	if e.Error == nil {
		return code, ""
	}
	if s, err := e.Error.AsErrorError0(); err == nil {
		return code, s
	}
	if d, err := e.Error.AsErrorDetail(); err == nil {
		if d.Code != nil && code == "" {
			code = *d.Code
		}
		if d.Message != nil {
			message = *d.Message
		}
	}
	return code, message
}

// Limits implements adapter.RateLimited. Upwell publishes no numbers, so
// the key is paced adaptively: unlimited until a 429, slower after.
func (d *driver) Limits(string) []adapter.Limit { return d.limits }
