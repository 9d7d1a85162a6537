package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/billbee"
	"github.com/custsync/custsync/adapter/bluetape"
	"github.com/custsync/custsync/adapter/redislimit"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/adapter/vendors"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// sandboxSynthetic is how many synthetic customers per vendor the
// in-process sandbox of --sandbox holds beside the seed customers, so that
// example files and users' trials can address S-00001..., synthetic-00001...
// and 200000000000001... up to this number.
const sandboxSynthetic = 1000

// targetFlags are the flags update and push share: which vendor, where,
// and how.
type targetFlags struct {
	vendor    string
	baseURL   string
	baseSet   bool // --base-url was given, perhaps empty
	lenient   bool
	strict    bool
	sandbox   bool
	verbose   bool
	rateLimit string // a Redis URL; a secret when it carries a password
	rateSet   bool   // --rate-limit was given: '' turns $CUSTSYNC_RATE_LIMIT off
}

// envRateLimit is the environment's default for --rate-limit.
const envRateLimit = "CUSTSYNC_RATE_LIMIT"

func (f *targetFlags) register(fs *flag.FlagSet) {
	f.registerWhere(fs)
	fs.BoolVar(&f.lenient, "lenient", false, "drop fields the vendor cannot store instead of failing (the result lists them)")
	fs.BoolVar(&f.strict, "strict", false, "fail an update whose answer shows a field stored otherwise than sent\n(Upwell and Billbee answer with the stored record; case-only e-mail and format-only phone\ndifferences do not count); without it such fields are listed as mismatches")
}

// registerWhere registers the flags that say which vendor and where, not
// how to update: all that check needs.
func (f *targetFlags) registerWhere(fs *flag.FlagSet) {
	fs.StringVar(&f.vendor, "vendor", "", "the vendor to update: upwell, bluetape or billbee (required)")
	fs.Func("base-url", "replace the vendor's server `URL`, exactly as in the vendor's spec servers\n(BlueTape's includes /genericBthubService); https, or http for loopback hosts only",
		func(s string) error { f.baseURL, f.baseSet = s, true; return nil })
	fs.BoolVar(&f.sandbox, "sandbox", false, fmt.Sprintf("run against an in-process sandbox with its demo credentials (no environment needed);\nit holds the seed customers and %d synthetic ones per vendor, and its changes vanish on exit", sandboxSynthetic))
	fs.BoolVar(&f.verbose, "verbose", false, "log every HTTP attempt to stderr (never credentials or bodies)")
	// No default from the environment here: --help prints defaults, and
	// the URL may carry a password.
	fs.Func("rate-limit", "share the vendor's rate limits with every process using the same credential,\nthrough the Redis at `URL` (redis://HOST:PORT/DB, rediss:// for TLS; default $"+envRateLimit+";\n--rate-limit '' turns it off)",
		func(s string) error { f.rateLimit, f.rateSet = s, true; return nil })
}

// vendorNames lists the vendors custsync speaks, for messages.
func vendorNames() string {
	var names []string
	for _, v := range vendors.Names() {
		names = append(names, string(v))
	}
	return strings.Join(names, ", ")
}

func (f *targetFlags) check() (specs.Vendor, error) {
	if f.vendor == "" {
		return "", usagef("--vendor is required (%s)", vendorNames())
	}
	v, err := vendors.Parse(f.vendor)
	if err != nil {
		var ae *adapter.Error
		if errors.As(err, &ae) {
			return "", usagef("%s", ae.Message) // names the vendors, and the one meant
		}
		return "", usagef("unknown vendor %q (want one of %s)", f.vendor, vendorNames())
	}
	if f.baseSet && strings.TrimSpace(f.baseURL) == "" {
		// An unset variable in a script ("--base-url $SANDBOX_URL") must
		// not turn into the vendor's production server.
		return "", usagef("--base-url is empty; leave the flag out to use the vendor's own server")
	}
	if f.sandbox && f.baseURL != "" {
		return "", usagef("--sandbox and --base-url exclude each other: --sandbox serves its own URL")
	}
	return v, nil
}

// target is an open client and what to release when done with it.
type target struct {
	vendor specs.Vendor
	client *adapter.Client
	close  func()
}

// openTarget builds the client the flags describe: credentials from the
// environment through the driver's FromEnv, or, with --sandbox, an
// in-process sandbox and its demo credentials. Every failure here is a
// usage error: a missing variable, a bad --base-url. v is the vendor
// f.check returned: commands check the flags before opening anything.
func openTarget(v specs.Vendor, f targetFlags, stderr io.Writer) (*target, error) {
	opts := []adapter.Option{adapter.WithLenient(f.lenient), adapter.WithStrict(f.strict)}
	var logger *slog.Logger
	if f.verbose {
		logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		opts = append(opts, adapter.WithLogger(logger))
	}
	limiter, err := openRateLimit(f, logger, stderr)
	if err != nil {
		return nil, err
	}
	t, err := openClient(v, f, opts, limiter, stderr)
	if err != nil {
		if limiter != nil {
			_ = limiter.Close() // the error that matters is err
		}
		return nil, err
	}
	if limiter != nil {
		closeClient := t.close
		// Closing the Redis connections at exit: nothing is pending on them.
		t.close = func() { closeClient(); _ = limiter.Close() }
	}
	return t, nil
}

// openRateLimit connects to the Redis of --rate-limit (or
// CUSTSYNC_RATE_LIMIT), or returns nil when neither is set. A Redis that
// cannot be reached is a usage error naming its address, before any
// vendor request; the URL itself is never printed.
func openRateLimit(f targetFlags, logger *slog.Logger, stderr io.Writer) (*redislimit.Limiter, error) {
	url := f.rateLimit
	if url == "" && !f.rateSet {
		url = strings.TrimSpace(os.Getenv(envRateLimit))
	}
	if url == "" {
		return nil, nil
	}
	// go-redis logs every failed dial on its own; the limiter reports
	// outages itself, once each.
	quietRedisOnce.Do(func() { redis.SetLogger(quietRedis{}) })
	if logger == nil {
		// An outage holds every request: say so, and when it ends, even
		// without --verbose (the limiter logs each once, never per request).
		logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	// A push gives up on a lost Redis within about half a minute: each
	// request waits this long for it, then the run's reachability rule
	// (no request could go out for 20 s) halts it, reporting the rest.
	opts := []redislimit.Option{redislimit.WithLogger(logger), redislimit.WithMaxOutage(cliMaxRedisOutage)}
	limiter, err := redislimit.New(context.Background(), url, opts...)
	if err != nil {
		msg := err.Error()
		var e *adapter.Error
		if errors.As(err, &e) && e.Message != "" {
			msg = e.Message
		}
		return nil, usagef("--rate-limit: %s", msg)
	}
	fmt.Fprintf(stderr, "custsync: sharing rate limits through Redis at %s\n", limiter.Addr())
	return limiter, nil
}

// cliMaxRedisOutage is how long one request of the command waits for a
// lost Redis before it fails Unavailable (the library's default is 30 s).
const cliMaxRedisOutage = 5 * time.Second

var quietRedisOnce sync.Once

type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

// openClient builds the client of vendor v, paced by limiter when there
// is one.
func openClient(v specs.Vendor, f targetFlags, opts []adapter.Option, limiter *redislimit.Limiter, stderr io.Writer) (*target, error) {
	if limiter != nil {
		opts = append(opts, adapter.WithRateLimiter(limiter))
	}
	if f.sandbox {
		return openSandboxTarget(v, opts, stderr)
	}
	if f.baseURL != "" {
		opts = append(opts, adapter.WithBaseURL(f.baseURL))
	}
	client, err := vendors.FromEnv(v, opts...)
	if err != nil {
		return nil, configError(err)
	}
	return &target{vendor: v, client: client, close: func() {}}, nil
}

// openSandboxTarget starts an in-process sandbox that paces Billbee as
// Billbee does (so a run shows the client's pacing, and no 429), and a
// client with the demo credentials pointed at it.
func openSandboxTarget(v specs.Vendor, opts []adapter.Option, stderr io.Writer) (*target, error) {
	srv := sandbox.NewServer(
		sandbox.WithSyntheticCustomers(sandboxSynthetic),
		sandbox.WithThrottle(specs.Billbee, sandbox.BillbeeThrottle()),
	)
	// No client of our own: the adapter's default pool is what a push
	// against a real vendor uses, and the sandbox's Close ends its
	// connections.
	opts = append(opts, adapter.WithBaseURL(srv.URL(v)))
	client, err := vendors.FromLookup(v, sandboxEnv(), opts...)
	if err != nil {
		srv.Close()
		return nil, err
	}
	fmt.Fprintf(stderr, "custsync: using an in-process sandbox at %s with demo credentials; its changes vanish on exit\n", srv.URL(v))
	return &target{vendor: v, client: client, close: srv.Close}, nil
}

// sandboxEnv looks up the sandbox's demo credentials by the variables
// each vendor's FromEnv reads, so --sandbox opens its client as a real run
// does.
func sandboxEnv() func(string) (string, bool) {
	creds := sandbox.DefaultCredentials()
	env := map[string]string{
		upwell.EnvAPIKey:       creds.UpwellAPIKey,
		upwell.EnvSourceSystem: sandbox.UpwellSourceSystem,
		bluetape.EnvAPIKey:     creds.BlueTapeAPIKey,
		bluetape.EnvAccountID:  creds.BlueTapeAccountID,
		billbee.EnvAPIKey:      creds.BillbeeAPIKey,
		billbee.EnvUsername:    creds.BillbeeUsername,
		billbee.EnvAPIPassword: creds.BillbeeAPIPassword,
	}
	return func(name string) (string, bool) { v, ok := env[name]; return v, ok }
}

// configError turns a constructor's failure into a usage error with a
// plain message: "environment variable BILLBEE_API_KEY is not set", and,
// for a missing variable, a pointer to --sandbox.
func configError(err error) error {
	var e *adapter.Error
	if errors.As(err, &e) && e.Field == "baseURL" {
		// The library names its option, WithBaseURL("..."): name the flag.
		_, why, _ := strings.Cut(e.Message, "): ")
		return usagef("--base-url: %s", why)
	}
	if !errors.Is(err, vendors.ErrEnvNotSet) {
		return usagef("%v", err)
	}
	msg := err.Error()
	if errors.As(err, &e) && e.Message != "" {
		msg = e.Message
	}
	return usagef("%s (or use --sandbox to try custsync without credentials)", msg)
}
