package adapter

import (
	"crypto/tls"
	"time"
)

// WithoutOrdering runs UpdateAll without per-customer order, as it ran
// before it had one: the baseline of BenchmarkUpdateAllOrdering.
func WithoutOrdering() BulkOption {
	return func(c *bulkConfig) error { c.unordered = true; return nil }
}

// WithDefaultPoolTLS keeps the Client's own connection pool (no client or
// RoundTripper of the user's) but with these TLS settings, so a test can
// trust its server's certificate and still measure the default pool.
func WithDefaultPoolTLS(c *tls.Config) Option {
	return clientOption(func(cfg *clientConfig) error { cfg.testTLS = c; return nil })
}

// WithClock sets what a Syncer reads SyncedAt from (default time.Now).
func WithClock(now func() time.Time) SyncOption {
	return func(s *Syncer) error { s.now = now; return nil }
}
