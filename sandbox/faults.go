package sandbox

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/custsync/custsync/specs"
)

// Fault is one kind of injected failure.
type Fault int

// The faults the sandbox can inject. The "before" faults are decided and
// answered before the request is looked at, so they never change state;
// FaultResetAfterApply and FaultTruncate run the request first, so an
// update has taken effect although the client sees a failure, which is
// what a retry after a timeout must cope with.
const (
	// FaultInternalError answers 500 in the vendor's error form.
	FaultInternalError Fault = iota + 1
	// FaultUnavailable answers 503 in the vendor's error form.
	FaultUnavailable
	// FaultBadGateway answers 502 with a proxy's HTML page
	// (Content-Type text/html), as seen in front of Billbee.
	FaultBadGateway
	// FaultTooManyRequests answers 429 as the vendor's throttle does,
	// with Retry-After only if the vendor's Throttle sets RetryAfter.
	FaultTooManyRequests
	// FaultReset resets the connection before the request is processed:
	// the client gets a transport error and nothing changed. Resets and
	// truncation hijack the HTTP/1 connection; where there is none to
	// hijack (HTTP/2, an httptest.ResponseRecorder) the handler panics with
	// http.ErrAbortHandler, which net/http turns into a reset stream.
	FaultReset
	// FaultResetAfterApply processes the request (an update is applied),
	// then resets the connection without answering.
	FaultResetAfterApply
	// FaultTruncate processes the request (an update is applied), then
	// sends the status line, headers and a Content-Length for the whole
	// answer but only part of the body, and closes the connection: the
	// client reads io.ErrUnexpectedEOF.
	FaultTruncate
)

var faultNames = map[Fault]string{
	FaultInternalError:   "internal error (500)",
	FaultUnavailable:     "unavailable (503)",
	FaultBadGateway:      "bad gateway (HTML 502)",
	FaultTooManyRequests: "too many requests (429)",
	FaultReset:           "connection reset",
	FaultResetAfterApply: "connection reset after apply",
	FaultTruncate:        "truncated body after apply",
}

func (f Fault) String() string {
	if s, ok := faultNames[f]; ok {
		return s
	}
	return "Fault(" + strconv.Itoa(int(f)) + ")"
}

// badGatewayHTML is the body of FaultBadGateway, a typical proxy page.
const badGatewayHTML = "<html><body><h1>502 Bad Gateway</h1></body></html>"

// Faults configures random fault injection for one vendor. Each request
// draws once: with probability InternalErrorRate it gets a 500, with
// UnavailableRate a 503, and so on; the rates must each lie in [0, 1] and
// sum to at most 1. Draws come from a generator seeded by WithSeed, so a
// given sequence of requests meets the same faults on every run.
//
// The zero value injects nothing.
type Faults struct {
	// Latency is added to every request before anything else happens.
	Latency time.Duration
	// Jitter adds a further uniformly random delay in [0, Jitter).
	Jitter time.Duration

	// InternalErrorRate is the share of requests answered 500 before
	// processing.
	InternalErrorRate float64
	// UnavailableRate is the share answered 503 before processing.
	UnavailableRate float64
	// BadGatewayRate is the share answered with an HTML 502 before
	// processing.
	BadGatewayRate float64
	// ResetRate is the share whose connection is reset before processing.
	ResetRate float64
	// ResetAfterApplyRate is the share that is processed (updates are
	// applied) and then reset without an answer.
	ResetAfterApplyRate float64
	// TruncateRate is the share that is processed (updates are applied)
	// and then answered with a truncated body.
	TruncateRate float64
	// TooManyRequestsRate is the share answered 429 before processing, as
	// a vendor throttling for reasons of its own (other tenants, a
	// stricter window than documented) does.
	TooManyRequestsRate float64
}

// rates lists the random faults in draw order.
func (f Faults) rates() []struct {
	fault Fault
	rate  float64
} {
	return []struct {
		fault Fault
		rate  float64
	}{
		{FaultInternalError, f.InternalErrorRate},
		{FaultUnavailable, f.UnavailableRate},
		{FaultBadGateway, f.BadGatewayRate},
		{FaultReset, f.ResetRate},
		{FaultResetAfterApply, f.ResetAfterApplyRate},
		{FaultTruncate, f.TruncateRate},
		{FaultTooManyRequests, f.TooManyRequestsRate},
	}
}

// Validate reports whether the configuration is usable.
func (f Faults) Validate() error {
	if f.Latency < 0 || f.Jitter < 0 {
		return errors.New("sandbox: Faults.Latency and Faults.Jitter must not be negative")
	}
	sum := 0.0
	for _, r := range f.rates() {
		if r.rate < 0 || r.rate > 1 || r.rate != r.rate {
			return fmt.Errorf("sandbox: Faults rate for %v is %v, want 0 to 1", r.fault, r.rate)
		}
		sum += r.rate
	}
	if sum > 1+1e-9 {
		return fmt.Errorf("sandbox: Faults rates sum to %v, want at most 1", sum)
	}
	return nil
}

// faultPlan is what happens to one request.
type faultPlan struct {
	delay  time.Duration
	before Fault // answered instead of processing; 0 for none
	after  Fault // applied to the answer after processing; 0 for none
}

// faultInjector decides faults for one vendor.
type faultInjector struct {
	mu      sync.Mutex
	rng     *rand.Rand
	cfg     Faults
	pending []Fault // FailNext queue, served before random draws
}

func newFaultInjector(seed uint64, v specs.Vendor, cfg Faults) *faultInjector {
	// One stream per vendor, so traffic to one vendor does not shift the
	// faults another vendor's requests meet.
	stream := uint64(slices.Index(specs.Vendors, v) + 1)
	return &faultInjector{rng: rand.New(rand.NewPCG(seed, stream)), cfg: cfg}
}

func (fi *faultInjector) set(cfg Faults) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	fi.cfg = cfg
}

func (fi *faultInjector) failNext(n int, f Fault) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	for range n {
		fi.pending = append(fi.pending, f)
	}
}

// plan draws the same number of random values for every request whatever
// the configuration, so changing one rate does not reshuffle the others.
func (fi *faultInjector) plan() faultPlan {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	jitterDraw, faultDraw := fi.rng.Float64(), fi.rng.Float64()

	p := faultPlan{delay: fi.cfg.Latency + time.Duration(jitterDraw*float64(fi.cfg.Jitter))}
	var f Fault
	if len(fi.pending) > 0 {
		f, fi.pending = fi.pending[0], fi.pending[1:]
	} else {
		acc := 0.0
		for _, r := range fi.cfg.rates() {
			acc += r.rate
			if r.rate > 0 && faultDraw < acc {
				f = r.fault
				break
			}
		}
	}
	switch f {
	case FaultResetAfterApply, FaultTruncate:
		p.after = f
	default:
		p.before = f
	}
	return p
}

// reset drops the connection without an answer. SO_LINGER 0 makes the
// close send a TCP RST rather than a FIN, which is what a crashed proxy or
// a load balancer's idle reaper produces.
func (vs *vendorServer) reset(w http.ResponseWriter) {
	vs.stats.reset()
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not HTTP/1 (HTTP/2, a recorder): abort the handler, which the
		// server turns into a stream reset or a closed connection.
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// truncate writes rep's status line and headers with a Content-Length for
// the whole body, then half of the body, and closes the connection.
func (vs *vendorServer) truncate(w http.ResponseWriter, rep reply) {
	vs.stats.truncated(rep.status)
	full := len(rep.body)
	if full == 0 {
		full = 1 // claim a byte that never comes, so the cut is visible
	}
	part := rep.body[:len(rep.body)/2]

	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		h := w.Header()
		for k, v := range rep.header {
			h[k] = v
		}
		h.Set("Content-Length", strconv.Itoa(full))
		w.WriteHeader(rep.status)
		_, _ = w.Write(part)
		panic(http.ErrAbortHandler)
	}
	writeTruncated(buf.Writer, rep, full, part)
	_ = conn.Close() // the cut itself: the client sees it, the sandbox has nothing to add
}

func writeTruncated(bw *bufio.Writer, rep reply, full int, part []byte) {
	h := rep.header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set("Content-Length", strconv.Itoa(full))
	h.Set("Connection", "close")
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", rep.status, http.StatusText(rep.status))
	_ = h.Write(bw)
	_, _ = bw.WriteString("\r\n")
	_, _ = bw.Write(part)
	_ = bw.Flush()
}
