package sandbox

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"sync"
)

// blueTape fakes BlueTape's Generic Connector endpoint
// PUT /genericBthubService/integration/customer/{id} (updateCustomer).
//
// {id} is the integrator's own customer id. The body's five fields are all
// required (the spec enforces it), so an update replaces the whole main
// contact; the answer is 202 with the customer's blueTapeId.
type blueTape struct {
	creds Credentials

	mu        sync.Mutex
	customers map[string]*blueTapeCustomer // by integrator id
}

var _ vendorImpl = (*blueTape)(nil)

// blueTapeCustomer is a stored customer: the integrator's id, BlueTape's
// id and the main contact.
type blueTapeCustomer struct {
	ID                 string `json:"id"`
	BlueTapeID         string `json:"blueTapeId"`
	FirstName          string `json:"firstName"`
	LastName           string `json:"lastName"`
	EmailAddress       string `json:"emailAddress"`
	CellPhoneNumber    string `json:"cellPhoneNumber"`
	SourceModifiedDate string `json:"sourceModifiedDate"`
}

// blueTapeContact is the request body.
type blueTapeContact struct {
	FirstName          string `json:"firstName"`
	LastName           string `json:"lastName"`
	EmailAddress       string `json:"emailAddress"`
	CellPhoneNumber    string `json:"cellPhoneNumber"`
	SourceModifiedDate string `json:"sourceModifiedDate"`
}

func newBlueTape(cfg *config) *blueTape {
	b := &blueTape{creds: cfg.creds, customers: make(map[string]*blueTapeCustomer)}
	records := blueTapeSeeds()
	for i := 1; i <= cfg.synthetic; i++ {
		records = append(records, blueTapeSynthetic(i))
	}
	for _, c := range records {
		b.customers[c.ID] = c
	}
	return b
}

func blueTapeProbes() []*http.Request {
	return []*http.Request{
		probe(http.MethodPut, BlueTapeServicePath+"/integration/customer/probe",
			http.Header{"X-BlueTape-Key": {"probe"}, "X-Integration-AccountId": {"probe"}},
			`{"firstName":"P","lastName":"P","emailAddress":"p@example.com","cellPhoneNumber":"+10000000000","sourceModifiedDate":"2023-01-04T09:47:57.477Z"}`),
		probe(http.MethodGet, BlueTapeServicePath+"/integration/customer/probe/signup",
			http.Header{"X-BlueTape-Key": {"probe"}, "X-Integration-AccountId": {"probe"}}, ""),
	}
}

func (b *blueTape) endpoints() []endpoint {
	return []endpoint{{
		method:    http.MethodPut,
		path:      BlueTapeServicePath + "/integration/customer/{id}",
		operation: "updateCustomer",
		serve:     b.update,
	}, {
		method:    http.MethodGet,
		path:      BlueTapeServicePath + "/integration/customer/{id}/signup",
		operation: "getCustomerSignUpLink",
		serve:     b.signUpLink,
	}}
}

// signUpLink answers the customer's sign-up link, or "Customer not found.".
func (b *blueTape) signUpLink(r *http.Request, _ []byte) reply {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.customers[r.PathValue("id")]
	if c == nil {
		return blueTapeError(http.StatusNotFound, "Customer not found.")
	}
	return jsonReply(http.StatusOK, map[string]string{"signUpUrl": "https://app.bluetape.example/signup/" + c.BlueTapeID})
}

func (b *blueTape) update(r *http.Request, body []byte) reply {
	var contact blueTapeContact
	if err := json.Unmarshal(body, &contact); err != nil {
		return b.badRequest(err.Error()) // the spec check passed, so this is unreachable in practice
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.customers[r.PathValue("id")]
	if c == nil {
		return blueTapeError(http.StatusNotFound, "Customer not found.")
	}
	c.FirstName = contact.FirstName
	c.LastName = contact.LastName
	c.EmailAddress = contact.EmailAddress
	c.CellPhoneNumber = contact.CellPhoneNumber
	c.SourceModifiedDate = contact.SourceModifiedDate
	return jsonReply(http.StatusAccepted, map[string]string{"blueTapeId": c.BlueTapeID})
}

func (b *blueTape) authenticate(r *http.Request) *reply {
	if secretEqual(r.Header.Get("X-BlueTape-Key"), b.creds.BlueTapeAPIKey) &&
		secretEqual(r.Header.Get("X-Integration-AccountId"), b.creds.BlueTapeAccountID) {
		return nil
	}
	rep := blueTapeUnauthorized()
	return &rep
}

func (b *blueTape) missingCredentials(*http.Request) reply { return blueTapeUnauthorized() }

func blueTapeUnauthorized() reply {
	return blueTapeError(http.StatusUnauthorized, "Unauthorized.")
}

func (b *blueTape) identity(r *http.Request) (key, user string) {
	return r.Header.Get("X-BlueTape-Key"), r.Header.Get("X-Integration-AccountId")
}

func (b *blueTape) badRequest(msg string) reply {
	return blueTapeError(http.StatusBadRequest, msg)
}

func (b *blueTape) failure(status int) reply {
	if status == http.StatusServiceUnavailable {
		return blueTapeError(status, "Service unavailable.")
	}
	return blueTapeError(status, "Unexpected error.")
}

func (b *blueTape) tooManyRequests() reply {
	return blueTapeError(http.StatusTooManyRequests, "Too many requests.")
}

func (b *blueTape) notFound(*http.Request) reply {
	return blueTapeError(http.StatusNotFound, "Not found.")
}

func (b *blueTape) methodNotAllowed(*http.Request, []string) reply {
	return blueTapeError(http.StatusMethodNotAllowed, "Method not allowed.")
}

func (b *blueTape) customer(id string) (map[string]any, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.customers[id]
	if c == nil {
		return nil, false
	}
	return jsonShape(c), true
}

func (b *blueTape) customerIDs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	ids := make([]string, 0, len(b.customers))
	for id := range b.customers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// blueTapeError is BlueTape's error body; code is the status as a string.
func blueTapeError(status int, reason string) reply {
	return jsonReply(status, map[string]string{"code": strconv.Itoa(status), "reason": reason})
}
