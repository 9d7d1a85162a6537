package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/billbee"
	"github.com/custsync/custsync/adapter/bluetape"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/internal/redact"
	"github.com/custsync/custsync/specs"
)

const checkUsage = `Usage: custsync check --vendor upwell|bluetape|billbee [flags]

Checks the credentials in the environment and the base URL with one
request that writes nothing: Upwell is asked for a customer by an id no
customer has (GET /api/rest/customers/{id}), BlueTape for the sign-up link
of one (GET /integration/customer/{id}/signup), and Billbee reads a
customer (GET /api/v1/customers/{id}). An answer about a customer, found
or not, means both are right. Run it on a new machine or with a new key,
before the first push; push itself sends one record at a time until the
vendor has answered one, and halts after 3 refused for either.

On success it prints which vendor accepted the credentials where; with
--json one object {"vendor","baseURL","ok"} and, when not ok, "error"
{code, message, httpStatus, vendorCode, retryable} and "config" (true
when the credentials or the base URL are at fault). Never a credential.

Exit status: 0 the vendor accepted the credentials and the base URL
serves its API; 1 it refused the credentials, the base URL has no such
endpoint, or the vendor could not be reached (the message says which and
what to fix); 2 bad usage, such as a missing variable.

Flags:
%flags%
Examples:
  custsync check --vendor billbee
  custsync check --sandbox --vendor upwell
  custsync check --vendor bluetape --base-url https://beta-api.bluetape.com/genericBthubService --json
`

// credentialVars names, per vendor, the variables that hold its
// credentials, for the hint after a refusal.
var credentialVars = map[specs.Vendor]string{
	specs.Upwell:   upwell.EnvAPIKey,
	specs.BlueTape: bluetape.EnvAPIKey + " and " + bluetape.EnvAccountID,
	specs.Billbee:  billbee.EnvAPIKey + ", " + billbee.EnvUsername + " and " + billbee.EnvAPIPassword,
}

// checkOutput is check --json's object, the command's contract.
type checkOutput struct {
	Vendor  string          `json:"vendor"`
	BaseURL string          `json:"baseURL"`
	OK      bool            `json:"ok"`
	Error   *bulk.ErrorInfo `json:"error,omitempty"`
	Config  bool            `json:"config,omitempty"`
}

func (a *app) check(args []string) int {
	fs := newFlagSet("check", checkUsage)
	var tf targetFlags
	tf.registerWhere(fs)
	asJSON := fs.Bool("json", false, "print the outcome as one JSON object on stdout")
	if code, done := a.parse(fs, args); done {
		return code
	}
	vendor, err := tf.check()
	if err != nil {
		return a.fail("check", err)
	}
	t, err := openTarget(vendor, tf, a.stderr)
	if err != nil {
		return a.fail("check", err)
	}
	defer t.close()

	base := redact.ConnString(t.client.BaseURL())
	err = t.client.Check(a.stop)
	out := checkOutput{Vendor: string(vendor), BaseURL: base, OK: err == nil}
	if err == nil {
		if *asJSON {
			writeJSON(a.stdout, out)
		} else {
			fmt.Fprintf(a.stdout, "check: %s accepted the credentials, and %s serves its API (nothing written)\n", vendor, base)
		}
		return exitOK
	}
	var e *adapter.Error
	out.Config = errors.As(err, &e) && e.Config
	info := bulk.Describe(err)
	out.Error = &info
	if *asJSON {
		writeJSON(a.stdout, out)
	}
	fmt.Fprintf(a.stderr, "custsync check: %v\n", err)
	fmt.Fprintf(a.stderr, "custsync check: %s\n", checkHint(vendor, base, err))
	return exitFailed
}

// checkHint says what to fix after a failed check.
func checkHint(v specs.Vendor, base string, err error) string {
	var e *adapter.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "interrupted before the vendor answered"
	case errors.As(err, &e) && e.Code == adapter.PermissionDenied:
		return fmt.Sprintf("%s refused the credentials: check %s", v, credentialVars[v])
	case errors.As(err, &e) && e.Config:
		return fmt.Sprintf("%s does not serve %s's API: check --base-url (BlueTape's includes /genericBthubService)", base, v)
	case errors.As(err, &e) && e.HTTPStatus == 0:
		return fmt.Sprintf("%s could not be reached at %s: check the base URL's host and port, and the network", v, base)
	}
	return fmt.Sprintf("%s could not say whether the credentials and base URL are right; try again later", v)
}
