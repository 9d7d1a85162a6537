package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/custsync/custsync/specs"
)

// maxRequestBytes caps a request body. A customer update is a few KiB.
const maxRequestBytes = 1 << 20

// reply is an answer before it is written, so that it can be checked
// against the spec, counted, and written whole, cut short or not at all.
type reply struct {
	status int
	header http.Header
	body   []byte
	// injected marks fault and throttle answers: they are checked against
	// the spec only when the spec documents their status.
	injected bool
}

// jsonReply marshals v. Every value passed here is built by the sandbox
// from JSON-safe types, so a marshal error is a programming error.
func jsonReply(status int, v any) reply {
	body, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("sandbox: marshal %T: %v", v, err))
	}
	return reply{
		status: status,
		header: http.Header{"Content-Type": {"application/json; charset=utf-8"}},
		body:   body,
	}
}

// endpoint is one operation a vendor serves.
type endpoint struct {
	method    string
	path      string // http.ServeMux pattern path, relative to the vendor host's root
	operation string // the spec's operationId
	// precheck, when set, answers vendor-native rejections that the real
	// vendor gives before (or instead of) a schema error, such as Hasura's
	// "Unexpected variable". It sees the request before spec errors are
	// reported, and returns nil to let processing continue.
	precheck func(r *http.Request, body []byte) *reply
	// serve performs the operation on a request that passed validation.
	serve func(r *http.Request, body []byte) reply
}

// vendorImpl is one fake vendor: its operations, credentials and the shapes
// of its error answers. The request pipeline around it is shared.
type vendorImpl interface {
	endpoints() []endpoint
	// authenticate checks credential values; the spec check has already
	// made sure they are present. It returns nil when they are right.
	authenticate(r *http.Request) *reply
	// missingCredentials answers a request the spec check found without
	// a required credential.
	missingCredentials(r *http.Request) reply
	// identity names the API key and user a request is throttled under.
	identity(r *http.Request) (key, user string)
	badRequest(msg string) reply
	// failure answers an injected 500 or 503 in the vendor's error form.
	failure(status int) reply
	tooManyRequests() reply
	notFound(r *http.Request) reply
	methodNotAllowed(r *http.Request, allowed []string) reply
	// customer returns a stored record as JSON-shaped data.
	customer(id string) (map[string]any, bool)
	customerIDs() []string
}

// vendorServer serves one vendor at the paths its production host uses. It
// runs every request through the same pipeline: count, latency, faults
// decided up front, validation, credentials, throttle, the operation, then
// the answer (checked against the spec, possibly cut short).
type vendorServer struct {
	vendor     specs.Vendor
	impl       vendorImpl
	spec       *specSet
	mux        *http.ServeMux
	faults     *faultInjector
	throttle   *throttler
	stats      *statsRecorder
	violations *violationLog
	now        func() time.Time
}

func newVendorServer(v specs.Vendor, impl vendorImpl, spec *specSet, cfg *config, violations *violationLog) *vendorServer {
	vs := &vendorServer{
		vendor:     v,
		impl:       impl,
		spec:       spec,
		mux:        http.NewServeMux(),
		faults:     newFaultInjector(cfg.seed, v, cfg.faults[v]),
		throttle:   newThrottler(cfg.throttles[v]),
		stats:      newStatsRecorder(),
		violations: violations,
		now:        cfg.now,
	}
	allowed := make(map[string][]string) // path -> methods, for 405 answers
	for _, ep := range impl.endpoints() {
		vs.mux.Handle(ep.method+" "+ep.path, vs.handle(ep))
		allowed[ep.path] = append(allowed[ep.path], ep.method)
	}
	// Paths without a method, to tell a wrong method (405) from an unknown
	// path (404) in the catch-all.
	paths := http.NewServeMux()
	for path, methods := range allowed {
		slices.Sort(methods)
		paths.Handle(path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			vs.finish(w, r, "", vs.impl.methodNotAllowed(r, methods))
		}))
	}
	vs.mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vs.stats.request()
		if h, pattern := paths.Handler(r); pattern != "" {
			h.ServeHTTP(w, r)
			return
		}
		vs.finish(w, r, "", vs.impl.notFound(r))
	}))
	return vs
}

func (vs *vendorServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	vs.mux.ServeHTTP(w, r)
}

func (vs *vendorServer) handle(ep endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vs.stats.request()
		plan := vs.faults.plan()
		if !sleep(r, plan.delay) {
			return // the client gave up; there is no one to answer
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
		if err != nil {
			vs.finish(w, r, ep.operation, vs.impl.badRequest("request body: "+err.Error()))
			return
		}
		switch plan.before {
		case FaultReset:
			vs.reset(w)
			return
		case FaultInternalError, FaultUnavailable, FaultBadGateway, FaultTooManyRequests:
			vs.finish(w, r, ep.operation, vs.faultReply(plan.before))
			return
		}
		rep := vs.process(r, body, ep)
		switch plan.after {
		case FaultResetAfterApply:
			vs.reset(w)
		case FaultTruncate:
			vs.check(r, ep.operation, rep)
			vs.truncate(w, rep)
		default:
			vs.finish(w, r, ep.operation, rep)
		}
	})
}

// process validates the request and performs the operation, in the order a
// real API gateway and service would: credentials, throttle, the vendor's
// own checks, the schema, then the operation.
func (vs *vendorServer) process(r *http.Request, body []byte, ep endpoint) reply {
	_, verr := vs.spec.validator.ValidateRequest(canonicalRequest(r, body))
	if secErr := new(openapi3filter.SecurityRequirementsError); errors.As(verr, &secErr) {
		return vs.impl.missingCredentials(r)
	}
	if rep := vs.impl.authenticate(r); rep != nil {
		return *rep
	}
	key, user := vs.impl.identity(r)
	if !vs.throttle.allow(vs.now(), ep.operation, key, user) {
		return vs.faultReply(FaultTooManyRequests)
	}
	if ep.precheck != nil {
		if rep := ep.precheck(r, body); rep != nil {
			return *rep
		}
	}
	if verr != nil {
		if errors.Is(verr, specs.ErrNoRoute) {
			// The sandbox routed the request to an operation the spec does
			// not have at this path: a sandbox bug, not the client's.
			vs.violations.add(fmt.Sprintf("%s %s %s: sandbox route disagrees with the spec: %v", vs.vendor, r.Method, r.URL.Path, verr))
			return vs.impl.failure(http.StatusInternalServerError)
		}
		return vs.impl.badRequest(validationMessage(verr))
	}
	return ep.serve(r, body)
}

// faultReply builds the answer for an injected fault or a throttle.
func (vs *vendorServer) faultReply(f Fault) reply {
	var rep reply
	switch f {
	case FaultBadGateway:
		rep = reply{
			status: http.StatusBadGateway,
			header: http.Header{"Content-Type": {"text/html"}},
			body:   []byte(badGatewayHTML),
		}
	case FaultTooManyRequests:
		rep = vs.impl.tooManyRequests()
		if s := vs.throttle.retryAfter(); s != "" {
			rep.header.Set("Retry-After", s)
		}
	case FaultUnavailable:
		rep = vs.impl.failure(http.StatusServiceUnavailable)
	default:
		rep = vs.impl.failure(http.StatusInternalServerError)
	}
	rep.injected = true
	return rep
}

// check validates an answer against the spec and records a violation when
// it does not conform. Injected answers with undocumented statuses (HTML
// 502, 503, BlueTape's 429) are deliberately off-spec and skipped, as are
// answers to requests that matched no operation.
func (vs *vendorServer) check(r *http.Request, operation string, rep reply) {
	if operation == "" || (rep.injected && !vs.spec.documented[operation][rep.status]) {
		return
	}
	route := vs.spec.routes[operation]
	if err := route.ValidateResponse(r.Context(), rep.status, rep.header, rep.body); err != nil {
		vs.violations.add(fmt.Sprintf("%s %s %s -> %d %s: %s", vs.vendor, r.Method, r.URL.Path, rep.status, rep.body, validationMessage(err)))
	}
}

// finish checks, counts and writes a whole answer.
func (vs *vendorServer) finish(w http.ResponseWriter, r *http.Request, operation string, rep reply) {
	vs.check(r, operation, rep)
	vs.stats.answer(rep.status)
	h := w.Header()
	for k, v := range rep.header {
		h[k] = v
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body) // a write error means the client left
}

// sleep waits d, or until the client goes away; it reports whether the
// request is still wanted.
func sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}
