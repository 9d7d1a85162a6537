package bulk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/internal/fieldname"
)

// PlanExamples is how many example records a PlanReport keeps of each
// kind: enough to find the pattern in an export, and memory stays flat.
const PlanExamples = 5

// Plan reads in to its end and works out what Run, given the same input
// and options, would send, without a single request (not even a dry
// run's reads) and without writing anything: with WithState it reads the
// store as Run would and decides each record as incremental sync does,
// so that its counts are Run's. A caller checks the plan against a Guard
// before the run, and reads the input again for Run.
//
// Memory stays flat: the report keeps counts and PlanExamples records of
// each kind, not the records. WithObserver hears each record's Outcome
// (Succeeded: it would be sent; Result is nil). WithFailures is Run's
// alone; options about sending (WithConcurrency, WithRecordAttempts, the
// halts) do not change a plan.
//
// Plan returns an error only when it could not start, as Run does.
func Plan(ctx context.Context, c Client, in Reader, opts ...Option) (*PlanReport, error) {
	cfg, err := check("Plan", c, opts)
	if err != nil {
		return nil, err
	}
	switch {
	case isNil(in):
		return nil, stampVendor(&adapter.Error{Code: adapter.InvalidArgument, Message: "Plan: no input given"}, c)
	case cfg.failures != nil:
		return nil, stampVendor(&adapter.Error{Code: adapter.InvalidArgument, Message: "Plan: WithFailures is for Run; a plan writes nothing"}, c)
	}
	// A dry run's rules (the store read, never written), minus its calls.
	cfg.dryRun, cfg.plan = true, true
	rep := &PlanReport{Started: time.Now(), Set: map[string]int{}, Cleared: map[string]int{}}
	e := newEngine(ctx, c, cfg)
	defer e.cancel()
	e.start(func(emit func(Record) bool) error {
		for {
			rec, err := in.Next()
			switch {
			case errors.Is(err, io.EOF):
				return nil
			case err != nil:
				return err
			}
			if !emit(rec) {
				return nil
			}
		}
	})
	e.deliver(func(out Outcome) bool {
		rep.count(c, out)
		for _, observe := range cfg.observe {
			observe(out)
		}
		return true
	})
	rep.Records = int(e.records.Load())
	rep.ReadErr = e.readErr
	rep.Elapsed = time.Since(rep.Started)
	return rep, nil
}

// PlanReport is what a run would do with an input: every record read is
// counted in exactly one of Send, Unchanged, Failed and NotPlanned.
type PlanReport struct {
	Records int // records read (blank lines are not records)
	// Send counts the records the run would send: every valid record, or
	// with a state store those it does not hold as confirmed. A check only
	// the client makes (a field the vendor cannot store, empty text) may
	// still fail some of them without a request.
	Send int
	// Unchanged counts the records the state store holds as confirmed.
	Unchanged int
	// Failed counts the records that would fail without a request: not a
	// valid update, or held back behind an invalid record of the same
	// customer.
	Failed int
	// NotPlanned counts the records the plan did not reach: ctx or
	// WithStop ended it, or the state store could not be read (Halt).
	NotPlanned int
	// Set counts, by field, the records to be sent that set it to a value;
	// Cleared those that clear it (adapter.CustomerUpdate.ClearedFields:
	// null, or an empty value). sourceSystem, part of Upwell's key, is in
	// neither.
	Set, Cleared map[string]int
	// ClearedFields is how many fields the run would clear in all: the sum
	// of Cleared.
	ClearedFields int
	// Examples are the first records to be sent, in input order, at most
	// PlanExamples; ClearingExamples the first that clear a field.
	Examples, ClearingExamples []PlannedRecord
	// Halt says why the plan stopped early; nil when it did not.
	Halt *Halt
	// ReadErr is why the input could not be read to its end.
	ReadErr error
	// Started is when the plan started; Elapsed how long it took.
	Started time.Time
	Elapsed time.Duration
}

// Complete reports whether the plan covers the whole input: read to its
// end, every record planned.
func (p *PlanReport) Complete() bool { return p.ReadErr == nil && p.NotPlanned == 0 }

// count adds one outcome to the plan.
func (p *PlanReport) count(c Client, out Outcome) {
	switch out.Status {
	case Succeeded:
		p.Send++
		set, cleared := plannedFields(out.Record.Update)
		for _, f := range set {
			p.Set[f]++
		}
		for _, f := range cleared {
			p.Cleared[f]++
		}
		p.ClearedFields += len(cleared)
		p.Examples = keepFirst(p.Examples, c, out.Record)
		if len(cleared) > 0 {
			p.ClearingExamples = keepFirst(p.ClearingExamples, c, out.Record)
		}
	case Unchanged:
		p.Unchanged++
	case Failed:
		p.Failed++
	case NotSent:
		p.NotPlanned++
	}
	if h := (*Halt)(nil); p.Halt == nil && errors.As(out.Err, &h) {
		p.Halt = h
	}
}

// keepFirst adds rec to list when it is among the PlanExamples first by
// line: outcomes come in completion order, examples in input order.
func keepFirst(list []PlannedRecord, c Client, rec Record) []PlannedRecord {
	if len(list) == PlanExamples && list[len(list)-1].Line < rec.Line {
		return list
	}
	i, _ := slices.BinarySearchFunc(list, rec.Line, func(r PlannedRecord, line int) int { return r.Line - line })
	list = slices.Insert(list, i, Planned(c, rec))
	return list[:min(len(list), PlanExamples)]
}

// PlannedRecord is a record as a plan shows it.
type PlannedRecord struct {
	Line int    // where the record starts in the input
	ID   string // the customer's id as the record gives it
	Key  string // the vendor's key for the customer (Client.Key)
	// Set lists the fields the record sets to a value, Cleared those it
	// clears, in documentation order (see PlanReport.Set).
	Set, Cleared []string
}

// Planned describes rec as a plan shows it, keyed by c. An invalid
// record sets nothing; its ID and Key are those of the customer it names,
// if any.
func Planned(c Client, rec Record) PlannedRecord {
	p := PlannedRecord{Line: rec.Line}
	u := rec.Update
	if u == nil {
		u = rec.Customer
	}
	if u == nil {
		return p
	}
	p.ID, p.Key = u.ID, c.Key(u)
	if rec.Update != nil {
		p.Set, p.Cleared = plannedFields(rec.Update)
	}
	return p
}

// plannedFields splits the fields u sets into those set to a value and
// those cleared.
func plannedFields(u *adapter.CustomerUpdate) (set, cleared []string) {
	if u == nil {
		return nil, nil
	}
	cleared = u.ClearedFields()
	for _, f := range u.SetFields() {
		if f != fieldname.SourceSystem && !slices.Contains(cleared, f) {
			set = append(set, f)
		}
	}
	return set, cleared
}

// Limit bounds a count of a run: a number, or a share of the records of
// its input. The zero Limit bounds nothing.
type Limit struct {
	n       int
	percent bool // n is in hundredths of a percent
	set     bool
}

// ParseLimit reads a Limit: a number of records ("100", 0 or more) or a
// percentage of the records read ("10%", "2.5%": from 0 to 100, to two
// decimals).
func ParseLimit(s string) (Limit, error) {
	bad := func(why string) (Limit, error) {
		return Limit{}, fmt.Errorf("%q: %s", s, why)
	}
	num, percent := strings.CutSuffix(s, "%")
	if num == "" || strings.IndexFunc(num, func(r rune) bool { return (r < '0' || r > '9') && r != '.' }) >= 0 {
		return bad("want a number of records (100) or a percentage of them (10%, 2.5%)")
	}
	if !percent {
		n, err := strconv.Atoi(num)
		if err != nil {
			return bad("want a whole number of records, or a percentage (10%)")
		}
		return Limit{n: n, set: true}, nil
	}
	whole, frac, dotted := strings.Cut(num, ".")
	if whole == "" || dotted && (frac == "" || len(frac) > 2) || strings.Contains(frac, ".") {
		return bad("want a percentage such as 10% or 2.5%, to two decimals at most")
	}
	frac += strings.Repeat("0", 2-len(frac))
	w, err1 := strconv.Atoi(whole)
	f, err2 := strconv.Atoi(frac)
	if err1 != nil || err2 != nil || w > 100 || w == 100 && f > 0 {
		return bad("want a percentage from 0% to 100%")
	}
	return Limit{n: w*100 + f, percent: true, set: true}, nil
}

// IsZero reports whether l bounds nothing.
func (l Limit) IsZero() bool { return !l.set }

// Of is the most l allows of a count, for an input of records; ok is
// false when l bounds nothing. A share rounds down: 10% of 15 records
// allows 1.
func (l Limit) Of(records int) (most int, ok bool) {
	switch {
	case !l.set:
		return 0, false
	case l.percent:
		return int(int64(records) * int64(l.n) / 10000), true
	}
	return l.n, true
}

// String writes l as ParseLimit reads it; "" for the zero Limit.
func (l Limit) String() string {
	switch {
	case !l.set:
		return ""
	case !l.percent:
		return strconv.Itoa(l.n)
	}
	s := strconv.Itoa(l.n / 100)
	if frac := l.n % 100; frac != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%02d", frac), "0")
	}
	return s + "%"
}

// Guard bounds what a run may change, judged on its plan before anything
// is sent: an export in which every customer's e-mail became empty is
// refused, not sent in full (nor, with a state store, taken for ordinary
// changes).
type Guard struct {
	// MaxChanges bounds the records the run would send
	// (PlanReport.Send) and, unless MaxClears is set, the fields it would
	// clear (PlanReport.ClearedFields).
	MaxChanges Limit
	// MaxClears bounds the fields the run would clear.
	MaxClears Limit
}

// IsZero reports whether g bounds nothing.
func (g Guard) IsZero() bool { return g.MaxChanges.IsZero() && g.MaxClears.IsZero() }

// Check returns nil when p is within g's limits, a *GuardError otherwise.
// A plan that is not Complete fails it whatever its counts: the records
// it did not reach may be the ones that change.
func (g Guard) Check(p *PlanReport) error {
	e := &GuardError{Records: p.Records, Send: p.Send, Cleared: p.ClearedFields, Incomplete: !p.Complete()}
	e.SendLimit, e.ClearLimit = g.Limits(p.Records)
	if e.Incomplete || e.TooManySent() || e.TooManyCleared() {
		return e
	}
	return nil
}

// Limits are the most records to be sent and fields to be cleared that g
// allows for an input of records; -1 where it sets no bound.
func (g Guard) Limits(records int) (send, cleared int) {
	send, cleared = -1, -1
	if most, ok := g.MaxChanges.Of(records); ok {
		send = most
	}
	clears := g.MaxClears
	if clears.IsZero() {
		clears = g.MaxChanges
	}
	if most, ok := clears.Of(records); ok {
		cleared = most
	}
	return send, cleared
}

// GuardError is a plan that a Guard refuses.
type GuardError struct {
	Records int // records in the input
	// Send and Cleared are the plan's records to be sent and fields to be
	// cleared; SendLimit and ClearLimit the most the guard allows of each,
	// -1 for no bound.
	Send, Cleared         int
	SendLimit, ClearLimit int
	// Incomplete: the plan did not cover the whole input.
	Incomplete bool
}

// TooManySent reports whether the records to be sent pass their limit.
func (e *GuardError) TooManySent() bool { return e.SendLimit >= 0 && e.Send > e.SendLimit }

// TooManyCleared reports whether the fields to be cleared pass their
// limit.
func (e *GuardError) TooManyCleared() bool { return e.ClearLimit >= 0 && e.Cleared > e.ClearLimit }

func (e *GuardError) Error() string {
	var parts []string
	if e.Incomplete {
		parts = append(parts, "the plan does not cover the whole input")
	}
	if e.TooManySent() {
		parts = append(parts, fmt.Sprintf("%d of %d records would be sent, over the limit of %d", e.Send, e.Records, e.SendLimit))
	}
	if e.TooManyCleared() {
		parts = append(parts, fmt.Sprintf("%d fields would be cleared, over the limit of %d", e.Cleared, e.ClearLimit))
	}
	return "refused: " + strings.Join(parts, "; ")
}
