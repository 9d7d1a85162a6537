package specs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Validator checks HTTP traffic against one vendor's spec with kin-openapi:
// the route, parameters, body and credentials of a request, and the status,
// headers and body of a response. Tests use it on every request a driver
// sends; the sandbox uses it on every request it receives and every
// response it gives.
//
// It never writes schema defaults into a request, checks that every
// credential of the spec's security requirement is present (not merely
// that some scheme exists), and fails on statuses the spec does not
// document.
type Validator struct {
	vendor Vendor
	doc    *openapi3.T
	router routers.Router
}

// NewValidator returns a validator for requests sent to baseURL, the URL
// that stands in for the spec's server (for example an httptest server's
// URL, plus "/genericBthubService" for BlueTape).
func NewValidator(ctx context.Context, v Vendor, baseURL string) (*Validator, error) {
	doc, err := Load(ctx, v)
	if err != nil {
		return nil, err
	}
	doc.Servers = openapi3.Servers{{URL: strings.TrimSuffix(baseURL, "/")}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("specs: router for %s: %w", v, err)
	}
	return &Validator{vendor: v, doc: doc, router: router}, nil
}

// Doc is the loaded spec the validator checks against (its Servers set to
// the base URL). Read it; do not change it.
func (v *Validator) Doc() *openapi3.T { return v.doc }

// Route is a request matched to its operation; it validates the response
// to that request.
type Route struct {
	input *openapi3filter.RequestValidationInput
}

// OperationID names the operation the request was matched to.
func (r *Route) OperationID() string { return r.input.Route.Operation.OperationID }

// PathParams are the request's path parameters by name.
func (r *Route) PathParams() map[string]string { return r.input.PathParams }

// ErrNoRoute is returned (wrapped) when no operation of the spec matches
// the request's method and path.
var ErrNoRoute = errors.New("no operation in the spec matches")

// ValidateRequest checks req against the spec. It reads and restores
// req.Body, so the request can still be served afterwards. The returned
// error, if any, says what was wrong in a sentence fit for an error body;
// a missing or incomplete credential is an *openapi3filter.SecurityRequirementsError.
func (v *Validator) ValidateRequest(req *http.Request) (*Route, error) {
	route, params, err := v.router.FindRoute(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w: %w", req.Method, req.URL.Path, ErrNoRoute, err)
	}
	if req.Body != nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, fmt.Errorf("read request body: %w", err)
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		defer func() { req.Body = io.NopCloser(bytes.NewReader(body)) }()
	}
	input := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			SkipSettingDefaults: true,
			MultiError:          true,
			AuthenticationFunc:  requireCredential,
		},
	}
	if err := openapi3filter.ValidateRequest(req.Context(), input); err != nil {
		return nil, err
	}
	return &Route{input: input}, nil
}

// ValidateResponse checks a response to the route's request.
func (r *Route) ValidateResponse(ctx context.Context, status int, header http.Header, body []byte) error {
	return openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: r.input,
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
		},
	})
}

// requireCredential checks that the credential a security scheme names is
// present and well formed. kin-openapi calls it once per scheme of a
// requirement, and a requirement holds only when every scheme passes, so a
// request with one of two required headers fails.
func requireCredential(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	s := in.SecurityScheme
	switch {
	case s.Type == "apiKey" && s.In == "header":
		if strings.TrimSpace(in.RequestValidationInput.Request.Header.Get(s.Name)) == "" {
			return fmt.Errorf("header %s is missing", s.Name)
		}
	case s.Type == "http" && strings.EqualFold(s.Scheme, "basic"):
		user, pass, ok := in.RequestValidationInput.Request.BasicAuth()
		if !ok || user == "" || pass == "" {
			return errors.New("HTTP Basic credentials are missing")
		}
	default:
		return fmt.Errorf("security scheme %s %s is not supported by the validator", s.Type, s.In)
	}
	return nil
}
