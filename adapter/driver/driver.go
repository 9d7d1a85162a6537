// Package driver is custsync's driver SPI: what a vendor package needs to
// plug a vendor into [adapter.Client], and nothing a user of the library
// needs. Application code uses package adapter (and the vendor packages'
// New and FromEnv); this package is for writing those vendor packages.
//
// A driver translates between the portable model (adapter.CustomerUpdate,
// adapter.Result) and its vendor's generated client in gen/. Everything
// the vendors share is the Client's: input validation, the field-support
// check and lenient mode, the transport (credential headers, timeouts,
// retries, rate limits, redirects refused, body caps, logging), and
// scrubbing credentials from errors. A vendor package's constructor
// describes its vendor in a [Vendor] and calls [NewClient], which builds
// the transport and then has the driver open its generated client on it:
//
//	return driver.NewClient(driver.Vendor{Name: "upwell", ...},
//		func(conn driver.Conn) (driver.Driver, error) {
//			return &upwellDriver{cfg: cfg, client: &gen.Client{Server: conn.Server(), Client: conn.Doer}}, nil
//		}, opts...)
//
// The helpers build the errors drivers return ([ResponseError],
// [DecodeError], [InvalidField]), read credentials ([Env],
// [CheckCredential]), and check verified writes ([Verifier]).
package driver

import (
	"context"
	"net/http"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/internal/bridge"
)

// Driver is what a vendor package implements; users never call it.
type Driver interface {
	// Validate checks vendor rules before any request: it returns an
	// InvalidArgument *adapter.Error (see InvalidField) naming the field,
	// or nil. The Client has checked the portable rules already.
	Validate(u *adapter.CustomerUpdate) error
	// Update performs the update. It returns *adapter.Error on failure,
	// built with the helpers of this package, or a context error.
	Update(ctx context.Context, u *adapter.CustomerUpdate) (*adapter.Result, error)
	// Key is the vendor's own key for the record u addresses, after
	// defaults (Upwell: sourceSystem + id; the others: the id). Equal keys
	// address the same record. u may be invalid: Key must not fail.
	Key(u *adapter.CustomerUpdate) string
}

// Vendor describes a vendor to the Client: what is fixed once the
// driver's config is known.
type Vendor struct {
	// Name names the vendor: "upwell", "bluetape" or "billbee".
	Name string
	// DefaultBaseURL is the server URL of the vendor's spec.
	DefaultBaseURL string
	// Fields lists the portable fields the vendor stores, and where.
	Fields []adapter.FieldMapping
	// Header is set on every request: the credentials and Accept.
	Header http.Header
	// Secrets lists every credential value and encoded form (see
	// BasicAuthSecret) to scrub from errors and logs.
	Secrets []string
	// Account is a fingerprint of the credential (CredentialID of its
	// parts, never the credential): updates through equal accounts reach
	// the same vendor records.
	Account string
	// Limits lists the rate limits one operation is subject to; nil when
	// the vendor has none. Keys identify the credential by CredentialID,
	// never by the credential.
	Limits func(operationID string) []adapter.Limit
}

// HTTPDoer sends HTTP requests; it has the shape of the generated
// clients' HttpRequestDoer.
type HTTPDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// Conn is what a driver's generated client sends through: the base URL
// (after WithBaseURL) and the Client's transport.
type Conn struct {
	// BaseURL is the server URL, without a trailing slash.
	BaseURL string
	// Doer is the Client's transport; send every request through it.
	Doer HTTPDoer
}

// Server is BaseURL as the generated clients' Server field wants it, with
// a trailing slash.
func (c Conn) Server() string { return c.BaseURL + "/" }

// NewClient returns the Client for a vendor. It checks the options and
// builds the transport, then calls open with it; open returns the
// complete driver (its generated client built on conn), or an error the
// Client returns as it is stamped with the vendor.
func NewClient(v Vendor, open func(conn Conn) (Driver, error), opts ...adapter.Option) (*adapter.Client, error) {
	spec := bridge.Spec{
		Vendor:         v.Name,
		DefaultBaseURL: v.DefaultBaseURL,
		Secrets:        v.Secrets,
		Header:         v.Header,
		Account:        v.Account,
		Fields:         v.Fields,
	}
	if v.Limits != nil {
		spec.Limits = v.Limits
	}
	anyOpts := make([]any, len(opts))
	for i, o := range opts {
		anyOpts[i] = o
	}
	c, err := bridge.NewClient(spec, func(conn bridge.Conn) (any, error) {
		d, err := open(Conn{BaseURL: conn.BaseURL, Doer: conn.Doer})
		if err != nil {
			return nil, err
		}
		return d, nil
	}, anyOpts)
	if err != nil {
		return nil, err
	}
	return c.(*adapter.Client), nil
}

// WithOperation names the spec operation a driver is about to call (its
// operationId), for rate limits, errors and logs.
func WithOperation(ctx context.Context, operationID string) context.Context {
	return bridge.WithOperation(ctx, operationID)
}

// IsDryRun reports whether the call ctx belongs to is a dry run (see
// adapter.WithDryRun). Drivers check it before their write and return
// what they would send in Result.DryRun instead.
func IsDryRun(ctx context.Context) bool { return bridge.DryRun(ctx) }
