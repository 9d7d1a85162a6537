package bulk

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/custsync/custsync/adapter"
)

// Halt says why a bulk run stopped starting records on its own: the
// vendor could not be reached at all (see WithUnreachableAfter), too
// many records in a row failed retryably (see WithHaltAfter), or the
// setup is wrong (see WithSetupCheck). Every
// record the run did not send then fails with an Unavailable *adapter.Error that
// wraps the Halt, so errors.As(out.Err, &halt) tells a halted run's
// records from others, and halt.Reason says why, for people.
type Halt struct {
	// Reason says what made the run halt, e.g. "the vendor could not be
	// reached for 20s (connection refused)".
	Reason string
	// Last is the failure that tipped the run over.
	Last error
	// Setup is set when the run's setup is at fault (credentials, base
	// URL, host; see WithSetupCheck), not its records: no record needs
	// fixing, and each must be pushed again once the setup is fixed.
	Setup bool
}

func (h *Halt) Error() string {
	if h.Last == nil {
		return "the bulk run halted: " + h.Reason
	}
	return fmt.Sprintf("the bulk run halted: %s (last: %v)", h.Reason, h.Last)
}

// Unwrap returns the failure that tipped the run over.
func (h *Halt) Unwrap() error { return h.Last }

// haltedError is the error of a record a halted run did not send, or
// cut short in flight.
func haltedError(h *Halt, inFlight bool) *adapter.Error {
	e := &adapter.Error{Code: adapter.Unavailable, Retryable: true, Err: h}
	var last *adapter.Error
	if errors.As(h.Last, &last) {
		e.Vendor = last.Vendor
	}
	if inFlight {
		e.Message = "cut short in flight: the run halted: " + h.Reason
	} else {
		e.Message = "not sent: the run halted: " + h.Reason
	}
	if h.Last != nil {
		e.Message += fmt.Sprintf(" (last: %v)", h.Last)
	}
	return e
}

// failureStreak counts records in a row that ended in a retryable failure
// and halts the feed when there are too many.
type failureStreak struct {
	limit int
	halt  func(*Halt)
	mu    sync.Mutex
	n     int
}

func (s *failureStreak) record(out Outcome) {
	if s.limit <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if out.Err == nil || !retryable(out.Err) {
		s.n = 0 // the vendor answered
		return
	}
	s.n++
	if s.n == s.limit {
		s.halt(&Halt{Reason: fmt.Sprintf("%d records in a row failed with retryable errors", s.limit), Last: out.Err})
	}
}

// reachability halts a run once the vendor has been unreachable for a
// while: every attempt since the first one that could not reach it ended
// the same way, and none was answered. Retries cannot help a refused
// connection, a host name that does not resolve or a certificate that
// does not verify, so the run says so within seconds instead of trying
// every record at full length. Other network errors (a reset, a timeout)
// come from a vendor that was reached, and neither start nor stop the
// clock.
type reachability struct {
	after time.Duration
	halt  func(*Halt)

	mu    sync.Mutex
	timer *time.Timer // running while the vendor is unreachable
	gen   int         // bumped by every answer, so a stale timer does nothing
	why   string
	last  error
	// beforeNetwork: the last failure sent nothing at all (a shared
	// limiter is down), not one the vendor's network refused.
	beforeNetwork bool
}

// attempt hears the end of one HTTP attempt (or, for a Client that does
// not report its attempts, of one call): nil when the vendor answered.
func (r *reachability) attempt(err error) {
	if r.after <= 0 {
		return
	}
	why, down := unreachable(err)
	if err != nil && !down {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !down { // an answer: the vendor is there
		if r.timer != nil {
			r.timer.Stop()
			r.timer = nil
			r.gen++
		}
		return
	}
	r.why, r.last = why, err
	r.beforeNetwork = beforeNetwork(err)
	if r.timer == nil {
		gen := r.gen
		r.timer = time.AfterFunc(r.after, func() { r.fire(gen) })
	}
}

func (r *reachability) fire(gen int) {
	r.mu.Lock()
	if gen != r.gen || r.timer == nil {
		r.mu.Unlock()
		return
	}
	reason := fmt.Sprintf("the vendor could not be reached for %s (%s)", r.after, r.why)
	if r.beforeNetwork {
		reason = fmt.Sprintf("nothing could be sent for %s (%s)", r.after, r.why)
	}
	h := &Halt{Reason: reason, Last: r.last}
	r.mu.Unlock()
	r.halt(h)
}

// stop ends the clock when the run is over.
func (r *reachability) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	r.gen++
}

// unreachable reports whether err says the vendor cannot be reached at
// all, and how, in words: the connection was refused, the host has no
// route or no address, or TLS could not be set up. None of these reaches
// the vendor's application, so nothing was applied.
func unreachable(err error) (why string, ok bool) {
	if err == nil {
		return "", false
	}
	var (
		dns       *net.DNSError
		verify    *tls.CertificateVerificationError
		header    tls.RecordHeaderError
		authority x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		alert     tls.AlertError
	)
	switch {
	case beforeNetwork(err): // first: the limiter's error wraps its own refused dial
		var e *adapter.Error
		errors.As(err, &e)
		return e.Message, true
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused", true
	case dialTimedOut(err):
		// A firewall that drops packets: no connection, so nothing sent.
		return "connecting timed out", true
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to the host", true
	case errors.As(err, &dns):
		return "the host name does not resolve: " + dns.Err, true
	case errors.As(err, &verify), errors.As(err, &authority), errors.As(err, &hostname), errors.As(err, &invalid):
		return "the TLS certificate does not verify", true
	case errors.As(err, &header), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		// net/http reports the second without wrapping the TLS error.
		return "the server does not speak TLS", true
	case errors.As(err, &alert):
		return "the TLS handshake failed: " + alert.Error(), true
	}
	return "", false
}

// dialTimedOut reports a connection that could not be set up in time.
func dialTimedOut(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial" && op.Timeout()
}

// beforeNetwork reports a call that could send nothing because something
// it needs before the network is down: a shared rate limiter (Redis) that
// cannot pace it fails Unavailable with no attempt made. Such a run is as
// stuck as one whose vendor refuses connections, and halts the same way.
func beforeNetwork(err error) bool {
	var e *adapter.Error
	var halt *Halt
	return errors.As(err, &e) && e.Code == adapter.Unavailable && e.HTTPStatus == 0 && e.Attempts == 0 && !errors.As(err, &halt)
}

// errorIsContext reports whether err is a bare context error.
func errorIsContext(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// silence halts a run once records have been in flight for a while and
// the vendor answered none of them: a vendor that accepts connections
// and never answers ties every worker up for an attempt's timeout times
// its retries, record after record, and would take hours to halt on a
// streak of failures.
type silence struct {
	after time.Duration
	halt  func(*Halt)

	mu       sync.Mutex
	inFlight int
	timer    *time.Timer // running while records are in flight and none answered
	gen      int
}

// start notes a record whose calls begin.
func (s *silence) start() {
	if s.after <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight++
	if s.timer == nil {
		gen := s.gen
		s.timer = time.AfterFunc(s.after, func() { s.fire(gen) })
	}
}

// end notes a record whose calls are over.
func (s *silence) end() {
	if s.after <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight--
	if s.inFlight == 0 {
		s.reset()
	}
}

// answered notes an answer of the vendor: the clock starts again.
func (s *silence) answered() {
	if s.after <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reset()
	if s.inFlight > 0 {
		gen := s.gen
		s.timer = time.AfterFunc(s.after, func() { s.fire(gen) })
	}
}

// reset stops the clock. s.mu is held.
func (s *silence) reset() {
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	s.gen++
}

func (s *silence) fire(gen int) {
	s.mu.Lock()
	if gen != s.gen || s.timer == nil {
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.halt(&Halt{Reason: fmt.Sprintf("the vendor answered none of the records in flight for %s", s.after)})
}

// stop ends the clock when the run is over.
func (s *silence) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reset()
}

// setupCheck keeps a run from spending its input on a wrong setup (a
// wrong key, a mistyped base URL or host). Until the vendor answers a
// record with anything but a configuration error, the run sends one
// record at a time; it
// halts once limit records in a row failed with a configuration error
// (adapter.Error.Config), or, while the setup is unproven, once limit
// attempts in a row could not reach the vendor at all. A wrong setup then
// costs limit requests, not one per record, and says why within seconds.
type setupCheck struct {
	limit int
	widen func() // lets the run send WithConcurrency records at once
	// halt ends the feed: records in flight finish, as they may succeed
	// (a refused key is not refused mid-run for the record in flight).
	// cutShort also cuts short the calls in flight, for a vendor that
	// cannot be reached: none of them can.
	halt, cutShort func(*Halt)

	mu        sync.Mutex
	proven    bool
	faults    int // records in a row that failed with a configuration error
	unreached int // attempts in a row that could not reach the vendor, while unproven
}

// attempt hears the end of one HTTP attempt: err is nil when the vendor
// answered.
func (s *setupCheck) attempt(err error) {
	if s.limit <= 0 {
		return
	}
	if beforeNetwork(err) {
		return // a shared limiter that is down says nothing of the setup
	}
	why, down := unreachable(err)
	s.mu.Lock()
	if s.proven || !down {
		s.unreached = 0
		s.mu.Unlock()
		return
	}
	s.unreached++
	tipped := s.unreached == s.limit
	s.mu.Unlock()
	if tipped {
		s.cutShort(&Halt{Reason: fmt.Sprintf("the vendor could not be reached in its first %d attempts (%s): check the base URL's host and port", s.limit, why), Last: err, Setup: true})
	}
}

// record hears how a record the run sent ended.
func (s *setupCheck) record(out Outcome) {
	if s.limit <= 0 {
		return
	}
	var e *adapter.Error
	fault := errors.As(out.Err, &e) && e.Config
	s.mu.Lock()
	switch {
	case fault:
		s.faults++
		if s.faults == s.limit {
			s.mu.Unlock()
			s.halt(&Halt{Reason: setupFaultReason(e, s.limit), Last: out.Err, Setup: true})
			return
		}
	case provesSetup(out):
		s.faults = 0
		fallthrough
	case answered(out):
		if !s.proven {
			s.proven = true
			s.mu.Unlock()
			s.widen()
			return
		}
	}
	s.mu.Unlock()
}

// provesSetup reports whether out shows that the credentials and base URL
// work: the vendor took the update, or refused it for the record's own
// sake (a customer it does not have, a value it rejects), which it does
// only past its authentication and routing.
func provesSetup(out Outcome) bool {
	if out.Status == Succeeded || out.Status == Unchanged {
		return true
	}
	var e *adapter.Error
	return errors.As(out.Err, &e) && e.HTTPStatus != 0 && !e.Retryable && !e.Config
}

// answered reports whether the vendor answered out's record with anything
// but a configuration error, such as a 429 or a 5xx after every retry.
// That proves neither the credentials nor the base URL (a throttle or a
// failing gateway may answer before both), so the count of configuration
// errors goes on; but the run widens all the same. A vendor that fails
// for a while would otherwise be tried one record at a time, each after
// all its retries, until the run halted on WithHaltAfter many hours on;
// and a wrong setup still halts on its third refusal, with at most the
// records in flight sent beside.
func answered(out Outcome) bool {
	var e *adapter.Error
	return errors.As(out.Err, &e) && e.HTTPStatus != 0 && !e.Config
}

// setupFaultReason says what limit configuration errors in a row mean,
// for people.
func setupFaultReason(e *adapter.Error, limit int) string {
	vendor := e.Vendor
	if vendor == "" {
		vendor = "the vendor"
	}
	if e.Code == adapter.PermissionDenied {
		return fmt.Sprintf("%s refused the credentials for %d records in a row (HTTP %d): check them; no line needs fixing", vendor, limit, e.HTTPStatus)
	}
	return fmt.Sprintf("%d records in a row found no %s endpoint at the base URL (HTTP %d): check the base URL; no line needs fixing", limit, vendor, e.HTTPStatus)
}
