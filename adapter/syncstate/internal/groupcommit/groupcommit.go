// Package groupcommit batches concurrent writes into one transaction:
// the stores' Put waits for a durable commit, and a commit per record
// would cap a bulk run at the disk's fsync rate. Writers that arrive
// while a commit is running share the next one. A lone writer commits at
// once; while writers come several to a commit, the committer waits for
// as many as the most any of the last commits carried, a moment (linger)
// at most, since each commit costs a disk flush and much CPU, and a
// commit of many records costs hardly more than of few.
package groupcommit

import (
	"context"
	"runtime"
	"sync"
	"time"

	"github.com/custsync/custsync/adapter/syncstate"
)

// CommitTimeout bounds one commit, so a Put never waits without end on a
// store that stopped answering.
const CommitTimeout = time.Minute

// linger is the longest a commit waits for as many writers as the
// previous one had: short against a commit's own time on a disk, long
// enough for a bulk run's workers to finish the calls they are in.
const linger = 2 * time.Millisecond

// CommitFunc writes entries, in order, in one transaction and returns once
// the transaction is durable.
type CommitFunc func(ctx context.Context, entries []syncstate.Entry) error

// Committer runs one writer goroutine that commits what Put hands it.
type Committer struct {
	commit   CommitFunc
	maxBatch int
	requests chan request
	closing  chan struct{}
	done     chan struct{}
	close    sync.Once
}

type request struct {
	entries []syncstate.Entry
	result  chan error
}

// New starts a Committer that commits at most maxBatch entries per
// transaction (a single Put larger than that is still one transaction).
func New(commit CommitFunc, maxBatch int) *Committer {
	c := &Committer{
		commit:   commit,
		maxBatch: max(maxBatch, 1),
		requests: make(chan request), // unbuffered: a request is taken or refused, never stranded
		closing:  make(chan struct{}),
		done:     make(chan struct{}),
	}
	go c.run()
	return c
}

// Put hands entries to the writer and waits until they are committed. A
// ctx that ends before the writer takes them returns ctx's error and
// nothing is written; once taken, Put waits for the commit's outcome (the
// commit itself is bounded), so a nil error always means durable and an
// error means "maybe not": the caller treats the records as not synced.
func (c *Committer) Put(ctx context.Context, entries []syncstate.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	req := request{entries: entries, result: make(chan error, 1)}
	select {
	case c.requests <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.closing:
		return syncstate.ErrClosed
	}
	return <-req.result
}

// Close lets the writer finish the requests it took and stops it.
func (c *Committer) Close() {
	c.close.Do(func() { close(c.closing) })
	<-c.done
}

func (c *Committer) run() {
	defer close(c.done)
	// writers is the most writers any of the last commits carried:
	// while they come several to a commit, the next one waits for as many
	// (but never longer than linger), so that writers finishing their
	// calls share it instead of each waiting a whole commit for the next.
	// The most, not the last: waiting for the last commit's count settles
	// on whatever a commit happened to gather, while the most climbs to
	// what the writers can reach, and fewer commits carry more records.
	writers := 0
	var recent [16]int // writers of the last commits, a ring
	commits := 0
	lingering := time.NewTimer(linger)
	lingering.Stop()
	for {
		var first request
		select {
		case first = <-c.requests:
		case <-c.closing:
			return
		}
		// Writers released by the last commit are runnable but may not
		// have asked again yet; yielding once lets them join this batch
		// rather than wait a whole commit for the next. A tight loop of 16
		// writers went from 8 to 14 records per commit. A lone writer
		// loses no more than the yield.
		runtime.Gosched()
		batch := []request{first}
		n := len(first.entries)
	gather:
		for n < c.maxBatch {
			select {
			case r := <-c.requests:
				batch = append(batch, r)
				n += len(r.entries)
			default:
				break gather
			}
		}
		if n < c.maxBatch && len(batch) < writers {
			lingering.Reset(linger)
		wait:
			for n < c.maxBatch && len(batch) < writers {
				select {
				case r := <-c.requests:
					batch = append(batch, r)
					n += len(r.entries)
				case <-lingering.C:
					break wait
				}
			}
			lingering.Stop() // since Go 1.23, Reset after Stop never sees a stale tick
		}
		entries := make([]syncstate.Entry, 0, n)
		for _, r := range batch {
			entries = append(entries, r.entries...)
		}
		// The commit runs on its own context: callers' contexts must not
		// abort a transaction that also carries other callers' records.
		ctx, cancel := context.WithTimeout(context.Background(), CommitTimeout)
		err := c.commit(ctx, entries)
		cancel()
		for _, r := range batch {
			r.result <- err
		}
		recent[commits%len(recent)] = len(batch)
		commits++
		writers = 0
		for _, w := range recent {
			writers = max(writers, w)
		}
		if len(batch) < 2 {
			writers = 0 // a lone writer commits at once
		}
	}
}
