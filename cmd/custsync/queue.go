package main

import (
	"context"
	"errors"
	"flag"
	"os"
	"strings"

	"github.com/custsync/custsync/adapter/queue"
	"github.com/custsync/custsync/internal/redact"
)

// envQueue names the queue database when --queue is not given.
const envQueue = "CUSTSYNC_QUEUE"

// queueFlag is --queue: the PostgreSQL database that holds a queue's runs,
// shards and jobs.
type queueFlag struct {
	url string // a secret when it carries a password
	set bool   // given, perhaps empty: '' does not fall back to $CUSTSYNC_QUEUE
}

func (f *queueFlag) register(fs *flag.FlagSet) {
	// No default from the environment in --help: the URL may carry a
	// password.
	fs.Func("queue", "the queue's PostgreSQL database: a `URL` postgres://... or 'host=... dbname=...'\n(default $"+envQueue+")",
		func(s string) error { f.url, f.set = s, true; return nil })
}

// spec is the queue's connection string, from the flag or the
// environment; a usage error when there is none or it is no PostgreSQL
// database.
func (f queueFlag) spec() (string, error) {
	spec := f.url
	if !f.set {
		spec = os.Getenv(envQueue)
	}
	if spec == "" {
		return "", usagef("--queue is required (or set %s): the PostgreSQL database of the queue", envQueue)
	}
	if !isPostgres(spec) {
		return "", usagef("--queue %s: want a PostgreSQL database, postgres://... or 'host=... dbname=...'", redact.ConnString(spec))
	}
	return spec, nil
}

// flagArgs is --queue as a command line shows it again: nothing when it
// came from the environment, its password masked otherwise.
func (f queueFlag) flagArgs() []string {
	if !f.set {
		return nil
	}
	return []string{"--queue", redact.ConnString(f.url)}
}

// openQueue opens the queue database spec names, and returns how to name
// it in messages (no password). A database that cannot be reached, or is
// not migrated, is a usage error: the command could do nothing.
func openQueue(ctx context.Context, spec string) (*queue.Queue, string, error) {
	name := redact.ConnString(spec)
	q, err := queue.Open(ctx, spec)
	switch {
	case errors.Is(err, queue.ErrNotMigrated):
		return nil, "", usagef("--queue: %s is not migrated: run custsync migrate --queue %s", name, shellQuote(name))
	case err != nil:
		return nil, "", usagef("--queue: %v", err)
	}
	return q, name, nil
}

// commandLine joins args into a command line a POSIX shell reads back as
// args.
func commandLine(args ...string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	return strings.Join(quoted, " ")
}
