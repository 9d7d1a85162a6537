package bulk

import (
	"context"
	"sync"
)

// parkedPerWorker bounds the updates a bulk run parks behind a customer
// already in flight, per worker. Parking lets other customers flow past
// a busy one; the bound keeps memory flat when one customer repeats
// without end, by holding the reader back (see keyLanes.admit).
const parkedPerWorker = 64

// keyLanes keeps a run's records for one customer in input order
// while other customers flow, as Kafka does per partition key. A key with
// an update in flight has a lane; later updates for that key park in it,
// and the worker that finishes an update takes the next parked one of
// the same key itself, so a key is never in two workers at once and its
// updates run one after the other in input order, record retries
// included. Keys without a lane go straight to any free worker.
//
// Parked updates hold a slot each; when every slot is taken, admit waits,
// which holds the reader back: memory stays bounded by the slots however
// often a key repeats.
type keyLanes struct {
	mu    sync.Mutex
	lanes map[string]*lane
	slots chan struct{}
}

// lane holds the parked updates of one key in flight, oldest first.
type lane struct{ parked []*job }

func newKeyLanes(maxParked int) *keyLanes {
	return &keyLanes{lanes: map[string]*lane{}, slots: make(chan struct{}, maxParked)}
}

// admit takes the next update of the input. It returns true when the
// update may run now (it is unkeyed, or its key had nothing in flight:
// the caller hands it to a worker and owns its lane), false when it was
// parked behind its key's update in flight. It waits for a free slot
// before parking; err is feed's cause when feed ended first, and the
// update was then neither admitted nor parked.
func (l *keyLanes) admit(feed context.Context, j *job) (run bool, err error) {
	if !j.keyed {
		return true, nil
	}
	l.mu.Lock()
	if _, busy := l.lanes[j.key]; !busy {
		l.lanes[j.key] = &lane{}
		l.mu.Unlock()
		return true, nil
	}
	l.mu.Unlock()
	select {
	case l.slots <- struct{}{}:
	case <-feed.Done():
		return false, context.Cause(feed)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	ln, busy := l.lanes[j.key]
	if !busy { // the update in flight finished while we waited for a slot
		<-l.slots
		l.lanes[j.key] = &lane{}
		return true, nil
	}
	ln.parked = append(ln.parked, j)
	return false, nil
}

// next is called when job has finished: it returns the next parked update
// of job's key, which the caller runs now, or false when none is parked
// (the key's lane is then closed).
func (l *keyLanes) next(j *job) (*job, bool) {
	if !j.keyed {
		return nil, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	ln := l.lanes[j.key]
	if ln == nil || len(ln.parked) == 0 {
		delete(l.lanes, j.key)
		return nil, false
	}
	nextJob := ln.parked[0]
	ln.parked[0] = nil // let the update be collected
	ln.parked = ln.parked[1:]
	<-l.slots
	return nextJob, true
}

// release closes the lane of a job that was admitted but never handed to
// a worker (the feed ended first). Nothing can be parked behind it: only
// the reader parks, and it is the caller.
func (l *keyLanes) release(j *job) {
	if !j.keyed {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.lanes, j.key)
}
