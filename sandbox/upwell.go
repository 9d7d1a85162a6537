package sandbox

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// upwell fakes Upwell's Hasura RESTified endpoint
// PUT /api/rest/customers (updateCustomerBySourceSystemId).
//
// Semantics, after Hasura's source (see shared/vendors/upwell-bluetape-notes.md):
//   - sourceSystem and sourceSystemId come from the query string or the
//     body, the body winning; any other top-level key is "Unexpected
//     variable" (400 bad-request); a missing one is 400 validation-failed.
//   - input is Hasura's _set: only the keys sent change, null clears.
//     Relationships are not columns and the spec rejects them.
//   - an empty or absent input runs no UPDATE: affectedRows 0 even when
//     the customer exists. A miss is 200 with affectedRows 0, never 404.
//   - updateCustomer and updateCustomerRules are two root fields of one
//     mutation, run in order in one transaction. updateCustomer's
//     returning is read before updateCustomerRules runs, so it shows the
//     customer rule as it was; read the customer again to see the new one.
type upwell struct {
	creds Credentials
	now   func() time.Time

	mu    sync.Mutex
	byRef map[string]map[string]any // upwellRef(sourceSystem, sourceSystemId) -> record
	byID  map[string]map[string]any // Upwell's own id -> the same record
}

var _ vendorImpl = (*upwell)(nil)

// upwellVariables are the REST endpoint's variables; anything else sent
// at the top level is rejected, as Hasura does.
var upwellVariables = []string{"sourceSystem", "sourceSystemId", "input", "customerRulesInput"}

// upwellColumns are the Customer fields the endpoint returns. The store
// also keeps the other columns input can set (collectorId, deletedAt, ...),
// which Customer shows but the answer does not.
var upwellColumns = []string{
	"id", "name", "emailAddress", "ccEmailAddresses", "billToCustomerId",
	"sourceSystem", "sourceSystemId", "metadata", "balance", "overdueBalance",
	"overdueInvoiceCount", "createdAt", "updatedAt", "customerRule", "addresses",
}

// upwellNonNullable are the input columns Hasura's column parser refuses
// null for. The spec already rejects such nulls; the store checks again so
// that its invariants never rest on the spec alone.
var upwellNonNullable = []string{"name", "sourceSystem", "sourceSystemId"}

func newUpwell(cfg *config) *upwell {
	u := &upwell{
		creds: cfg.creds,
		now:   cfg.now,
		byRef: make(map[string]map[string]any),
		byID:  make(map[string]map[string]any),
	}
	records := upwellSeeds()
	for i := 1; i <= cfg.synthetic; i++ {
		records = append(records, upwellSynthetic(i))
	}
	for _, rec := range records {
		c := jsonShape(rec)
		u.byRef[upwellRef(c["sourceSystem"].(string), c["sourceSystemId"].(string))] = c
		u.byID[c["id"].(string)] = c
	}
	return u
}

// upwellRef is the store key and the id form Customer accepts.
func upwellRef(sourceSystem, sourceSystemID string) string {
	return sourceSystem + "/" + sourceSystemID
}

func upwellProbes() []*http.Request {
	return []*http.Request{
		probe(http.MethodPut, "/api/rest/customers", http.Header{"Authorization": {"probe"}}, `{}`),
		probe(http.MethodGet, "/api/rest/customers/probe", http.Header{"Authorization": {"probe"}}, ""),
	}
}

func (u *upwell) endpoints() []endpoint {
	return []endpoint{{
		method:    http.MethodPut,
		path:      "/api/rest/customers",
		operation: "updateCustomerBySourceSystemId",
		precheck:  u.checkVariables,
		serve:     u.update,
	}, {
		method:    http.MethodGet,
		path:      "/api/rest/customers/{id}",
		operation: "getCustomerById",
		serve:     u.get,
	}}
}

// get answers a by-key query as Hasura does: the row, or null when no
// customer has the id.
func (u *upwell) get(r *http.Request, _ []byte) reply {
	u.mu.Lock()
	defer u.mu.Unlock()
	var customer any
	if c := u.byID[r.PathValue("id")]; c != nil {
		customer = cloneJSON(c)
	}
	return jsonReply(http.StatusOK, map[string]any{"customer": customer})
}

// variables merges the query string and the body's top-level keys, body
// last so that it wins, as Hasura's REST handler does. A body that is not
// a JSON object contributes nothing (Hasura ignores it).
func (u *upwell) variables(r *http.Request, body []byte) (vars map[string]any, fromQuery map[string]bool) {
	vars = make(map[string]any)
	fromQuery = make(map[string]bool)
	for name, values := range r.URL.Query() {
		if len(values) > 0 {
			vars[name] = values[0]
			fromQuery[name] = true
		}
	}
	var obj map[string]any
	if decodeJSON(body, &obj) == nil {
		for name, v := range obj {
			vars[name] = v
			delete(fromQuery, name)
		}
	}
	return vars, fromQuery
}

// checkVariables gives Hasura's own answers to bad variables, which come
// before any type checking of their values.
func (u *upwell) checkVariables(r *http.Request, body []byte) *reply {
	vars, fromQuery := u.variables(r, body)
	names := make([]string, 0, len(vars))
	for name := range vars {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if !slices.Contains(upwellVariables, name) {
			rep := hasuraError(http.StatusBadRequest, "bad-request", "Unexpected variable "+name)
			return &rep
		}
	}
	for _, name := range []string{"sourceSystem", "sourceSystemId"} {
		if v, ok := vars[name]; !ok || v == nil {
			rep := hasuraError(http.StatusBadRequest, "validation-failed", `expecting a value for non-nullable variable: "`+name+`"`)
			return &rep
		}
	}
	for _, name := range []string{"input", "customerRulesInput"} {
		if fromQuery[name] {
			rep := hasuraError(http.StatusBadRequest, "validation-failed", `variable "`+name+`" must be a JSON object in the request body`)
			return &rep
		}
	}
	return nil
}

func (u *upwell) update(r *http.Request, body []byte) reply {
	vars, _ := u.variables(r, body)
	sourceSystem, _ := vars["sourceSystem"].(string)
	sourceSystemID, _ := vars["sourceSystemId"].(string)
	input, _ := vars["input"].(map[string]any)
	rulesInput, _ := vars["customerRulesInput"].(map[string]any)

	for _, col := range upwellNonNullable {
		if v, ok := input[col]; ok && v == nil {
			return hasuraError(http.StatusBadRequest, "validation-failed", `unexpected null value for type "String!" at input.`+col)
		}
	}

	u.mu.Lock()
	defer u.mu.Unlock()

	customers := map[string]any{"affectedRows": 0, "returning": []any{}}
	rules := map[string]any{"affectedRows": 0}
	answer := func() reply {
		return jsonReply(http.StatusOK, map[string]any{"updateCustomer": customers, "updateCustomerRules": rules})
	}

	oldRef := upwellRef(sourceSystem, sourceSystemID)
	c := u.byRef[oldRef]
	if c == nil {
		return answer()
	}

	// The whole mutation is one transaction: find every reason to refuse
	// before changing anything.
	newRef := oldRef
	if len(input) > 0 {
		ss, sid := sourceSystem, sourceSystemID
		if v, ok := input["sourceSystem"].(string); ok {
			ss = v
		}
		if v, ok := input["sourceSystemId"].(string); ok {
			sid = v
		}
		newRef = upwellRef(ss, sid)
		if other := u.byRef[newRef]; other != nil && newRef != oldRef {
			return hasuraError(http.StatusBadRequest, "constraint-violation",
				`Uniqueness violation. duplicate key value violates unique constraint "customers_source_system_source_system_id_key"`)
		}
	}

	if len(input) > 0 {
		for col, v := range input {
			c[col] = cloneJSON(v)
		}
		c["updatedAt"] = u.nextUpdatedAt(c["updatedAt"])
		if newRef != oldRef {
			delete(u.byRef, oldRef)
			u.byRef[newRef] = c
		}
		customers = map[string]any{"affectedRows": 1, "returning": []any{upwellProjection(c)}}
	}
	if len(rulesInput) > 0 {
		if rule, ok := c["customerRule"].(map[string]any); ok {
			for col, v := range rulesInput {
				rule[col] = cloneJSON(v)
			}
			rules = map[string]any{"affectedRows": 1}
		}
	}
	return answer()
}

// nextUpdatedAt is now as Postgres writes a timestamptz, kept strictly
// after the previous value so that every update visibly changes it even
// when the clock is coarse or fake.
func (u *upwell) nextUpdatedAt(prev any) string {
	now := u.now().UTC().Truncate(time.Microsecond)
	if s, ok := prev.(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil && !now.After(t) {
			now = t.UTC().Add(time.Microsecond)
		}
	}
	return formatUpwellTime(now)
}

// formatUpwellTime writes t as Hasura writes a timestamptz.
func formatUpwellTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.999999-07:00")
}

// upwellProjection is the record as the endpoint returns it.
func upwellProjection(c map[string]any) map[string]any {
	out := make(map[string]any, len(upwellColumns))
	for _, col := range upwellColumns {
		if v, ok := c[col]; ok {
			out[col] = cloneJSON(v)
		}
	}
	return out
}

func (u *upwell) authenticate(r *http.Request) *reply {
	key := r.Header.Get("Authorization")
	if secretEqual(key, u.creds.UpwellAPIKey) {
		return nil
	}
	msg := "Invalid API key"
	if strings.HasPrefix(key, "Bearer ") {
		// The commonest integration mistake; say so.
		msg += ` (send the key itself in Authorization, without "Bearer ")`
	}
	rep := upwellDocError(http.StatusUnauthorized, "INVALID_API_KEY", msg)
	return &rep
}

func (u *upwell) missingCredentials(*http.Request) reply {
	return upwellDocError(http.StatusUnauthorized, "MISSING_AUTHORIZATION", "Authorization header is required")
}

func (u *upwell) identity(r *http.Request) (key, user string) {
	return r.Header.Get("Authorization"), ""
}

// badRequest answers a request its schema rejects with the VALIDATION_ERROR
// body of Upwell's error-codes page: error.details is an array of
// {field, message}, one per violation. (Hasura's own answers to bad
// variables come earlier, from checkVariables, in Hasura's form.)
func (u *upwell) badRequest(msg string) reply {
	return jsonReply(http.StatusBadRequest, map[string]any{
		"error": map[string]any{
			"code":    "VALIDATION_ERROR",
			"message": "Validation failed for one or more fields",
			"details": upwellDetails(msg),
		},
		"status":    "error",
		"timestamp": formatUpwellTime(time.Now()),
	})
}

// upwellDetails splits a validation message ("request body: /input/name:
// Value is not nullable; ...") into {field, message} items, the field in
// dotted form ("input.name").
func upwellDetails(msg string) []map[string]string {
	var out []map[string]string
	for _, part := range strings.Split(msg, "; ") {
		part = strings.TrimPrefix(part, "request body: ")
		field, text := "", part
		if rest, ok := strings.CutPrefix(part, "/"); ok {
			if f, m, ok := strings.Cut(rest, ": "); ok {
				field, text = strings.ReplaceAll(f, "/", "."), m
			}
		} else if strings.HasPrefix(part, "parameter ") {
			if f, m, ok := strings.Cut(strings.TrimPrefix(part, "parameter "), ": "); ok {
				field, text = strings.Trim(strings.Fields(f)[0], `"`), m
			}
		}
		out = append(out, map[string]string{"field": field, "message": text})
	}
	return out
}

func (u *upwell) failure(status int) reply {
	if status == http.StatusServiceUnavailable {
		return upwellDocError(status, "SERVICE_UNAVAILABLE", "Service temporarily unavailable")
	}
	return upwellDocError(status, "INTERNAL_SERVER_ERROR", "Internal server error")
}

func (u *upwell) tooManyRequests() reply {
	return upwellDocError(http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED", "Rate limit exceeded")
}

func (u *upwell) notFound(*http.Request) reply {
	return hasuraError(http.StatusNotFound, "not-found", "Endpoint not found")
}

func (u *upwell) methodNotAllowed(_ *http.Request, allowed []string) reply {
	return hasuraError(http.StatusMethodNotAllowed, "method-not-allowed", "Allowed methods: "+strings.Join(allowed, ", "))
}

func (u *upwell) customer(id string) (map[string]any, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	c := u.byRef[id]
	if c == nil {
		c = u.byID[id]
	}
	if c == nil {
		c = u.byRef[upwellRef(UpwellSourceSystem, id)]
	}
	if c == nil {
		return nil, false
	}
	return cloneJSON(c).(map[string]any), true
}

func (u *upwell) customerIDs() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	ids := make([]string, 0, len(u.byRef))
	for ref := range u.byRef {
		ids = append(ids, ref)
	}
	slices.Sort(ids)
	return ids
}

// hasuraError is Hasura's error body, which the REST endpoint sends with
// the error's own status.
func hasuraError(status int, code, msg string) reply {
	return jsonReply(status, map[string]any{"path": "$", "error": msg, "code": code})
}

// upwellDocError is the error body on Upwell's error-codes page, which its
// authentication layer and gateway use.
func upwellDocError(status int, code, msg string) reply {
	return jsonReply(status, map[string]any{
		"error":  map[string]any{"code": code, "message": msg},
		"status": "error",
	})
}
