// Package upwell is the custsync driver for Upwell's "Update a customer by
// source system id" (PUT /api/rest/customers), a Hasura REST endpoint.
//
// Client.Check asks for a customer by an id no customer has (GET
// /api/rest/customers/{id}, operation getCustomerById): it writes nothing,
// and its status alone says whether the key and base URL work.
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
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/oapi-codegen/nullable"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/driver"
	"github.com/custsync/custsync/adapter/internal/wirejson"
	gen "github.com/custsync/custsync/gen/upwell"
)

// DefaultBaseURL is the server in specs/upwell.yaml.
const DefaultBaseURL = "https://api.upwell.com"

const operation = "updateCustomerBySourceSystemId"

// checkOperation is the request of Client.Check (see upwellDriver.Check).
const checkOperation = "getCustomerById"

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
	// Upwell publishes no numbers, so the credential's key is paced
	// adaptively: unlimited until a 429, slower after.
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
		return &upwellDriver{cfg: cfg, client: &gen.Client{Server: conn.Server(), Client: conn.Doer(operation)},
			checker: &gen.Client{Server: conn.Server(), Client: conn.Doer(checkOperation)}}, nil
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
	cfg     Config
	client  *gen.Client
	checker *gen.Client // sends getCustomerById, for Check
	// The update's request as the generated builder makes it, with the
	// generated client's request editors applied, built on first use:
	// Upwell's URL has no parameter, so parsing it is per client, not per
	// update.
	template     *http.Request
	templateErr  error
	templateOnce sync.Once
}

var _ driver.Driver = (*upwellDriver)(nil)
var _ driver.Checker = (*upwellDriver)(nil)

// checkID is an id no customer has: a check reads only the status.
const checkID = "custsync-check"

// Check asks for a customer by an id no customer has. Upwell checks the
// key first; 200 (customer null) or 400 (an id its column type refuses)
// come from the endpoint itself, so the key and base URL both work.
func (d *upwellDriver) Check(ctx context.Context) error {
	resp, err := d.checker.GetCustomerById(ctx, checkID) //nolint:bodyclose // the transport read the body whole and closed it; ReadBody hands back the bytes it read
	if err != nil {
		return err
	}
	raw := driver.ReadBody(resp)
	if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusBadRequest {
		return nil
	}
	return responseError(resp, raw)
}

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

func (d *upwellDriver) Update(ctx context.Context, u *adapter.CustomerUpdate, call driver.Call) (*adapter.Result, error) {
	w, hasInput, err := request(u, d.sourceSystem(u))
	if err != nil {
		return nil, err
	}
	defer w.release()
	body := &w.body
	// Checked again here, right before the wire, whatever path led here:
	// an empty identifier can rewrite every customer.
	if strings.TrimSpace(*body.SourceSystem) == "" || strings.TrimSpace(*body.SourceSystemId) == "" {
		return nil, driver.InvalidField(driver.FieldID, "refusing to send an update without both sourceSystem and sourceSystemId")
	}
	if !hasInput && body.CustomerRulesInput == nil {
		return nil, driver.InvalidField("", "refusing to send an empty update")
	}
	// Encoded as the generated client would (encoding/json on the
	// generated type; wirejson writes the same bytes faster), once, for
	// the wire and the dry run alike.
	b, err := wirejson.Marshal(body)
	if err != nil {
		return nil, err
	}
	if call.DryRun {
		return &adapter.Result{DryRun: &adapter.DryRunReport{Method: http.MethodPut, Path: "/api/rest/customers", Body: b}}, nil
	}
	req, err := d.newRequest(ctx, b)
	if err != nil {
		return nil, err
	}
	resp, err := d.client.Client.Do(req) //nolint:bodyclose // the transport read the body whole and closed it; ReadBody hands back its bytes
	if err != nil {
		return nil, err
	}
	raw := driver.ReadBody(resp)
	if resp.StatusCode != http.StatusOK {
		return nil, responseError(resp, raw)
	}
	// The result and the decoded answer in one allocation.
	box := &struct {
		res adapter.Result
		a   answer
	}{}
	out, err := decodeResponse(raw, &box.a)
	if err != nil {
		return nil, driver.DecodeError(resp, raw, err)
	}
	return result(resp, raw, out, u, w, hasInput, &box.res)
}

// newRequest returns the update's request carrying body: a copy of the
// template the generated builder made, with its own URL and headers.
func (d *upwellDriver) newRequest(ctx context.Context, body []byte) (*http.Request, error) {
	d.templateOnce.Do(func() {
		req, err := gen.NewUpdateCustomerBySourceSystemIdRequestWithBody(d.client.Server, nil, "application/json", nil)
		for _, edit := range d.client.RequestEditors {
			if err != nil {
				break
			}
			err = edit(context.Background(), req)
		}
		d.template, d.templateErr = req, err
	})
	if d.templateErr != nil {
		return nil, d.templateErr
	}
	req := d.template.WithContext(ctx)
	u := *req.URL
	req.URL = &u
	// Its own header map, room left for what the transport adds (the
	// credentials, Accept, User-Agent); the template's values are shared,
	// as headers are only read once built.
	req.Header = make(http.Header, len(d.template.Header)+4)
	for name, values := range d.template.Header {
		req.Header[name] = values[:len(values):len(values)]
	}
	// What http.NewRequest does for a body in memory: a known length, and
	// a way to send it again on a retry.
	req.ContentLength = int64(len(body))
	rb := &replayableBody{b: body}
	rb.r.Reset(body)
	req.Body, req.GetBody = rb, rb.again
	return req, nil
}

// replayableBody is a request body in memory, readable again from the
// start for a retry (Request.GetBody), in one allocation.
type replayableBody struct {
	r bytes.Reader
	b []byte
}

func (rb *replayableBody) Read(p []byte) (int, error) { return rb.r.Read(p) }
func (rb *replayableBody) Close() error               { return nil }

func (rb *replayableBody) again() (io.ReadCloser, error) {
	next := &replayableBody{b: rb.b}
	next.r.Reset(rb.b)
	return next, nil
}

// responseError builds the error for a status that is not 200. A 404 is
// never a missing customer at Upwell (that is 200 with affectedRows 0):
// it is Hasura's "Endpoint not found", a wrong base URL or a renamed
// endpoint, so it is a configuration error naming the URL.
func responseError(resp *http.Response, raw []byte) *adapter.Error {
	code, msg := decodeError(raw)
	e := driver.ResponseError(resp, raw, code, msg)
	if resp.StatusCode == http.StatusNotFound {
		e.Code, e.Config = adapter.FailedPrecondition, true
		what := msg
		if what == "" {
			what = "HTTP 404"
		}
		e.Message = fmt.Sprintf("Upwell has no endpoint %s (%s); check the base URL", driver.RequestURL(resp), what)
	}
	return e
}

// answer is what an update needs from a 200 body, and nothing more: the
// counts, and the columns of the first returned record that an update
// can write, kept as raw JSON. It is decoded in one pass, and a value it
// does not need can have any shape or size: a number beyond float64 in
// metadata, an enum value added tomorrow or a new column must never turn
// an update Upwell confirmed into a failure.
type answer struct {
	UpdateCustomer struct {
		AffectedRows rowCount `json:"affectedRows"`
		// Only the first record is verified: an array of one keeps
		// it without allocating a slice (the rest are skipped). No
		// record, or one without the columns below, leaves it zero, with
		// nothing to verify either way.
		Returning [1]storedCustomer `json:"returning"`
	} `json:"updateCustomer"`
	UpdateCustomerRules rulesCount `json:"updateCustomerRules"`
}

type rulesCount struct {
	AffectedRows rowCount `json:"affectedRows"`
}

// countsOnly reads an answer that answer could not: the update's count,
// and the rest raw. A returning list or a rules count of another shape
// (an object, a string item) leaves nothing to verify, never an error:
// the counts say whether the update took effect.
type countsOnly struct {
	UpdateCustomer struct {
		AffectedRows rowCount `json:"affectedRows"`
	} `json:"updateCustomer"`
	UpdateCustomerRules json.RawMessage `json:"updateCustomerRules"`
}

// rowCount is an affectedRows as sent, and whether the answer had one
// (null or missing: not). It decodes as a *json.Number would, without the
// pointer: a number, or a string holding one. The number is a named
// field, not embedded: an embedded json.Number would lend rowCount the
// decoding methods json.Number has in newer Go (go1.27 decodes through
// them, past this UnmarshalJSON, and present stayed false).
type rowCount struct {
	Number  json.Number
	present bool
}

func (c *rowCount) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*c = rowCount{} // a null after a count (a duplicate key) is no count
		return nil
	}
	if b[0] == '-' || '0' <= b[0] && b[0] <= '9' {
		// A number literal, already checked by the decoder calling here.
		c.Number, c.present = json.Number(b), true
		return nil
	}
	if err := json.Unmarshal(b, &c.Number); err != nil { // a string holding one, or an error
		return err
	}
	c.present = true
	return nil
}

// storedCustomer is a returned record: the columns an update writes, as
// raw JSON (nil when the record does not show one), and the id. Every
// other column is skipped unread. The names match exactly (case:strict):
// Postgres and GraphQL names are case-sensitive, and a column "Name"
// beside "name" is not the name. go1.27's encoding/json (the toolchain
// go.mod names) honours the option; an older Go ignores it and matches
// regardless of case, so such a column can read as a mismatch.
type storedCustomer struct {
	ID               json.RawMessage `json:"id,case:strict"`
	Name             json.RawMessage `json:"name,case:strict"`
	EmailAddress     json.RawMessage `json:"emailAddress,case:strict"`
	CcEmailAddresses json.RawMessage `json:"ccEmailAddresses,case:strict"`
	Metadata         json.RawMessage `json:"metadata,case:strict"`
	BillToCustomerID json.RawMessage `json:"billToCustomerId,case:strict"`
}

// decoded is an answer with its counts read.
type decoded struct {
	rows, rulesRows int64
	hasRules        bool
	stored          *storedCustomer // the first returned record; zero when none
}

// decodeResponse reads a 200 body, which must carry an updateCustomer
// object with affectedRows: without one, affectedRows would read as 0 and
// an answer that breaks the contract (a proxy's {}, a null) would pass
// for NotFound.
func decodeResponse(raw []byte, a *answer) (decoded, error) {
	if !decodeUsual(raw, a) {
		*a = answer{} // decodeUsual may have read part of it
		if err := decodeWithJSON(raw, a); err != nil {
			return decoded{}, err
		}
	}
	return counted(a)
}

// decodeWithJSON reads any answer with encoding/json: in one pass when
// every part has its usual shape, else again for the counts alone.
func decodeWithJSON(raw []byte, a *answer) error {
	err := json.Unmarshal(raw, a)
	if err == nil {
		return nil
	}
	var c countsOnly
	if json.Unmarshal(raw, &c) != nil {
		return err
	}
	*a = answer{}
	a.UpdateCustomer.AffectedRows = c.UpdateCustomer.AffectedRows
	if json.Unmarshal(c.UpdateCustomerRules, &a.UpdateCustomerRules) != nil {
		a.UpdateCustomerRules = rulesCount{}
	}
	return nil
}

// counted reads the counts of a decoded answer.
func counted(a *answer) (decoded, error) {
	if !a.UpdateCustomer.AffectedRows.present {
		return decoded{}, errors.New("no updateCustomer.affectedRows in the answer")
	}
	var out decoded
	var err error
	if out.rows, err = count(a.UpdateCustomer.AffectedRows.Number); err != nil {
		return decoded{}, fmt.Errorf("updateCustomer.affectedRows: %w", err)
	}
	if r := a.UpdateCustomerRules; r.AffectedRows.present {
		if out.rulesRows, err = count(r.AffectedRows.Number); err != nil {
			return decoded{}, fmt.Errorf("updateCustomerRules.affectedRows: %w", err)
		}
		out.hasRules = true
	}
	out.stored = &a.UpdateCustomer.Returning[0]
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

// wireRequest holds the body and everything it points to, so building
// it costs no allocation per pointer. wireRequests are pooled with the
// maps of their nullable fields (a Nullable is a map), which are reused.
type wireRequest struct {
	body             gen.UpdateCustomerRequest
	input            gen.CustomersSetInput
	rules            gen.CustomerRulesSetInput
	sourceSystem, id string
	name             string
	// metadata is the metadata as sent, encoded once for the body and
	// for verifying the write; nil when the update does not set it.
	metadata json.RawMessage

	// The maps the nullable fields above were last built in.
	email    nullable.Nullable[string]
	ccEmails nullable.Nullable[[]string]
	meta     nullable.Nullable[any]
	billTo   nullable.Nullable[string]
	due      nullable.Nullable[int32]
}

var wireRequests = sync.Pool{New: func() any { return new(wireRequest) }}

// release returns w to the pool once nothing refers to it any more: the
// body has been encoded and the answer verified.
func (w *wireRequest) release() {
	spare := wireRequest{email: w.email, ccEmails: w.ccEmails, meta: w.meta, billTo: w.billTo, due: w.due}
	clear(spare.email)
	clear(spare.ccEmails)
	clear(spare.meta)
	clear(spare.billTo)
	clear(spare.due)
	*w = spare // nothing of the update or its answer stays reachable
	wireRequests.Put(w)
}

// request builds the body; hasInput reports whether input sets anything.
// The caller releases the wireRequest.
func request(u *adapter.CustomerUpdate, sourceSystem string) (*wireRequest, bool, error) {
	w := wireRequests.Get().(*wireRequest)
	w.sourceSystem, w.id = sourceSystem, u.ID
	in := &w.input
	hasInput := false
	if v, ok := u.Name.Value(); ok {
		w.name = v
		in.Name, hasInput = &w.name, true
	}
	if nullableOf(&w.email, u.Email) {
		in.EmailAddress, hasInput = w.email, true
	}
	if nullableOf(&w.ccEmails, u.CCEmails) {
		in.CcEmailAddresses, hasInput = w.ccEmails, true
	}
	if m, ok := u.Metadata.Value(); ok {
		b, err := json.Marshal(map[string]any(m))
		if err != nil {
			w.release()
			return nil, false, err
		}
		// Sent as encoded here: encoding/json copies a RawMessage
		// into the body as it would have written the map.
		w.metadata = b
		nullableOf(&w.meta, adapter.Set[any](json.RawMessage(b)))
		in.Metadata, hasInput = w.meta, true
	} else if u.Metadata.IsNull() {
		nullableOf(&w.meta, adapter.Clear[any]())
		in.Metadata, hasInput = w.meta, true
	}
	body := &w.body
	body.SourceSystem, body.SourceSystemId = &w.sourceSystem, &w.id
	if u.Upwell != nil {
		if nullableOf(&w.billTo, u.Upwell.BillToCustomerID) {
			in.BillToCustomerId, hasInput = w.billTo, true
		}
		if nullableOf(&w.due, u.Upwell.DueOption) {
			w.rules.DueOption = w.due
			body.CustomerRulesInput = &w.rules
		}
	}
	if hasInput {
		body.Input = in
	}
	return w, hasInput, nil
}

// nullableOf translates a set or cleared Field into *n, reusing the map
// *n holds, and reports whether f is set or cleared (false: absent, *n
// untouched). It writes what Nullable.Set and SetNull would, the entry
// true: value or false: zero (the representation nullable documents);
// TestAReusedNullableIsANewOne holds it to them.
func nullableOf[T any](n *nullable.Nullable[T], f adapter.Field[T]) bool {
	if f.IsAbsent() {
		return false
	}
	if *n == nil {
		*n = make(nullable.Nullable[T], 1)
	} else {
		clear(*n)
	}
	if v, ok := f.Value(); ok {
		(*n)[true] = v
	} else {
		var zero T
		(*n)[false] = zero
	}
	return true
}

func result(resp *http.Response, raw []byte, out decoded, u *adapter.CustomerUpdate, sent *wireRequest, hasInput bool, res *adapter.Result) (*adapter.Result, error) {
	sourceSystem, id := sent.sourceSystem, sent.id
	notFound := func(why string) error {
		e := driver.ResponseError(resp, raw, "", fmt.Sprintf("no customer with sourceSystem %q and sourceSystemId %q (%s)", sourceSystem, id, why))
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
		e := driver.ResponseError(resp, raw, "", fmt.Sprintf("Upwell changed %d customers for one key (sourceSystem %q, sourceSystemId %q)", out.rows, sourceSystem, id))
		e.Code = adapter.Internal
		return nil, e
	}
	res.HTTPStatus = resp.StatusCode
	if vid, ok := driver.StoredString(out.stored.ID); ok {
		res.VendorID = vid
	}
	if hasInput {
		res.Mismatches = verify(u, sent, out.stored)
	}
	return res, nil
}

// verify compares each input column sent with the record Upwell returned
// as stored. customerRulesInput.dueOption cannot be checked: Hasura runs
// updateCustomerRules after updateCustomer's returning was read, so the
// answer shows the rule as it was.
func verify(u *adapter.CustomerUpdate, sent *wireRequest, stored *storedCustomer) []adapter.Mismatch {
	var v driver.Verifier
	driver.VerifyStored(&v, driver.FieldName, u.Name, stored.Name)
	driver.VerifyStored(&v, driver.FieldEmail, u.Email, stored.EmailAddress)
	driver.VerifyStored(&v, driver.FieldCCEmails, u.CCEmails, stored.CcEmailAddresses)
	if sent.metadata != nil {
		v.Compare(driver.FieldMetadata, sent.metadata, stored.Metadata)
	} else {
		driver.VerifyStored(&v, driver.FieldMetadata, u.Metadata, stored.Metadata) // cleared
	}
	if u.Upwell != nil {
		driver.VerifyStored(&v, driver.FieldUpwellBillToCustomerID, u.Upwell.BillToCustomerID, stored.BillToCustomerID)
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
