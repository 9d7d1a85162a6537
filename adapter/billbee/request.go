package billbee

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/oapi-codegen/nullable"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/driver"
	"github.com/custsync/custsync/adapter/internal/rawjson"
	"github.com/custsync/custsync/adapter/internal/wirejson"
	gen "github.com/custsync/custsync/gen/billbee"
)

// customer is a customer as Customer_GetOne returned it: Data as read,
// field by field, each value exactly as Billbee wrote it.
type customer struct {
	data   map[string]json.RawMessage
	status int // HTTP status of the read
}

// get reads the customer the update is about. Every way the read can fail
// ends the update before anything is written.
func (d *billbeeDriver) get(ctx context.Context, id int64) (customer, error) {
	resp, err := d.read.CustomerGetOne(ctx, id) //nolint:bodyclose // the transport read the body whole and closed it; ReadBody hands back the bytes it read
	if err != nil {
		return customer{}, err
	}
	raw := driver.ReadBody(resp)
	if !success(resp.StatusCode) {
		return customer{}, responseError(resp, raw, id)
	}
	data, err := readData(resp, raw, id)
	if err != nil {
		return customer{}, err
	}
	if err := checkRead(resp, id, data); err != nil {
		return customer{}, err
	}
	return customer{data: data, status: resp.StatusCode}, nil
}

// readData returns the members of Data in the read's 2xx body, or the
// error the body reports or is.
//
// The usual answer, an envelope that plainly reports no error around a
// Data object, is read in one pass over the envelope's members. Any other
// has its error part decoded as the generated envelope types it, which
// classifies it as it always has: not the envelope, an error in it, Data
// null (NotFound) or not an object.
func readData(resp *http.Response, raw []byte, id int64) (map[string]json.RawMessage, error) {
	env, ok := splitEnvelope(raw)
	if ok && env.plainlyNoError() && isObject(env.data) {
		return splitObject(bytes.Clone(env.data)), nil // Data outlives the response
	}
	if !ok || env.empty() {
		var object struct{}
		err := json.Unmarshal(raw, &object) // says why it is not JSON, or not an object
		if err == nil {
			err = errors.New("no ErrorCode, ErrorMessage or Data: not Billbee's envelope")
		}
		return nil, readDecodeError(resp, raw, err)
	}
	var typed struct {
		ErrorCode        *int32                                  `json:"ErrorCode"`
		ErrorDescription nullable.Nullable[gen.ErrorDescription] `json:"ErrorDescription"`
		ErrorMessage     nullable.Nullable[string]               `json:"ErrorMessage"`
	}
	if err := json.Unmarshal(raw, &typed); err != nil {
		return nil, readDecodeError(resp, raw, err)
	}
	status := statusOf(gen.CustomerEnvelope{ErrorCode: typed.ErrorCode, ErrorDescription: typed.ErrorDescription, ErrorMessage: typed.ErrorMessage})
	if e := envelopeError(resp, raw, status); e != nil {
		return nil, e
	}
	switch {
	case env.data == nil || isNull(env.data):
		e := driver.ResponseError(resp, raw, "", fmt.Sprintf("Billbee has no customer with id %d (HTTP %d, Data is null)", id, resp.StatusCode))
		e.Code = adapter.NotFound
		return nil, e
	case !isObject(env.data):
		return nil, readDecodeError(resp, raw, errors.New("the envelope's Data is not a JSON object"))
	}
	return splitObject(bytes.Clone(env.data)), nil
}

// readDecodeError is the error for a read whose body is not the envelope.
func readDecodeError(resp *http.Response, raw []byte, err error) error {
	e := driver.DecodeError(resp, raw, err)
	e.Message = fmt.Sprintf("Billbee answered the read with HTTP %d and a body that is not its JSON envelope; nothing was written", resp.StatusCode)
	return e
}

// envelopeMembers are the members of Billbee's envelope, each as read;
// nil when absent.
type envelopeMembers struct {
	message, code, description, data json.RawMessage
}

// splitEnvelope finds the envelope's members in body, matched as
// encoding/json matches them to struct fields (in any letter case, the
// last of duplicates winning); false when body is not a JSON object.
func splitEnvelope(body []byte) (envelopeMembers, bool) {
	var env envelopeMembers
	if !json.Valid(body) || !isObject(bytes.TrimLeft(body, " \t\r\n")) {
		return env, false
	}
	rawjson.Members(body, func(name, value []byte, _, _ int) {
		switch rawjson.FoldIndex(name, "ErrorMessage", "ErrorCode", "ErrorDescription", "Data") {
		case 0:
			env.message = value
		case 1:
			env.code = value
		case 2:
			env.description = value
		case 3:
			env.data = value
		}
	})
	return env, true
}

// plainlyNoError reports whether the envelope shows at least one of its
// members and no error in the form Billbee writes it: ErrorCode 0 (or
// null, or absent) and ErrorMessage null, "" (or absent). Anything else
// is left to the typed envelope, which classifies it.
func (env envelopeMembers) plainlyNoError() bool {
	if env.empty() {
		return false
	}
	switch string(env.code) {
	case "", "null", "0":
	default:
		return false
	}
	switch string(env.message) {
	case "", "null", `""`:
		return true
	}
	return false
}

func (env envelopeMembers) empty() bool {
	return env.message == nil && env.code == nil && env.description == nil && env.data == nil
}

func isObject(raw []byte) bool { return len(raw) > 0 && raw[0] == '{' }

// checkRead holds the customer as read to what a write needs: Id, when
// present, is the id asked for; ArchivedAt is not set. Names are matched
// without regard to letter case, as Billbee's ASP.NET binder matches
// them, and every spelling is checked; a wrong id is reported before an
// archived customer, whatever the order of the members.
func checkRead(resp *http.Response, id int64, data map[string]json.RawMessage) error {
	var otherID, archivedAt json.RawMessage
	for name, value := range data {
		switch {
		case rawjson.FoldsTo(name, fieldID) && !isNull(value) && !plainInteger(value, id):
			otherID = value
		case rawjson.FoldsTo(name, fieldArchivedAt) && !isNull(value):
			archivedAt = value
		}
	}
	switch {
	case otherID != nil:
		var got int64
		msg := fmt.Sprintf("asked for customer %d, Billbee answered with customer %s; nothing was written", id, otherID)
		if json.Unmarshal(otherID, &got) == nil {
			msg = fmt.Sprintf("asked for customer %d, Billbee answered with customer %d; nothing was written", id, got)
		}
		e := driver.ResponseError(resp, nil, "", msg)
		e.Code = adapter.Internal
		return e
	case archivedAt != nil:
		// Billbee's docs: once ArchivedAt is set, "further modification
		// is disabled". What a PUT would then do is undocumented; do not
		// try.
		since, ok := driver.StoredString(archivedAt)
		if !ok {
			since = string(archivedAt)
		}
		e := driver.ResponseError(resp, nil, "", fmt.Sprintf("customer %d is archived (since %s) and cannot be modified", id, since))
		e.Code = adapter.FailedPrecondition
		return e
	}
	return nil
}

func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

// put writes the whole record back, and compares what the answer shows
// stored with what u set.
func (d *billbeeDriver) put(ctx context.Context, id int64, body []byte, u *adapter.CustomerUpdate) (*adapter.Result, error) {
	resp, err := d.write.CustomerUpdateWithBody(ctx, id, "application/json", bytes.NewReader(body)) //nolint:bodyclose // the transport read the body whole and closed it; ReadBody hands back the bytes it read
	if err != nil {
		return nil, err
	}
	raw := driver.ReadBody(resp)
	// u.ID is id as parseID accepted it (plain decimal digits): the
	// vendor id as Billbee writes it.
	res := &adapter.Result{HTTPStatus: resp.StatusCode, VendorID: u.ID}
	switch {
	case resp.StatusCode == http.StatusNoContent && len(bytes.TrimSpace(raw)) == 0:
		// Not in the spec, but no content is an honest success; Billbee's
		// own C# SDK accepts 204.
		return res, nil
	case !success(resp.StatusCode):
		return nil, responseError(resp, raw, id)
	}
	answer, err := decodeAnswer(resp, raw)
	if err != nil {
		return nil, err
	}
	if e := envelopeError(resp, raw, answer.status); e != nil {
		return nil, e
	}
	if answer.shown {
		// An Id as sent leaves VendorID as it is, without parsing it.
		if !plainInteger(answer.data.ID, id) {
			if n, ok := storedID(answer.data.ID); ok {
				res.VendorID = n
			}
		}
		res.Mismatches = verify(u, &answer.data)
	}
	return res, nil
}

// putAnswer is what an update needs from the write's answer: the
// envelope's error part and what Data shows stored (shown is false when
// Data is null or not an object).
type putAnswer struct {
	status envelopeStatus
	data   storedCustomer
	shown  bool // Data is an object: data is what it shows stored
}

// storedCustomer is what the write's answer shows stored of the fields an
// update can write, and the id, as raw JSON (nil when not shown); every
// other field is skipped unread.
type storedCustomer struct {
	ID           json.RawMessage `json:"Id"`
	Name         json.RawMessage `json:"Name"`
	Email        json.RawMessage `json:"Email"`
	Tel1         json.RawMessage `json:"Tel1"`
	VatID        json.RawMessage `json:"VatId"`
	PriceGroupID json.RawMessage `json:"PriceGroupId"`
	LanguageID   json.RawMessage `json:"LanguageId"`
	Type         json.RawMessage `json:"Type"`
	Number       json.RawMessage `json:"Number"`
}

// decodeAnswer reads the write's 2xx answer leniently: the write is done
// once Billbee says so, and a value in Data of a shape or size our spec
// does not expect (a number beyond int64, a new enum value, a field added
// tomorrow) must never turn it into a failure. Only a body that is not
// the JSON envelope at all is a DecodeError.
//
// The usual answer, an envelope that plainly reports no error, is read in
// one pass over its members; any other is read again in two steps, which
// classify each member on its own.
func decodeAnswer(resp *http.Response, raw []byte) (putAnswer, error) {
	env, ok := splitEnvelope(raw)
	if !ok || !env.plainlyNoError() {
		return decodeAnswerInTwoSteps(resp, raw)
	}
	var a putAnswer
	if isObject(env.data) {
		// Only an object shows what was stored; null or anything else
		// leaves nothing to verify.
		a.data, a.shown = storedIn(bytes.Clone(env.data)), true // mismatches outlive the response
	}
	return a, nil
}

// storedIn picks the members of the valid JSON object data that
// storedCustomer keeps, matched as encoding/json matches them.
func storedIn(data []byte) storedCustomer {
	var c storedCustomer
	names := [...]string{"Id", "Name", "Email", "Tel1", "VatId", "PriceGroupId", "LanguageId", "Type", "Number"}
	dsts := [...]*json.RawMessage{&c.ID, &c.Name, &c.Email, &c.Tel1, &c.VatID, &c.PriceGroupID, &c.LanguageID, &c.Type, &c.Number}
	rawjson.Members(data, func(name, value []byte, _, _ int) {
		if i := rawjson.FoldIndex(name, names[:]...); i >= 0 {
			*dsts[i] = value
		}
	})
	return c
}

// decodeAnswerInTwoSteps reads the envelope with Data raw, then Data when
// it is an object.
func decodeAnswerInTwoSteps(resp *http.Response, raw []byte) (putAnswer, error) {
	var env struct {
		ErrorMessage     json.RawMessage `json:"ErrorMessage"`
		ErrorCode        json.RawMessage `json:"ErrorCode"`
		ErrorDescription json.RawMessage `json:"ErrorDescription"`
		Data             json.RawMessage `json:"Data"`
	}
	// ErrorCode is read raw and classified here, not as a json.Number:
	// one that is not a number says nothing portable, and must not fail
	// a write Billbee applied (go1.27's encoding/json reports such a type
	// error without naming the field, so it cannot be told apart later).
	if err := json.Unmarshal(raw, &env); err != nil {
		return putAnswer{}, driver.DecodeError(resp, raw, err)
	}
	if env.ErrorMessage == nil && env.ErrorCode == nil && env.ErrorDescription == nil && env.Data == nil {
		return putAnswer{}, driver.DecodeError(resp, raw,
			errors.New("no ErrorCode, ErrorMessage or Data: not Billbee's envelope"))
	}
	a := putAnswer{status: answerStatus(env.ErrorMessage, env.ErrorCode, env.ErrorDescription)}
	if d := bytes.TrimSpace(env.Data); len(d) > 0 && d[0] == '{' {
		// Only an object shows what was stored; null or anything else
		// leaves nothing to verify.
		var stored storedCustomer
		if json.Unmarshal(d, &stored) == nil {
			a.data, a.shown = stored, true
		}
	}
	return a, nil
}

// answerStatus classifies the error part of the write's answer, each
// field read raw: a value of an unexpected type says nothing, it does not
// fail the write.
func answerStatus(message, code, description json.RawMessage) envelopeStatus {
	var s envelopeStatus
	if n := numberIn(code); n != nil {
		if c, ok := envelopeCode(*n); ok {
			s.code = &c
		} else {
			unknown := int32(-1) // a code that is not an int32 is still an error code
			s.code = &unknown
		}
	}
	s.message, _ = driver.StoredString(message)
	if s.failed() && len(description) > 0 {
		var d gen.ErrorDescription
		if d.UnmarshalJSON(description) == nil {
			s.description = nullable.NewNullableWithValue(d)
		}
	}
	return s
}

// numberIn returns the JSON number raw holds, as a literal or in a
// string ("0"), and nil for null, nothing, or anything else (true,
// "NoError", an object): those say nothing portable.
func numberIn(raw json.RawMessage) *json.Number {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil
		}
		raw = []byte(s)
	}
	var n json.Number
	if len(raw) == 0 || !(raw[0] == '-' || '0' <= raw[0] && raw[0] <= '9') || json.Unmarshal(raw, &n) != nil {
		return nil
	}
	return &n
}

// storedID reads Data.Id, an int64, keeping every digit.
func storedID(raw json.RawMessage) (string, bool) {
	var n json.Number
	if json.Unmarshal(raw, &n) != nil {
		return "", false
	}
	if _, err := strconv.ParseInt(string(n), 10, 64); err != nil {
		return "", false
	}
	return string(n), true
}

// verify compares each field the update set or cleared with the customer
// as Billbee's answer shows it stored.
func verify(u *adapter.CustomerUpdate, stored *storedCustomer) []adapter.Mismatch {
	var v driver.Verifier
	driver.VerifyStored(&v, driver.FieldName, u.Name, stored.Name)
	driver.VerifyStored(&v, driver.FieldEmail, u.Email, stored.Email)
	driver.VerifyStored(&v, driver.FieldPhone, u.Phone, stored.Tel1)
	driver.VerifyStored(&v, driver.FieldVATID, u.VATID, stored.VatID)
	if b := u.Billbee; b != nil {
		driver.VerifyStored(&v, driver.FieldBillbeePriceGroupID, b.PriceGroupID, stored.PriceGroupID)
		driver.VerifyStored(&v, driver.FieldBillbeeLanguageID, b.LanguageID, stored.LanguageID)
		driver.VerifyStored(&v, driver.FieldBillbeeType, b.Type, stored.Type)
		driver.VerifyStored(&v, driver.FieldBillbeeNumber, b.Number, stored.Number)
	}
	return v.Mismatches()
}

// The names of the generated types the write treats apart from the
// rest; TestTheNamesTheWriteStripsAreTheGeneratedOnes holds them to the
// json tags of gen/.
const (
	fieldID         = "Id"
	fieldArchivedAt = "ArchivedAt" // never sent: its effect on a PUT is undocumented
	fieldRestoredAt = "RestoredAt" // never sent, likewise
	fieldMetaData   = "MetaData"   // a list of contact entries
	entryTypeName   = "TypeName"   // read-only in a contact entry
)

// contactEntryFields are the customer fields that hold one contact entry.
var contactEntryFields = [...]string{
	"DefaultMailAddress", "DefaultCommercialMailAddress", "DefaultStatusUpdatesMailAddress",
	"DefaultPhone1", "DefaultPhone2", "DefaultFax",
}

// updateFields encodes the id and what u sets or clears (null), and
// nothing else, through the generated request type: every name and value
// the driver writes comes from gen/. The result maps each field sent to
// its JSON.
func updateFields(id int64, u *adapter.CustomerUpdate) (map[string]json.RawMessage, error) {
	body := updateBody(id, u)
	encoded, err := wirejson.Marshal(&body) // the bytes json.Marshal writes
	if err != nil {
		return nil, err
	}
	if len(encoded) == 0 || encoded[0] != '{' {
		return nil, fmt.Errorf("gen.CustomerUpdate encodes as %.20q, not as an object", encoded)
	}
	return splitObject(encoded), nil
}

// updateBody is the generated request type holding the id and what u
// sets or clears, and nothing else.
func updateBody(id int64, u *adapter.CustomerUpdate) gen.CustomerUpdate {
	body := gen.CustomerUpdate{Id: &id}
	apply(&body.Name, u.Name)
	apply(&body.Email, u.Email)
	apply(&body.Tel1, u.Phone)
	apply(&body.VatId, u.VATID)
	if b := u.Billbee; b != nil {
		apply(&body.PriceGroupId, b.PriceGroupID)
		apply(&body.LanguageId, b.LanguageID)
		apply(&body.Type, b.Type)
		apply(&body.Number, b.Number)
	}
	return body
}

// apply sets one field of the update in the request: a set field sends
// its value, a cleared one null, an absent one nothing.
func apply[T any](dst *nullable.Nullable[T], f adapter.Field[T]) {
	if f.IsAbsent() {
		return
	}
	if v, ok := f.Value(); ok {
		*dst = nullable.NewNullableWithValue(v)
		return
	}
	*dst = nullable.NewNullNullable[T]()
}

// putBody is the customer as read with the update applied, built from
// read.data (which it reuses, so the read serves one body): every field
// exactly as read but for the spaces between tokens (null as null, absent
// as absent, fields our spec does not know yet included), except
//   - ArchivedAt and RestoredAt, never sent;
//   - TypeName in each contact entry (the Default* fields and the items
//     of MetaData), read-only;
//   - the fields the update sets or clears, and Id, which are sent as
//     encoded by updateFields.
//
// This is how "nothing is lost" survives Billbee adding a field: the PUT
// replaces the record, so a field the spec does not know yet would be
// blanked by every update if we sent only what we understand.
//
// Names are matched without regard to letter case, as Billbee's ASP.NET
// binder matches them: a read "name" next to the update's "Name" would
// otherwise be sent too, and the last of the two would win at Billbee.
func putBody(read customer, update map[string]json.RawMessage) []byte {
	var buf [16]string
	updated := buf[:0]
	for name := range update {
		updated = append(updated, name)
	}
	data := read.data
	for name, value := range data {
		switch {
		case rawjson.FoldsTo(name, fieldArchivedAt), rawjson.FoldsTo(name, fieldRestoredAt), namedIn(name, updated):
			delete(data, name)
		case rawjson.FoldsTo(name, fieldMetaData):
			data[name] = entriesWithoutTypeName(value)
		case namedIn(name, contactEntryFields[:]):
			data[name] = entryWithoutTypeName(value)
		}
	}
	for name, value := range update {
		data[name] = value
	}
	return appendObject(nil, data)
}

// namedIn reports whether names holds name in any letter case.
func namedIn(name string, names []string) bool {
	for _, n := range names {
		if rawjson.FoldsTo(name, n) {
			return true
		}
	}
	return false
}

// entryWithoutTypeName is one contact entry as read without TypeName,
// every other member byte for byte; anything but an object (null
// included) is kept as read.
func entryWithoutTypeName(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || raw[0] != '{' || !mayNameTypeName(raw) {
		return raw
	}
	out := make([]byte, 1, len(raw))
	out[0] = '{'
	rawjson.Members(raw, func(name, _ []byte, start, end int) {
		if rawjson.NameFolds(name, entryTypeName) {
			return
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, raw[start:end]...)
	})
	return append(out, '}')
}

// entriesWithoutTypeName is MetaData as read, each item without
// TypeName, in the order read; null items stay null, and anything but a
// list is kept as read.
func entriesWithoutTypeName(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || raw[0] != '[' || !mayNameTypeName(raw) {
		return raw
	}
	out := make([]byte, 1, len(raw))
	out[0] = '['
	rawjson.Items(raw, func(item []byte) {
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, entryWithoutTypeName(item)...)
	})
	return append(out, ']')
}

// appendObject appends the JSON object of fields to dst, names sorted
// and each value as given, without the spaces between its tokens: fields
// holds values encoding/json read or wrote, so they are valid JSON, and
// they go out token for token.
func appendObject(dst []byte, fields map[string]json.RawMessage) []byte {
	type member struct {
		name  string
		value json.RawMessage
	}
	var buf [32]member
	members := buf[:0]
	size := 2
	for name, value := range fields {
		members = append(members, member{name, value})
		size += len(name) + len(value) + 4
	}
	slices.SortFunc(members, func(a, b member) int { return strings.Compare(a.name, b.name) })
	dst = slices.Grow(dst, size)
	dst = append(dst, '{')
	for i, m := range members {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendName(dst, m.name)
		dst = append(dst, ':')
		dst = rawjson.AppendCompact(dst, m.value)
	}
	return append(dst, '}')
}

// appendName appends name as a JSON string: as itself between quotes
// when it needs no escape, as encoding/json writes it otherwise.
func appendName(dst []byte, name string) []byte {
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' {
			quoted, _ := json.Marshal(name) // a string always encodes
			return append(dst, quoted...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, name...)
	return append(dst, '"')
}

// mayNameTypeName is false when raw surely holds no key TypeName in any
// letter case: no "typename" in ASCII letters of any case and no escape
// (a key may spell a letter as \u0061). No other letter folds to one of
// "typename" (only k and s have non-ASCII case variants), so the check
// is exact.
func mayNameTypeName(raw []byte) bool {
	const lower = "typename"
	for i, c := range raw {
		if c == '\\' {
			return true
		}
		if c|0x20 == lower[0] && i+len(lower) <= len(raw) && asciiEqualFold(raw[i:i+len(lower)], lower) {
			return true
		}
	}
	return false
}

// asciiEqualFold compares b with lower, which is lower-case ASCII
// letters, ignoring the case of b's ASCII letters.
func asciiEqualFold(b []byte, lower string) bool {
	for i := range len(lower) {
		if b[i]|0x20 != lower[i] {
			return false
		}
	}
	return true
}

// envelopeCode reads ErrorCode by its value, however it is spelled: 0,
// 0.0 and 0e0 are all "no error", and only a whole int32 is a code.
func envelopeCode(n json.Number) (int32, bool) {
	if v, err := strconv.ParseInt(string(n), 10, 32); err == nil {
		return int32(v), true
	}
	f, ok := new(big.Float).SetString(string(n))
	if !ok || !f.IsInt() {
		return 0, false
	}
	v, acc := f.Int64()
	if acc != big.Exact || v < math.MinInt32 || v > math.MaxInt32 {
		return 0, false
	}
	return int32(v), true
}
