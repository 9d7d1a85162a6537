// Package queue spreads a bulk run over worker processes on any number of
// machines, through River (github.com/riverqueue/river), a job queue in
// PostgreSQL. One process is enough for one vendor account; this package is
// for the users who outgrow it: a platform running the nightly sync of many
// merchants, each with its own credentials and limits, or a first full sync
// of millions of records.
//
// A run is enqueued once and worked by every worker that serves its account:
//
//	q, err := queue.Open(ctx, "postgres://custsync@db/custsync")
//	id, err := q.Enqueue(ctx, in, queue.Job{Vendor: vendors.Billbee, Account: "acme", Input: "customers.jsonl"})
//	run, err := q.Wait(ctx, id) // run.Report counts every line of the input
//
// and, on each machine:
//
//	w, err := queue.NewWorker(q, accounts, queue.WithState(store), queue.WithStop(stop))
//	err = w.Run(ctx)
//
// # What runs where
//
// Enqueue reads the input once, refuses it whole (nothing enqueued) if a line
// cannot be read or is over bulk.MaxLineBytes (a local push would keep only
// its start), and splits it into shards by a hash of each record's
// customer id, so that one customer's records are in one shard, in input
// order. The shards' records are stored in PostgreSQL (never on a shared file
// system) and one River job per shard is inserted, in the transaction that
// records the run; a shard's records are deleted when it finishes, its
// failures kept. Job arguments hold the run and the shard only: never a
// credential, and no record.
//
// A worker runs each shard job with the same engine as a local push
// (bulk.Run): per-customer order, incremental sync against the state store,
// halts, verified writes. The Accounts it is given turn a job's vendor and
// account name into a client; credentials stay on the worker's machine.
//
// # Order
//
// A customer's records are in one shard and run in input order. Runs of one
// vendor and account apply in the order they were enqueued: a shard of a
// later run waits (its job is snoozed) while an earlier run of the same
// account has a shard not finished, so two overlapping exports never
// interleave one customer's updates.
//
// # Nothing lost
//
// A worker holds a PostgreSQL advisory lock on each shard it runs, on a
// connection of its own, for as long as it runs it. A worker killed with
// kill -9 loses that connection and with it the lock; once WithRescueAfter
// (a minute by default) has passed since the shard started, River rescues
// its job at its next look for such jobs (every 30 s) and another worker
// runs the shard again. A rescued job whose shard is still locked by a live worker
// waits instead, so a shard never runs twice at once however short the
// rescue delay. With a state store, the records the killed worker had
// confirmed are not sent again (they count as Unchanged in the run's
// report); the others are. A shard's outcome (its counts and failures) is
// written in the transaction that completes its job, so each shard is
// counted exactly once.
//
// A shard that halts (see bulk.Halt: a wrong setup, a vendor that cannot be
// reached, answers nothing or keeps failing, a state store that cannot be
// read or written) halts its run: the first halt is the run's
// (Report.Halt), and shards not yet started report their records NotSent
// without a request; shards already running end as they would alone.
//
// # Fairness
//
// Each account has a queue of its own, and a worker runs at most
// WithPerAccount shards of one account at once (1 by default): a merchant
// with a huge export takes one slot per worker, never the slots of others.
//
// # Operations
//
// Migrate creates River's tables and the queue's own, under one advisory
// lock; Open refuses a database it has not migrated. Queue.Runs lists runs,
// running and finished; Queue.WriteFailures writes a run's failures file
// from PostgreSQL.
//
// When the store of WithState keeps a run log (syncstate.RunLog), a run is
// recorded in it as one run, as a local push records itself, whichever
// workers run its shards: the first shard to start records the run (its
// vendor, the client's Account, Job.Input, that worker's host and PID),
// once however many start at once, since they take turns on an advisory
// lock on the run in the queue's database (the store may be another
// database); each shard records the failures of its customers that failed
// (bulk.RunFailure) before its outcome is committed; and the shard that
// finishes the run records its totals (Run.Report's counts, Stop
// "halted: <reason>" for a halted run, ExitCode 0, 1 when a record failed
// or 3 when not every record was tried, no FailuresFile) just after the
// run is finished in the queue, so a moment after Wait returns. The run
// log decides nothing a shard sends: a write that fails, or waits longer
// than 30 s, is logged through WithLogger and the shard goes on, its
// failures or the run's end unrecorded.
package queue
