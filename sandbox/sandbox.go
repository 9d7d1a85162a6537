package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/custsync/custsync/specs"
)

// BlueTapeServicePath is the path BlueTape's API lives under on its host
// (https://api.bluetape.com/genericBthubService). It is part of the base
// URL a BlueTape client is given.
const BlueTapeServicePath = "/genericBthubService"

// mountPaths are the prefixes each vendor is mounted under by Sandbox's own
// ServeHTTP; the vendor then sees the paths its production host serves.
var mountPaths = map[specs.Vendor]string{
	specs.Upwell:   "/upwell",
	specs.BlueTape: "/bluetape",
	specs.Billbee:  "/billbee",
}

// BasePath returns the path, under the root of a server running a Sandbox,
// of vendor v's base URL: "/upwell", "/bluetape/genericBthubService" or
// "/billbee". A client's base URL is the server's URL plus this path; the
// operation paths of the vendor's spec follow it. It panics for a vendor
// the sandbox does not fake.
func BasePath(v specs.Vendor) string {
	return mustMount(v) + servicePath(v)
}

func mustMount(v specs.Vendor) string {
	p, ok := mountPaths[v]
	if !ok {
		panic(fmt.Sprintf("sandbox: unknown vendor %q", v))
	}
	return p
}

// Sandbox is the three fake vendors behind one http.Handler. Each vendor
// keeps its customers in memory, validates every request against its spec
// and checks every answer against it too, and can be made to throttle,
// fail, stall, reset connections and cut answers short.
//
// A Sandbox is safe for concurrent use. Build one per test with New (or
// NewServer) rather than sharing one: state changes are its purpose.
type Sandbox struct {
	vendors    map[specs.Vendor]*vendorServer
	mounted    map[specs.Vendor]http.Handler
	violations *violationLog
}

// Option configures a Sandbox.
type Option func(*config)

type config struct {
	creds     Credentials
	seed      uint64
	synthetic int
	faults    map[specs.Vendor]Faults
	throttles map[specs.Vendor]Throttle
	now       func() time.Time
	errs      []error
}

// WithCredentials replaces the demo credentials. Empty fields keep their
// demo value.
func WithCredentials(c Credentials) Option {
	return func(cfg *config) { cfg.creds = c.withDefaults() }
}

// WithSeed seeds the fault generator (default 1). The same seed and the
// same sequence of requests to a vendor meet the same faults and jitter.
func WithSeed(seed uint64) Option {
	return func(cfg *config) { cfg.seed = seed }
}

// WithSyntheticCustomers adds n generated customers to every vendor's
// store, beside the documented seed customers, for bulk tests. Their ids
// follow SyntheticID.
func WithSyntheticCustomers(n int) Option {
	return func(cfg *config) {
		if n < 0 {
			cfg.errs = append(cfg.errs, fmt.Errorf("sandbox: WithSyntheticCustomers(%d): want n >= 0", n))
			return
		}
		cfg.synthetic = n
	}
}

// WithFaults injects faults into vendor v's traffic from the start. Use
// (*Sandbox).SetFaults to change them while running.
func WithFaults(v specs.Vendor, f Faults) Option {
	return func(cfg *config) {
		if err := checkVendor(v); err != nil {
			cfg.errs = append(cfg.errs, err)
			return
		}
		if err := f.Validate(); err != nil {
			cfg.errs = append(cfg.errs, err)
			return
		}
		cfg.faults[v] = f
	}
}

// WithThrottle rate-limits vendor v from the start, for example
// WithThrottle(specs.Billbee, BillbeeThrottle()). Throttles are off by
// default. Use (*Sandbox).SetThrottle to change them while running.
func WithThrottle(v specs.Vendor, t Throttle) Option {
	return func(cfg *config) {
		if err := checkVendor(v); err != nil {
			cfg.errs = append(cfg.errs, err)
			return
		}
		if err := t.Validate(); err != nil {
			cfg.errs = append(cfg.errs, err)
			return
		}
		cfg.throttles[v] = t
	}
}

// WithClock replaces time.Now, for the throttle's windows and the
// timestamps Upwell writes. Tests use it to step over a throttle window
// without sleeping.
func WithClock(now func() time.Time) Option {
	return func(cfg *config) {
		if now == nil {
			cfg.errs = append(cfg.errs, fmt.Errorf("sandbox: WithClock(nil)"))
			return
		}
		cfg.now = now
	}
}

func checkVendor(v specs.Vendor) error {
	if _, ok := mountPaths[v]; !ok {
		return fmt.Errorf("sandbox: unknown vendor %q", v)
	}
	return nil
}

// New returns a Sandbox holding the seed customers, with the demo
// credentials, no throttles and no faults unless options say otherwise.
//
// New panics if an option is invalid (a negative rate, an unknown vendor)
// or if the embedded specs cannot be loaded; both are programming errors,
// caught by the first test that builds a sandbox, as with regexp.MustCompile.
func New(opts ...Option) *Sandbox {
	cfg := &config{
		creds:     DefaultCredentials(),
		seed:      1,
		faults:    make(map[specs.Vendor]Faults),
		throttles: make(map[specs.Vendor]Throttle),
		now:       time.Now,
	}
	for _, opt := range opts {
		opt(cfg)
	}
	if len(cfg.errs) > 0 {
		panic(cfg.errs[0])
	}

	s := &Sandbox{
		vendors:    make(map[specs.Vendor]*vendorServer),
		mounted:    make(map[specs.Vendor]http.Handler),
		violations: &violationLog{},
	}
	impls := map[specs.Vendor]vendorImpl{
		specs.Upwell:   newUpwell(cfg),
		specs.BlueTape: newBlueTape(cfg),
		specs.Billbee:  newBillbee(cfg),
	}
	for v, impl := range impls {
		set, err := specSets[v]()
		if err != nil {
			panic(fmt.Sprintf("sandbox: %v", err))
		}
		vs := newVendorServer(v, impl, set, cfg, s.violations)
		s.vendors[v] = vs
		s.mounted[v] = http.StripPrefix(mountPaths[v], vs)
	}
	return s
}

// ServeHTTP serves every vendor under its BasePath: Upwell under /upwell,
// BlueTape under /bluetape/genericBthubService, Billbee under /billbee.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, InspectPath) {
		s.inspect(w, r)
		return
	}
	for v, prefix := range mountPaths {
		if strings.HasPrefix(r.URL.Path, prefix+"/") {
			s.mounted[v].ServeHTTP(w, r)
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprintf(w, "sandbox: no vendor at %s; base paths are %s (Upwell), %s (BlueTape), %s (Billbee)\n",
		r.URL.Path, BasePath(specs.Upwell), BasePath(specs.BlueTape), BasePath(specs.Billbee))
}

// Handler returns a handler serving only vendor v, at the paths its
// production host serves: Upwell and Billbee at the root, BlueTape under
// BlueTapeServicePath. Mount it on its own server to stand in for the
// vendor's host; its state is the Sandbox's. It panics for an unknown
// vendor.
func (s *Sandbox) Handler(v specs.Vendor) http.Handler {
	return s.vendor(v)
}

func (s *Sandbox) vendor(v specs.Vendor) *vendorServer {
	vs, ok := s.vendors[v]
	if !ok {
		panic(fmt.Sprintf("sandbox: unknown vendor %q", v))
	}
	return vs
}

// SetFaults replaces vendor v's fault configuration; requests already
// past their fault decision are not affected.
func (s *Sandbox) SetFaults(v specs.Vendor, f Faults) error {
	if err := checkVendor(v); err != nil {
		return err
	}
	if err := f.Validate(); err != nil {
		return err
	}
	s.vendors[v].faults.set(f)
	return nil
}

// SetThrottle replaces vendor v's rate limits and forgets the requests
// counted so far; the zero Throttle turns throttling off.
func (s *Sandbox) SetThrottle(v specs.Vendor, t Throttle) error {
	if err := checkVendor(v); err != nil {
		return err
	}
	if err := t.Validate(); err != nil {
		return err
	}
	s.vendors[v].throttle.set(t)
	return nil
}

// FailNext makes vendor v's next n requests meet fault f, whatever the
// random rates say; calls queue up in order. Requests that match no
// operation do not consume the queue.
//
// Note that Go's http.Transport replays an idempotent request (GET) once
// when a reused connection is reset before any answer, so to observe a
// reset on a Billbee GET, queue two.
func (s *Sandbox) FailNext(v specs.Vendor, n int, f Fault) {
	if _, ok := faultNames[f]; !ok {
		panic(fmt.Sprintf("sandbox: FailNext with unknown fault %d", int(f)))
	}
	s.vendor(v).faults.failNext(n, f)
}

// Customer returns vendor v's stored record for id as JSON-shaped data
// (map[string]any, []any, string, bool, nil, and json.Number for every
// number, so int64 ids stay exact), or false if there is none. It is a copy.
//
// The id is BlueTape's integrator id ("dc506b22c7fa"), Billbee's decimal
// Id ("100000150176895"), and for Upwell "<sourceSystem>/<sourceSystemId>"
// ("ACME/C-1001"), a bare sourceSystemId of UpwellSourceSystem ("C-1001"),
// or Upwell's own id. Upwell records include the columns input can set but
// the answer omits (collectorId, deletedAt, ...); Billbee records are shown
// as Customer_GetOne shows them, TypeName included.
func (s *Sandbox) Customer(v specs.Vendor, id string) (map[string]any, bool) {
	return s.vendor(v).impl.customer(id)
}

// CustomerIDs lists vendor v's stored customers in id order (numeric for
// Billbee), in a form Customer accepts (Upwell as
// "<sourceSystem>/<sourceSystemId>").
func (s *Sandbox) CustomerIDs(v specs.Vendor) []string {
	return s.vendor(v).impl.customerIDs()
}

// Stats returns vendor v's counters so far.
func (s *Sandbox) Stats(v specs.Vendor) Stats {
	return s.vendor(v).stats.snapshot()
}

// Violations lists answers the sandbox gave that its own spec rejects. It
// should always be empty; tests assert so. Deliberately off-spec faults
// (HTML 502, 503, resets, truncation, BlueTape's undocumented 429) are not
// checked and never appear here.
func (s *Sandbox) Violations() []string {
	return s.violations.list()
}

// InspectPath is the root of the sandbox's read-only inspection endpoint,
// off every vendor's paths (no vendor serves /_sandbox):
//
//	GET /_sandbox/{vendor}/customers/{id}   the customer as vendor stores it
//	GET /_sandbox/{vendor}/stats            the requests served and their statuses
//
// {vendor} is upwell, bluetape or billbee; Upwell's id is
// sourceSystem/sourceSystemId, as CustomerIDs lists them. It answers JSON,
// needs no credentials (the sandbox's data is demo data) and changes
// nothing: any other method is refused with 405.
const InspectPath = "/_sandbox/"

func (s *Sandbox) inspect(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		w.WriteHeader(http.StatusMethodNotAllowed)
		_, _ = io.WriteString(w, `{"error":"the inspection endpoint is read-only"}`+"\n")
		return
	}
	vendorName, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, InspectPath), "/")
	v := specs.Vendor(vendorName)
	if !slices.Contains(specs.Vendors, v) {
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": fmt.Sprintf("no vendor %q; want one of %v", vendorName, specs.Vendors)})
		return
	}
	var answer any
	switch id, isCustomer := strings.CutPrefix(rest, "customers/"); {
	case rest == "stats":
		answer = s.Stats(v)
	case isCustomer && id != "":
		c, ok := s.Customer(v, id)
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": fmt.Sprintf("%s holds no customer %q", v, id)})
			return
		}
		answer = c
	default:
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "want " + InspectPath + "{vendor}/customers/{id} or " + InspectPath + "{vendor}/stats"})
		return
	}
	_ = json.NewEncoder(w).Encode(answer)
}
