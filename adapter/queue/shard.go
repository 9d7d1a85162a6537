package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"

	"github.com/custsync/custsync/adapter/bulk"
)

// shardReader reads a shard's records back, a chunk at a time, as
// bulk.JSONLReader read them at Enqueue, with each record's line in the
// input: failures files and errors name the input's lines.
type shardReader struct {
	ctx   context.Context
	q     *Queue
	args  shardArgs
	chunk int // the next chunk to read
	in    *bulk.JSONLReader
	lines []int64 // of the chunk being read
	next  int     // the index in lines of the next record
	done  bool
	// failures writes failures-file lines: a JSONLReader writes any
	// record it read back, whichever chunk it came from (its line is in
	// Record.Raw), from any goroutine.
	failures *bulk.JSONLReader
}

func (q *Queue) shardReader(ctx context.Context, args shardArgs) *shardReader {
	return &shardReader{ctx: ctx, q: q, args: args, failures: bulk.NewJSONLReader(bytes.NewReader(nil))}
}

func (r *shardReader) Next() (bulk.Record, error) {
	for {
		if r.in != nil {
			rec, err := r.in.Next()
			switch {
			case errors.Is(err, io.EOF):
				if r.next != len(r.lines) {
					return bulk.Record{}, fmt.Errorf("chunk %d of shard %d holds %d records, not %d", r.chunk-1, r.args.Shard, r.next, len(r.lines))
				}
				r.in = nil
				continue
			case err != nil:
				return bulk.Record{}, err
			case r.next >= len(r.lines):
				return bulk.Record{}, fmt.Errorf("chunk %d of shard %d holds more than its %d records", r.chunk-1, r.args.Shard, len(r.lines))
			}
			rec.Line = int(r.lines[r.next])
			r.next++
			return rec, nil
		}
		if r.done {
			return bulk.Record{}, io.EOF
		}
		var payload []byte
		err := r.q.pool.QueryRow(r.ctx, `SELECT lines, payload FROM custsync_queue_records WHERE run_id = $1 AND shard = $2 AND chunk = $3`,
			r.args.Run, r.args.Shard, r.chunk).Scan(&r.lines, &payload)
		if errors.Is(err, pgx.ErrNoRows) {
			r.done = true
			continue
		}
		if err != nil {
			return bulk.Record{}, err
		}
		r.chunk++
		r.next = 0
		r.in = bulk.NewJSONLReader(bytes.NewReader(payload))
	}
}

func (r *shardReader) AppendFailure(dst []byte, rec bulk.Record, f bulk.Failure) []byte {
	return r.failures.AppendFailure(dst, rec, f)
}
