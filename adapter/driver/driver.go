// Package driver is custsync's driver SPI: what a vendor package needs to
// plug a vendor into [adapter.Client], and nothing a user of the library
// needs. Application code uses package adapter (and the vendor packages'
// New and FromEnv); this package is for writing those vendor packages.
//
// A driver translates between the portable model (adapter.CustomerUpdate,
// adapter.Result) and its vendor's generated client in gen/. Everything
// the vendors share is the Client's: input validation, the field-support
// check and lenient mode, the transport (credential headers, timeouts,
// retries, rate limits, redirects refused, body caps, logging, attempt
// observers), and scrubbing credentials from errors. A vendor package's
// constructor describes its vendor in a [Vendor] and calls [NewClient],
// which builds the transport and then has the driver open its generated
// client on it, with a [Conn.Doer] for each spec operation it calls:
//
//	return driver.NewClient(driver.Vendor{Name: "upwell", ...},
//		func(conn driver.Conn) (driver.Driver, error) {
//			doer := conn.Doer("updateCustomerBySourceSystemId")
//			return &upwellDriver{cfg: cfg, client: &gen.Client{Server: conn.Server(), Client: doer}}, nil
//		}, opts...)
//
// Everything a call needs reaches the driver as an argument: the update,
// and a [Call] saying how to perform it (a dry run, say). The operation a
// request belongs to is the Doer's it was sent through.
//
// The helpers build the errors drivers return ([ResponseError],
// [DecodeError], [InvalidField]), read credentials ([Env],
// [CheckCredential]), and check verified writes ([Verifier]).
//
// Driver, Call, Vendor, Conn and HTTPDoer are declared in package adapter
// (as adapter.Driver, adapter.DriverCall, adapter.DriverVendor,
// adapter.DriverConn and adapter.DriverDoer, marked there for drivers
// only), because the Client must name them and this package imports
// adapter for the model; they are the same types under the names drivers
// use.
package driver

import "github.com/custsync/custsync/adapter"

// Driver is what a vendor package implements; users never call it. See
// adapter.Driver for its methods.
type Driver = adapter.Driver

// Checker is what a Driver implements when its vendor can check a
// client's configuration with a request that writes nothing
// (adapter.Client.Check).
type Checker = adapter.DriverChecker

// Call is how the Client asks a Driver to perform one update, beyond the
// update itself: Call.DryRun asks for no write, and the driver returns
// what it would have sent in Result.DryRun instead.
type Call = adapter.DriverCall

// Vendor describes a vendor to the Client: what is fixed once the
// driver's config is known. See adapter.DriverVendor for its fields.
type Vendor = adapter.DriverVendor

// Conn is what a driver's generated client sends through: the base URL
// (after WithBaseURL) and, from Conn.Doer, one doer per spec operation.
type Conn = adapter.DriverConn

// HTTPDoer is what Conn.Doer returns: it sends the requests of one spec
// operation, and has the shape of the generated clients' HttpRequestDoer.
type HTTPDoer = adapter.DriverDoer

// NewClient returns the Client for a vendor. It checks the options and
// builds the transport, then calls open with it; open returns the
// complete driver (its generated client built on conn), or an error the
// Client returns as it is stamped with the vendor.
func NewClient(v Vendor, open func(conn Conn) (Driver, error), opts ...adapter.Option) (*adapter.Client, error) {
	return adapter.NewDriverClient(v, open, opts...)
}
