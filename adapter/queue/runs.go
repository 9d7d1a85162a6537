package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/vendors"
)

// selectRuns reads runs as Run and Runs show them; the shards' counts are
// added up by addShards.
const selectRuns = `SELECT id, vendor, account, input, shards, enqueued_at, finished_at, halt_reason, halt_setup
FROM custsync_queue_runs`

// Run returns run id as it stands.
func (q *Queue) Run(ctx context.Context, id RunID) (*Run, error) {
	runs, err := q.runs(ctx, selectRuns+` WHERE id = $1`, int64(id))
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("queue %s: run %d: %w", q.where, id, ErrNoRun)
	}
	return &runs[0], nil
}

// Runs lists the newest runs first, at most limit of them.
func (q *Queue) Runs(ctx context.Context, limit int) ([]Run, error) {
	if limit <= 0 {
		return nil, nil
	}
	return q.runs(ctx, selectRuns+` ORDER BY id DESC LIMIT $1`, limit)
}

func (q *Queue) runs(ctx context.Context, query string, args ...any) ([]Run, error) {
	rows, err := q.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, q.errorf(err, "reading runs")
	}
	var runs []Run
	var ids []int64
	for rows.Next() {
		var (
			r          Run
			vendor     string
			finished   *time.Time
			haltReason *string
			haltSetup  bool
		)
		if err := rows.Scan(&r.ID, &vendor, &r.Account, &r.Input, &r.Shards, &r.Enqueued, &finished, &haltReason, &haltSetup); err != nil {
			rows.Close()
			return nil, q.errorf(err, "reading runs")
		}
		r.Vendor = vendors.Name(vendor)
		r.Enqueued = r.Enqueued.UTC()
		if finished != nil {
			r.Finished = finished.UTC()
		}
		r.Report = bulk.Report{Started: r.Enqueued, ByCode: map[adapter.Code]int{}, Dropped: map[string]int{}, Mismatched: map[string]int{}}
		if haltReason != nil {
			r.Report.Halt = &bulk.Halt{Reason: *haltReason, Setup: haltSetup}
		}
		runs = append(runs, r)
		ids = append(ids, int64(r.ID))
	}
	if err := rows.Err(); err != nil {
		return nil, q.errorf(err, "reading runs")
	}
	if len(runs) == 0 {
		return nil, nil
	}
	if err := q.addShards(ctx, runs, ids); err != nil {
		return nil, q.errorf(err, "reading runs")
	}
	now := time.Now().UTC()
	for i := range runs {
		r := &runs[i]
		end := r.Finished
		if end.IsZero() {
			end = now
		}
		r.Report.Elapsed = end.Sub(r.Enqueued)
	}
	return runs, nil
}

// addShards adds up the shards of runs (whose ids are ids, in order).
func (q *Queue) addShards(ctx context.Context, runs []Run, ids []int64) error {
	byID := make(map[RunID]*Run, len(runs))
	for i := range runs {
		byID[runs[i].ID] = &runs[i]
	}
	rows, err := q.pool.Query(ctx, `SELECT run_id, records, started_at IS NOT NULL, finished_at IS NOT NULL,
		succeeded, unchanged, failed, not_sent, finalized, by_code, dropped, mismatched
		FROM custsync_queue_shards WHERE run_id = ANY($1)`, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	started := make(map[RunID]bool, len(runs))
	for rows.Next() {
		var (
			id                                                RunID
			records, succeeded, unchanged, failed, notSent, f int
			isStarted, finished                               bool
			byCode, dropped, mismatched                       []byte
		)
		if err := rows.Scan(&id, &records, &isStarted, &finished, &succeeded, &unchanged, &failed, &notSent, &f, &byCode, &dropped, &mismatched); err != nil {
			return err
		}
		r := byID[id]
		if isStarted {
			started[id] = true
		}
		if !finished {
			continue
		}
		r.ShardsDone++
		rep := &r.Report
		rep.Records += records
		rep.Succeeded += succeeded
		rep.Unchanged += unchanged
		rep.Failed += failed
		rep.NotSent += notSent
		rep.Finalized += f
		if err := addCounts(rep.ByCode, byCode); err != nil {
			return err
		}
		if err := addCounts(rep.Dropped, dropped); err != nil {
			return err
		}
		if err := addCounts(rep.Mismatched, mismatched); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range runs {
		r := &runs[i]
		switch {
		case !r.Finished.IsZero():
			r.State = Finished
		case started[r.ID]:
			r.State = Running
		default:
			r.State = Queued
		}
	}
	return nil
}

// addCounts adds the counts of a jsonb object to m.
func addCounts[K comparable](m map[K]int, data []byte) error {
	var counts map[K]int
	if err := json.Unmarshal(data, &counts); err != nil {
		return err
	}
	for k, n := range counts {
		m[k] += n
	}
	return nil
}

// Wait returns run id once it is Finished, or ctx's error.
func (q *Queue) Wait(ctx context.Context, id RunID) (*Run, error) {
	pause := 200 * time.Millisecond
	for {
		r, err := q.Run(ctx, id)
		if err != nil {
			return nil, err
		}
		if r.State == Finished {
			return r, nil
		}
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-time.After(pause):
		}
		pause = min(pause*3/2, 2*time.Second)
	}
}

// WriteFailures writes the failures file of run id to w, in input order, as
// a local push writes it (bulk.FailuresFile): every record that failed or
// was not sent, byte for byte as it was enqueued, with its "_error" naming
// its line in the input. It returns how many records it wrote.
func (q *Queue) WriteFailures(ctx context.Context, id RunID, w io.Writer) (int, error) {
	if _, err := q.Run(ctx, id); err != nil {
		return 0, err
	}
	rows, err := q.pool.Query(ctx, `SELECT body FROM custsync_queue_failures WHERE run_id = $1 ORDER BY line`, int64(id))
	if err != nil {
		return 0, q.errorf(err, "reading failures")
	}
	defer rows.Close()
	n := 0
	var body []byte
	for rows.Next() {
		if err := rows.Scan(&body); err != nil {
			return n, q.errorf(err, "reading failures")
		}
		if _, err := w.Write(body); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, q.errorf(err, "reading failures")
	}
	return n, nil
}
