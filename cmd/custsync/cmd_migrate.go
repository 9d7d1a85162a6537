package main

import (
	"fmt"

	"github.com/custsync/custsync/adapter/queue"
	"github.com/custsync/custsync/internal/redact"
)

const migrateUsage = `Usage: custsync migrate --queue URL

Brings the queue's PostgreSQL database up to date for enqueue and worker:
River's own tables (github.com/riverqueue/river, the job queue), then
the queue's (runs, their shards' records and outcomes). It runs under
one PostgreSQL advisory lock, so workers started together on many
machines may each run it: the first migrates, the others wait for it and
find nothing to do. Run it once per custsync upgrade, before the
workers; enqueue and worker refuse a database it has not migrated.

The vendor's state (what each vendor confirmed) is migrated by the
workers themselves, in the --state database (the queue's by default), as
push does.

Exit status: 0 when the database is up to date; 2 for bad usage; 1 when
the database could not be reached or a migration failed.

Flags:
%flags%
Examples:
  custsync migrate --queue 'postgres://custsync@db.internal/custsync'
  CUSTSYNC_QUEUE='host=db.internal dbname=custsync' custsync migrate
`

func (a *app) migrate(args []string) int {
	fs := newFlagSet("migrate", migrateUsage)
	var qf queueFlag
	qf.register(fs)
	if code, done := a.parse(fs, args); done {
		return code
	}
	spec, err := qf.spec()
	if err != nil {
		return a.fail("migrate", err)
	}
	name := redact.ConnString(spec)
	if err := queue.Migrate(a.abort, spec); err != nil {
		return a.fail("migrate", fmt.Errorf("migrating the queue database %s: %w", name, err))
	}
	fmt.Fprintf(a.stdout, "migrate: the queue database %s is up to date (River's tables and the queue's); start workers with: %s\n",
		name, commandLine(append([]string{"custsync", "worker"}, qf.flagArgs()...)...))
	return exitOK
}
