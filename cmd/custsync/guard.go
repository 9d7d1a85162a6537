package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/syncstate"
)

// guardCheck is what push's count before sending (--max-changes,
// --max-clears) found.
type guardCheck struct {
	plan *bulk.PlanReport
	// refused is the guard's verdict when the plan passes a limit; nil
	// when it is within them.
	refused *bulk.GuardError
	// problem says why the count does not cover the input (then nothing
	// is sent); "" when it does.
	problem string
}

// parseGuard reads --max-changes and --max-clears into pf.guard.
func (f *pushFlags) parseGuard() error {
	for _, l := range []struct {
		flag, value string
		into        *bulk.Limit
	}{
		{"--max-changes", f.maxChanges, &f.guard.MaxChanges},
		{"--max-clears", f.maxClears, &f.guard.MaxClears},
	} {
		if l.value == "" {
			continue
		}
		limit, err := bulk.ParseLimit(l.value)
		if err != nil {
			return usagef("%s %v", l.flag, err)
		}
		*l.into = limit
	}
	if !f.guard.IsZero() && f.file == "-" {
		return usagef("%s reads the input twice (once to count what would be sent, once to send it), and standard input can be read only once: write it to a file and push that", f.guardFlags())
	}
	return nil
}

// guardFlags names the guard's flags as given, for messages:
// "--max-changes 10%", "--max-clears 50".
func (f *pushFlags) guardFlags() string {
	var parts []string
	if f.maxChanges != "" {
		parts = append(parts, "--max-changes "+f.guard.MaxChanges.String())
	}
	if f.maxClears != "" {
		parts = append(parts, "--max-clears "+f.guard.MaxClears.String())
	}
	return strings.Join(parts, " and ")
}

// checkGuard reads in once to its end, from its start, with a reader of
// the push's own kind (newReader), to work out what the push would send,
// with the engine's own rules (the state store read as the run reads it,
// nothing written, no request), judges it against the guard, and rewinds
// in for the push. An input that changes meanwhile, or that
// cannot be counted to its end, is a problem: the count would not be of
// what is sent.
func (a *app) checkGuard(pf pushFlags, client bulk.Client, store syncstate.Store, in *os.File, newReader func() (inputReader, error)) guardCheck {
	before, err := in.Stat()
	if err != nil {
		return guardCheck{plan: &bulk.PlanReport{}, problem: fmt.Sprintf("cannot read %s: %v", in.Name(), err)}
	}
	opts := []bulk.Option{bulk.WithConcurrency(pf.settings.concurrency)}
	if store != nil {
		opts = append(opts, bulk.WithState(store), bulk.WithRefreshAfter(pf.refreshAfter), bulk.WithForce(pf.force))
	}
	fmt.Fprintf(a.stderr, "push: %s: counting what would be sent before sending anything\n", pf.guardFlags())
	if _, err := in.Seek(0, io.SeekStart); err != nil {
		return guardCheck{plan: &bulk.PlanReport{}, problem: fmt.Sprintf("cannot read %s: %v", in.Name(), err)}
	}
	reader, err := newReader()
	if err != nil {
		return guardCheck{plan: &bulk.PlanReport{}, problem: err.Error()}
	}
	plan, err := bulk.Plan(a.stop, client, reader, opts...)
	if err != nil {
		// The flags were checked before: an option the engine refuses is
		// a bug, reported as an input that could not be counted.
		return guardCheck{plan: &bulk.PlanReport{}, problem: err.Error()}
	}
	check := guardCheck{plan: plan}
	switch {
	case a.stop.Err() != nil:
		check.problem = "interrupted while counting"
	case plan.ReadErr != nil:
		check.problem = fmt.Sprintf("cannot read %s after line %d: %v", in.Name(), reader.Line(), plan.ReadErr)
	case plan.Halt != nil:
		check.problem = plan.Halt.Reason
	case !plan.Complete():
		check.problem = fmt.Sprintf("%d records were not counted", plan.NotPlanned)
	}
	if check.problem != "" {
		return check
	}
	if _, err := in.Seek(0, io.SeekStart); err != nil {
		check.problem = fmt.Sprintf("cannot read %s again: %v", in.Name(), err)
		return check
	}
	if after, err := in.Stat(); err != nil || after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
		check.problem = fmt.Sprintf("%s changed while it was counted; push it once it is complete", in.Name())
		return check
	}
	errors.As(pf.guard.Check(plan), &check.refused)
	return check
}

// counted says what the count found against the limits: "500 of 1000
// records would be sent (at most 100), 500 fields cleared (at most 100)".
func (g guardCheck) counted(guard bulk.Guard) string {
	p := g.plan
	e := g.refused
	if e == nil {
		e = &bulk.GuardError{Records: p.Records, Send: p.Send, Cleared: p.ClearedFields}
		e.SendLimit, e.ClearLimit = guard.Limits(p.Records)
	}
	at := func(limit int) string {
		if limit < 0 {
			return ""
		}
		return fmt.Sprintf(" (at most %d)", limit)
	}
	return fmt.Sprintf("%d of %d %s would be sent%s, %d %s cleared%s", e.Send, e.Records, plural(e.Records, "record", "records"), at(e.SendLimit),
		e.Cleared, plural(e.Cleared, "field", "fields"), at(e.ClearLimit))
}

// explainRefusal says on stderr what the count found, field by field, and
// names a few records, so that a broken export can be told from a big
// night at a glance.
func (a *app) explainRefusal(g guardCheck, pf pushFlags) {
	p := g.plan
	if len(p.Set) > 0 || len(p.Cleared) > 0 {
		var what []string
		if len(p.Set) > 0 {
			what = append(what, "they would set "+fieldCounts(p.Set))
		}
		if len(p.Cleared) > 0 {
			what = append(what, "they would clear (to null or an empty value) "+fieldCounts(p.Cleared))
		}
		fmt.Fprintf(a.stderr, "custsync push: %s\n", strings.Join(what, "; "))
	}
	examples := p.Examples
	if g.refused.TooManyCleared() && len(p.ClearingExamples) > 0 {
		examples = p.ClearingExamples
	}
	if len(examples) > 0 {
		fmt.Fprintf(a.stderr, "custsync push: for example:\n")
		for _, r := range examples {
			fmt.Fprintf(a.stderr, "  %s\n", describePlanned(r))
		}
	}
	var raise []string
	if g.refused.TooManySent() {
		raise = append(raise, "--max-changes")
	}
	if g.refused.TooManyCleared() && pf.maxClears != "" {
		raise = append(raise, "--max-clears")
	} else if g.refused.TooManyCleared() && !g.refused.TooManySent() {
		raise = append(raise, "--max-changes")
	}
	fmt.Fprintf(a.stderr, "custsync push: if the export is right, push it with a higher %s, or without it\n", strings.Join(raise, " and "))
}

// describePlanned is one record of a plan in words: `line 4, customer
// ["ACME","C-1004"]: clears email; sets name`.
func describePlanned(r bulk.PlannedRecord) string {
	var what []string
	if len(r.Cleared) > 0 {
		what = append(what, "clears "+strings.Join(r.Cleared, ", "))
	}
	if len(r.Set) > 0 {
		what = append(what, "sets "+strings.Join(r.Set, ", "))
	}
	return fmt.Sprintf("line %d, customer %s: %s", r.Line, r.Key, strings.Join(what, "; "))
}

// fieldCounts writes counts by field, in field order: "email (500), name (2)".
func fieldCounts(counts map[string]int) string {
	order := adapter.FieldNames()
	names := slices.SortedFunc(maps.Keys(counts), func(a, b string) int {
		return slices.Index(order, a) - slices.Index(order, b)
	})
	parts := make([]string, len(names))
	for i, f := range names {
		parts[i] = fmt.Sprintf("%s (%d)", f, counts[f])
	}
	return strings.Join(parts, ", ")
}

// guardJSON is the "guard" member of push --json's summary, present only
// when --max-changes or --max-clears is given. Its keys are part of the
// command's contract.
type guardJSON struct {
	MaxChanges string `json:"maxChanges"` // the limits as given; "" when not
	MaxClears  string `json:"maxClears"`
	Records    int    `json:"records"`   // records in the input
	WouldSend  int    `json:"wouldSend"` // records the push would send
	SendLimit  int    `json:"sendLimit"` // the most allowed; -1 for no bound
	// WouldClear is how many fields the push would clear (null or an
	// empty value), ClearLimit the most allowed.
	WouldClear int `json:"wouldClear"`
	ClearLimit int `json:"clearLimit"`
	// Set and Cleared count the records to be sent by field set to a
	// value and field cleared.
	Set     map[string]int `json:"set"`
	Cleared map[string]int `json:"cleared"`
	// Examples are the first records to be sent, ClearingExamples the
	// first that clear a field: five at most.
	Examples         []plannedJSON `json:"examples"`
	ClearingExamples []plannedJSON `json:"clearingExamples"`
	Refused          bool          `json:"refused"`
}

// plannedJSON is a record of a plan: an example of the guard, or a line
// of push --dry-run --plan --json. Changes (Billbee, after its read) are
// what the write would change, field by field.
type plannedJSON struct {
	Line    int              `json:"line"`
	ID      string           `json:"id"`
	Key     string           `json:"key"`
	Set     []string         `json:"set"`
	Cleared []string         `json:"cleared"`
	Changes []adapter.Change `json:"changes,omitempty"`
}

func plannedOf(r bulk.PlannedRecord) plannedJSON {
	return plannedJSON{Line: r.Line, ID: r.ID, Key: r.Key, Set: nonNil(r.Set), Cleared: nonNil(r.Cleared)}
}

func (g guardCheck) json(pf pushFlags) *guardJSON {
	p := g.plan
	out := &guardJSON{MaxChanges: pf.guard.MaxChanges.String(), MaxClears: pf.guard.MaxClears.String(),
		Records: p.Records, WouldSend: p.Send, WouldClear: p.ClearedFields,
		Set: p.Set, Cleared: p.Cleared, Examples: []plannedJSON{}, ClearingExamples: []plannedJSON{}, Refused: g.refused != nil}
	if out.Set == nil {
		out.Set = map[string]int{}
	}
	if out.Cleared == nil {
		out.Cleared = map[string]int{}
	}
	out.SendLimit, out.ClearLimit = pf.guard.Limits(p.Records)
	for _, r := range p.Examples {
		out.Examples = append(out.Examples, plannedOf(r))
	}
	for _, r := range p.ClearingExamples {
		out.ClearingExamples = append(out.ClearingExamples, plannedOf(r))
	}
	return out
}

// planPrinter shows a dry run's plan record by record (--plan): a line,
// or a JSON object, for each record that would be sent.
type planPrinter struct {
	w      io.Writer
	json   bool
	client bulk.Client
}

func (p *planPrinter) print(out bulk.Outcome) {
	if out.Status != bulk.Succeeded {
		return
	}
	r := bulk.Planned(p.client, out.Record)
	var changes []adapter.Change
	if out.Result != nil && out.Result.DryRun != nil {
		changes = out.Result.DryRun.Changes
	}
	if p.json {
		line := plannedOf(r)
		line.Changes = changes
		enc := json.NewEncoder(p.w)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(line) // plain values always encode
		return
	}
	var b strings.Builder
	b.WriteString("would send " + describePlanned(r))
	for _, c := range changes {
		b.WriteString("\n  " + changeLine(c))
	}
	fmt.Fprintln(p.w, b.String())
}
