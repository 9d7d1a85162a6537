// Package billbee is the custsync driver for Billbee's "Updates a customer
// by id" (PUT /api/v1/customers/{id}, operation Customer_Update).
//
// Client.Check reads a customer (Customer_GetOne, as an update's read
// does): it writes nothing, and an answer about the customer, found or
// not, says the credentials and base URL work.
//
// # Field mapping
//
//	portable              Billbee          note
//	id                    {id} (path), Id  in the path and the body; an
//	                                       int64, written as a decimal
//	                                       string
//	name                  Name
//	email                 Email
//	phone                 Tel1
//	vatId                 VatId
//	billbee.priceGroupId  PriceGroupId     > 0
//	billbee.languageId    LanguageId       > 0
//	billbee.type          Type             0 = end customer, 1 = business
//	                                       customer
//	billbee.number        Number           >= 0
//
// Client.Fields returns the same mapping; a test keeps the two in step.
//
// Every other portable field has no place at Billbee: InvalidArgument, or
// dropped in lenient mode.
//
//   - firstName, lastName: a Billbee customer has one Name; first and last
//     names live on its addresses, which are another endpoint.
//   - ccEmails: Billbee has no list of copy addresses. Extra e-mails are
//     MetaData entries whose ids Billbee assigns.
//   - metadata: Billbee's MetaData is a typed list of contact entries
//     ({Id, TypeId, SubType, Value}), not a free JSON object.
//   - modifiedAt: Billbee keeps no such field.
//   - sourceSystem and upwell.*: Upwell's.
//
// Tel2, the Default* contact entries (DefaultMailAddress,
// DefaultCommercialMailAddress, DefaultStatusUpdatesMailAddress,
// DefaultPhone1, DefaultPhone2, DefaultFax) and MetaData have no portable
// field; they are sent back exactly as read. Setting email changes Email
// only, not the e-mail contact entries.
//
// # Read, modify, write
//
// Billbee's PUT replaces the customer: a field not sent may be blanked. So
// an update reads the customer first (GET /api/v1/customers/{id},
// Customer_GetOne), applies the change to what it read and sends the whole
// record back: Data exactly as read, member for member (null stays null,
// absent stays absent, values go back byte for byte but for the spaces
// between tokens), without the read-only TypeName of the contact entries
// and without ArchivedAt and RestoredAt, with the fields the update sets
// or clears written over it. Fields Billbee sends that this package's spec
// does not know yet are sent back as read like any other. Names are
// matched without regard to letter case, as Billbee's ASP.NET binder
// matches them, so a field read as "name" is not sent beside the update's
// "Name", and a field Data holds under two spellings is read, and sent
// once, as the binder takes it: the last written. Inside a contact entry
// the members go back in the order read. An update therefore costs two
// requests (Result.Attempts counts
// both) and is not atomic: a change made at Billbee between the read and
// the write is overwritten.
//
// An update whose fields Billbee already holds (each value read decodes
// to the update's) sends only the read: Result.Unchanged. A dry run
// reports, per field, the value as read and the one the write would send.
//
// # Errors
//
//   - InvalidArgument: bad input, before any request (an id that is not a
//     positive integer, billbee.type not 0 or 1, a priceGroupId or
//     languageId not above 0, a negative number); HTTP 400 (the ASP.NET
//     ModelState entries are in the message); envelope ErrorCode 11
//     (InvalidData).
//   - NotFound: HTTP 404 (Billbee sends it without a body for an unknown
//     id), or an HTTP 200 read whose Data is null.
//   - FailedPrecondition: the customer is archived (ArchivedAt is set to
//     anything but null); nothing is written. A 404 "No HTTP resource was found" (ASP.NET's
//     answer to a path nothing serves: a wrong base URL), with the URL in
//     the message. A redirect, which is never followed.
//   - PermissionDenied: HTTP 401/403; envelope ErrorCode 1
//     (ApiNotActivated), 16 (NoPaidAccount), 17 (APIServiceNotBooked).
//   - ResourceExhausted: HTTP 429 (Retry-After is often missing).
//   - Internal: HTTP 500; envelope ErrorCode 8 (InternalError); a 2xx body
//     that is not the JSON envelope (HTML, empty, garbled, a Data that is
//     not an object); a read that answers with another customer's id (or
//     an Id that is no int64); with adapter.WithStrict, a write whose
//     answer shows a field stored otherwise than sent.
//   - Unavailable / DeadlineExceeded: network failures, 502/503/504.
//   - Unknown: any other envelope ErrorCode, or an ErrorMessage with
//     ErrorCode 0.
//
// # Verified writes
//
// The write's answer carries the customer as stored. Each field the
// update set or cleared is compared with it and a difference is reported
// in Result.Mismatches (see adapter.Mismatch for which differences count).
// That answer is read leniently, in one pass and only as far as needed:
// once the envelope reports no error, no value in Data can fail the update.
//
// Every Billbee response is an envelope {ErrorMessage, ErrorCode,
// ErrorDescription, Data}; a non-zero ErrorCode or a non-blank
// ErrorMessage is an error even on HTTP 200. Error.VendorCode is then the
// ErrorCode in decimal followed by its name ("11 InvalidData") and
// Error.Message is the ErrorMessage. Error bodies of other statuses are
// read leniently: the envelope, ASP.NET's {Message, ModelState} or
// {Message}; HTML and garbage leave VendorCode and Message empty and only
// the capped body excerpt.
package billbee

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/driver"
	gen "github.com/custsync/custsync/gen/billbee"
)

// DefaultBaseURL is the first server in specs/billbee.yaml: the host of
// Billbee's Swagger document, and the official C# SDK's base URL.
const DefaultBaseURL = "https://app.billbee.io"

// APIBaseURL is the other server in specs/billbee.yaml: the base URL
// Billbee's API description names, and the official PHP SDK's. Both serve
// the same API; pass it with adapter.WithBaseURL to use it.
const APIBaseURL = "https://api.billbee.io"

// The spec operations an update calls, in order.
const (
	opGet = "Customer_GetOne"
	opPut = "Customer_Update"
)

// Environment variables read by FromEnv.
const (
	EnvAPIKey      = "BILLBEE_API_KEY"
	EnvUsername    = "BILLBEE_USERNAME"
	EnvAPIPassword = "BILLBEE_API_PASSWORD"
)

// Config holds the credentials of a Billbee client. Billbee wants all three
// on every request.
type Config struct {
	// APIKey identifies the app; it is sent as the X-Billbee-Api-Key header.
	APIKey adapter.Secret
	// Username is the Billbee user (usually an e-mail address) for HTTP Basic.
	Username string
	// APIPassword is the API password from Billbee's settings (not the
	// login password), for HTTP Basic.
	APIPassword adapter.Secret
}

// New returns a client for Billbee.
func New(cfg Config, opts ...adapter.Option) (*adapter.Client, error) {
	for _, c := range []struct{ field, value string }{
		{"APIKey", cfg.APIKey.Reveal()}, {"Username", cfg.Username}, {"APIPassword", cfg.APIPassword.Reveal()},
	} {
		if err := driver.CheckCredential(vendor, c.field, c.value); err != nil {
			return nil, err
		}
	}
	if strings.Contains(cfg.Username, ":") {
		// HTTP Basic cannot carry a colon in the user name (RFC 7617).
		return nil, &adapter.Error{Vendor: vendor, Code: adapter.InvalidArgument, Field: "Username",
			Message: "Username contains ':', which HTTP Basic cannot carry"}
	}
	account := driver.CredentialID(cfg.APIKey.Reveal(), strings.ToLower(cfg.Username))
	v := driver.Vendor{
		Name:           vendor,
		DefaultBaseURL: DefaultBaseURL,
		Fields:         fields,
		// Both credentials Billbee wants on every request, and JSON:
		// Billbee answers XML to clients that do not ask for it.
		Header: http.Header{
			"X-Billbee-Api-Key": {cfg.APIKey.Reveal()},
			"Authorization":     {driver.BasicAuth(cfg.Username, cfg.APIPassword)},
			"Accept":            {"application/json"},
		},
		Secrets: []string{cfg.APIKey.Reveal(), cfg.APIPassword.Reveal(), driver.BasicAuthSecret(cfg.Username, cfg.APIPassword)},
		Account: account,
		Limits:  limits("billbee/"+account, "billbee/"+driver.CredentialID(cfg.APIKey.Reveal())),
	}
	return driver.NewClient(v, func(conn driver.Conn) (driver.Driver, error) {
		return &billbeeDriver{
			read:  &gen.Client{Server: conn.Server(), Client: conn.Doer(opGet)},
			write: &gen.Client{Server: conn.Server(), Client: conn.Doer(opPut)},
		}, nil
	}, opts...)
}

// FromEnv returns a client configured from BILLBEE_API_KEY,
// BILLBEE_USERNAME and BILLBEE_API_PASSWORD, all required.
func FromEnv(opts ...adapter.Option) (*adapter.Client, error) {
	return FromLookup(os.LookupEnv, opts...)
}

// FromLookup is FromEnv reading the variables through lookup instead of
// the environment (os.LookupEnv has its shape).
func FromLookup(lookup func(string) (string, bool), opts ...adapter.Option) (*adapter.Client, error) {
	env, err := driver.Env(lookup, EnvAPIKey, EnvUsername, EnvAPIPassword)
	if err != nil {
		return nil, err
	}
	return New(Config{
		APIKey:      adapter.Secret(env[EnvAPIKey]),
		Username:    env[EnvUsername],
		APIPassword: adapter.Secret(env[EnvAPIPassword]),
	}, opts...)
}

// vendor is Billbee's name in errors and results.
const vendor = "billbee"

// fields is the mapping the package doc's table shows.
var fields = []adapter.FieldMapping{
	{Field: driver.FieldID, VendorField: "{id} (path), Id", Note: "a positive int64 written as a decimal string"},
	{Field: driver.FieldName, VendorField: "Name"},
	{Field: driver.FieldEmail, VendorField: "Email", Note: "DefaultMailAddress and the MetaData e-mail entries are sent back as read"},
	{Field: driver.FieldPhone, VendorField: "Tel1", Note: "Tel2 is sent back as read"},
	{Field: driver.FieldVATID, VendorField: "VatId"},
	{Field: driver.FieldBillbeePriceGroupID, VendorField: "PriceGroupId", Note: "> 0"},
	{Field: driver.FieldBillbeeLanguageID, VendorField: "LanguageId", Note: "> 0"},
	{Field: driver.FieldBillbeeType, VendorField: "Type", Note: "0 = end customer, 1 = business customer"},
	{Field: driver.FieldBillbeeNumber, VendorField: "Number", Note: ">= 0"},
}

type billbeeDriver struct {
	read  *gen.Client // sends Customer_GetOne
	write *gen.Client // sends Customer_Update
}

var _ driver.Driver = (*billbeeDriver)(nil)
var _ driver.Checker = (*billbeeDriver)(nil)

// checkID is the customer a check reads; whether Billbee has it does not
// matter, only that Billbee answers about a customer.
const checkID = 1

// Check reads a customer, writing nothing. Billbee checks the key and the
// user's credentials first; the customer (or a 404 without a body, which
// is how Billbee says it has none) comes from the endpoint itself, so the
// credentials and base URL both work.
func (d *billbeeDriver) Check(ctx context.Context) error {
	_, err := d.get(ctx, checkID)
	var e *adapter.Error
	if err == nil || errors.As(err, &e) && e.Code == adapter.NotFound {
		return nil
	}
	return err
}

func (d *billbeeDriver) Key(u *adapter.CustomerUpdate) string { return u.ID }

func (d *billbeeDriver) Validate(u *adapter.CustomerUpdate) error {
	if _, err := parseID(u.ID); err != nil {
		return err
	}
	if u.Billbee == nil {
		return nil
	}
	if v, ok := u.Billbee.Type.Value(); ok && v != 0 && v != 1 {
		return driver.InvalidField(driver.FieldBillbeeType, "is %d; Billbee knows 0 (end customer) and 1 (business customer)", v)
	}
	if v, ok := u.Billbee.PriceGroupID.Value(); ok && v <= 0 {
		return driver.InvalidField(driver.FieldBillbeePriceGroupID, "is %d; Billbee price group ids are positive (use null to clear)", v)
	}
	if v, ok := u.Billbee.LanguageID.Value(); ok && v <= 0 {
		return driver.InvalidField(driver.FieldBillbeeLanguageID, "is %d; Billbee language ids are positive (use null to clear)", v)
	}
	if v, ok := u.Billbee.Number.Value(); ok && v < 0 {
		return driver.InvalidField(driver.FieldBillbeeNumber, "is %d; Billbee customer numbers are not negative", v)
	}
	return nil
}

// parseID reads the portable id: a positive int64 in plain decimal digits.
func parseID(s string) (int64, error) {
	const want = `want a positive integer such as "100000150176895"`
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, driver.InvalidField(driver.FieldID, "%q is not a Billbee customer id; %s", s, want)
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, driver.InvalidField(driver.FieldID, "%q is out of range for a Billbee customer id (int64)", s)
	}
	if id <= 0 {
		return 0, driver.InvalidField(driver.FieldID, "%q is not a Billbee customer id; %s", s, want)
	}
	if s[0] == '0' {
		// "0200" would update customer 200 while ordering, hold-backs and the
		// state store key it apart from "200": refuse rather than normalise.
		return 0, driver.InvalidField(driver.FieldID, "%q has a leading zero; Billbee ids are written without one (%q)", s, strconv.FormatInt(id, 10))
	}
	return id, nil
}

// Update reads the customer, applies u and writes the whole record back;
// see the package doc for why.
func (d *billbeeDriver) Update(ctx context.Context, u *adapter.CustomerUpdate, call driver.Call) (*adapter.Result, error) {
	id, err := parseID(u.ID)
	if err != nil {
		return nil, err
	}
	read, err := d.get(ctx, id)
	if err != nil {
		return nil, err
	}
	update, err := updateFields(id, u)
	if err != nil {
		return nil, &adapter.Error{Operation: opPut, Code: adapter.Internal,
			Message: "could not encode the update; nothing was sent", Err: err}
	}
	// A write that would store what Billbee already holds is not sent:
	// one request instead of two, at 2 updates/s. The write is the record
	// as read with the update's fields over it, so only those fields can
	// differ from what Billbee holds.
	changes, err := changesFrom(read, u, update)
	if err != nil {
		return nil, &adapter.Error{Operation: opPut, Code: adapter.Internal,
			Message: "could not compare the update with the customer as read; nothing was sent", Err: err}
	}
	dryRun := call.DryRun
	if len(changes) == 0 && !dryRun {
		return &adapter.Result{HTTPStatus: read.status, VendorID: u.ID, Unchanged: true}, nil
	}
	body := putBody(read, update)
	if dryRun {
		return &adapter.Result{HTTPStatus: read.status, VendorID: u.ID, Unchanged: len(changes) == 0,
			DryRun: &adapter.DryRunReport{Method: http.MethodPut, Path: fmt.Sprintf("/api/v1/customers/%d", id), Body: body, Changes: changes}}, nil
	}
	return d.put(ctx, id, body, u)
}

// limits returns Billbee's documented limits (2 requests/s per endpoint
// and 10/s per API key + user, 50/s per API key), keyed by credential
// hashes (userKey for key + user, keyKey for the key), computed once per
// client for each operation an update calls.
func limits(userKey, keyKey string) func(operationID string) []adapter.Limit {
	byOp := map[string][]adapter.Limit{}
	for _, op := range []string{opGet, opPut} {
		byOp[op] = []adapter.Limit{
			{Key: userKey + "/" + op, PerSecond: 2},
			{Key: userKey, PerSecond: 10},
			{Key: keyKey, PerSecond: 50},
		}
	}
	return func(op string) []adapter.Limit {
		if l, ok := byOp[op]; ok {
			return l
		}
		return []adapter.Limit{{Key: userKey + "/" + op, PerSecond: 2}, {Key: userKey, PerSecond: 10}, {Key: keyKey, PerSecond: 50}}
	}
}
