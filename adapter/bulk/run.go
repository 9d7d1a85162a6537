package bulk

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/custsync/custsync/adapter"
)

// Run reads in to its end and sends every record through c, as the
// package doc describes, and returns the report of the run: every record
// read is counted in exactly one of its Succeeded, Unchanged, Failed and
// NotSent. With WithFailures, every record that failed or was not sent is
// written to the failures file as it happens, in the input's own format.
//
// Run returns an error only when it could not start: an invalid option,
// or no client or input, an InvalidArgument *adapter.Error; nothing was
// read or sent then. Everything that happens once it has started (a read
// error, a halt, ctx ending, a failures file that cannot be written) is
// in the report.
func Run(ctx context.Context, c Client, in Reader, opts ...Option) (*Report, error) {
	cfg, err := check("Run", c, opts)
	if err != nil {
		return nil, err
	}
	if isNil(in) {
		return nil, stampVendor(&adapter.Error{Code: adapter.InvalidArgument, Message: "Run: no input given"}, c)
	}
	rep := &Report{Started: time.Now(), ByCode: map[adapter.Code]int{}, Dropped: map[string]int{}, Mismatched: map[string]int{}}
	e := newEngine(ctx, c, cfg)
	defer e.cancel()
	var rest *restTracker // nil, doing nothing, without a failures file
	if cfg.failures != nil {
		if h, ok := in.(HeaderReader); ok {
			if header := h.FailuresHeader(); len(header) > 0 {
				cfg.failures.setHeader(header)
			}
		}
		rest = newRestTracker(cfg.failures, in)
		// The moment the run stops sending, the failures file records
		// where the records it will not send begin.
		unhook := context.AfterFunc(e.feed, func() {
			if !e.finished.Load() {
				rest.mark(e.startedUpTo())
			}
		})
		defer func() {
			unhook()
			rest.close()
		}()
	}
	e.start(func(emit func(Record) bool) error {
		for {
			rec, err := in.Next()
			switch {
			case errors.Is(err, io.EOF):
				rest.ended(true)
				return nil
			case err != nil:
				rest.ended(false)
				return err
			}
			rest.read(rec)
			if !emit(rec) {
				return nil
			}
		}
	})
	var line []byte
	e.deliver(func(out Outcome) bool {
		rep.count(out)
		if out.Status == Failed || out.Status == NotSent {
			f := out.Failure(e.vendor)
			rep.ByCode[f.Code]++
			if cfg.failures != nil && rep.FailuresErr == nil {
				line = in.AppendFailure(line[:0], out.Record, f)
				write := cfg.failures.Append
				if rest.holds(out.Seq) {
					write = cfg.failures.appendHeld
				}
				if err := write(line); err != nil {
					// Failures that cannot be recorded must not be produced.
					rep.FailuresErr = err
					e.halt(ErrFailuresUnwritable)
				}
			}
		}
		rest.reported(out.Seq)
		for _, observe := range cfg.observe {
			observe(out)
		}
		return true
	})
	rep.Records = int(e.records.Load())
	rep.ReadErr = e.readErr
	if e.inc != nil {
		rep.Finalized = e.inc.finalized
	}
	rep.Elapsed = time.Since(rep.Started)
	return rep, nil
}

// count adds one outcome to the report.
func (r *Report) count(out Outcome) {
	switch out.Status {
	case Succeeded:
		r.Succeeded++
		if out.Result != nil {
			for _, f := range out.Result.Dropped {
				r.Dropped[f]++
			}
			for _, m := range out.Result.Mismatches {
				r.Mismatched[m.Field]++
			}
		}
	case Unchanged:
		r.Unchanged++
	case Failed:
		r.Failed++
	case NotSent:
		r.NotSent++
	}
	if h := (*Halt)(nil); r.Halt == nil && errors.As(out.Err, &h) {
		r.Halt = h
	}
}
