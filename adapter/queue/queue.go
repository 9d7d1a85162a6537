package queue

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/syncstate"
	"github.com/custsync/custsync/adapter/vendors"
)

// errUnimplemented marks the API's skeleton; it goes as each part lands.
var errUnimplemented = errors.New("queue: not implemented yet")

// ErrNotMigrated is returned by Open for a database Migrate has not brought
// up to date (the message names the command that does).
var ErrNotMigrated = errors.New("queue: the database is not migrated")

// Migrate brings the queue's database at url up to date: River's own
// migrations, then the queue's tables, under one advisory lock, so that
// concurrent calls (workers started together on many machines) serialize
// and the second finds nothing to do.
func Migrate(ctx context.Context, url string) error {
	return errUnimplemented
}

// Queue is a connection to a migrated queue database: it enqueues runs and
// reads their state. It is safe for concurrent use.
type Queue struct{}

// Open connects to the queue database at url (a postgres:// URL or a
// libpq connection string). It fails with ErrNotMigrated when Migrate has not
// run on it.
func Open(ctx context.Context, url string) (*Queue, error) {
	return nil, errUnimplemented
}

// Close releases the queue's connections.
func (q *Queue) Close() {}

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
	// Shards is how many shards the input is split into; 0 means
	// DefaultShards.
	Shards int
	// Force sends every record, whatever the state store holds (see
	// bulk.WithForce).
	Force bool
}

// Enqueue reads in (custsync's JSON lines, as bulk.NewJSONLReader reads
// them) to its end, splits it into shards and enqueues one job per shard,
// all in one transaction: a run is enqueued whole or not at all. An input
// that cannot be read to its end is refused, with nothing enqueued. Records
// that are not valid updates are enqueued as they are and fail at the
// worker, keeping their place in their customer's order, as in a local push.
func (q *Queue) Enqueue(ctx context.Context, in io.Reader, job Job) (RunID, error) {
	return 0, errUnimplemented
}

// State is where a run stands.
type State string

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

// Run returns run id as it stands.
func (q *Queue) Run(ctx context.Context, id RunID) (*Run, error) {
	return nil, errUnimplemented
}

// Runs lists the newest runs first, at most limit of them.
func (q *Queue) Runs(ctx context.Context, limit int) ([]Run, error) {
	return nil, errUnimplemented
}

// Wait returns run id once it is Finished, or ctx's error.
func (q *Queue) Wait(ctx context.Context, id RunID) (*Run, error) {
	return nil, errUnimplemented
}

// WriteFailures writes the failures file of run id to w, in input order, as
// a local push writes it (bulk.FailuresFile): every record that failed or
// was not sent, byte for byte as it was enqueued, with its "_error" naming
// its line in the input. It returns how many records it wrote.
func (q *Queue) WriteFailures(ctx context.Context, id RunID, w io.Writer) (int, error) {
	return 0, errUnimplemented
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

// Worker runs shard jobs.
type Worker struct{}

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
	return func(c *workerConfig) error { c.state = store; return nil }
}

// WithPerAccount sets how many shards of one account the worker runs at
// once (1 by default).
func WithPerAccount(n int) WorkerOption {
	return func(c *workerConfig) error { c.perAccount = n; return nil }
}

// WithRescueAfter sets how long a running job may go without finishing
// before River hands it to another worker (a minute by default); a live
// worker's shard is never run twice at once, so this bounds only how long a
// dead worker's shard waits.
func WithRescueAfter(d time.Duration) WorkerOption {
	return func(c *workerConfig) error { c.rescueAfter = d; return nil }
}

// WithStop winds the worker down once stop is done: it takes no new job, its
// running shards start no new record and finish what is in flight, and
// their jobs are released for another worker (what was confirmed stays in
// the state store).
func WithStop(stop context.Context) WorkerOption {
	return func(c *workerConfig) error { c.stop = stop; return nil }
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
	return func(c *workerConfig) error { c.logger = l; return nil }
}

// NewWorker returns a worker of q's jobs for the accounts accounts serves.
func NewWorker(q *Queue, accounts Accounts, opts ...WorkerOption) (*Worker, error) {
	return nil, errUnimplemented
}

// Run works jobs until ctx is canceled (in-flight requests are abandoned,
// and their jobs rescued later) or the stop of WithStop is done (see
// there); it returns once every running shard has ended.
func (w *Worker) Run(ctx context.Context) error {
	return errUnimplemented
}
