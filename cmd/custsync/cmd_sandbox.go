package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/custsync/custsync/adapter/billbee"
	"github.com/custsync/custsync/adapter/bluetape"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

const sandboxUsage = `Usage: custsync sandbox [--addr 127.0.0.1:8080] [--synthetic N] [load-test flags]

Serves fake Upwell, BlueTape and Billbee APIs until interrupted (Ctrl-C),
with their seed customers, --synthetic more per vendor, and Billbee's
documented rate limits. It prints each vendor's base URL and the demo
credentials as export lines to paste into another shell; then point
update or push at it with --base-url. Its state lives in memory only.

To rehearse a nightly run, slow every vendor down (--latency, --jitter),
make it fail some requests (--fault-503, --fault-500, --fault-429,
--fault-reset: shares of requests, 0 to 1, drawn reproducibly), and
tighten Billbee's throttle (--billbee-per-endpoint, --billbee-window,
--billbee-retry-after). What a vendor holds can be read, never changed,
at /_sandbox/{vendor}/customers/{id} and its traffic at
/_sandbox/{vendor}/stats (JSON; no vendor serves /_sandbox).

Flags:
%flags%
Examples:
  custsync sandbox --addr 127.0.0.1:8080 --synthetic 1000
  # in another shell, after pasting the export lines it prints:
  custsync push --vendor upwell --base-url http://127.0.0.1:8080/upwell --file examples/upwell.jsonl
`

func (a *app) sandbox(args []string) int {
	fs := newFlagSet("sandbox", sandboxUsage)
	addr := fs.String("addr", "127.0.0.1:8080", "listen on `HOST:PORT` (port 0 picks a free one)")
	synthetic := fs.Int("synthetic", 0, "add `N` synthetic customers per vendor (ids S-00001..., synthetic-00001..., 200000000000001...)")
	throttle := fs.Bool("billbee-throttle", true, "enforce Billbee's documented rate limits (2 requests/s per endpoint);\n--billbee-throttle=false turns them off")
	var faults sandbox.Faults
	fs.DurationVar(&faults.Latency, "latency", 0, "add `D` to every request of every vendor (e.g. 80ms)")
	fs.DurationVar(&faults.Jitter, "jitter", 0, "add a further random delay in [0, `D`)")
	fs.Float64Var(&faults.UnavailableRate, "fault-503", 0, "answer this `share` of requests 503 before processing")
	fs.Float64Var(&faults.InternalErrorRate, "fault-500", 0, "answer this `share` of requests 500 before processing")
	fs.Float64Var(&faults.TooManyRequestsRate, "fault-429", 0, "answer this `share` of requests 429 before processing")
	fs.Float64Var(&faults.ResetRate, "fault-reset", 0, "reset the connection of this `share` of requests before processing")
	billbee := sandbox.BillbeeThrottle()
	fs.IntVar(&billbee.PerEndpoint, "billbee-per-endpoint", billbee.PerEndpoint, "Billbee's throttle: `N` requests per endpoint per window (API key + user)")
	fs.DurationVar(&billbee.Window, "billbee-window", time.Second, "Billbee's throttle: the rolling window `D`")
	fs.DurationVar(&billbee.RetryAfter, "billbee-retry-after", 0, "send Retry-After `D` with Billbee's 429s (default none, as Billbee)")
	if code, done := a.parse(fs, args); done {
		return code
	}
	if *synthetic < 0 {
		return a.fail("sandbox", usagef("--synthetic %d: want 0 or more", *synthetic))
	}
	if err := faults.Validate(); err != nil {
		return a.fail("sandbox", usagef("%s", strings.TrimPrefix(err.Error(), "sandbox: ")))
	}
	if err := billbee.Validate(); err != nil || billbee.PerEndpoint < 1 || billbee.Window <= 0 {
		return a.fail("sandbox", usagef("--billbee-per-endpoint wants 1 or more and --billbee-window a positive duration"))
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return a.fail("sandbox", err)
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		fmt.Fprintf(a.stderr, "custsync sandbox: warning: listening on %s, beyond this machine, with publicly known demo credentials\n", ln.Addr())
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1" // reachable locally; clients accept http only for loopback hosts
	}
	root := "http://" + net.JoinHostPort(host, port)

	opts := []sandbox.Option{sandbox.WithSyntheticCustomers(*synthetic)}
	if *throttle {
		opts = append(opts, sandbox.WithThrottle(specs.Billbee, billbee))
	}
	if faults != (sandbox.Faults{}) {
		for _, v := range specs.Vendors {
			opts = append(opts, sandbox.WithFaults(v, faults))
		}
	}
	sb := sandbox.New(opts...)
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	printSandboxBanner(a, root)

	select {
	case <-a.stop.Done():
	case err := <-serveErr:
		return a.fail("sandbox", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		fmt.Fprintf(a.stderr, "custsync sandbox: shutting down: %v\n", err)
	}
	for _, v := range specs.Vendors {
		st := sb.Stats(v)
		fmt.Fprintf(a.stdout, "sandbox: %s served %d requests (%d answered 429)\n", v, st.Requests, st.TooManyRequests)
	}
	return exitOK
}

func printSandboxBanner(a *app, root string) {
	creds := sandbox.DefaultCredentials()
	w := a.stdout
	fmt.Fprintf(w, "custsync sandbox listening on %s (Ctrl-C to stop)\n\n", root)
	fmt.Fprintf(w, "Base URLs (pass with --base-url):\n")
	for _, v := range specs.Vendors {
		fmt.Fprintf(w, "  %-9s %s%s\n", v, root, sandbox.BasePath(v))
	}
	fmt.Fprintf(w, "\nRead-only inspection: %s%s{vendor}/customers/{id} and %s{vendor}/stats\n", root, sandbox.InspectPath, sandbox.InspectPath)
	fmt.Fprintf(w, "\nDemo credentials (paste into the shell you run custsync in):\n")
	for _, kv := range [][2]string{
		{upwell.EnvAPIKey, creds.UpwellAPIKey},
		{upwell.EnvSourceSystem, sandbox.UpwellSourceSystem},
		{bluetape.EnvAPIKey, creds.BlueTapeAPIKey},
		{bluetape.EnvAccountID, creds.BlueTapeAccountID},
		{billbee.EnvAPIKey, creds.BillbeeAPIKey},
		{billbee.EnvUsername, creds.BillbeeUsername},
		{billbee.EnvAPIPassword, creds.BillbeeAPIPassword},
	} {
		fmt.Fprintf(w, "export %s=%s\n", kv[0], kv[1])
	}
	fmt.Fprintf(w, "\nThen, for example:\n")
	fmt.Fprintf(w, "  custsync push --vendor upwell --base-url %s%s --file examples/upwell.jsonl\n", root, sandbox.BasePath(specs.Upwell))
	fmt.Fprintf(w, "  custsync update --vendor billbee --base-url %s%s --file examples/customer.json\n", root, sandbox.BasePath(specs.Billbee))
}
