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
	"strconv"
	"strings"

	"github.com/oapi-codegen/nullable"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/driver"
	gen "github.com/custsync/custsync/gen/billbee"
)

// customer is a customer as Customer_GetOne returned it, typed and as the
// raw JSON fields of Data, so fields the spec does not know survive the
// write.
type customer struct {
	typed gen.Customer
	// raw is Data as read when it holds what the typed form cannot carry
	// (a field or contact entry field our spec does not know, a null in
	// MetaData), nil when the typed form carries all of it.
	raw    map[string]json.RawMessage
	status int // HTTP status of the read
}

// get reads the customer the update is about. Every way the read can fail
// ends the update before anything is written.
func (d *billbeeDriver) get(ctx context.Context, id int64) (customer, error) {
	ctx = driver.WithOperation(ctx, opGet)
	resp, err := d.client.CustomerGetOne(ctx, id) //nolint:bodyclose // the transport read the body whole and closed it; ReadBody hands back the bytes it read
	if err != nil {
		return customer{}, err
	}
	raw := driver.ReadBody(resp)
	if !success(resp.StatusCode) {
		return customer{}, responseError(ctx, resp, raw, id)
	}
	env, data, err := decodeEnvelope(ctx, resp, raw)
	if err != nil {
		if e := (*adapter.Error)(nil); errors.As(err, &e) {
			e.Message = fmt.Sprintf("Billbee answered the read with HTTP %d and a body that is not its JSON envelope; nothing was written", resp.StatusCode)
		}
		return customer{}, err
	}
	if e := envelopeError(ctx, resp, raw, statusOf(env)); e != nil {
		return customer{}, e
	}
	c, err := env.Data.Get()
	if err != nil {
		e := driver.ResponseError(ctx, resp, raw, "", fmt.Sprintf("Billbee has no customer with id %d (HTTP %d, Data is null)", id, resp.StatusCode))
		e.Code = adapter.NotFound
		return customer{}, e
	}
	if c.Id != nil && *c.Id != id {
		e := driver.ResponseError(ctx, resp, nil, "", fmt.Sprintf("asked for customer %d, Billbee answered with customer %d; nothing was written", id, *c.Id))
		e.Code = adapter.Internal
		return customer{}, e
	}
	if since, err := c.ArchivedAt.Get(); err == nil {
		// Billbee's docs: once ArchivedAt is set, "further modification is
		// disabled". What a PUT would then do is undocumented; do not try.
		e := driver.ResponseError(ctx, resp, nil, "", fmt.Sprintf("customer %d is archived (since %s) and cannot be modified", id, since))
		e.Code = adapter.FailedPrecondition
		return customer{}, e
	}
	read := customer{typed: c, status: resp.StatusCode}
	if !carriedByTyped(data) {
		_ = json.Unmarshal(data, &read.raw) // an object: the typed decode read it
	}
	return read, nil
}

// put writes the whole record back, and compares what the answer shows
// stored with what u set.
func (d *billbeeDriver) put(ctx context.Context, id int64, body []byte, u *adapter.CustomerUpdate) (*adapter.Result, error) {
	ctx = driver.WithOperation(ctx, opPut)
	resp, err := d.client.CustomerUpdateWithBody(ctx, id, "application/json", bytes.NewReader(body)) //nolint:bodyclose // the transport read the body whole and closed it; ReadBody hands back the bytes it read
	if err != nil {
		return nil, err
	}
	raw := driver.ReadBody(resp)
	res := &adapter.Result{HTTPStatus: resp.StatusCode, VendorID: strconv.FormatInt(id, 10)}
	switch {
	case resp.StatusCode == http.StatusNoContent && len(bytes.TrimSpace(raw)) == 0:
		// Not in the spec, but no content is an honest success; Billbee's
		// own C# SDK accepts 204.
		return res, nil
	case !success(resp.StatusCode):
		return nil, responseError(ctx, resp, raw, id)
	}
	answer, err := decodeAnswer(ctx, resp, raw)
	if err != nil {
		return nil, err
	}
	if e := envelopeError(ctx, resp, raw, answer.status); e != nil {
		return nil, e
	}
	if answer.data != nil {
		if n, ok := storedID(answer.data.ID); ok {
			res.VendorID = n
		}
		res.Mismatches = verify(u, answer.data)
	}
	return res, nil
}

// putAnswer is what an update needs from the write's answer: the
// envelope's error part and Data's fields as raw JSON (nil when Data is
// null or not an object).
type putAnswer struct {
	status envelopeStatus
	data   *storedCustomer
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

// decodeAnswer reads the write's 2xx answer in one pass, leniently: the
// write is done once Billbee says so, and a value in Data of a shape or
// size our spec does not expect (a number beyond int64, a new enum value,
// a field added tomorrow) must never turn it into a failure. Only a body
// that is not the JSON envelope at all is a DecodeError.
func decodeAnswer(ctx context.Context, resp *http.Response, raw []byte) (putAnswer, error) {
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
		return putAnswer{}, driver.DecodeError(ctx, resp, raw, err)
	}
	errorCode := numberIn(env.ErrorCode)
	if env.ErrorMessage == nil && env.ErrorCode == nil && env.ErrorDescription == nil && env.Data == nil {
		return putAnswer{}, driver.DecodeError(ctx, resp, raw,
			errors.New("no ErrorCode, ErrorMessage or Data: not Billbee's envelope"))
	}
	var a putAnswer
	if errorCode != nil {
		if n, ok := envelopeCode(*errorCode); ok {
			code := n
			a.status.code = &code
		} else {
			unknown := int32(-1) // a code that is not an int32 is still an error code
			a.status.code = &unknown
		}
	}
	if msg, ok := driver.StoredString(env.ErrorMessage); ok {
		a.status.message = nullable.NewNullableWithValue(msg)
	}
	if len(env.ErrorDescription) > 0 {
		var d gen.ErrorDescription
		if d.UnmarshalJSON(env.ErrorDescription) == nil {
			a.status.description = nullable.NewNullableWithValue(d)
		}
	}
	if d := bytes.TrimSpace(env.Data); len(d) > 0 && d[0] == '{' {
		// Only an object shows what was stored; null or anything else
		// leaves nothing to verify.
		var stored storedCustomer
		if json.Unmarshal(d, &stored) == nil {
			a.data = &stored
		}
	}
	return a, nil
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

// putBody is the customer as read with the update applied: every field
// kept as read (null as null, absent as absent), set fields set, cleared
// fields null. ArchivedAt and RestoredAt are never sent (their effect on a
// PUT is undocumented) and neither is the read-only TypeName of the
// contact entries.
func putBody(read customer, id int64, u *adapter.CustomerUpdate) ([]byte, error) {
	c := read.typed
	body := gen.CustomerUpdate{
		Id:                              &id,
		Name:                            c.Name,
		Email:                           c.Email,
		Tel1:                            c.Tel1,
		Tel2:                            c.Tel2,
		Number:                          c.Number,
		PriceGroupId:                    c.PriceGroupId,
		LanguageId:                      c.LanguageId,
		VatId:                           c.VatId,
		Type:                            c.Type,
		DefaultMailAddress:              mapNullable(c.DefaultMailAddress, contactEntry),
		DefaultCommercialMailAddress:    mapNullable(c.DefaultCommercialMailAddress, contactEntry),
		DefaultStatusUpdatesMailAddress: mapNullable(c.DefaultStatusUpdatesMailAddress, contactEntry),
		DefaultPhone1:                   mapNullable(c.DefaultPhone1, contactEntry),
		DefaultPhone2:                   mapNullable(c.DefaultPhone2, contactEntry),
		DefaultFax:                      mapNullable(c.DefaultFax, contactEntry),
		MetaData:                        mapNullable(c.MetaData, contactEntries),
	}
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
	typed, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	return withUnknownFields(typed, read.raw)
}

// apply writes one field of the update over the value read: a set field
// sets, a cleared one sends null, an absent one keeps what was read.
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

// mapNullable converts a value read into the type sent, keeping absent
// absent and null null.
func mapNullable[A, B any](n nullable.Nullable[A], convert func(A) B) nullable.Nullable[B] {
	switch {
	case !n.IsSpecified():
		return nil
	case n.IsNull():
		return nullable.NewNullNullable[B]()
	}
	return nullable.NewNullableWithValue(convert(n[true]))
}

// contactEntry is a contact entry as sent: TypeName is read-only.
func contactEntry(m gen.CustomerMetaData) gen.CustomerMetaDataUpdate {
	return gen.CustomerMetaDataUpdate{Id: m.Id, TypeId: m.TypeId, SubType: m.SubType, Value: m.Value}
}

func contactEntries(list []gen.CustomerMetaData) []gen.CustomerMetaDataUpdate {
	out := make([]gen.CustomerMetaDataUpdate, 0, len(list)) // [] stays [], not null
	for _, m := range list {
		out = append(out, contactEntry(m))
	}
	return out
}

// neverSent are the customer fields a write leaves out even when read.
var neverSent = map[string]bool{"ArchivedAt": true, "RestoredAt": true}

// readOnlyEntryFields are the contact entry fields a write leaves out.
var readOnlyEntryFields = map[string]bool{"TypeName": true}

// contactEntryFields are the customer fields that hold one contact entry.
var contactEntryFields = []string{
	"DefaultMailAddress", "DefaultCommercialMailAddress", "DefaultStatusUpdatesMailAddress",
	"DefaultPhone1", "DefaultPhone2", "DefaultFax",
}

// skipValue accepts any JSON value and keeps nothing of it.
type skipValue struct{}

func (*skipValue) UnmarshalJSON([]byte) error { return nil }

// knownEntry and knownCustomer name every field the typed write carries
// or deliberately leaves out (ArchivedAt, RestoredAt, TypeName): decoding
// Data into knownCustomer with unknown fields disallowed tells whether the
// typed write is the whole record, without keeping any value.
// TestKnownFieldsAreTheGeneratedOnes holds them to the generated types.
type knownEntry struct {
	ID       skipValue `json:"Id"`
	SubType  skipValue `json:"SubType"`
	TypeID   skipValue `json:"TypeId"`
	TypeName skipValue `json:"TypeName"`
	Value    skipValue `json:"Value"`
}

type knownCustomer struct {
	ArchivedAt, Email, Name, Number, RestoredAt, Tel1, Tel2, Type skipValue

	ID           skipValue `json:"Id"`
	LanguageID   skipValue `json:"LanguageId"`
	PriceGroupID skipValue `json:"PriceGroupId"`
	VatID        skipValue `json:"VatId"`

	DefaultCommercialMailAddress, DefaultFax, DefaultMailAddress, DefaultPhone1, DefaultPhone2, DefaultStatusUpdatesMailAddress knownEntry

	MetaData []*knownEntry
}

// carriedByTyped reports whether the typed write carries every field of
// data (Data as read, which the typed decode accepted): no field or entry
// field that is not in the spec, and no null item in MetaData, which the
// typed form would turn into {}. encoding/json matches field names
// regardless of letter case, as Billbee's ASP.NET API does.
func carriedByTyped(data json.RawMessage) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var known knownCustomer
	if dec.Decode(&known) != nil {
		return false
	}
	for _, e := range known.MetaData {
		if e == nil {
			return false
		}
	}
	return true
}

// withUnknownFields adds to the typed body every field of the customer as
// read that the typed body does not carry, as read.
//
// This is how "nothing is lost" survives Billbee adding a field: the PUT
// replaces the record, so a field Billbee starts sending, and that our
// spec (and so the generated type) does not know yet, would be blanked by
// every update if we sent only what we understand. Instead the read's raw
// JSON fills in whatever the typed body lacks, at the top level and inside
// the contact entries (Default* and MetaData), except the fields we
// deliberately never send: ArchivedAt, RestoredAt and TypeName. Patched
// fields are always in the typed body, so the read never overrides the
// update.
func withUnknownFields(typed []byte, read map[string]json.RawMessage) ([]byte, error) {
	if len(read) == 0 {
		return typed, nil
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(typed, &body); err != nil {
		return nil, err
	}
	carryOver(body, read, neverSent)
	for _, name := range contactEntryFields {
		if sent, ok := body[name]; ok {
			body[name] = mergeEntry(sent, readField(read, name))
		}
	}
	if sent, ok := body["MetaData"]; ok {
		body["MetaData"] = mergeEntries(sent, readField(read, "MetaData"))
	}
	return json.Marshal(body)
}

// carryOver copies into sent each field of read that sent lacks, unless skip names it.
//
// Names are compared without regard to letter case, as Billbee (ASP.NET)
// and the typed decoding of the read compare them: a read "name" next to
// the update's "Name" would otherwise be sent too, and the last of the two
// would win at Billbee.
func carryOver(sent, read map[string]json.RawMessage, skip map[string]bool) {
	taken := make(map[string]bool, len(sent)+len(skip))
	for name := range sent {
		taken[strings.ToLower(name)] = true
	}
	for name := range skip {
		taken[strings.ToLower(name)] = true
	}
	for name, v := range read {
		if !taken[strings.ToLower(name)] {
			sent[name] = v
		}
	}
}

// readField is read[name], found without regard to letter case.
func readField(read map[string]json.RawMessage, name string) json.RawMessage {
	if v, ok := read[name]; ok {
		return v
	}
	for k, v := range read {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// mergeEntry completes one contact entry as sent with the unknown fields
// of the entry as read; anything but two objects is left as sent.
func mergeEntry(sent, read json.RawMessage) json.RawMessage {
	var s, r map[string]json.RawMessage
	if json.Unmarshal(sent, &s) != nil || json.Unmarshal(read, &r) != nil || s == nil || r == nil {
		return sent
	}
	carryOver(s, r, readOnlyEntryFields)
	out, err := json.Marshal(s)
	if err != nil {
		return sent
	}
	return out
}

// mergeEntries does mergeEntry for each item of MetaData; the list is sent
// in the order read, so items pair up by index.
func mergeEntries(sent, read json.RawMessage) json.RawMessage {
	var s, r []json.RawMessage
	if json.Unmarshal(sent, &s) != nil || json.Unmarshal(read, &r) != nil || s == nil || len(s) != len(r) {
		return sent
	}
	for i := range s {
		if bytes.Equal(bytes.TrimSpace(r[i]), []byte("null")) {
			s[i] = r[i] // the typed form would have made it {}
			continue
		}
		s[i] = mergeEntry(s[i], r[i])
	}
	out, err := json.Marshal(s)
	if err != nil {
		return sent
	}
	return out
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
