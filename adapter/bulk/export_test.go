package bulk

import "time"

// WithoutOrdering runs without per-customer order, as bulk runs did
// before they had one: the baseline of BenchmarkOrdering.
func WithoutOrdering() Option {
	return func(c *config) error { c.unordered = true; return nil }
}

// WithClock sets what a run reads the time from for the state store
// (when a customer was confirmed, and how long ago): default time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) error { c.now = now; return nil }
}
