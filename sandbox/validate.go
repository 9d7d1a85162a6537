package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/custsync/custsync/specs"
)

// canonicalHost is the host every request is validated against. The
// sandbox answers on whatever host it is reached by (an httptest port, a
// user's own server, a recorder), while the spec router matches on host;
// validating a copy of the request rebuilt on one fixed host keeps a single
// validator per vendor, built once per process, correct for all of them.
const canonicalHost = "sandbox.invalid"

// specSet is everything the sandbox needs from one vendor's spec. It is
// read-only after construction and shared by every Sandbox in the process:
// loading a spec parses and validates YAML with examples, which is too slow
// to repeat for each test's sandbox.
type specSet struct {
	validator *specs.Validator
	// routes holds a Route per operation, obtained from a known-good probe
	// request. Response validation depends only on the operation, so these
	// also check answers to requests that were themselves rejected (401,
	// 400, 429, faults), for which ValidateRequest yields no Route.
	routes map[string]*specs.Route
	// documented lists the statuses each operation documents; injected
	// faults with other statuses are deliberately off-spec and not checked.
	documented map[string]map[int]bool
}

var specSets = map[specs.Vendor]func() (*specSet, error){
	specs.Upwell:   sync.OnceValues(func() (*specSet, error) { return loadSpecSet(specs.Upwell, upwellProbes()) }),
	specs.BlueTape: sync.OnceValues(func() (*specSet, error) { return loadSpecSet(specs.BlueTape, blueTapeProbes()) }),
	specs.Billbee:  sync.OnceValues(func() (*specSet, error) { return loadSpecSet(specs.Billbee, billbeeProbes()) }),
}

// servicePath is the path prefix the vendor's spec server carries on its
// host: BlueTape's API lives under /genericBthubService.
func servicePath(v specs.Vendor) string {
	if v == specs.BlueTape {
		return BlueTapeServicePath
	}
	return ""
}

func loadSpecSet(v specs.Vendor, probes []*http.Request) (*specSet, error) {
	ctx := context.Background()
	validator, err := specs.NewValidator(ctx, v, "http://"+canonicalHost+servicePath(v))
	if err != nil {
		return nil, err
	}
	doc := validator.Doc()
	set := &specSet{
		validator:  validator,
		routes:     make(map[string]*specs.Route),
		documented: make(map[string]map[int]bool),
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			codes := make(map[int]bool)
			for status := range op.Responses.Map() {
				if code, err := strconv.Atoi(status); err == nil {
					codes[code] = true
				}
			}
			set.documented[op.OperationID] = codes
		}
	}
	for _, probe := range probes {
		route, err := validator.ValidateRequest(probe)
		if err != nil {
			return nil, fmt.Errorf("sandbox: %s probe %s %s does not validate: %w", v, probe.Method, probe.URL.Path, err)
		}
		set.routes[route.OperationID()] = route
	}
	for op := range set.documented {
		if set.routes[op] == nil {
			return nil, fmt.Errorf("sandbox: %s operation %s has no probe request", v, op)
		}
	}
	return set, nil
}

// probe builds a request on the canonical host for loadSpecSet.
func probe(method, path string, header http.Header, body string) *http.Request {
	var rd io.Reader
	if body != "" {
		rd = bytes.NewReader([]byte(body))
	}
	req, err := http.NewRequest(method, "http://"+canonicalHost+path, rd)
	if err != nil {
		panic(err) // the probes are constants
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v) // canonicalises the name
		}
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// canonicalRequest returns a copy of r on the canonical host whose body is
// body, for the validator. r itself is left untouched.
func canonicalRequest(r *http.Request, body []byte) *http.Request {
	c := r.Clone(r.Context())
	c.URL.Scheme = "http"
	c.URL.Host = canonicalHost
	c.Host = canonicalHost
	c.RequestURI = ""
	c.Body = io.NopCloser(bytes.NewReader(body))
	c.ContentLength = int64(len(body))
	return c
}

// maxViolations caps the recorded violations so that a long-running
// sandbox (the CLI's) cannot grow without bound; the count is kept.
const maxViolations = 1000

// violationLog records answers the sandbox gave that its own spec rejects.
// Any entry is a sandbox bug or a spec bug, never the client's fault.
type violationLog struct {
	mu      sync.Mutex
	entries []string
	dropped int
}

func (l *violationLog) add(entry string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.entries) >= maxViolations {
		l.dropped++
		return
	}
	l.entries = append(l.entries, entry)
}

func (l *violationLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := append([]string(nil), l.entries...)
	if l.dropped > 0 {
		out = append(out, fmt.Sprintf("... and %d more", l.dropped))
	}
	return out
}

// validationMessage turns a validator error into the short sentence an
// error body carries, such as `request body: /input/name: Value is not
// nullable`. kin-openapi's own text appends the whole schema and value to
// each schema error, which would bury the point in kilobytes of JSON; its
// global switch to turn that off would change every other user of
// kin-openapi in the process.
func validationMessage(err error) string {
	var parts []string
	collectMessages(err, "", &parts)
	return strings.Join(slices.Compact(parts), "; ")
}

func collectMessages(err error, prefix string, out *[]string) {
	// The switch is on this node's own type, not on anything it wraps:
	// each case adds its prefix and recurses, and the default case unwraps.
	switch e := err.(type) { //nolint:errorlint // walks the tree one node at a time, see above
	case openapi3.MultiError:
		for _, inner := range e {
			collectMessages(inner, prefix, out)
		}
	case *openapi3filter.RequestError:
		switch {
		case e.Parameter != nil:
			prefix += fmt.Sprintf("parameter %q in %s: ", e.Parameter.Name, e.Parameter.In)
		case e.RequestBody != nil:
			prefix += "request body: "
		}
		if e.Err == nil {
			*out = append(*out, prefix+e.Reason)
			return
		}
		collectMessages(e.Err, prefix, out)
	case *openapi3filter.ResponseError:
		if e.Err == nil {
			*out = append(*out, prefix+e.Reason)
			return
		}
		if e.Reason != "" {
			prefix += e.Reason + ": "
		}
		collectMessages(e.Err, prefix, out)
	case *openapi3.SchemaError:
		at := "/" + strings.Join(e.JSONPointer(), "/")
		switch {
		case e.Origin != nil:
			collectMessages(e.Origin, prefix+at+": ", out)
		case e.Reason != "":
			*out = append(*out, prefix+at+": "+e.Reason)
		default:
			*out = append(*out, prefix+at+": does not match the schema's "+e.SchemaField)
		}
	default:
		if inner := errors.Unwrap(err); inner != nil && isValidationError(inner) {
			collectMessages(inner, prefix, out)
			return
		}
		msg, _, _ := strings.Cut(err.Error(), "\n")
		*out = append(*out, prefix+msg)
	}
}

// isValidationError reports whether err is one of the kin-openapi types
// collectMessages knows how to shorten.
func isValidationError(err error) bool {
	switch err.(type) { //nolint:errorlint // this node only: collectMessages unwraps itself
	case openapi3.MultiError, *openapi3filter.RequestError, *openapi3filter.ResponseError, *openapi3.SchemaError:
		return true
	}
	return false
}
