package bulk

import (
	"context"
	"errors"
	"iter"

	"github.com/custsync/custsync/adapter"
)

// Updates sends a stream of updates through c and yields one Outcome per
// update: the engine of Run without its input format, failures file and
// report, for callers that hold updates in memory or read them
// themselves. Record.Line of each outcome is the update's position in
// the stream, from 1.
//
// Everything the package doc says of a run holds: each customer's
// updates in input order, bounded memory, halts, stops, and, with
// WithState, incremental sync. Updates of the same customer are yielded
// in input order too; those of different customers in completion order.
// Stopping the iteration early (break) cancels the run and waits for its
// goroutines.
//
// Invalid options (or a nil client or stream) return an InvalidArgument
// *adapter.Error, once, before anything is read or sent; WithFailures is
// Run's alone.
func Updates(ctx context.Context, c Client, updates iter.Seq[*adapter.CustomerUpdate], opts ...Option) (iter.Seq[Outcome], error) {
	cfg, err := check("Updates", c, opts)
	if err != nil {
		return nil, err
	}
	switch {
	case updates == nil:
		return nil, stampVendor(&adapter.Error{Code: adapter.InvalidArgument, Message: "Updates: no updates given (a nil sequence)"}, c)
	case cfg.failures != nil:
		return nil, stampVendor(&adapter.Error{Code: adapter.InvalidArgument, Message: "Updates: WithFailures is for Run, which writes the failures in the input's own format"}, c)
	}
	return func(yield func(Outcome) bool) {
		e := newEngine(ctx, c, cfg)
		defer e.cancel()
		e.start(func(emit func(Record) bool) error {
			line := 0
			for u := range updates {
				line++
				rec := Record{Line: line, Update: u}
				if u == nil {
					rec.Err = &adapter.Error{Code: adapter.InvalidArgument, Message: "no update given"}
				}
				if !emit(rec) {
					return nil
				}
			}
			return nil
		})
		e.deliver(yield)
	}, nil
}

// check validates a run's client and options.
func check(where string, c Client, opts []Option) (config, error) {
	if isNil(c) {
		return config{}, &adapter.Error{Code: adapter.InvalidArgument, Message: where + ": no client given"}
	}
	cfg, err := newConfig(where, opts)
	if err != nil {
		return cfg, stampVendor(err, c)
	}
	return cfg, nil
}

// stampVendor names c's vendor in err when it names none.
func stampVendor(err error, c Client) error {
	var e *adapter.Error
	if errors.As(err, &e) && e.Vendor == "" {
		own := *e
		own.Vendor = c.Vendor()
		return &own
	}
	return err
}
