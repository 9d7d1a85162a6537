package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/syncstate"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/adapter/vendors"
	"github.com/custsync/custsync/specs"
)

const explainUsage = `Usage: custsync explain --vendor upwell|bluetape|billbee [--state PATH|URL] [flags] ID

Shows what a state store knows of one customer, the one ID names: when
the vendor last confirmed an update of it, with the digest and the
vendor's id recorded, and the run that confirmed it; the last failure
recorded for it (the first failed line of its newest run that had one:
line, code, message, HTTP status, request id) and the run it failed in;
and what that means for the next push. The failure is the failures
file's, kept in the store: it is there after the file is deleted.

The store keys customers by vendor, account and the vendor's own key, as
push does: explain reads the same credentials from the environment as
push (see "custsync --help") to find the account (a fingerprint, never
the credential), and needs the --base-url the push used, if any. It
sends no request. For Upwell the key is the source system and the id:
the sourceSystem of the pushed lines, --source-system here, or else
UPWELL_SOURCE_SYSTEM.

The store is opened read-only: explain creates and changes nothing and
prints no password of a --state URL.

The customer's status is one of:
  confirmed    the vendor confirmed its last update, and nothing failed since
  failed       its last update failed: fix the line and push it again
  unconfirmed  an update of it may or may not have reached the vendor (or
               two pushes updated it at once): the next push sends it again
  unknown      the store holds nothing of it for this vendor account
A summary goes to stdout, or with --json one JSON object: {"state",
"vendor", "account", "id", "key", "status", "record", "lastFailure"};
"record" is null or {"digest", "confirmedLines", "whole", "vendorId",
"syncedAt", "run"}, "lastFailure" null or {"runId", "run", "at", "line", "code",
"message", "httpStatus", "vendorCode", "retryable", "field",
"requestId"}, and each "run" null or a run as "custsync runs --json"
lists it. Times are RFC 3339 in UTC, to the microsecond.

Exit status: 0 if the customer is confirmed; 1 if it failed or is
unconfirmed; 5 if it is unknown; 2 for bad usage (a missing credential,
a --state it cannot open).

Flags:
%flags%
Examples:
  custsync explain --state /var/lib/custsync/state.db --vendor billbee 100000150176895
  custsync explain --state /var/lib/custsync/state.db --vendor upwell --source-system ACME C-1001 --json
`

// The statuses of a customer, as explain --json says them.
const (
	statusConfirmed   = "confirmed"
	statusFailed      = "failed"
	statusUnconfirmed = "unconfirmed"
	statusUnknown     = "unknown"
)

// explainFlags are the flags of explain.
type explainFlags struct {
	state        string
	stateSet     bool
	vendor       string
	sourceSystem string
	baseURL      string
	baseSet      bool
	json         bool
}

// customerStory is what the store knows of one customer.
type customerStory struct {
	id      string
	key     syncstate.Key
	record  *syncstate.Record
	recRun  *syncstate.Run // the run running when the record was written
	failure *syncstate.Failure
	failRun *syncstate.Run
	status  string
}

func (a *app) explain(args []string) int {
	fs := newFlagSet("explain", explainUsage)
	var f explainFlags
	fs.Func("state", "the state store: a SQLite file `PATH`, or a PostgreSQL database postgres://...\nor 'host=... dbname=...' (default: $"+envState+")",
		func(s string) error { f.state, f.stateSet = s, true; return nil })
	fs.StringVar(&f.vendor, "vendor", "", "the vendor: upwell, bluetape or billbee (required)")
	fs.StringVar(&f.sourceSystem, "source-system", "", "Upwell only: the customer's source system (default: $"+upwell.EnvSourceSystem+")")
	fs.Func("base-url", "the vendor's server `URL` the push used, if it used --base-url: the store keeps\neach server's customers apart",
		func(s string) error { f.baseURL, f.baseSet = s, true; return nil })
	fs.BoolVar(&f.json, "json", false, "print one JSON object on stdout")
	ids, code, done := a.parseArgs(fs, args, 1)
	if done {
		return code
	}
	if len(ids) == 0 || strings.TrimSpace(ids[0]) == "" {
		return a.fail("explain", usagef("the customer's id is required: custsync explain --vendor V ID"))
	}
	key, err := explainKey(f, ids[0])
	if err != nil {
		return a.fail("explain", err)
	}
	store, log, name, err := openRunLog(a.stop, stateSpec(f.state, f.stateSet))
	if err != nil {
		return a.fail("explain", err)
	}
	defer store.Close() //nolint:errcheck // read-only: closing loses nothing
	story, err := readStory(a.stop, store, log, key)
	if err != nil {
		return a.fail("explain", fmt.Errorf("reading %s: %w", name, err))
	}
	story.id = ids[0]
	if f.json {
		writeJSON(a.stdout, story.toJSON(name))
	} else {
		story.print(a, name)
	}
	switch story.status {
	case statusConfirmed:
		return exitOK
	case statusUnknown:
		a.hintOtherAccounts(log, key)
		return exitNothing
	}
	return exitFailed
}

// explainKey is the store's key of the customer id, as push derives it:
// the vendor's client, built from the environment as push builds it,
// says the account and the vendor's key.
func explainKey(f explainFlags, id string) (syncstate.Key, error) {
	tf := targetFlags{vendor: f.vendor, baseURL: f.baseURL, baseSet: f.baseSet}
	v, err := tf.check()
	if err != nil {
		return syncstate.Key{}, err
	}
	switch {
	case f.sourceSystem != "" && v != specs.Upwell:
		return syncstate.Key{}, usagef("--source-system is Upwell's: %s keys customers by id alone", v)
	case v == specs.Upwell && f.sourceSystem == "" && os.Getenv(upwell.EnvSourceSystem) == "":
		return syncstate.Key{}, usagef("Upwell keys customers by source system and id: give --source-system, or set %s as push had it", upwell.EnvSourceSystem)
	}
	var opts []adapter.Option
	if f.baseURL != "" {
		opts = append(opts, adapter.WithBaseURL(f.baseURL))
	}
	client, err := vendors.FromEnv(v, opts...)
	if err != nil {
		var e *adapter.Error
		if errors.As(err, &e) && e.Field == "baseURL" {
			return syncstate.Key{}, configError(err)
		}
		msg := err.Error()
		if e != nil && e.Message != "" {
			msg = e.Message
		}
		return syncstate.Key{}, usagef("%s: explain reads the credentials the push used, to find the account it recorded the customer under (it sends nothing)", msg)
	}
	u := &adapter.CustomerUpdate{ID: id, SourceSystem: f.sourceSystem}
	return syncstate.Key{Vendor: client.Vendor(), Account: client.Account(), Key: client.Key(u)}, nil
}

// readStory reads what store and its log hold of the customer k.
func readStory(ctx context.Context, store syncstate.Store, log syncstate.RunLog, k syncstate.Key) (customerStory, error) {
	story := customerStory{key: k}
	rec, found, err := store.Get(ctx, k)
	if err != nil {
		return story, err
	}
	if found {
		story.record = &rec
		run, ok, err := log.RunAt(ctx, k.Vendor, k.Account, rec.SyncedAt)
		if err != nil {
			return story, err
		}
		if ok {
			story.recRun = &run
		}
	}
	fail, failed, err := log.LastFailure(ctx, k)
	if err != nil {
		return story, err
	}
	if failed {
		story.failure = &fail
		run, ok, err := log.Run(ctx, fail.RunID)
		if err != nil {
			return story, err
		}
		if ok {
			story.failRun = &run
		}
	}
	story.status = story.statusOf()
	return story, nil
}

// statusOf tells the customer's status from its record and last failure.
// A failure counts when it came after the record, by the writers' clocks,
// or in the run that wrote a record that is not whole: a failed update
// is what cuts a customer's confirmed records short, and the record may
// be written just before the failure is.
func (s customerStory) statusOf() string {
	whole := false
	if s.record != nil {
		_, whole = bulk.ConfirmedRecords(s.record.Digest)
	}
	switch {
	case s.record == nil && s.failure == nil:
		return statusUnknown
	case s.failure != nil && (s.record == nil || s.failure.At.After(s.record.SyncedAt) ||
		!whole && s.recRun != nil && s.recRun.ID == s.failure.RunID):
		return statusFailed
	case !whole:
		return statusUnconfirmed
	}
	return statusConfirmed
}

// statusMeaning says what status means for the next push.
var statusMeaning = map[string]string{
	statusConfirmed:   "the vendor confirmed its last update and nothing failed since; the next push skips it while its lines are unchanged",
	statusFailed:      "its last update failed; fix its line and push it again",
	statusUnconfirmed: "its last update may or may not have reached the vendor; the next push sends it again",
	statusUnknown:     "the store holds nothing of it for this vendor account: no push with this state confirmed it or saw it fail",
}

func (s customerStory) print(a *app, state string) {
	who := fmt.Sprintf("%s customer %s", s.key.Vendor, s.id)
	if s.key.Key != s.id {
		who += " (key " + s.key.Key + ")"
	}
	fmt.Fprintf(a.stdout, "%s, account %s, in %s:\n", who, s.key.Account, state)
	fmt.Fprintf(a.stdout, "  status: %s: %s\n", s.status, statusMeaning[s.status])
	if r := s.record; r != nil {
		line := fmt.Sprintf("  recorded at %s", formatStored(r.SyncedAt))
		if s.recRun != nil {
			line += " by " + runWords(*s.recRun)
		}
		fmt.Fprintf(a.stdout, "%s: %s\n", line, confirmedWords(r.Digest))
		if r.VendorID != "" {
			fmt.Fprintf(a.stdout, "  vendor id: %s\n", r.VendorID)
		}
		fmt.Fprintf(a.stdout, "  digest: %s\n", r.Digest)
	}
	if f := s.failure; f != nil {
		in := fmt.Sprintf("run %d (no longer recorded)", f.RunID)
		switch {
		case s.recRun != nil && s.recRun.ID == f.RunID:
			in = fmt.Sprintf("run %d", f.RunID) // described above
		case s.failRun != nil:
			in = runWords(*s.failRun)
		}
		fmt.Fprintf(a.stdout, "  last failure at %s in %s, line %d: %s\n", formatStored(f.At), in, f.Line, failureWords(*f))
	}
}

// confirmedWords says what a stored digest holds as confirmed.
func confirmedWords(digest string) string {
	n, whole := bulk.ConfirmedRecords(digest)
	switch {
	case whole:
		return fmt.Sprintf("the vendor confirmed its %d %s of that run's input", n, plural(n, "line", "lines"))
	case n > 0:
		return fmt.Sprintf("the vendor confirmed its first %d %s; the next may or may not have reached it, and is sent again with every later one",
			n, plural(n, "line", "lines"))
	}
	return "nothing confirmed: its last update may or may not have reached the vendor, and it is sent again"
}

// runWords names a run for explain's lines.
func runWords(r syncstate.Run) string {
	return fmt.Sprintf("run %d (started %s, input %s)", r.ID, formatStored(r.Started), inputName(r.Input))
}

// failureWords is a failure as push prints one: the code, what the
// vendor answered, and the message.
func failureWords(f syncstate.Failure) string {
	var details []string
	if f.HTTPStatus != 0 {
		details = append(details, fmt.Sprintf("HTTP %d", f.HTTPStatus))
	}
	if f.VendorCode != "" {
		details = append(details, "vendor code "+f.VendorCode)
	}
	if f.Field != "" {
		details = append(details, "field "+f.Field)
	}
	if f.RequestID != "" {
		details = append(details, "request id "+f.RequestID)
	}
	if f.Retryable {
		details = append(details, "retryable")
	}
	words := f.Code
	if len(details) > 0 {
		words += " (" + strings.Join(details, ", ") + ")"
	}
	return words + ": " + f.Message
}

// hintOtherAccounts says, for a customer the store knows nothing of,
// whether the store's runs of the vendor were under other accounts:
// other credentials, or another --base-url, than the push used.
func (a *app) hintOtherAccounts(log syncstate.RunLog, k syncstate.Key) {
	runs, err := log.Runs(a.stop, syncstate.RunFilter{Vendor: k.Vendor, Limit: 100})
	if err != nil || len(runs) == 0 {
		return
	}
	var others []string
	for _, r := range runs {
		if r.Account == k.Account {
			return // the account pushed: the customer was not in its inputs
		}
		if !slices.Contains(others, r.Account) {
			others = append(others, r.Account)
		}
	}
	fmt.Fprintf(a.stderr, "custsync explain: the %s runs in this store were under account %s, and these credentials and base URL are account %s: explain with the ones the push used\n",
		k.Vendor, strings.Join(others, ", "), k.Account)
}

// explainJSON is explain --json's output. Its keys are part of the
// command's contract.
type explainJSON struct {
	State       string       `json:"state"` // the store, its password masked
	Vendor      string       `json:"vendor"`
	Account     string       `json:"account"`
	ID          string       `json:"id"`
	Key         string       `json:"key"` // the vendor's key: Upwell's ["sourceSystem","id"], the id elsewhere
	Status      string       `json:"status"`
	Record      *recordJSON  `json:"record"`      // null when the store holds none
	LastFailure *failureJSON `json:"lastFailure"` // null when none is recorded
}

type recordJSON struct {
	Digest string `json:"digest"`
	// ConfirmedLines counts the customer's lines, from its first, that
	// the vendor confirmed; Whole says that is all the record holds
	// (else the next push sends the customer's later lines again).
	ConfirmedLines int      `json:"confirmedLines"`
	Whole          bool     `json:"whole"`
	VendorID       string   `json:"vendorId"`
	SyncedAt       string   `json:"syncedAt"`
	Run            *runJSON `json:"run"` // the run running at syncedAt; null when none is recorded
}

type failureJSON struct {
	RunID      int64    `json:"runId"`
	Run        *runJSON `json:"run"` // null when the run is no longer recorded
	At         string   `json:"at"`
	Line       int      `json:"line"`
	Code       string   `json:"code"`
	Message    string   `json:"message"`
	HTTPStatus int      `json:"httpStatus"`
	VendorCode string   `json:"vendorCode"`
	Retryable  bool     `json:"retryable"`
	Field      string   `json:"field"`
	RequestID  string   `json:"requestId"`
}

func (s customerStory) toJSON(state string) explainJSON {
	out := explainJSON{State: state, Vendor: s.key.Vendor, Account: s.key.Account, ID: s.id, Key: s.key.Key, Status: s.status}
	if r := s.record; r != nil {
		n, whole := bulk.ConfirmedRecords(r.Digest)
		out.Record = &recordJSON{Digest: r.Digest, ConfirmedLines: n, Whole: whole, VendorID: r.VendorID, SyncedAt: formatStored(r.SyncedAt)}
		if s.recRun != nil {
			run := runToJSON(*s.recRun)
			out.Record.Run = &run
		}
	}
	if f := s.failure; f != nil {
		out.LastFailure = &failureJSON{RunID: f.RunID, At: formatStored(f.At), Line: f.Line, Code: f.Code, Message: f.Message,
			HTTPStatus: f.HTTPStatus, VendorCode: f.VendorCode, Retryable: f.Retryable, Field: f.Field, RequestID: f.RequestID}
		if s.failRun != nil {
			run := runToJSON(*s.failRun)
			out.LastFailure.Run = &run
		}
	}
	return out
}
