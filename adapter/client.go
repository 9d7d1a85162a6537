package adapter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/custsync/custsync/adapter/internal/loopback"
)

// Client updates customers at one vendor. It is safe for concurrent use.
// Get one from a vendor package (upwell.New, bluetape.New, billbee.New,
// or their FromEnv), or by the vendor's name from package
// adapter/vendors.
type Client struct {
	drv       Driver
	vendor    string
	fields    []FieldMapping
	account   string
	cfg       clientConfig
	scrub     scrubber
	supported map[string]bool
	// supportedBits is supported as a fieldMask, for the hot path.
	supportedOnce sync.Once
	supportedBits fieldMask
	baseURL       string
	pool          *pooledTransport // nil when the user gave a client or RoundTripper
	tel           *telemetry
}

// ReserveConnections tells the Client that n more of its updates will be
// in flight at once until release is called: a bulk caller running n
// updates at a time calls it before the run and releases after. The
// Client's own connection pool then keeps n idle connections to the
// vendor and opens no more than the reservations add up to, so each update
// reuses a connection (over TLS, no handshake every few records) and one
// that finds every connection busy waits for one to be freed, which never
// takes long, instead of dialing one that outlives the run. The pool stays
// sized for the largest sum, warm for the next run; before the first
// reservation it opens as many connections as requests need.
//
// For a Client built on your own client or RoundTripper (WithHTTPClient,
// WithTransport) it does nothing: that pool is yours to size. n below 1
// reserves nothing. Calling release more than once is the same as once.
func (c *Client) ReserveConnections(n int) (release func()) {
	if c == nil || c.pool == nil || n < 1 {
		return func() {}
	}
	return sync.OnceFunc(c.pool.reserve(n))
}

// The declarations from here to NewDriverClient are for drivers only:
// vendor packages use them through package adapter/driver, which names
// them Driver, Call, Vendor, Conn and HTTPDoer and documents how to write
// a driver.
// Application code gets a Client from a vendor package and never needs
// them. They are declared here because the Client must name them, and
// adapter/driver imports this package for the model.

// Driver is for drivers only (driver.Driver): it is what a vendor package
// implements to translate between the portable model and its vendor.
// The Client calls it; users never do.
type Driver interface {
	// Validate checks vendor rules before any request: it returns an
	// InvalidArgument *Error (see driver.InvalidField) naming the field,
	// or nil. The Client has checked the portable rules already.
	Validate(u *CustomerUpdate) error
	// Update performs the update, as call says. It returns *Error on
	// failure, built with the helpers of adapter/driver, or a context
	// error. ctx is the call's: a driver passes it to its requests.
	Update(ctx context.Context, u *CustomerUpdate, call DriverCall) (*Result, error)
	// Key is the vendor's own key for the record u addresses, after
	// defaults (Upwell: sourceSystem + id; the others: the id). Equal keys
	// address the same record. u may be invalid: Key must not fail.
	Key(u *CustomerUpdate) string
}

// DriverChecker is for drivers only (driver.Checker): a Driver whose
// vendor can check a client's configuration with a request that writes
// nothing implements it, and Client.Check calls it.
type DriverChecker interface {
	// Check sends one request that writes nothing. It returns nil when the
	// vendor accepted the credentials and the base URL serves its API (an
	// answer about a customer, found or not, says both), and otherwise an
	// *Error built with the helpers of adapter/driver, Config set for the
	// configuration's faults.
	Check(ctx context.Context) error
}

// DriverCall is for drivers only (driver.Call): how the Client asks a
// Driver to perform one update, beyond the update itself.
type DriverCall struct {
	// DryRun asks for no write (WithDryRun): validate and read as usual,
	// then return what the write would have been in Result.DryRun. The
	// transport refuses any request but a GET during a dry run, so a
	// driver that wrote anyway would fail, not write.
	DryRun bool
}

// DriverVendor is for drivers only (driver.Vendor): it describes a vendor
// to the Client, with what is fixed once the driver's config is known.
type DriverVendor struct {
	// Name names the vendor: "upwell", "bluetape" or "billbee".
	Name string
	// DefaultBaseURL is the server URL of the vendor's spec.
	DefaultBaseURL string
	// Fields lists the portable fields the vendor stores, and where.
	Fields []FieldMapping
	// Header is set on every request: the credentials and Accept.
	Header http.Header
	// Secrets lists every credential value and encoded form (see
	// driver.BasicAuthSecret) to scrub from errors and logs.
	Secrets []string
	// Account is a fingerprint of the credential (driver.CredentialID of
	// its parts, never the credential): updates through equal accounts
	// reach the same vendor records.
	Account string
	// Limits lists the rate limits the requests of one spec operation are
	// subject to, asked once per DriverConn.Doer; nil when the vendor has
	// none. Keys identify the credential by driver.CredentialID, never by
	// the credential.
	Limits func(operationID string) []Limit
}

// DriverConn is for drivers only (driver.Conn): what a driver's generated
// client sends through, the base URL (after WithBaseURL) and the Client's
// transport. Only the Client makes one.
type DriverConn struct {
	// BaseURL is the server URL, without a trailing slash.
	BaseURL string
	t       *transport
}

// Server is BaseURL as the generated clients' Server field wants it, with
// a trailing slash.
func (c DriverConn) Server() string { return c.BaseURL + "/" }

// Doer returns what sends the requests of the spec operation operationID
// (its operationId in the vendor's spec): the Client's transport, which
// names the operation in rate limits (DriverVendor.Limits), errors, logs
// and attempts. A driver asks for one per operation when it opens, and
// sends every request of that operation through it.
func (c DriverConn) Doer(operationID string) DriverDoer {
	if c.t == nil {
		return unbuiltConn{}
	}
	return c.t.doer(operationID)
}

// DriverDoer is for drivers only (driver.HTTPDoer): what DriverConn.Doer
// returns. It has the shape of the generated clients' HttpRequestDoer.
type DriverDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// unbuiltConn is the doer of a DriverConn the Client did not make: it has
// no transport, so it sends nothing.
type unbuiltConn struct{}

func (unbuiltConn) Do(*http.Request) (*http.Response, error) {
	return nil, &Error{Code: Internal, Message: "this DriverConn was not made by NewDriverClient; it has no transport and cannot send"}
}

// NewDriverClient is for drivers only (driver.NewClient): vendor packages
// call it from their constructors. It checks the options and builds the
// transport, then calls open with it, so a driver exists only complete;
// open returns the driver, its generated client built on conn, or an
// error, which the Client returns stamped with the vendor.
func NewDriverClient(v DriverVendor, open func(conn DriverConn) (Driver, error), opts ...Option) (*Client, error) {
	cfg, cfgErr := newClientConfig(opts)
	c := &Client{
		vendor:    v.Name,
		fields:    slices.Clone(v.Fields),
		account:   v.Account,
		cfg:       cfg,
		scrub:     newScrubber(v.Secrets),
		supported: map[string]bool{},
	}
	if cfgErr != nil {
		return nil, c.stamp(cfgErr, nil)
	}
	for _, m := range c.fields {
		c.supported[m.Field] = true
	}
	base := cfg.baseURL
	if base == "" {
		base = v.DefaultBaseURL
	}
	if err := checkBaseURL(base); err != nil {
		return nil, c.stamp(err, nil)
	}
	c.baseURL = strings.TrimSuffix(base, "/")
	// The drivers get the base URL as url.URL.String writes it (users see
	// it as they wrote it): every path character that must be escaped
	// is, so the generated builders, which join it with the path as
	// strings (gen/client.tmpl), build the URL upstream's template
	// resolves; a raw "ü" or "|" would make url.Parse drop the path's
	// escapes, an id's %2F included.
	parsed, _ := url.Parse(base) // checkBaseURL parsed it already
	connBase := strings.TrimSuffix(parsed.String(), "/")
	if def, err := url.Parse(v.DefaultBaseURL); err == nil && connBase != strings.TrimSuffix(def.String(), "/") {
		// Another server (a staging tenant, a proxy) holds other records
		// under the same credential: what one confirmed is not the other's.
		sum := sha256.Sum256([]byte(connBase))
		c.account += "@" + hex.EncodeToString(sum[:6])
	}
	limiter := cfg.limiter
	if !cfg.limiterSet {
		limiter = NewRateLimiter()
	}
	if err := checkRoundTripper(cfg); err != nil {
		return nil, c.stamp(err, nil)
	}
	sending := sendingClient(cfg.httpClient, cfg.roundTrip, cfg.testTLS)
	c.pool, _ = sending.Transport.(*pooledTransport)
	if err := wrapTransport(sending, parsed.Host, cfg.wrapTransport); err != nil {
		return nil, c.stamp(err, nil)
	}
	header := make(http.Header, len(v.Header))
	for name, values := range v.Header {
		header[http.CanonicalHeaderKey(name)] = values
	}
	c.tel = newTelemetry(cfg, v.Name, parsed.Host, parsed.Scheme)
	tr := newTransport(v.Name, parsed.Host, sending, cfg.logger, c.scrub, limiter, v.Limits, header, c.tel)
	drv, err := open(DriverConn{BaseURL: connBase, t: tr})
	if err != nil {
		return nil, c.stamp(err, nil)
	}
	if drv == nil {
		return nil, c.stamp(&Error{Code: Internal, Message: "the driver's open returned neither a driver nor an error"}, nil)
	}
	c.drv = drv
	return c, nil
}

// Vendor names the vendor this client updates.
func (c *Client) Vendor() string { return c.vendor }

// BaseURL is the server URL requests go to.
func (c *Client) BaseURL() string { return c.baseURL }

// Fields lists the portable fields this vendor stores, and where.
func (c *Client) Fields() []FieldMapping { return slices.Clone(c.fields) }

// Account is a fingerprint of the client's credential and, when the
// client talks to a server other than the vendor's own (WithBaseURL), of
// that server's URL; never the credential. Clients with equal credentials
// at the same server have equal accounts, and reach the same records. It
// is what a sync state store keys records by, with Vendor and Key.
func (c *Client) Account() string { return c.account }

// Key returns the vendor's own key for the record u addresses, after the
// client's defaults: Upwell's is sourceSystem + id (as a JSON array,
// ["ACME","C-1001"]), BlueTape's and Billbee's the id. Two updates with
// equal keys address the same record, whatever else differs, valid or
// not: a bulk run holds a customer's later updates back behind a failed
// one, an invalid one included.
func (c *Client) Key(u *CustomerUpdate) string {
	if u == nil || c == nil || c.drv == nil {
		return ""
	}
	return c.drv.Key(u)
}

// errNotBuilt is what a Client that no vendor package built answers: a
// zero Client has no driver, no transport and no credentials.
func errNotBuilt() *Error {
	return invalidArgument("", "this Client was not built by a vendor package (upwell.New, adapter/vendors.FromEnv, ...); a zero Client cannot send")
}

// Update sends one customer update. Input problems fail with an
// InvalidArgument *Error naming the field before anything is sent; vendor
// failures are *Error with the portable code; a canceled or expired ctx
// returns ctx's error as it is.
func (c *Client) Update(ctx context.Context, u *CustomerUpdate, opts ...CallOption) (*Result, error) {
	if c == nil || c.drv == nil {
		return nil, errNotBuilt()
	}
	ctx, span := c.tel.startCall(ctx, "update")
	var state *callState
	res, err := c.update(ctx, u, opts, &state)
	c.tel.endCall(ctx, span, "update", state, res, err)
	return res, err
}

// update is Update within its span; *sent is set to the call's state
// once the driver is called, so that the span tells a call refused
// before anything was sent from one that failed.
func (c *Client) update(ctx context.Context, u *CustomerUpdate, opts []CallOption, sent **callState) (*Result, error) {
	call, err := c.cfg.call.with("Update", opts)
	if err != nil {
		return nil, c.stamp(err, nil) // nothing sent
	}
	if u == nil {
		return nil, c.stamp(invalidArgument("", "no update given"), nil)
	}
	if err := u.validate(); err != nil {
		return nil, c.stamp(err, nil)
	}
	var dropped []string
	set := u.setMask() // one pass over the fields for every check below and Result.Sent
	if bad := set &^ c.supportedMask(); bad != 0 {
		unsupported := fieldNames(bad)
		if !call.lenient {
			return nil, c.stamp(invalidArgument(unsupported[0],
				"%s cannot store %s; remove %s or update leniently to drop %s",
				c.vendor, strings.Join(unsupported, ", "), plural(unsupported, "it", "them"), plural(unsupported, "it", "them")), nil)
		}
		u = u.without(unsupported)
		dropped = unsupported
		set &^= bad
	}
	if set&^sourceSystemBit == 0 { // sourceSystem is part of Upwell's key, not a change
		return nil, c.stamp(invalidArgument("", "the update sets no field %s can store; nothing to send", c.vendor), nil)
	}
	if err := c.drv.Validate(u); err != nil {
		return nil, c.stamp(err, nil)
	}

	callCtx, state := withCallState(ctx, call)
	*sent = state
	res, err := c.drv.Update(callCtx, u, DriverCall{DryRun: call.dryRun})
	if err != nil {
		err = c.stamp(err, state)
		c.log(ctx, u, nil, err)
		return nil, err
	}
	res.Vendor = c.vendor
	res.ID = u.ID
	res.Attempts = state.attempts
	res.Sent = fieldNames(set)
	res.Dropped = dropped
	if res.Dropped == nil {
		res.Dropped = []string{}
	}
	if res.Mismatches == nil {
		res.Mismatches = []Mismatch{}
	}
	if res.RequestID == "" {
		res.RequestID = state.requestID
	}
	if res.RequestID != "" {
		res.RequestID = excerpt([]byte(c.scrub.scrub(res.RequestID)), maxCodeBytes)
	}
	if call.strict && len(res.Mismatches) > 0 {
		err := c.stamp(mismatchError(res), state)
		c.log(ctx, u, nil, err)
		return nil, err
	}
	c.log(ctx, u, res, nil)
	return res, nil
}

// Check verifies the client's configuration with one request that writes
// nothing: nil when the vendor accepted the credentials and the base URL
// serves its API. Otherwise it returns an *Error: PermissionDenied for
// refused credentials and FailedPrecondition naming the URL for a base URL
// with no such endpoint, both with Config set; Unavailable and the like
// when the vendor could not say (it retries those as Update does). A
// driver without such a request (see DriverChecker) makes it return a
// FailedPrecondition *Error saying so, with nothing sent. The call
// options apply as to Update; pacing too, so on Billbee a check costs one
// request of the rate limit.
func (c *Client) Check(ctx context.Context, opts ...CallOption) error {
	if c == nil || c.drv == nil {
		return errNotBuilt()
	}
	ctx, span := c.tel.startCall(ctx, "check")
	var state *callState
	err := c.check(ctx, opts, &state)
	c.tel.endCall(ctx, span, "check", state, nil, err)
	return err
}

// check is Check within its span, as update is Update.
func (c *Client) check(ctx context.Context, opts []CallOption, sent **callState) error {
	call, err := c.cfg.call.with("Check", opts)
	if err != nil {
		return c.stamp(err, nil)
	}
	checker, ok := c.drv.(DriverChecker)
	if !ok {
		return c.stamp(&Error{Code: FailedPrecondition, Message: c.vendor + "'s driver has no request that writes nothing, so Check cannot verify the configuration; nothing was sent"}, nil)
	}
	callCtx, state := withCallState(ctx, call)
	*sent = state
	if err := checker.Check(callCtx); err != nil {
		return c.stamp(err, state)
	}
	return nil
}

// mismatchError is how WithStrict reports a verified write that did not
// store what was sent. The update was applied, so it is not retryable:
// sending it again would store the same thing.
func mismatchError(res *Result) *Error {
	parts := make([]string, len(res.Mismatches))
	for i, m := range res.Mismatches {
		parts[i] = m.String()
	}
	return &Error{
		Code:       Internal,
		HTTPStatus: res.HTTPStatus,
		RequestID:  res.RequestID,
		Field:      res.Mismatches[0].Field,
		Mismatches: res.Mismatches,
		Message: fmt.Sprintf("the vendor confirmed the update but stored %d %s otherwise than sent (%s); the update was applied",
			len(parts), plural(parts, "field", "fields"), strings.Join(parts, "; ")),
	}
}

// supportedMask is the set of fields (bits by updateFields index) the
// vendor stores, worked out on first use.
func (c *Client) supportedMask() fieldMask {
	c.supportedOnce.Do(func() {
		for i, f := range updateFields {
			if c.supported[f.name] {
				c.supportedBits |= 1 << i
			}
		}
	})
	return c.supportedBits
}

// stamp turns any failure into what Update returns: context errors as
// they are, everything else as a scrubbed *Error carrying the vendor, the
// attempt count and, unless the error names them, the operation and
// request id of the last request sent (the drivers' errors leave them to
// the Client, which knows what went out).
func (c *Client) stamp(err error, state *callState) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		var e *Error
		if !errors.As(err, &e) {
			if errors.Is(err, context.Canceled) {
				return context.Canceled
			}
			return context.DeadlineExceeded
		}
	}
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Code: Unknown, Err: err}
	}
	e.Vendor = c.vendor
	e.Config = e.Config || e.Code == PermissionDenied
	if state != nil {
		e.Attempts = state.attempts
		if e.Operation == "" {
			e.Operation = state.operation
		}
		if e.RequestID == "" {
			e.RequestID = state.requestID
		}
	}
	c.scrub.scrubError(e)
	return e
}

func (c *Client) log(ctx context.Context, u *CustomerUpdate, res *Result, err error) {
	level := slog.LevelInfo
	if err != nil {
		level = slog.LevelWarn
	}
	if c.cfg.logger == nil || !c.cfg.logger.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{slog.String("vendor", c.vendor), slog.String("id", u.ID)}
	if err != nil {
		// Fields, not err.Error(): that may carry a body excerpt, and logs
		// hold no bodies.
		attrs = append(attrs, slog.String("code", CodeOf(err).String()))
		var e *Error
		if errors.As(err, &e) {
			attrs = append(attrs, slog.String("operation", e.Operation), slog.Int("status", e.HTTPStatus),
				slog.String("vendorCode", e.VendorCode), slog.String("message", e.Message), slog.Int("attempts", e.Attempts))
		}
		c.cfg.logger.LogAttrs(ctx, slog.LevelWarn, "custsync update failed", attrs...)
		return
	}
	attrs = append(attrs, slog.String("vendorId", res.VendorID), slog.Int("status", res.HTTPStatus),
		slog.Int("attempts", res.Attempts), slog.Any("sent", res.Sent), slog.Any("dropped", res.Dropped))
	c.cfg.logger.LogAttrs(ctx, slog.LevelInfo, "custsync update", attrs...)
}

func plural(list []string, one, many string) string {
	if len(list) == 1 {
		return one
	}
	return many
}

// checkBaseURL refuses anything but https, except plain http to a loopback
// host (the sandbox, tests), and refuses credentials in the URL.
func checkBaseURL(raw string) error {
	if strings.IndexFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return invalidArgument("baseURL", "%s holds a space or a control character", redactedURL(strings.TrimSpace(raw)))
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return invalidArgument("baseURL", "%s is not an absolute URL", redactedURL(raw))
	}
	if u.User != nil {
		return invalidArgument("baseURL", "must not carry credentials; they come from the config")
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#") {
		return invalidArgument("baseURL", "must not have a query or fragment")
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return invalidArgument("baseURL", "port %q is not from 1 to 65535", port)
		}
	}
	for _, seg := range strings.Split(u.EscapedPath(), "/") {
		if seg == "." || seg == ".." {
			return invalidArgument("baseURL", "path %q has a . or .. segment; write the path it means", u.EscapedPath())
		}
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if loopback.Is(u.Hostname()) {
			return nil
		}
		return invalidArgument("baseURL", "plain http is refused for %s; use https (http is allowed only for loopback hosts)", u.Hostname())
	}
	return invalidArgument("baseURL", "scheme %q is not https", u.Scheme)
}

// String describes the client without credentials.
func (c *Client) String() string {
	return fmt.Sprintf("custsync %s client (%s)", c.vendor, c.baseURL)
}

// checkRoundTripper refuses a RoundTripper that may follow redirects: the
// credentials would go with them (see SingleRoundTripper).
// wrapTransport puts the WithTransportWrapper wrappers around the
// transport of sending. What the innermost is handed sends only to host,
// the base URL's: a wrapper that sends a request elsewhere (a redirect it
// followed) gets an error, not a request with the credentials.
func wrapTransport(sending *http.Client, host string, wraps []func(http.RoundTripper) http.RoundTripper) error {
	if len(wraps) == 0 {
		return nil
	}
	inner := sending.Transport
	if inner == nil {
		inner = http.DefaultTransport
	}
	var rt http.RoundTripper = hostGuard{next: inner, host: host}
	for i, wrap := range wraps {
		if rt = wrap(rt); isNil(rt) {
			return invalidOption("WithTransportWrapper", "wrapper %d of the list returned no RoundTripper", i+1)
		}
	}
	sending.Transport = rt
	return nil
}

// hostGuard sends requests to one host only, over https or to a loopback
// host: whatever a wrapper around it does, the credentials on its
// requests go nowhere else.
type hostGuard struct {
	next http.RoundTripper
	host string
}

func (g hostGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.EqualFold(req.URL.Host, g.host) {
		return nil, fmt.Errorf("refusing to send credentials to %s; they go only to the base URL's host %s", req.URL.Host, g.host)
	}
	if req.URL.Scheme != "https" && !(req.URL.Scheme == "http" && loopback.Is(req.URL.Hostname())) {
		return nil, fmt.Errorf("refusing to send credentials over %s to %s", req.URL.Scheme, req.URL.Hostname())
	}
	return g.next.RoundTrip(req)
}

// SingleRoundTrip declares that the guard makes one round trip, as its
// next does (an *http.Transport or a SingleRoundTripper).
func (hostGuard) SingleRoundTrip() {}

func checkRoundTripper(cfg clientConfig) error {
	check := func(option string, rt http.RoundTripper) error {
		switch rt.(type) {
		case nil, *http.Transport, SingleRoundTripper:
			return nil
		}
		return invalidArgument(option, "%T is not an *http.Transport: a RoundTripper of another kind may follow redirects and carry the credentials to another host; pass an *http.Transport (NewHTTPTransport), or one that declares adapter.SingleRoundTripper", rt)
	}
	if cfg.roundTrip != nil {
		return check("WithTransport", cfg.roundTrip)
	}
	if cfg.httpClient != nil {
		return check("WithHTTPClient", cfg.httpClient.Transport)
	}
	return nil
}
