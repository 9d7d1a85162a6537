package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/queue"
	"github.com/custsync/custsync/adapter/syncstate/postgres"
	"github.com/custsync/custsync/internal/redact"
)

const workerUsage = `Usage: custsync worker --queue URL [--credentials FILE | --accounts NAME,...] [flags]

Works the runs that "custsync enqueue" put in the queue: takes their shard
jobs from PostgreSQL and sends each shard's records with the same engine as
push (a customer's records in input order, incremental sync against the
state store, halts, verified writes), until it is stopped. Start as many
workers as you like, on as many machines: each shard runs in one worker at
a time, and a run's shards spread over all the workers that serve its
account.

Accounts and credentials stay on the worker's machine; the queue holds
none. A worker serves the accounts of its --credentials file, or those of
--accounts, or the account "default", and listens on those accounts'
queues only. Their credentials come from:

  the environment, for the account "default": the vendor's own variables,
  as push reads them (UPWELL_API_KEY, BILLBEE_API_KEY, ...);

  the environment, for an account NAME: each of those variables prefixed
  with CUSTSYNC_ACCOUNT_<NAME>_ (NAME in upper case, '-' as '_'), such as
  CUSTSYNC_ACCOUNT_ACME_BILLBEE_API_KEY, and the account's base URL, when
  it is not the vendor's own server, in CUSTSYNC_ACCOUNT_<NAME>_BASE_URL;

  a --credentials file (YAML), readable by its owner only (chmod 600), one
  vendor per account:

    accounts:
      acme:
        vendor: billbee
        env: {BILLBEE_API_KEY: ..., BILLBEE_USERNAME: ..., BILLBEE_API_PASSWORD: ...}
      globex:
        vendor: upwell
        baseURL: https://upwell.example.com
        env: {UPWELL_API_KEY: ..., UPWELL_SOURCE_SYSTEM: GLOBEX}

Every account is checked as the worker starts: one without credentials is
refused, naming the variables, never a value. With --rate-limit (or
CUSTSYNC_RATE_LIMIT) every worker shares each credential's rate limits
through Redis, as push does; without it, each worker paces alone, and
workers that share a credential exceed its limits together.

The state store (--state, by default the queue's own database) remembers
what each vendor confirmed: a shard run again after its worker died sends
only what was not confirmed. Its run log records each queued run as one
run, as push records itself, with each failed customer's failure:
custsync runs --state and custsync explain --state on that database show
them. A run log write that fails is logged and the shard goes on.

Fairness: each account has a queue of its own, and a worker runs at most
--per-account shards of one account at once, --concurrency records in
flight each: a merchant with a huge export takes --per-account slots of
each worker, never the other accounts'.

A worker killed (kill -9, a lost machine) loses its PostgreSQL
connection, and with it the advisory lock on each shard it ran: another
worker runs those shards again once --rescue-after has passed since they
started, sending what the state store does not hold as confirmed. River
looks for such shards every 30 seconds (from the worker it elected to
do so; another is elected within about 15 seconds when that one dies),
so they wait up to that much longer. A shard still locked by a live
worker is never run twice at once.

The first interrupt (Ctrl-C, SIGTERM, SIGHUP) stops the worker gently: it
takes no new shard, its running shards start no new record and finish
those in flight, and their jobs go back to the queue for another worker,
which goes on where they stopped (the state store holds what was
confirmed). A second interrupt abandons the records in flight: their
shards are rescued after --rescue-after. A third kills the worker.

It logs to stderr each shard it starts, finishes or releases; with
--verbose every HTTP attempt too (never a credential or a body). Traces
and metrics go to OpenTelemetry as push's do.

A worker that loses the queue database once it runs keeps trying to reach
it, logging each failure, and goes on when it is back; the shards it was
running when the database went away are rescued like a dead worker's.

Exit status: 0 once stopped by an interrupt, every running shard finished
or released; 3 when a second interrupt abandoned records in flight; 2 for
bad usage (an account without credentials, a --queue not migrated or
unreachable); 1 when the worker could not start working the queue.

Flags:
%flags%
Examples:
  custsync worker --queue 'postgres://custsync@db.internal/custsync' --rate-limit redis://redis.internal:6379/0
  custsync worker --queue "$CUSTSYNC_QUEUE" --credentials /etc/custsync/accounts.yaml --per-account 2 --concurrency 8
  CUSTSYNC_ACCOUNT_ACME_BILLBEE_API_KEY=... custsync worker --accounts acme   # with CUSTSYNC_QUEUE set
`

// workerFlags are the flags of worker.
type workerFlags struct {
	queue       queueFlag
	credentials string
	accounts    string
	perAccount  int
	concurrency int
	rescueAfter time.Duration
	state       string
	verbose     bool
	rate        targetFlags // its rate limit only
}

// defaultRescueAfter is how long a shard whose worker died waits before
// another worker runs it: the queue's default.
const defaultRescueAfter = time.Minute

func (f *workerFlags) register(fs *flag.FlagSet) {
	f.queue.register(fs)
	fs.StringVar(&f.credentials, "credentials", "", "read the accounts and their credentials from the YAML `FILE` (mode 600), not the environment")
	fs.StringVar(&f.accounts, "accounts", "", "serve the accounts `NAME,...` (default: every account of --credentials, else \"default\")")
	fs.IntVar(&f.perAccount, "per-account", 1, "run at most `N` shards of one account at once")
	fs.IntVar(&f.concurrency, "concurrency", defaultConcurrency, fmt.Sprintf("`N` updates in flight per shard, 1 to %d", maxConcurrency))
	fs.DurationVar(&f.rescueAfter, "rescue-after", defaultRescueAfter, "run again a shard whose worker died once `DURATION` has passed since it started\n(set it alike on every worker)")
	fs.StringVar(&f.state, "state", "", "remember what the vendors confirmed in the PostgreSQL database `URL`\n(default: the queue's database)")
	fs.BoolVar(&f.verbose, "verbose", false, "log every HTTP attempt to stderr (never credentials or bodies)")
	fs.Func("rate-limit", "share the vendors' rate limits with every process using the same credential,\nthrough the Redis at `URL` (redis://HOST:PORT/DB, rediss:// for TLS; default $"+envRateLimit+";\n--rate-limit '' turns it off)",
		func(s string) error { f.rate.rateLimit, f.rate.rateSet = s, true; return nil })
}

func (f *workerFlags) check() error {
	switch {
	case f.perAccount < 1:
		return usagef("--per-account %d: want 1 or more", f.perAccount)
	case f.concurrency < 1 || f.concurrency > maxConcurrency:
		return usagef("--concurrency %d is out of range 1..%d", f.concurrency, maxConcurrency)
	case f.rescueAfter <= 0:
		return usagef("--rescue-after %s: want a positive duration", f.rescueAfter)
	case f.state != "" && !isPostgres(f.state):
		return usagef("--state %s: a worker's state store is a PostgreSQL database that every worker shares, postgres://... or 'host=... dbname=...'", redact.ConnString(f.state))
	}
	return nil
}

// only is --accounts as a list.
func (f *workerFlags) only() []string {
	var names []string
	for n := range strings.SplitSeq(f.accounts, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	return names
}

func (a *app) worker(args []string) int {
	fs := newFlagSet("worker", workerUsage)
	var f workerFlags
	f.register(fs)
	if code, done := a.parse(fs, args); done {
		return code
	}
	spec, err := f.queue.spec()
	if err != nil {
		return a.fail("worker", err)
	}
	if err := f.check(); err != nil {
		return a.fail("worker", err)
	}
	level := slog.LevelInfo
	if f.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
	var clientOpts []adapter.Option
	if f.verbose {
		clientOpts = append(clientOpts, adapter.WithLogger(logger))
	}
	limiter, err := openRateLimit(f.rate, logger, a.stderr)
	if err != nil {
		return a.fail("worker", err)
	}
	if limiter != nil {
		defer limiter.Close() //nolint:errcheck // nothing is pending on it at exit
		clientOpts = append(clientOpts, adapter.WithRateLimiter(limiter))
	} else {
		fmt.Fprintf(a.stderr, "custsync worker: no --rate-limit: this worker paces each credential alone, and workers sharing one exceed its limits together\n")
	}
	accounts, serves, err := newWorkerAccounts(f.credentials, f.only(), os.LookupEnv, clientOpts)
	if err != nil {
		return a.fail("worker", err)
	}
	q, name, err := openQueue(a.abort, spec)
	if err != nil {
		return a.fail("worker", err)
	}
	defer q.Close()
	stateSpec, stateName := spec, name+" (the queue's)"
	if f.state != "" {
		stateSpec, stateName = f.state, redact.ConnString(f.state)
	}
	store, err := postgres.Open(a.abort, stateSpec)
	if err != nil {
		return a.fail("worker", usagef("--state: %v", err))
	}
	defer func() {
		if err := store.Close(); err != nil {
			fmt.Fprintf(a.stderr, "custsync worker: closing the state store %s: %v\n", stateName, err)
		}
	}()
	w, err := queue.NewWorker(q, accounts,
		queue.WithState(store), queue.WithStop(a.stop), queue.WithPerAccount(f.perAccount),
		queue.WithRescueAfter(f.rescueAfter), queue.WithLogger(logger),
		queue.WithBulkOptions(bulk.WithConcurrency(f.concurrency),
			bulk.WithTracerProvider(otel.GetTracerProvider()), bulk.WithMeterProvider(otel.GetMeterProvider())))
	if err != nil {
		return a.fail("worker", usagef("%v", err))
	}
	var served []string
	for _, n := range accounts.Names() {
		var vs []string
		for _, v := range serves[n] {
			vs = append(vs, string(v))
		}
		served = append(served, fmt.Sprintf("%s (%s)", n, strings.Join(vs, ", ")))
	}
	fmt.Fprintf(a.stderr, "custsync worker: working the queue %s for %s %s: %d %s of an account at once, %d records in flight each; state in %s\n",
		name, plural(len(served), "account", "accounts"), strings.Join(served, ", "), f.perAccount, plural(f.perAccount, "shard", "shards"), f.concurrency, stateName)

	finished := make(chan struct{})
	defer close(finished)
	go a.announceWorkerStop(finished)
	err = w.Run(a.abort)
	switch {
	case a.abort.Err() != nil:
		fmt.Fprintf(a.stderr, "custsync worker: aborted: the records in flight were abandoned; their shards run again once --rescue-after (%s) has passed\n", f.rescueAfter)
		return exitIncomplete
	case err != nil && !errors.Is(err, context.Canceled):
		return a.fail("worker", err)
	}
	fmt.Fprintln(a.stderr, "custsync worker: stopped; every shard it ran finished or went back to the queue")
	return exitOK
}

// announceWorkerStop says, at the first interrupt, what the worker does
// now, and how to abort it.
func (a *app) announceWorkerStop(finished <-chan struct{}) {
	select {
	case <-a.stop.Done():
		if a.abort.Err() == nil {
			fmt.Fprintln(a.stderr, "custsync worker: stopping: no new shard; the running ones finish their records in flight and go back to the queue (interrupt again to abandon them)")
		}
	case <-finished:
	}
}
