package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
)

// billbee fakes Billbee's Customer_GetOne (GET /api/v1/customers/{id}) and
// Customer_Update (PUT /api/v1/customers/{id}).
//
//   - Every answer of these operations is the envelope {ErrorMessage,
//     ErrorCode, ErrorDescription, Data}, except the ASP.NET bodies of
//     400 ({Message, ModelState}) and 401 ({Message}), and the 404 for an
//     unknown customer, which has no body at all.
//   - GET shows every field, null when unset, with TypeName derived from
//     TypeId and dates as stored, without a UTC offset.
//   - PUT replaces the record: a field not sent becomes null. This is what
//     catches a driver that skips the read-modify-write. Default* and
//     MetaData entries keep the Ids sent; an entry sent without an Id gets
//     a new one, as a new row would. ArchivedAt and RestoredAt are kept from
//     the store whatever the body says: their effect on a PUT is not
//     documented, and archiving is not something an update does.
//   - PUT on an archived customer is refused inside a 200 envelope
//     (ErrorCode 11, InvalidData) and changes nothing.
type billbee struct {
	creds Credentials

	mu         sync.Mutex
	customers  map[int64]*billbeeCustomer
	nextMetaID int64
}

var _ vendorImpl = (*billbee)(nil)

// firstAssignedMetaID is the first Id given to a meta data entry sent
// without one; it is above every seeded Id.
const firstAssignedMetaID = 300_000_000_000

// billbeeFields are CustomerApiModel's fields after Id, in Billbee's order.
type billbeeFields struct {
	Name                            *string       `json:"Name"`
	Email                           *string       `json:"Email"`
	Tel1                            *string       `json:"Tel1"`
	Tel2                            *string       `json:"Tel2"`
	Number                          *int32        `json:"Number"`
	PriceGroupID                    *int64        `json:"PriceGroupId"`
	LanguageID                      *int32        `json:"LanguageId"`
	DefaultMailAddress              *billbeeMeta  `json:"DefaultMailAddress"`
	DefaultCommercialMailAddress    *billbeeMeta  `json:"DefaultCommercialMailAddress"`
	DefaultStatusUpdatesMailAddress *billbeeMeta  `json:"DefaultStatusUpdatesMailAddress"`
	DefaultPhone1                   *billbeeMeta  `json:"DefaultPhone1"`
	DefaultPhone2                   *billbeeMeta  `json:"DefaultPhone2"`
	DefaultFax                      *billbeeMeta  `json:"DefaultFax"`
	VatID                           *string       `json:"VatId"`
	Type                            *int32        `json:"Type"`
	MetaData                        []billbeeMeta `json:"MetaData"` // nil is null, empty is []
	ArchivedAt                      *string       `json:"ArchivedAt"`
	RestoredAt                      *string       `json:"RestoredAt"`
}

// billbeeCustomer is a stored customer and the Data of an answer.
type billbeeCustomer struct {
	ID int64 `json:"Id"`
	billbeeFields
}

// billbeeCustomerUpdate is a PUT body; Id is optional there.
type billbeeCustomerUpdate struct {
	ID *int64 `json:"Id"`
	billbeeFields
}

// billbeeMeta is CustomerMetaDataApiModel. TypeName is derived from TypeId
// on the way out and never stored.
type billbeeMeta struct {
	ID       *int64  `json:"Id"`
	TypeID   *int64  `json:"TypeId"`
	TypeName *string `json:"TypeName"`
	SubType  *string `json:"SubType"`
	Value    *string `json:"Value"`
}

// billbeeTypeNames are the meta data kinds Billbee names.
var billbeeTypeNames = map[int64]string{1: "EMail", 2: "Phone"}

// billbeeEnvelope is ApiResult. ErrorDescription is the ErrorCode's name as
// a string, as the wire carries it (Billbee's spec says integer).
type billbeeEnvelope struct {
	ErrorMessage     *string          `json:"ErrorMessage"`
	ErrorCode        int              `json:"ErrorCode"`
	ErrorDescription string           `json:"ErrorDescription"`
	Data             *billbeeCustomer `json:"Data"`
}

// Billbee's ErrorCode values used here (from the official C# SDK).
const (
	billbeeNoError       = 0
	billbeeInternalError = 8
	billbeeInvalidData   = 11
)

func newBillbee(cfg *config) *billbee {
	b := &billbee{
		creds:      cfg.creds,
		customers:  make(map[int64]*billbeeCustomer),
		nextMetaID: firstAssignedMetaID,
	}
	records := billbeeSeeds()
	for i := 1; i <= cfg.synthetic; i++ {
		records = append(records, billbeeSynthetic(i))
	}
	for _, c := range records {
		b.customers[c.ID] = c
	}
	return b
}

func billbeeProbes() []*http.Request {
	auth := func(h http.Header) http.Header {
		req, _ := http.NewRequest(http.MethodGet, "http://"+canonicalHost, nil)
		req.SetBasicAuth("probe", "probe")
		h.Set("Authorization", req.Header.Get("Authorization"))
		h.Set("X-Billbee-Api-Key", "probe")
		return h
	}
	return []*http.Request{
		probe(http.MethodGet, "/api/v1/customers/1", auth(http.Header{}), ""),
		probe(http.MethodPut, "/api/v1/customers/1", auth(http.Header{}), `{}`),
	}
}

func (b *billbee) endpoints() []endpoint {
	return []endpoint{
		{method: http.MethodGet, path: "/api/v1/customers/{id}", operation: "Customer_GetOne", serve: b.get},
		{method: http.MethodPut, path: "/api/v1/customers/{id}", operation: "Customer_Update", serve: b.update},
	}
}

func (b *billbee) get(r *http.Request, _ []byte) reply {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return b.badRequest(err.Error()) // the spec check passed, so this is unreachable in practice
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.customers[id]
	if c == nil {
		return billbeeCustomerNotFound()
	}
	return billbeeOK(c)
}

func (b *billbee) update(r *http.Request, body []byte) reply {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return b.badRequest(err.Error())
	}
	var in billbeeCustomerUpdate
	if err := decodeJSON(body, &in); err != nil {
		return b.badRequest(err.Error())
	}
	if in.ID != nil && *in.ID != id {
		return billbeeModelState("model.Id", fmt.Sprintf("The Id in the body (%d) does not match the id in the URL (%d).", *in.ID, id))
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	old := b.customers[id]
	if old == nil {
		return billbeeCustomerNotFound()
	}
	if old.ArchivedAt != nil {
		msg := "Customer is archived and cannot be modified"
		return jsonReply(http.StatusOK, billbeeEnvelope{
			ErrorMessage:     &msg,
			ErrorCode:        billbeeInvalidData,
			ErrorDescription: "InvalidData",
		})
	}

	c := &billbeeCustomer{ID: id, billbeeFields: in.billbeeFields}
	c.ArchivedAt, c.RestoredAt = old.ArchivedAt, old.RestoredAt
	for _, m := range c.defaults() {
		if *m != nil {
			stored := b.storeMeta(**m)
			*m = &stored
		}
	}
	if c.MetaData != nil {
		metas := make([]billbeeMeta, len(c.MetaData))
		for i, m := range c.MetaData {
			metas[i] = b.storeMeta(m)
		}
		c.MetaData = metas
	}
	b.customers[id] = c
	return billbeeOK(c)
}

// storeMeta is m as stored: without the derived TypeName, and with an Id.
func (b *billbee) storeMeta(m billbeeMeta) billbeeMeta {
	m.TypeName = nil
	if m.ID == nil {
		id := b.nextMetaID
		b.nextMetaID++
		m.ID = &id
	}
	return m
}

// defaults lists the Default* fields, for code that treats them alike.
func (c *billbeeCustomer) defaults() []**billbeeMeta {
	return []**billbeeMeta{
		&c.DefaultMailAddress, &c.DefaultCommercialMailAddress, &c.DefaultStatusUpdatesMailAddress,
		&c.DefaultPhone1, &c.DefaultPhone2, &c.DefaultFax,
	}
}

// rendered is c as Billbee shows it: a copy with every TypeName derived.
func (c *billbeeCustomer) rendered() *billbeeCustomer {
	out := *c
	name := func(m billbeeMeta) billbeeMeta {
		m.TypeName = nil
		if m.TypeID != nil {
			if n, ok := billbeeTypeNames[*m.TypeID]; ok {
				m.TypeName = &n
			}
		}
		return m
	}
	for _, m := range out.defaults() {
		if *m != nil {
			named := name(**m)
			*m = &named
		}
	}
	if c.MetaData != nil {
		out.MetaData = make([]billbeeMeta, len(c.MetaData))
		for i, m := range c.MetaData {
			out.MetaData[i] = name(m)
		}
	}
	return &out
}

func billbeeOK(c *billbeeCustomer) reply {
	return jsonReply(http.StatusOK, billbeeEnvelope{
		ErrorCode:        billbeeNoError,
		ErrorDescription: "NoError",
		Data:             c.rendered(),
	})
}

func (b *billbee) authenticate(r *http.Request) *reply {
	user, pass, _ := r.BasicAuth()
	if secretEqual(r.Header.Get("X-Billbee-Api-Key"), b.creds.BillbeeAPIKey) &&
		usernameEqual(user, b.creds.BillbeeUsername) &&
		secretEqual(pass, b.creds.BillbeeAPIPassword) {
		return nil
	}
	rep := billbeeUnauthorized()
	return &rep
}

func (b *billbee) missingCredentials(*http.Request) reply { return billbeeUnauthorized() }

func billbeeUnauthorized() reply {
	return billbeeMessage(http.StatusUnauthorized, "Authorization has been denied for this request.")
}

func (b *billbee) identity(r *http.Request) (key, user string) {
	user, _, _ = r.BasicAuth()
	return r.Header.Get("X-Billbee-Api-Key"), user
}

func (b *billbee) badRequest(msg string) reply {
	return billbeeModelState("model", msg)
}

func (b *billbee) failure(status int) reply {
	if status == http.StatusServiceUnavailable {
		return billbeeMessage(status, "The service is unavailable.")
	}
	msg := "Internal error"
	return jsonReply(status, billbeeEnvelope{
		ErrorMessage:     &msg,
		ErrorCode:        billbeeInternalError,
		ErrorDescription: "InternalError",
	})
}

func (b *billbee) tooManyRequests() reply {
	return billbeeMessage(http.StatusTooManyRequests, "Too many requests")
}

func (b *billbee) notFound(r *http.Request) reply {
	return billbeeMessage(http.StatusNotFound, "No HTTP resource was found that matches the request URI '"+r.URL.Path+"'.")
}

func (b *billbee) methodNotAllowed(r *http.Request, _ []string) reply {
	return billbeeMessage(http.StatusMethodNotAllowed, "The requested resource does not support http method '"+r.Method+"'.")
}

func (b *billbee) customer(id string) (map[string]any, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.customers[n]
	if c == nil {
		return nil, false
	}
	return jsonShape(c.rendered()), true
}

func (b *billbee) customerIDs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	ids := make([]int64, 0, len(b.customers))
	for id := range b.customers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.FormatInt(id, 10)
	}
	return out
}

// billbeeCustomerNotFound is Billbee's answer to an unknown customer id: a
// 404 without a body (billbee-csharp-sdk issue 83, where the SDK prints
// "HTTP Response: NotFound: -", its text for a body with nothing in it).
func billbeeCustomerNotFound() reply {
	return reply{status: http.StatusNotFound, header: http.Header{}}
}

// billbeeMessage is ASP.NET Web API's plain error body.
func billbeeMessage(status int, msg string) reply {
	return jsonReply(status, map[string]string{"Message": msg})
}

// billbeeModelState is ASP.NET Web API's model-binding error.
func billbeeModelState(key, msg string) reply {
	return jsonReply(http.StatusBadRequest, map[string]any{
		"Message":    "The request is invalid.",
		"ModelState": map[string][]string{key: {msg}},
	})
}
