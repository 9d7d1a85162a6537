package adapter

// WithoutOrdering runs UpdateAll without per-customer order, as it ran
// before it had one: the baseline of BenchmarkUpdateAllOrdering.
func WithoutOrdering() BulkOption {
	return func(c *bulkConfig) { c.unordered = true }
}
