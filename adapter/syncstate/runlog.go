package syncstate

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// RunLog is the history a store can keep beside its records: the runs
// that wrote it, and the last failure of each customer, so that people
// can ask what a night did and why a customer is not as the input says,
// long after the run's output and failures file are gone. Nothing in it
// decides what a run sends: the Store alone does.
//
// It is optional. A Store that keeps a run log implements RunLog too (the
// SQLite and PostgreSQL stores do, opened either way); a caller finds it
// with a type assertion:
//
//	if log, ok := store.(syncstate.RunLog); ok { ... }
//
// A store opened read-only reads the log and refuses every write with
// ErrReadOnly. A store last written by a version that kept no run log
// reads as one holding no run and no failure.
type RunLog interface {
	// StartRun records r as started and not finished, and returns its ID:
	// IDs grow in the order runs are recorded. r.ID and what FinishRun
	// records are ignored. A run whose process dies before FinishRun
	// stays unfinished.
	StartRun(ctx context.Context, r Run) (int64, error)
	// FinishRun records how the run r.ID of r.Vendor's r.Account ended:
	// Ended, the counts, ByCode, Stop, ExitCode and FailuresFile. It
	// fails, writing nothing, when there is no such run.
	FinishRun(ctx context.Context, r Run) error
	// PutFailures records each failure as its customer's last, once it
	// is durable. A customer keeps the failure of its newest run (by
	// RunID), and of one run's failures of a customer the first one
	// recorded: the later ones are mostly records held back behind it.
	// Invalid failures fail the whole call, naming the field, and
	// nothing is written.
	PutFailures(ctx context.Context, failures ...Failure) error
	// Runs lists the runs f selects, newest (highest ID) first.
	Runs(ctx context.Context, f RunFilter) ([]Run, error)
	// Run returns the run with the given ID, and false when there is none.
	Run(ctx context.Context, id int64) (Run, bool, error)
	// RunAt returns the run of vendor's account that was running at t,
	// by the times the runs recorded: of those started at or before t
	// and not ended before it (or never finished), the one started last.
	// A record's SyncedAt finds the run that confirmed it. Runs on
	// machines whose clocks disagree may be told apart wrongly.
	RunAt(ctx context.Context, vendor, account string, t time.Time) (Run, bool, error)
	// LastFailure returns the failure recorded for k (see PutFailures),
	// and false when there is none.
	LastFailure(ctx context.Context, k Key) (Failure, bool, error)
}

// Run is one run of a batch against one vendor account, as a RunLog
// keeps it.
type Run struct {
	// ID is the store's, from StartRun.
	ID int64
	// Vendor and Account are the run's, as in Key.
	Vendor  string
	Account string
	// Input names what the run read: a path, or "-" for standard input.
	Input string
	// Host and PID say which process ran it, so that an unfinished run
	// can be told from one still running.
	Host string
	PID  int
	// Started is when the run started; Ended when it finished, zero while
	// it has not (it is running, or its process died). Stores keep both
	// to the microsecond, in UTC.
	Started time.Time
	Ended   time.Time
	// Records counts the records read; each ended in one of Succeeded,
	// Unchanged, Failed and NotSent.
	Records   int
	Succeeded int
	Unchanged int
	Failed    int
	NotSent   int
	// ByCode counts the records that failed or were not sent, by the
	// portable code's name ("NotFound").
	ByCode map[string]int
	// Stop says why the run did not try every record ("halted: ...",
	// "interrupted"); "" when it tried every one.
	Stop string
	// ExitCode is the exit status of the program that ran it, once
	// finished.
	ExitCode int
	// FailuresFile is where the run wrote its failures, "" when nothing
	// failed.
	FailuresFile string
}

// Finished reports whether the run recorded how it ended.
func (r Run) Finished() bool { return !r.Ended.IsZero() }

// CheckEnd checks r as RunLog.FinishRun takes it: a valid run that ended.
func (r Run) CheckEnd() error {
	if err := r.Check(); err != nil {
		return err
	}
	if !r.Finished() {
		return fmt.Errorf("syncstate: run %d: Ended is the zero time; FinishRun records how a run ended", r.ID)
	}
	return nil
}

// EncodeByCode is a run's counts by code as the stores keep them: a JSON
// object, {} for none.
func EncodeByCode(byCode map[string]int) ([]byte, error) {
	if byCode == nil {
		byCode = map[string]int{}
	}
	return json.Marshal(byCode)
}

// DecodeByCode reads what EncodeByCode wrote, for run id: never nil.
func DecodeByCode(id int64, data string) (map[string]int, error) {
	byCode := map[string]int{}
	if err := json.Unmarshal([]byte(data), &byCode); err != nil {
		return nil, fmt.Errorf("run %d has a malformed by_code %q", id, data)
	}
	if byCode == nil { // the JSON null
		byCode = map[string]int{}
	}
	return byCode, nil
}

// RunFilter selects runs for RunLog.Runs.
type RunFilter struct {
	// Vendor and Account select the runs of one vendor, or of one of its
	// accounts; "" selects any.
	Vendor  string
	Account string
	// Limit bounds how many runs are listed; 0 lists all.
	Limit int
}

// Failure is why a customer's record of a run failed, as a RunLog keeps
// it: the fields of the run's failures file line, which must hold no
// credential.
type Failure struct {
	Key
	// RunID is the run the failure happened in.
	RunID int64
	// At is when the run saw the record fail, by its clock; stores keep
	// it to the microsecond, in UTC.
	At time.Time
	// Line is the record's line in the run's input, from 1.
	Line int
	// Code is the portable code's name ("NotFound"), Message what went
	// wrong.
	Code    string
	Message string
	// HTTPStatus is the vendor's answer, 0 when none came.
	HTTPStatus int
	// VendorCode is the vendor's own error code, "" when it gave none.
	VendorCode string
	// Retryable says whether the same request may succeed later.
	Retryable bool
	// Field is the input field at fault, "" when unknown.
	Field string
	// RequestID is the vendor's request id, "" when it sent none.
	RequestID string
}

// Check reports the first problem with r as StartRun and FinishRun take
// it, naming the field, or nil.
func (r Run) Check() error {
	what := fmt.Sprintf("syncstate: run %d of %s/%s", r.ID, clip(r.Vendor), clip(r.Account))
	if err := checkRequired(what, []field{{"Vendor", r.Vendor}, {"Account", r.Account}}); err != nil {
		return err
	}
	if err := checkTexts(what, []field{{"Vendor", r.Vendor}, {"Account", r.Account}, {"Input", r.Input},
		{"Host", r.Host}, {"Stop", r.Stop}, {"FailuresFile", r.FailuresFile}}); err != nil {
		return err
	}
	if err := checkTime(what, "Started", r.Started, true); err != nil {
		return err
	}
	if err := checkTime(what, "Ended", r.Ended, false); err != nil {
		return err
	}
	counts := [...]struct {
		name string
		n    int
	}{{"PID", r.PID}, {"Records", r.Records}, {"Succeeded", r.Succeeded}, {"Unchanged", r.Unchanged},
		{"Failed", r.Failed}, {"NotSent", r.NotSent}}
	for _, c := range counts {
		if c.n < 0 {
			return fmt.Errorf("%s: %s is %d, less than 0", what, c.name, c.n)
		}
	}
	if len(r.ByCode) > maxCodes {
		return fmt.Errorf("%s: ByCode has %d codes, more than %d", what, len(r.ByCode), maxCodes)
	}
	for code, n := range r.ByCode {
		if err := checkTexts(what, []field{{"ByCode", code}}); err != nil {
			return err
		}
		if strings.TrimSpace(code) == "" || len(code) > maxCodeBytes || n < 0 {
			return fmt.Errorf("%s: ByCode has %q: %d, want a code's name of up to %d bytes and a count of 0 or more", what, clip(code), n, maxCodeBytes)
		}
	}
	return nil
}

// Check reports the first problem with f, naming the field, or nil.
// PutFailures calls it on every failure before writing any.
func (f Failure) Check() error {
	what := "syncstate: failure " + f.Key.String()
	if err := checkRequired(what, []field{{"Vendor", f.Vendor}, {"Account", f.Account}, {"Key", f.Key.Key}, {"Code", f.Code}}); err != nil {
		return err
	}
	if err := checkTexts(what, []field{{"Vendor", f.Vendor}, {"Account", f.Account}, {"Key", f.Key.Key}, {"Code", f.Code},
		{"Message", f.Message}, {"VendorCode", f.VendorCode}, {"Field", f.Field}, {"RequestID", f.RequestID}}); err != nil {
		return err
	}
	switch {
	case f.RunID <= 0:
		return fmt.Errorf("%s: RunID is %d; a failure belongs to a run StartRun recorded", what, f.RunID)
	case f.Line < 0:
		return fmt.Errorf("%s: Line is %d, less than 0", what, f.Line)
	case f.HTTPStatus < 0 || f.HTTPStatus > 999:
		return fmt.Errorf("%s: HTTPStatus %d is not an HTTP status", what, f.HTTPStatus)
	}
	return checkTime(what, "At", f.At, true)
}

// maxCodes and maxCodeBytes bound Run.ByCode: portable codes are a few,
// with short names.
const (
	maxCodes     = 64
	maxCodeBytes = 64
)

type field struct{ name, value string }

func checkRequired(what string, fields []field) error {
	for _, f := range fields {
		if strings.TrimSpace(f.value) == "" {
			return fmt.Errorf("%s: %s is empty", what, f.name)
		}
	}
	return nil
}

// checkTexts refuses what Entry.Check refuses in a text field: more than
// MaxFieldBytes, a NUL byte, invalid UTF-8.
func checkTexts(what string, fields []field) error {
	for _, f := range fields {
		switch {
		case len(f.value) > MaxFieldBytes:
			return fmt.Errorf("%s: %s is %d bytes, more than %d", what, f.name, len(f.value), MaxFieldBytes)
		case strings.IndexByte(f.value, 0) >= 0:
			return fmt.Errorf("%s: %s contains a NUL byte", what, f.name)
		case !utf8.ValidString(f.value):
			return fmt.Errorf("%s: %s is not valid UTF-8", what, f.name)
		}
	}
	return nil
}

// checkTime refuses a time stores cannot keep, and a zero one when it is
// required.
func checkTime(what, name string, t time.Time, required bool) error {
	if t.IsZero() {
		if required {
			return fmt.Errorf("%s: %s is the zero time", what, name)
		}
		return nil
	}
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return fmt.Errorf("%s: %s %s is outside years 1 to 9999", what, name, t)
	}
	return nil
}

// StorableText is s as a run log keeps text: valid UTF-8 without NUL
// bytes, clipped to MaxFieldBytes. A vendor's message may be anything,
// and a failure refused for its text would lose the whole PutFailures
// call.
func StorableText(s string) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
	if len(s) <= MaxFieldBytes {
		return s
	}
	const ellipsis = "…"
	cut := MaxFieldBytes - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}
