package bulk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/syncstate"
)

// Status is where a record of a run ended. Every record ends in exactly
// one.
type Status int

const (
	// Succeeded means the vendor confirmed the update (in a dry run: it would
	// have been sent).
	Succeeded Status = iota
	// Unchanged means nothing had to be written. The state store holds the
	// customer's records as confirmed, or the vendor already held every
	// value (Billbee, after its read).
	Unchanged
	// Failed means the record was tried, or is invalid, and did not go
	// through; Err says why. It is in the failures file.
	Failed
	// NotSent means the run ended before the record's turn (a stop, ctx, a
	// halt, an unwritable failures file); Err says why. It is in the
	// failures file, to be pushed again as it is.
	NotSent
)

func (s Status) String() string {
	switch s {
	case Succeeded:
		return "succeeded"
	case Unchanged:
		return "unchanged"
	case Failed:
		return "failed"
	case NotSent:
		return "not sent"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Outcome is what became of one record of a run.
type Outcome struct {
	// Seq is the record's position in the input, from 0.
	Seq int
	// Record is the record as read; Record.Update is what was sent.
	Record Record
	Status Status
	// Result is the vendor's answer when Status is Succeeded or, for a
	// write the vendor found already done, Unchanged.
	Result *adapter.Result
	// Err says why a record Failed or was NotSent; nil otherwise.
	Err error
	// Attempted is false when nothing was sent for the record: the run
	// ended first, the input was refused, or the state store held it.
	Attempted bool
	// Calls is how many Update calls were made for the record (see
	// WithRecordAttempts).
	Calls int
}

// Report is the account of a run: every record read is counted in
// exactly one of Succeeded, Unchanged, Failed and NotSent.
type Report struct {
	Records   int // records read (blank lines are not records)
	Succeeded int
	Unchanged int
	Failed    int
	NotSent   int
	// ByCode counts the records in the failures file by portable code.
	ByCode map[adapter.Code]int
	// Dropped counts, by field, fields dropped in lenient mode.
	Dropped map[string]int
	// Mismatched counts, by field, fields the vendor stored otherwise than
	// sent (the records succeeded; the state does not record them).
	Mismatched map[string]int
	// Halt says why the run halted on its own; nil when it did not.
	Halt *Halt
	// Started is when the run started; Elapsed how long it took.
	Started time.Time
	Elapsed time.Duration
	// ReadErr is why the input could not be read to its end; the records
	// after it were not read.
	ReadErr error
	// FailuresErr is why the failures file (WithFailures) could not be
	// written: the records after it were not sent.
	FailuresErr error
	// Finalized counts customers whose state was brought up to date at
	// the end without a request (see the package doc).
	Finalized int
}

// ErrFailuresUnwritable is the error of the records a run did not send
// because its failures file could not be written: failures that cannot be
// recorded must not be produced.
var ErrFailuresUnwritable = fmt.Errorf("not sent: the failures file could not be written: %w", context.Canceled)

// errCanceledInFlight is the error of a record whose call ctx cut short
// after a request went out, when ctx carries no cause of its own.
var errCanceledInFlight = fmt.Errorf("canceled in flight; the vendor may or may not have applied it: %w", context.Canceled)

// Failure is the failures-file account of a record that failed or was not
// sent at vendor, as a run's failures file writes it (Reader.AppendFailure
// takes it): a record not sent has code Canceled, says why in words, and
// is retryable, since nothing of it reached the vendor and, pushed again
// as it is, it may succeed.
func (out Outcome) Failure(vendor string) Failure {
	f := Failure{Line: out.Record.Line, Vendor: vendor}
	if out.Status != NotSent {
		f.ErrorInfo = Describe(out.Err)
		return f
	}
	msg := "not sent"
	var e *adapter.Error
	switch {
	case errors.As(out.Err, &e) && e.Message != "":
		msg = e.Message
	case out.Err != nil:
		msg = out.Err.Error()
	}
	f.ErrorInfo = ErrorInfo{Code: adapter.Canceled, Message: msg, Retryable: true}
	return f
}

// RunFailure is the run log's account (see syncstate.RunLog.PutFailures)
// of out, a record of run runID sent through c, seen at at; false when
// out is not one a run log keeps: only a record that Failed and names a
// customer of c is. Records not sent are the run's counts, not their
// customers' failures. The text is made storable (syncstate.StorableText).
func RunFailure(c Client, runID int64, out Outcome, at time.Time) (syncstate.Failure, bool) {
	if out.Status != Failed {
		return syncstate.Failure{}, false
	}
	u := out.Record.Update
	if u == nil {
		u = out.Record.Customer // an invalid record that names its customer
	}
	if u == nil {
		return syncstate.Failure{}, false
	}
	key := c.Key(u)
	if key == "" {
		return syncstate.Failure{}, false
	}
	info := Describe(out.Err)
	return syncstate.Failure{
		Key:   syncstate.Key{Vendor: c.Vendor(), Account: c.Account(), Key: key},
		RunID: runID, At: at, Line: out.Record.Line,
		Code: info.Code.String(), Message: syncstate.StorableText(info.Message), HTTPStatus: info.HTTPStatus,
		VendorCode: syncstate.StorableText(info.VendorCode), Retryable: info.Retryable, Field: syncstate.StorableText(info.Field),
		RequestID: syncstate.StorableText(info.RequestID),
	}, true
}
