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
	"net/url"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/internal/wirejson"
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
	if err := checkSourceSystem("SourceSystem", cfg.SourceSystem); err != nil {
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
	source := os.Getenv(EnvSourceSystem)
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
		return &adapter.Error{Vendor: "upwell", Code: adapter.InvalidArgument, Field: name,
			Message: fmt.Sprintf("%s %q has surrounding whitespace or a character that is not text; it is part of Upwell's key", name, v)}
	}
	return nil
}

type driver struct {
	cfg  Config
	url  *url.URL // the operation's URL, parsed once
	doer adapter.HTTPDoer
	// authorization is the header's value, shared by every request.
	authorization []string
	limits        []adapter.Limit // computed once: CredentialID hashes
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
	u, err := url.Parse(baseURL + updatePath)
	if err != nil {
		return err
	}
	d.url, d.doer = u, doer
	d.authorization = []string{d.cfg.APIKey.Reveal()}
	return nil
}

// updatePath is the operation's path in specs/upwell.yaml, after the base URL.
const updatePath = "/api/rest/customers"

// newRequest is the PUT of body, with the headers the generated client
// would set, built without parsing the URL again. The header values are
// the driver's own one-element slices, shared by every request: net/http
// copies a Header before changing it, and Set replaces a value, never
// writes into it.
func (d *driver) newRequest(ctx context.Context, body []byte) *http.Request {
	u := *d.url
	req := &http.Request{
		Method: http.MethodPut, URL: &u, Host: u.Host,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{
			"Authorization": d.authorization,
			"Accept":        jsonMediaType,
			"Content-Type":  jsonMediaType,
		},
		ContentLength: int64(len(body)),
		Body:          newBody(body),
		GetBody:       func() (io.ReadCloser, error) { return newBody(body), nil },
	}
	return req.WithContext(ctx)
}

var jsonMediaType = []string{"application/json"}

// body is a request body over bytes, closed as a no-op: one allocation
// where io.NopCloser(bytes.NewReader(b)) makes two.
type body struct{ bytes.Reader }

func newBody(b []byte) *body {
	r := &body{}
	r.Reset(b)
	return r
}

func (*body) Close() error { return nil }

// sourceSystem is the update's, or the default. Neither is trimmed: both
// were checked to have no surrounding whitespace.
func (d *driver) sourceSystem(u *adapter.CustomerUpdate) string {
	if u.SourceSystem != "" {
		return u.SourceSystem
	}
	return d.cfg.SourceSystem
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
	sourceSystem := d.sourceSystem(u)
	// Checked again here, right before the wire, whatever path led here:
	// an empty identifier can rewrite every customer.
	if strings.TrimSpace(sourceSystem) == "" || strings.TrimSpace(u.ID) == "" {
		return nil, adapter.InvalidField(adapter.FieldID, "refusing to send an update without both sourceSystem and sourceSystemId")
	}
	body, sent, hasInput, hasRules, err := encodeRequest(make([]byte, 0, 256), u, sourceSystem)
	if err != nil {
		return nil, err
	}
	if !hasInput && !hasRules {
		return nil, adapter.InvalidField("", "refusing to send an empty update")
	}
	resp, err := d.doer.Do(d.newRequest(ctx, body))
	if err != nil {
		return nil, err
	}
	raw := adapter.ReadBody(resp)
	if resp.StatusCode != http.StatusOK {
		return nil, responseError(ctx, resp, raw)
	}
	out, err := decodeResponse(raw)
	if err != nil {
		return nil, adapter.DecodeError(ctx, resp, raw, err)
	}
	return result(ctx, resp, raw, out, sent, hasInput, sourceSystem, u.ID)
}

// responseError builds the error for a status that is not 200. A 404 is
// never a missing customer at Upwell (that is 200 with affectedRows 0):
// it is Hasura's "Endpoint not found", a wrong base URL or a renamed
// endpoint, so it is a configuration error naming the URL.
func responseError(ctx context.Context, resp *http.Response, raw []byte) *adapter.Error {
	code, msg := decodeError(raw)
	e := adapter.ResponseError(ctx, resp, raw, code, msg)
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
	UpdateCustomer struct {
		AffectedRows json.Number `json:"affectedRows"` // "" when absent
		// The first record is all an update of one key reads; more are
		// discarded unread (and counted by affectedRows).
		Returning [1]storedRecord `json:"returning"`
	} `json:"updateCustomer"`
	UpdateCustomerRules struct {
		AffectedRows json.Number `json:"affectedRows"`
	} `json:"updateCustomerRules"`
}

// storedRecord is the columns of a returned record that an update reads:
// its id and the input columns it may have sent, each as raw JSON (nil
// when the answer has no such column). Any other column is skipped
// unread, whatever it holds.
type storedRecord struct {
	ID               rawRef `json:"id"`
	Name             rawRef `json:"name"`
	EmailAddress     rawRef `json:"emailAddress"`
	CcEmailAddresses rawRef `json:"ccEmailAddresses"`
	Metadata         rawRef `json:"metadata"`
	BillToCustomerID rawRef `json:"billToCustomerId"`
}

// rawRef is a json.RawMessage that refers to the answer instead of copying
// it: encoding/json hands UnmarshalJSON a slice of the very bytes given to
// Unmarshal, and the answer is neither changed nor reused while the
// update reads it (Mismatch.Stored keeps it alive after).
type rawRef []byte

func (r *rawRef) UnmarshalJSON(b []byte) error {
	*r = b[:len(b):len(b)]
	return nil
}

// decoded is an answer with its counts read.
type decoded struct {
	rows, rulesRows int64
	hasRules        bool
	stored          *storedRecord // the first returned record, nil when none
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
	if a.UpdateCustomer.AffectedRows == "" {
		return decoded{}, errors.New("no updateCustomer.affectedRows in the answer")
	}
	var out decoded
	var err error
	if out.rows, err = count(a.UpdateCustomer.AffectedRows); err != nil {
		return decoded{}, fmt.Errorf("updateCustomer.affectedRows: %w", err)
	}
	if r := a.UpdateCustomerRules.AffectedRows; r != "" {
		if out.rulesRows, err = count(r); err != nil {
			return decoded{}, fmt.Errorf("updateCustomerRules.affectedRows: %w", err)
		}
		out.hasRules = true
	}
	if first := &a.UpdateCustomer.Returning[0]; first.ID != nil || first.Name != nil || first.EmailAddress != nil ||
		first.CcEmailAddresses != nil || first.Metadata != nil || first.BillToCustomerID != nil {
		out.stored = first
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

// appendString appends a set string field, or null for a cleared one.
func appendString(b []byte, f adapter.Field[string]) []byte {
	if v, ok := f.Value(); ok {
		return wirejson.String(b, v)
	}
	return append(b, "null"...)
}

// sentColumns holds, for each input column sent, its value as it went on
// the wire (a slice of the request body, nil when not sent): verification
// compares these bytes with the stored record without encoding again.
type sentColumns struct {
	name, email, ccEmails, metadata, billTo []byte
}

// encodeRequest builds the body by hand, in the generated
// UpdateCustomerRequest's field order and byte for byte what marshalling
// it would give (TestTheHandBuiltBodyIsTheGeneratedTypesBody holds it to
// that): the generated types cost a dozen allocations per update in
// nullable wrappers and marshalling. hasInput reports whether input sets
// anything, hasRules whether customerRulesInput is sent.
func encodeRequest(dst []byte, u *adapter.CustomerUpdate, sourceSystem string) (body []byte, sent sentColumns, hasInput, hasRules bool, err error) {
	b := append(dst, '{')
	top := 0
	if u.Upwell != nil && !u.Upwell.DueOption.IsAbsent() {
		hasRules = true
		b = append(wirejson.Key(b, &top, "customerRulesInput"), `{"dueOption":`...)
		if v, ok := u.Upwell.DueOption.Value(); ok {
			b = wirejson.Int(b, int64(v))
		} else {
			b = append(b, "null"...)
		}
		b = append(b, '}')
	}
	var billTo adapter.Field[string]
	if u.Upwell != nil {
		billTo = u.Upwell.BillToCustomerID
	}
	hasName := !u.Name.IsAbsent() && !u.Name.IsNull() // a null name is refused by Validate
	if !billTo.IsAbsent() || !u.CCEmails.IsAbsent() || !u.Email.IsAbsent() || !u.Metadata.IsAbsent() || hasName {
		hasInput = true
		b = append(wirejson.Key(b, &top, "input"), '{')
		in := 0
		var start int
		if !billTo.IsAbsent() {
			b = wirejson.Key(b, &in, "billToCustomerId")
			start = len(b)
			b = appendString(b, billTo)
			sent.billTo = b[start:len(b):len(b)]
		}
		if !u.CCEmails.IsAbsent() {
			b = wirejson.Key(b, &in, "ccEmailAddresses")
			start = len(b)
			if v, ok := u.CCEmails.Value(); ok {
				b = wirejson.Strings(b, v)
			} else {
				b = append(b, "null"...)
			}
			sent.ccEmails = b[start:len(b):len(b)]
		}
		if !u.Email.IsAbsent() {
			b = wirejson.Key(b, &in, "emailAddress")
			start = len(b)
			b = appendString(b, u.Email)
			sent.email = b[start:len(b):len(b)]
		}
		if !u.Metadata.IsAbsent() {
			b = wirejson.Key(b, &in, "metadata")
			start = len(b)
			if m, ok := u.Metadata.Value(); ok {
				if b, err = wirejson.Value(b, map[string]any(m)); err != nil {
					return nil, sent, false, false, adapter.InvalidField(adapter.FieldMetadata, "cannot be encoded as JSON: %v", err)
				}
			} else {
				b = append(b, "null"...)
			}
			sent.metadata = b[start:len(b):len(b)]
		}
		if hasName {
			b = wirejson.Key(b, &in, "name")
			start = len(b)
			b = appendString(b, u.Name)
			sent.name = b[start:len(b):len(b)]
		}
		b = append(b, '}')
	}
	b = wirejson.String(wirejson.Key(b, &top, "sourceSystem"), sourceSystem)
	b = wirejson.String(wirejson.Key(b, &top, "sourceSystemId"), u.ID)
	return append(b, '}'), sent, hasInput, hasRules, nil
}

func result(ctx context.Context, resp *http.Response, raw []byte, out decoded, sent sentColumns, hasInput bool, sourceSystem, id string) (*adapter.Result, error) {
	notFound := func(why string) error {
		e := adapter.ResponseError(ctx, resp, raw, "", fmt.Sprintf("no customer with sourceSystem %q and sourceSystemId %q (%s)", sourceSystem, id, why))
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
		e := adapter.ResponseError(ctx, resp, raw, "", fmt.Sprintf("Upwell changed %d customers for one key (sourceSystem %q, sourceSystemId %q)", out.rows, sourceSystem, id))
		e.Code = adapter.Internal
		return nil, e
	}
	res := &adapter.Result{HTTPStatus: resp.StatusCode}
	if out.stored == nil {
		return res, nil
	}
	if vid, ok := adapter.StoredString(json.RawMessage(out.stored.ID)); ok {
		res.VendorID = vid
	}
	if hasInput {
		res.Mismatches = verify(sent, out.stored)
	}
	return res, nil
}

// verify compares each input column sent, as sent, with the record Upwell
// returned as stored. customerRulesInput.dueOption cannot be checked:
// Hasura runs updateCustomerRules after updateCustomer's returning was
// read, so the answer shows the rule as it was.
func verify(sent sentColumns, stored *storedRecord) []adapter.Mismatch {
	var v adapter.Verifier
	v.Compare(adapter.FieldName, sent.name, json.RawMessage(stored.Name))
	v.Compare(adapter.FieldEmail, sent.email, json.RawMessage(stored.EmailAddress))
	v.Compare(adapter.FieldCCEmails, sent.ccEmails, json.RawMessage(stored.CcEmailAddresses))
	v.Compare(adapter.FieldMetadata, sent.metadata, json.RawMessage(stored.Metadata))
	v.Compare(adapter.FieldUpwellBillToCustomerID, sent.billTo, json.RawMessage(stored.BillToCustomerID))
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
	code, _ = adapter.StoredString(e.Code)
	if text, ok := adapter.StoredString(e.Error); ok {
		return code, text
	}
	var d errorDetail
	if json.Unmarshal(e.Error, &d) != nil {
		return code, ""
	}
	if c, ok := adapter.StoredString(d.Code); ok && code == "" {
		code = c
	}
	message, _ = adapter.StoredString(d.Message)
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
		field, _ := adapter.StoredString(it.Field)
		text, ok := adapter.StoredString(it.Message)
		if !ok {
			text, _ = adapter.StoredString(it.Issue)
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
func (d *driver) Limits(string) []adapter.Limit { return d.limits }
