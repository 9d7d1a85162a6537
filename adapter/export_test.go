package adapter

import "crypto/tls"

// WithDefaultPoolTLS keeps the Client's own connection pool (no client or
// RoundTripper of the user's) but with these TLS settings, so a test can
// trust its server's certificate and still measure the default pool.
func WithDefaultPoolTLS(c *tls.Config) Option {
	return clientOption(func(cfg *clientConfig) error { cfg.testTLS = c; return nil })
}
