package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/syncstate"
	"github.com/custsync/custsync/adapter/vendors"
	"github.com/custsync/custsync/internal/pgschema"
)

// ErrNotMigrated is returned by Open for a database Migrate has not brought
// up to date (the message names the command that does).
var ErrNotMigrated = errors.New("queue: the database is not migrated")

// Migrate brings the queue's database at url up to date: River's own
// migrations, then the queue's tables, under one advisory lock, so that
// concurrent calls (workers started together on many machines) serialize
// and the second finds nothing to do.
func Migrate(ctx context.Context, url string) error {
	pool, cfg, err := connect(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := migrate(ctx, pool); err != nil {
		return fmt.Errorf("queue %s: %w", pgschema.Where(cfg), err)
	}
	return nil
}

// Queue is a connection to a migrated queue database: it enqueues runs and
// reads their state. It is safe for concurrent use.
type Queue struct {
	pool *pgxpool.Pool
	// connConfig opens the connections that hold shards' locks.
	connConfig *pgx.ConnConfig
	// inserter inserts shard jobs; it works none.
	inserter *river.Client[pgx.Tx]
	where    string
}

// Open connects to the queue database at url (a postgres:// URL or a
// libpq connection string). It fails with ErrNotMigrated when Migrate has not
// run on it.
func Open(ctx context.Context, url string) (*Queue, error) {
	pool, cfg, err := connect(ctx, url)
	if err != nil {
		return nil, err
	}
	if err := checkMigrated(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("queue %s: %w", pgschema.Where(cfg), err)
	}
	inserter, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: discardLogger})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("queue %s: %w", pgschema.Where(cfg), err)
	}
	return &Queue{pool: pool, connConfig: cfg.ConnConfig, inserter: inserter, where: pgschema.Where(cfg)}, nil
}

// Close releases the queue's connections.
func (q *Queue) Close() { q.pool.Close() }

// RunID identifies an enqueued run.
type RunID int64

// DefaultShards is how many shards a run is split into unless Job.Shards says
// otherwise: enough for 16 workers' slots on one account.
const DefaultShards = 16

// Job says what an enqueued run is for. None of it is a secret.
type Job struct {
	Vendor vendors.Name
	// Account names the credentials the workers use for the run (see
	// Accounts): lower-case letters, digits, '-' and '_', at most 40.
	Account string
	// Input names the input for people (a file's path); it is shown by
	// Runs and written in the run's failures file header.
	Input string
	// Shards is how many shards the input is split into, at most 1024;
	// 0 means DefaultShards.
	Shards int
	// Force sends every record, whatever the state store holds (see
	// bulk.WithForce).
	Force bool
}

// State is where a run stands.
type State string

// The states of a run, in the order it goes through them.
const (
	Queued   State = "queued"   // no shard has started
	Running  State = "running"  // a shard has started, not every one finished
	Finished State = "finished" // every shard finished (Report.Halt says if it halted)
)

// Run is an enqueued run as PostgreSQL holds it.
type Run struct {
	ID       RunID
	Vendor   vendors.Name
	Account  string
	Input    string
	State    State
	Enqueued time.Time
	// Finished is when the last shard finished; zero until then.
	Finished time.Time
	// Shards is how many shards the run has; ShardsDone how many finished.
	Shards, ShardsDone int
	// Report adds up the finished shards: Records counts every line of
	// the input once every shard finished. Report.Elapsed runs from
	// Enqueued to Finished.
	Report bulk.Report
}

// Accounts gives a worker the client of an account: its credentials and
// endpoint live on the worker's machine, never in the queue.
type Accounts interface {
	// Client returns the client for account at vendor. An error fails the
	// shard's job, which River retries.
	Client(ctx context.Context, vendor vendors.Name, account string) (bulk.Client, error)
	// Names lists the accounts this worker serves: it listens on their
	// queues only.
	Names() []string
}

// WorkerOption configures a Worker.
type WorkerOption func(*workerConfig) error

type workerConfig struct {
	state       syncstate.Store
	perAccount  int
	rescueAfter time.Duration
	stop        context.Context
	bulkOptions []bulk.Option
	logger      *slog.Logger
}

// WithState runs shards incrementally against store (bulk.WithState): a
// shard run again after its worker died does not send again what the vendor
// had confirmed.
func WithState(store syncstate.Store) WorkerOption {
	return func(c *workerConfig) error {
		if store == nil {
			return invalidOption("WithState", "nil")
		}
		c.state = store
		return nil
	}
}

// WithPerAccount sets how many shards of one account the worker runs at
// once (1 by default).
func WithPerAccount(n int) WorkerOption {
	return func(c *workerConfig) error {
		if n < 1 {
			return invalidOption("WithPerAccount", n)
		}
		c.perAccount = n
		return nil
	}
}

// WithRescueAfter sets how long a running job may go without finishing
// before River hands it to another worker (a minute by default); a live
// worker's shard is never run twice at once, so this bounds only how long a
// dead worker's shard waits, give or take the 30 s between River's looks
// for such jobs. A live shard that runs longer goes on; the copy of its job
// River hands out waits, asking again every 2 s, until the shard finishes.
func WithRescueAfter(d time.Duration) WorkerOption {
	return func(c *workerConfig) error {
		if d <= 0 {
			return invalidOption("WithRescueAfter", d)
		}
		c.rescueAfter = d
		return nil
	}
}

// WithStop winds the worker down once stop is done: it takes no new job, its
// running shards start no new record and finish what is in flight, and
// their jobs are released for another worker (what was confirmed stays in
// the state store).
func WithStop(stop context.Context) WorkerOption {
	return func(c *workerConfig) error {
		if stop == nil {
			return invalidOption("WithStop", "nil")
		}
		c.stop = stop
		return nil
	}
}

// WithBulkOptions passes options to every shard's bulk.Run: concurrency,
// telemetry, call options. The worker's own options (the state store, the
// stop, the job's Force) are applied after them and win.
func WithBulkOptions(opts ...bulk.Option) WorkerOption {
	return func(c *workerConfig) error { c.bulkOptions = append(c.bulkOptions, opts...); return nil }
}

// WithLogger logs the worker's jobs (started, finished, released, rescued);
// never a credential or a record.
func WithLogger(l *slog.Logger) WorkerOption {
	return func(c *workerConfig) error {
		if l == nil {
			return invalidOption("WithLogger", "nil")
		}
		c.logger = l
		return nil
	}
}

// invalidOption is the error of an option given a value it refuses.
func invalidOption(option string, value any) error {
	return &adapter.Error{Code: adapter.InvalidArgument, Field: option,
		Message: fmt.Sprintf("queue: %s(%v) is out of range", option, value)}
}
