package billbee

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/oapi-codegen/nullable"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/driver"
	gen "github.com/custsync/custsync/gen/billbee"
)

func success(status int) bool { return status >= 200 && status < 300 }

// errorNames are the ErrorCode names from Billbee's C# SDK
// (ApiResult.ErrorCodeEnum), used when the envelope's ErrorDescription does
// not name the code. Later codes exist but have no known name.
var errorNames = [...]string{
	"NoError", "ApiNotActivated", "OrderNotFound", "InvoiceNotCreated", "CantCreateInvoice",
	"OrderCanceled", "OrderDeleted", "OrderNotPaid", "InternalError", "OrderExists",
	"WrongShopId", "InvalidData", "CreateUser_DuplicateEmail", "CreateUser_InvalidEmail",
	"CreateUser_UserRejected", "CreateUser_TermsNotAccepted", "NoPaidAccount",
	"APIServiceNotBooked", "CantCreateDeliveryNote",
}

// envelopeCodes are the ErrorCodes that say something portable; any other
// code in the envelope of a 2xx answer is Unknown.
var envelopeCodes = map[int32]adapter.Code{
	1:  adapter.PermissionDenied, // ApiNotActivated
	8:  adapter.Internal,         // InternalError
	11: adapter.InvalidArgument,  // InvalidData
	16: adapter.PermissionDenied, // NoPaidAccount
	17: adapter.PermissionDenied, // APIServiceNotBooked
}

// envelopeStatus is the error part of Billbee's envelope.
type envelopeStatus struct {
	code        *int32
	description nullable.Nullable[gen.ErrorDescription]
	message     string // ErrorMessage; "" when null or absent
}

func statusOf(env gen.CustomerEnvelope) envelopeStatus {
	m, _ := env.ErrorMessage.Get()
	return envelopeStatus{code: env.ErrorCode, description: env.ErrorDescription, message: m}
}

func (s envelopeStatus) text() string { return strings.TrimSpace(s.message) }

// failed is the official C# SDK's success test, negated: a non-zero
// ErrorCode or a message that is not blank.
func (s envelopeStatus) failed() bool {
	return (s.code != nil && *s.code != 0) || s.text() != ""
}

// vendorCode is the ErrorCode in decimal and its name, e.g. "11 InvalidData".
func (s envelopeStatus) vendorCode() string {
	name := s.descriptionName()
	if s.code == nil {
		return name
	}
	code := strconv.FormatInt(int64(*s.code), 10)
	if name == "" || name == code {
		name = ""
		if c := int(*s.code); c >= 0 && c < len(errorNames) {
			name = errorNames[c]
		}
	}
	if name == "" {
		return code
	}
	return code + " " + name
}

// descriptionName reads ErrorDescription, which arrives as the code's name
// although Billbee's spec says integer; both are accepted.
func (s envelopeStatus) descriptionName() string {
	d, err := s.description.Get()
	if err != nil {
		return ""
	}
	if name, err := d.AsErrorDescription0(); err == nil {
		return strings.TrimSpace(name)
	}
	if n, err := d.AsErrorDescription1(); err == nil {
		return strconv.FormatInt(int64(n), 10)
	}
	return ""
}

// envelopeError is the error a 2xx envelope reports, or nil.
func envelopeError(resp *http.Response, raw []byte, s envelopeStatus) *adapter.Error {
	if !s.failed() {
		return nil
	}
	code := s.vendorCode()
	msg := s.text()
	if msg == "" {
		msg = fmt.Sprintf("Billbee reported error %s in the envelope of an HTTP %d answer", code, resp.StatusCode)
	}
	e := driver.ResponseError(resp, raw, code, msg)
	e.Code = adapter.Unknown
	if s.code != nil {
		if c, ok := envelopeCodes[*s.code]; ok {
			e.Code = c
		}
	}
	return e
}

// responseError builds the error for a status that is not 2xx about
// customer id.
//
// Two 404s differ: Billbee answers an unknown customer with a 404 without
// a body (billbee-csharp-sdk issue 83), while ASP.NET answers a path that
// no controller serves (a wrong base URL) with "No HTTP resource was
// found that matches the request URI". The first is NotFound; the second,
// like a 404 whose body is nothing Billbee writes (another server at the
// base URL), is a configuration error naming the URL, since reporting every customer
// as missing would send a user hunting for records that exist.
func responseError(resp *http.Response, raw []byte, id int64) *adapter.Error {
	code, msg := errorDetail(raw)
	e := driver.ResponseError(resp, raw, code, msg)
	if resp.StatusCode != http.StatusNotFound {
		return e
	}
	switch {
	case len(bytes.TrimSpace(raw)) == 0:
		e.Message = fmt.Sprintf("Billbee has no customer with id %d", id)
	case strings.HasPrefix(msg, "No HTTP resource was found"):
		e.Code, e.Config = adapter.FailedPrecondition, true
		e.Message = fmt.Sprintf("Billbee has no API endpoint at %s (%s); check the base URL", driver.RequestURL(resp), msg)
	case code == "" && msg == "" && !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")):
		// A body that is neither empty nor JSON (HTML, plain text): a
		// proxy or another server answered, not Billbee. A JSON body cut
		// short may still be Billbee's, and stays NotFound.
		e.Code, e.Config = adapter.FailedPrecondition, true
		e.Message = fmt.Sprintf("the answer to %s is not Billbee's (a 404 with a body Billbee does not write); check the base URL", driver.RequestURL(resp))
	}
	return e
}

// errorDetail reads whatever an error body says: the envelope, ASP.NET's
// {Message, ModelState} or {Message}. HTML, empty or garbled bodies give
// empty strings; the body excerpt in the error still shows them.
func errorDetail(raw []byte) (vendorCode, message string) {
	var b gen.ErrorBody
	if err := json.Unmarshal(raw, &b); err != nil {
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			return "", ""
		}
		// One field of an unexpected type: keep what did decode.
	}
	m, _ := b.ErrorMessage.Get()
	s := envelopeStatus{code: b.ErrorCode, description: b.ErrorDescription, message: m}
	if s.failed() { // not "0 NoError" for an error that is not the envelope's
		vendorCode = s.vendorCode()
	}
	message = s.text()
	if message == "" && b.Message != nil {
		message = strings.TrimSpace(*b.Message)
	}
	if b.ModelState != nil {
		if detail := modelStateText(*b.ModelState); detail != "" {
			if message == "" {
				message = detail
			} else {
				message += " (" + detail + ")"
			}
		}
	}
	return vendorCode, message
}

// maxModelStateEntries caps how many ModelState entries go into an error
// message; the Client caps its length once credentials are scrubbed.
const maxModelStateEntries = 5

// modelStateText renders ModelState as "key: message; key: message",
// sorted by key, capped in entries (the Client caps the length).
func modelStateText(ms map[string][]string) string {
	keys := make([]string, 0, len(ms))
	for k := range ms {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for i, k := range keys {
		if i == maxModelStateEntries {
			parts = append(parts, fmt.Sprintf("and %d more", len(keys)-i))
			break
		}
		msgs := strings.Join(ms[k], " / ")
		if k == "" {
			parts = append(parts, msgs)
			continue
		}
		parts = append(parts, k+": "+msgs)
	}
	return strings.Join(parts, "; ")
}
