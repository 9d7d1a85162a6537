// Package adapter is custsync's portable API: one customer-update model and
// one client type over the Upwell, BlueTape and Billbee drivers in its
// subpackages. Drivers translate; this package owns what every vendor
// shares: validation, the field-support check, errors, retries, rate
// limits, timeouts and logging. Application code uses this package and
// the vendor packages; what a driver needs to plug in a vendor is in
// adapter/driver, for driver authors only.
//
// # Updating a customer
//
// Get a *Client from a vendor package (upwell.New, bluetape.New,
// billbee.New, or their FromEnv), or for a vendor named at run time from
// package adapter/vendors (vendors.FromEnv(vendors.Billbee)), and send a
// CustomerUpdate:
//
//	client, err := billbee.FromEnv()
//	res, err := client.Update(ctx, &adapter.CustomerUpdate{
//		ID:    "100000150176895",
//		Name:  adapter.Set("Max Mustermann"),
//		VATID: adapter.Clear[string](), // null: clear the VAT id
//	})
//
// Every field is a Field: absent (leave alone), Clear (empty it) or Set.
// The same update has a canonical JSON form (ParseCustomerUpdate), which
// the custsync command reads.
//
// # Nothing is dropped silently
//
// A field the vendor cannot store fails the call with InvalidArgument
// naming it, before any request; WithLenient(true) drops such fields
// instead and Result.Dropped lists them. Bad input (an empty id, a
// malformed e-mail, an empty string where null was meant) fails the same
// way. Each driver's package doc has its field-mapping table.
//
// # Errors
//
// Failures are *Error, with a portable Code (NotFound, InvalidArgument,
// PermissionDenied, FailedPrecondition, ResourceExhausted, Unavailable,
// DeadlineExceeded, Canceled, Internal, Unknown), the HTTP status, the
// vendor's own code and message, the request id, whether a retry may
// succeed, the attempts made and a capped body excerpt:
//
//	if errors.Is(err, adapter.NotFound) { ... } // a Code is an errors.Is target
//	var e *adapter.Error
//	if errors.As(err, &e) && e.Retryable { ... }
//	switch adapter.CodeOf(err) { case adapter.OK: ... } // CodeOf(nil) is OK
//
// A canceled or expired ctx returns ctx's own error (errors.Is(err,
// context.Canceled); CodeOf says Canceled or DeadlineExceeded). No error, log record
// or printed config ever holds a credential (see Secret).
//
// # Retries, timeouts and rate limits
//
// Each attempt is bounded (WithAttemptTimeout, default 30s). Failed
// attempts are retried (WithMaxRetries, default 2) with exponential backoff
// and jitter, honouring Retry-After, but only where a retry cannot apply a
// change twice, and never past the ctx deadline. Requests are paced by a
// RateLimiter from the limits each driver declares: Billbee's documented
// 2/s per endpoint, 10/s per user and 50/s per key; adaptively for Upwell
// and BlueTape, which publish none. Clients that share a credential should
// share a limiter (WithRateLimiter); package redislimit shares one across
// processes through Redis.
//
// # Batches
//
// A batch of updates (a nightly export, say) is package bulk's: it runs
// them through a Client with per-customer order, bounded memory, halts,
// a failures file and incremental sync against a state store. Observing
// each HTTP attempt (WithAttemptObserver) and reserving pooled
// connections (Client.ReserveConnections) are what it uses of a Client,
// and both are open to other callers.
//
// # Telemetry
//
// A Client emits OpenTelemetry spans and metrics through the global
// providers, or those of WithTracerProvider and WithMeterProvider. Each
// Update and Check is a span (custsync.update, custsync.check) with
// custsync.vendor, custsync.outcome (sent, unchanged, dry_run, failed,
// invalid), custsync.attempts, the last http.response.status_code and,
// when it failed, error.type, the portable code. Each HTTP attempt is a
// child span named by its method, with the HTTP semantic conventions'
// http.request.method, http.response.status_code, server.address,
// server.port, url.scheme and http.request.resend_count; url.full is left
// out, since the path carries the record's key. A wait for the rate
// limiter is a custsync.rate_limit.wait event on the update's span.
//
// Metrics: custsync.updates ({update}: by vendor, operation, outcome and
// error.type), http.client.request.duration (s, one per attempt),
// custsync.retries ({retry}), custsync.throttled ({response}: 429
// answers) and custsync.rate_limit.wait.duration (s). No span, attribute,
// event or metric carries a credential, a record's key, or a value of a
// customer's; errors are named by their code, never their message. No
// trace context is sent to the vendors.
//
// While the global tracer provider is OpenTelemetry's placeholder (no
// program installed one), a Client starts no span at all, so it costs
// nothing; one installed later, even after the Client was built, is used
// from the next call on.
package adapter
