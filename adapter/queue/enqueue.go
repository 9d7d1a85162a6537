package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"regexp"

	"github.com/riverqueue/river"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/vendors"
)

// maxShards bounds Job.Shards: far more than workers' slots, and few
// enough rows that reading a run stays cheap.
const maxShards = 1024

// chunkBytes is about how much of a shard's records one row of
// custsync_queue_records holds.
const chunkBytes = 1 << 20

// accountName is what an account's name may be: it becomes part of a
// River queue's name.
var accountName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// queueOf is the River queue of an account's shards.
func queueOf(account string) string { return "custsync_" + account }

// CheckAccount says whether name may name an account (Job.Account,
// Accounts.Names): 1 to 40 lower-case letters, digits, '-' and '_',
// starting with a letter or digit. Its error is an InvalidArgument
// *adapter.Error whose Message says so.
func CheckAccount(name string) error {
	if !accountName.MatchString(name) {
		return &adapter.Error{Code: adapter.InvalidArgument, Field: "account",
			Message: fmt.Sprintf("account %q: want 1 to 40 lower-case letters, digits, '-' and '_', starting with a letter or digit", name)}
	}
	return nil
}

func (job *Job) check() error {
	if _, err := vendors.Parse(string(job.Vendor)); err != nil {
		return err
	}
	if err := CheckAccount(job.Account); err != nil {
		return err
	}
	if job.Shards == 0 {
		job.Shards = DefaultShards
	}
	if job.Shards < 1 || job.Shards > maxShards {
		return &adapter.Error{Code: adapter.InvalidArgument, Field: "shards",
			Message: fmt.Sprintf("queue: %d shards: want 1 to %d", job.Shards, maxShards)}
	}
	return nil
}

// shardArgs are a shard job's arguments: which shard of which run, and
// nothing else (no credential, no record).
type shardArgs struct {
	Run   int64 `json:"run"`
	Shard int   `json:"shard"`
}

func (shardArgs) Kind() string { return "custsync_queue_shard" }

// shardOf is the shard of a record: one customer's records share one,
// whatever else they hold; a record naming no customer goes to shard 0.
func shardOf(rec bulk.Record, shards int) int {
	var id string
	switch {
	case rec.Update != nil:
		id = rec.Update.ID
	case rec.Customer != nil:
		id = rec.Customer.ID
	default:
		return 0
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(id)) // a hash.Hash never fails to write
	return int(h.Sum32() % uint32(shards))
}

// accountLock is the advisory lock key that serializes the enqueues of an
// account.
func accountLock(vendor vendors.Name, account string) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "custsync queue account %s/%s", vendor, account)
	return int64(h.Sum64()) //nolint:gosec // a lock key: any 64 bits will do
}

// shardBuffer gathers a shard's records until a chunk is full.
type shardBuffer struct {
	payload bytes.Buffer
	lines   []int64
	chunks  int
	records int64
}

// Enqueue reads in (custsync's JSON lines, as bulk.NewJSONLReader reads
// them) to its end, splits it into shards and enqueues one job per shard,
// all in one transaction: a run is enqueued whole or not at all. An input
// that cannot be read to its end is refused, with nothing enqueued. Records
// that are not valid updates are enqueued as they are and fail at the
// worker, keeping their place in their customer's order, as in a local push.
func (q *Queue) Enqueue(ctx context.Context, in io.Reader, job Job) (RunID, error) {
	if err := job.check(); err != nil {
		return 0, err
	}
	tx, err := q.pool.Begin(ctx)
	if err != nil {
		return 0, q.errorf(err, "enqueuing")
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit; after a failure, the error returned says what went wrong
	// Runs of one account are enqueued one at a time, so that their ids,
	// which workers apply them in, are in the order they commit: a run
	// never becomes visible behind a later one it must precede.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, accountLock(job.Vendor, job.Account)); err != nil {
		return 0, q.errorf(err, "enqueuing")
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO custsync_queue_runs (vendor, account, input, shards, force, enqueued_at)
		VALUES ($1, $2, $3, $4, $5, now()) RETURNING id`,
		string(job.Vendor), job.Account, job.Input, job.Shards, job.Force).Scan(&id)
	if err != nil {
		return 0, q.errorf(err, "enqueuing")
	}
	// The shards' rows first: their records' chunks refer to them.
	if _, err := tx.Exec(ctx, `INSERT INTO custsync_queue_shards (run_id, shard, records)
		SELECT $1, s, 0 FROM generate_series(0, $2 - 1) AS s`, id, job.Shards); err != nil {
		return 0, q.errorf(err, "enqueuing")
	}
	shards := make([]shardBuffer, job.Shards)
	flush := func(s int) error {
		b := &shards[s]
		if len(b.lines) == 0 {
			return nil
		}
		_, err := tx.Exec(ctx, `INSERT INTO custsync_queue_records (run_id, shard, chunk, lines, payload) VALUES ($1, $2, $3, $4, $5)`,
			id, s, b.chunks, b.lines, b.payload.Bytes())
		b.chunks++
		b.lines = b.lines[:0]
		b.payload.Reset()
		return err
	}
	lines := &lineLimit{r: in}
	r := bulk.NewJSONLReader(lines)
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("queue: %w: %w", ErrInputRefused, err)
		}
		s := shardOf(rec, job.Shards)
		b := &shards[s]
		// Raw reads back as the same record (see bulk.Record.Raw), and
		// holds no line break.
		b.payload.Write(rec.Raw)
		b.payload.WriteByte('\n')
		b.lines = append(b.lines, int64(rec.Line))
		b.records++
		if b.payload.Len() >= chunkBytes {
			if err := flush(s); err != nil {
				return 0, q.errorf(err, "enqueuing")
			}
		}
	}
	var jobs []river.InsertManyParams
	for s := range shards {
		if err := flush(s); err != nil {
			return 0, q.errorf(err, "enqueuing")
		}
		if shards[s].records == 0 {
			continue
		}
		jobs = append(jobs, river.InsertManyParams{
			Args: shardArgs{Run: id, Shard: s},
			InsertOpts: &river.InsertOpts{
				Queue:       queueOf(job.Account),
				MaxAttempts: maxAttempts,
				UniqueOpts:  river.UniqueOpts{ByArgs: true},
			},
		})
	}
	records := make([]int64, job.Shards)
	for s := range shards {
		records[s] = shards[s].records
	}
	// A shard without records is finished as it is enqueued; so is a run
	// without any.
	if _, err := tx.Exec(ctx, `UPDATE custsync_queue_shards AS s
		SET records = r.records, finished_at = CASE WHEN r.records = 0 THEN now() END
		FROM unnest($2::bigint[]) WITH ORDINALITY AS r(records, n)
		WHERE s.run_id = $1 AND s.shard = r.n - 1`, id, records); err != nil {
		return 0, q.errorf(err, "enqueuing")
	}
	if len(jobs) == 0 {
		if _, err := tx.Exec(ctx, `UPDATE custsync_queue_runs SET finished_at = now() WHERE id = $1`, id); err != nil {
			return 0, q.errorf(err, "enqueuing")
		}
	} else if _, err := q.inserter.InsertManyTx(ctx, tx, jobs); err != nil {
		return 0, q.errorf(err, "enqueuing")
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, q.errorf(err, "enqueuing")
	}
	return RunID(id), nil
}

// maxAttempts is how many times River runs a shard's job before it gives
// up on it: a shard that fails (its account's client cannot be made, the
// database went away) is tried again, every 5 minutes at most (see
// retryPolicy), for about 8 hours. A job that waits (for a lock, for an
// earlier run) is snoozed, which costs no attempt.
const maxAttempts = 100

// errorf wraps a database error with the queue's database and what was
// being done.
func (q *Queue) errorf(err error, doing string) error {
	return fmt.Errorf("queue %s: %s: %w", q.where, doing, err)
}

// lineLimit refuses an input with a line over bulk.MaxLineBytes: a local
// push fails such a line keeping only its start, but a run spread over
// workers keeps every record it enqueues byte for byte, or refuses it.
// A line's length leaves out its ending (\n or \r\n) and, on the first
// line, a byte order mark, as bulk.JSONLReader counts it.
type lineLimit struct {
	r     io.Reader
	line  int   // lines ended so far
	n     int64 // bytes of the current line so far
	last  byte  // the current line's last byte so far
	read  int64 // bytes of the input so far
	start [3]byte
	err   error
}

var byteOrderMark = []byte{0xEF, 0xBB, 0xBF}

func (l *lineLimit) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	if l.read < int64(len(l.start)) {
		copy(l.start[l.read:], p[:n])
	}
	l.read += int64(n)
	for b := p[:n]; len(b) > 0; {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			l.n += int64(len(b))
			l.last = b[len(b)-1]
			break
		}
		if i > 0 {
			l.n += int64(i)
			l.last = b[i-1]
		}
		if l.length(l.last == '\r') > bulk.MaxLineBytes {
			return 0, l.refuse()
		}
		l.line++
		l.n, l.last = 0, 0
		b = b[i+1:]
	}
	// A line not ended yet may still turn out to end in \r\n.
	if l.length(true) > bulk.MaxLineBytes || errors.Is(err, io.EOF) && l.length(false) > bulk.MaxLineBytes {
		return 0, l.refuse()
	}
	return n, err
}

func (l *lineLimit) length(crlf bool) int64 {
	n := l.n
	if crlf {
		n--
	}
	if l.line == 0 && l.read >= 3 && bytes.Equal(l.start[:], byteOrderMark) {
		n -= 3
	}
	return n
}

func (l *lineLimit) refuse() error {
	l.err = &adapter.Error{Code: adapter.InvalidArgument,
		Message: fmt.Sprintf("line %d is over the limit of %d bytes (bulk.MaxLineBytes)", l.line+1, bulk.MaxLineBytes)}
	return l.err
}
