package bulk

import (
	"context"
	"fmt"
	"hash/maphash"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/syncstate"
)

// Incremental sync treats a customer's records in the input as one
// sequence, and keeps in the state store, per customer, the sequence the
// vendor last confirmed: each record's digest and the fields it sets.
const (
	// lookupBatch is how many records decide reads ahead to look their
	// customers up in one store query.
	lookupBatch = 512
	// maxHeld bounds the records held back, in all, while it is not yet
	// known whether they must be sent (see holding). Past it the customer
	// being held is sent: sending is always safe, skipping is the saving.
	maxHeld = 4096
	// storeTries is how often a state write is tried before the run
	// gives up on the store.
	storeTries = 3
	// unconfirmed is what the store holds for a customer whose last
	// record may or may not have reached the vendor: it matches nothing.
	unconfirmed = "unconfirmed"
	// seqPrefix starts a stored sequence; a store written by an older
	// custsync holds a single update's digest ("v1:...") instead.
	seqPrefix = "s1:"
	// rowDigestLen is how much of an update's SHA-256 digest a stored
	// row keeps: 96 bits, so a changed record matches by chance with a
	// probability of 2^-96.
	rowDigestLen = 24
	// tailDigest stands for records of an earlier night past the last one
	// this run confirmed: the fields they set may still be at the vendor.
	tailDigest = "~"
	// invalidDigest is the row of a record that has no digest (invalid):
	// it matches nothing.
	invalidDigest = "!"
)

// rowMark is one record of a customer's sequence as the store keeps it.
type rowMark struct {
	digest string
	mask   uint64 // the fields the record sets: bit i is adapter.FieldNames()[i]
}

// row is a record's place in its customer's sequence.
type row struct {
	cust *customer
	pos  int // from 1
	mark rowMark
}

// mode is where a customer's sequence stands in this run.
type mode uint8

const (
	// matching: every record so far equals the stored one at its place,
	// and none was sent.
	matching mode = iota
	// holding: matching, but a record was held back since: a later
	// record of the stored sequence set one of its fields too, so it must
	// be sent again if any later record changed or is gone.
	holding
	// sending: a record differed from the stored one at its place; it and
	// every later record of the customer are sent, in order.
	sending
	// broken: a record failed, was not sent, or was stored otherwise than
	// sent; later ones are still sent (or held back by the run after a
	// failure), but the store is not brought up to date.
	broken
)

// customer is what a run knows of one customer's sequence.
type customer struct {
	key      syncstate.Key
	base     []rowMark // the stored sequence when the run first met the customer
	suffix   []uint64  // suffix[i]: the fields set by base[i:]
	vendorID string
	stored   string // the digest the store holds, as this run last read or wrote it
	seen     int
	mode     mode
	held     []*job
	marks    []rowMark // this run's records 1..seen
	pending  int       // records dispatched and not yet settled
	eof      bool      // the input has ended: seen is final
	final    bool      // the store must be brought up to date at the end, without a request
}

// incremental is a run's incremental sync: decide, on its own goroutine,
// skips or holds what the store holds as confirmed and dispatches the
// rest; settled records what the vendor confirmed.
type incremental struct {
	e     *engine
	store syncstate.Store
	seed  maphash.Seed
	bits  map[string]uint64
	// fresh: the store held no record of the account when the run
	// began, so a customer the run has not met has none either (or one
	// another writer wrote since, which the conditional confirmation
	// catches): only those it met are looked up. The usual first night.
	fresh bool

	mu sync.Mutex
	// full holds the customers the run must remember in detail; compact
	// holds, by a hash of the key, only how many records were seen of
	// customers whose stored sequence is exactly those records.
	full    map[string]*customer
	compact seenTable
	// partial holds, by key, how many records were seen of customers
	// whose records so far all equal the first ones of a longer stored
	// sequence and needed no holding: the store still holds what it held.
	partial   map[string]uint32
	heldTotal int
	finalized int
	// idle lists customers whose records are all settled and whose stored
	// sequence is exactly those records: decide forgets their details.
	idle []*customer
}

func newIncremental(e *engine) *incremental {
	bits := map[string]uint64{}
	for i, name := range adapter.FieldNames() {
		bits[name] = 1 << (i % 64)
	}
	return &incremental{e: e, store: timedStore{Store: e.cfg.store, t: e.tel}, seed: maphash.MakeSeed(), bits: bits,
		full: map[string]*customer{}, partial: map[string]uint32{}}
}

// decide takes the records read, in order, and skips, holds or
// dispatches each; at the end of the input it settles the held ones.
func (inc *incremental) decide(in <-chan *job) {
	held := true
	err := inc.retry(inc.e.feed, func(ctx context.Context) (err error) {
		held, err = inc.store.Holds(ctx, inc.e.vendor, inc.e.c.Account())
		return err
	})
	inc.fresh = err == nil && !held // on an error, every customer is looked up, as usual
	batch := make([]*job, 0, lookupBatch)
	for j := range in {
		batch = append(batch[:0], j)
	more:
		for len(batch) < lookupBatch {
			select {
			case j, ok := <-in:
				if !ok {
					break more
				}
				batch = append(batch, j)
			default:
				break more
			}
		}
		looked := inc.prepare(batch)
		for _, j := range batch {
			inc.place(j, looked)
		}
		clear(batch)
	}
	inc.endOfInput()
}

// prepare computes each record's row and looks up, in one query, the
// customers the run does not remember in detail.
func (inc *incremental) prepare(batch []*job) lookup {
	var keys []syncstate.Key // none on most of a first night's batches
	inc.mu.Lock()
	for _, c := range inc.idle {
		if inc.full[c.key.Key] == c && c.mode == sending && c.pending == 0 && !c.eof {
			inc.forget(c)
		}
	}
	clear(inc.idle)
	inc.idle = inc.idle[:0]
	for _, j := range batch {
		if !j.keyed {
			continue
		}
		if _, ok := inc.full[j.key]; !ok && (!inc.fresh || inc.met(j.key)) {
			if keys == nil {
				keys = make([]syncstate.Key, 0, len(batch))
			}
			keys = append(keys, inc.keyOf(j.key))
		}
	}
	inc.mu.Unlock()
	for _, j := range batch {
		j.row = &row{mark: inc.markOf(j)}
	}
	if len(keys) == 0 || inc.e.feed.Err() != nil {
		return lookup{fresh: inc.fresh}
	}
	var recs map[syncstate.Key]syncstate.Record
	err := inc.retry(inc.e.feed, func(ctx context.Context) (err error) {
		recs, err = inc.store.GetMany(ctx, keys)
		return err
	})
	if err != nil {
		if inc.e.feed.Err() == nil {
			inc.e.halt(haltedError(&Halt{Reason: "the sync state store could not be read", Last: err}, false))
		}
		return lookup{}
	}
	l := lookup{recs: recs, asked: make(map[syncstate.Key]struct{}, len(keys)), fresh: inc.fresh}
	for _, k := range keys {
		l.asked[k] = struct{}{}
	}
	return l
}

// met reports whether the run met the customer of key before and
// forgot its details. inc.mu is held.
func (inc *incremental) met(key string) bool {
	if _, ok := inc.partial[key]; ok {
		return true
	}
	_, ok := inc.compact.get(maphash.String(inc.seed, key))
	return ok
}

// lookup is what one store query found for the customers of a batch.
type lookup struct {
	recs  map[syncstate.Key]syncstate.Record
	asked map[syncstate.Key]struct{}
	// fresh: the customers not asked that the run has not met have no
	// record (see incremental.fresh).
	fresh bool
}

func (inc *incremental) keyOf(key string) syncstate.Key {
	return syncstate.Key{Vendor: inc.e.vendor, Account: inc.e.c.Account(), Key: key}
}

// markOf is j's row as the store keeps it.
func (inc *incremental) markOf(j *job) rowMark {
	if j.rec.Err != nil || j.update == nil {
		return rowMark{digest: invalidDigest, mask: ^uint64(0)}
	}
	d, err := j.update.Digest()
	if err != nil || len(d) < 3+rowDigestLen {
		return rowMark{digest: invalidDigest, mask: ^uint64(0)}
	}
	var mask uint64
	for _, f := range j.update.SetFields() {
		mask |= inc.bits[f]
	}
	return rowMark{digest: d[3 : 3+rowDigestLen], mask: mask}
}

// place decides what becomes of j, the next record of its customer.
func (inc *incremental) place(j *job, looked lookup) {
	if !j.keyed {
		inc.dispatch(j)
		return
	}
	var send, skipped []*job
	var skip bool
	inc.mu.Lock()
	c := inc.customerOf(j, looked)
	c.seen++
	j.row.cust, j.row.pos = c, c.seen
	c.marks = append(c.marks, j.row.mark)
	switch c.mode {
	case matching, holding:
		switch {
		case !c.matches(j.row.pos, j.row.mark):
			c.mode = sending
			skipped, send = inc.changedAt(c, j.row.pos)
			send = append(send, j)
		case c.mode == holding || c.atRisk(j.row.pos):
			c.mode = holding
			c.held = append(c.held, j)
			inc.heldTotal++
			if inc.heldTotal > maxHeld {
				c.mode = sending // sending is always safe; memory must stay bounded
				send = inc.release(c)
			}
		default:
			skip = true
			inc.compactIfDone(c)
		}
	default:
		send = []*job{j}
	}
	c.pending += len(send)
	vendorID := c.vendorID
	inc.mu.Unlock()
	if skip {
		inc.e.emit(inc.unchanged(j, vendorID))
	}
	for _, s := range skipped {
		inc.e.emit(inc.unchanged(s, vendorID))
	}
	for _, s := range send {
		inc.dispatch(s)
	}
}

// dispatch hands j to the run, or reports it not sent when the feed
// has ended.
func (inc *incremental) dispatch(j *job) {
	if !inc.e.dispatch(j) {
		inc.unsent(j)
		inc.e.reportNotSent(j)
	}
}

// release takes c's held records, to be sent. inc.mu is held.
func (inc *incremental) release(c *customer) []*job {
	held := c.held
	inc.heldTotal -= len(held)
	c.held = nil
	return held
}

// changedAt splits c's held records once its sequence is known to
// differ from the stored one at pos (a record changed there, or the
// sequence ended before it): from the first held record that a stored
// record at pos or later overwrote, they are sent, in order; the ones
// before it are unchanged, since what overwrote them is still there.
// inc.mu is held.
func (inc *incremental) changedAt(c *customer, pos int) (unchanged, send []*job) {
	held := inc.release(c)
	later := c.suffix[min(pos-1, len(c.base))]
	for i, h := range held {
		if h.row.mark.mask&later != 0 {
			return held[:i], held[i:]
		}
	}
	return held, nil
}

// customerOf is what the run knows of j's customer, from memory or from
// the store. inc.mu is held.
func (inc *incremental) customerOf(j *job, looked lookup) *customer {
	if c, ok := inc.full[j.key]; ok {
		return c
	}
	key := inc.keyOf(j.key)
	rec, found := looked.recs[key]
	if _, asked := looked.asked[key]; !asked && !(looked.fresh && !inc.met(j.key)) && inc.e.feed.Err() == nil {
		// Forgotten between prepare and now (a customer compacted
		// meanwhile), or the batch was not looked up: ask alone.
		inc.mu.Unlock()
		err := inc.retry(inc.e.feed, func(ctx context.Context) (err error) {
			rec, found, err = inc.store.Get(ctx, key)
			return err
		})
		inc.mu.Lock()
		if c, ok := inc.full[j.key]; ok {
			return c
		}
		if err != nil {
			found = false
		}
	}
	c := &customer{key: key, mode: sending}
	if found {
		c.stored, c.vendorID = rec.Digest, rec.VendorID
		base, ok := parseSequence(rec.Digest)
		refresh := inc.e.cfg.refreshAfter > 0 && inc.e.cfg.now().Sub(rec.SyncedAt) > inc.e.cfg.refreshAfter
		if ok && !refresh && !inc.e.cfg.force {
			c.base, c.mode = base, matching
			c.suffix = make([]uint64, len(base)+1)
			for i := len(base) - 1; i >= 0; i-- {
				c.suffix[i] = c.suffix[i+1] | base[i].mask
			}
		}
	}
	h := maphash.String(inc.seed, j.key)
	seen, partial := inc.partial[j.key]
	if partial {
		// Seen before and forgotten: its records so far are the stored
		// sequence's first ones, and nothing was written since.
		delete(inc.partial, j.key)
	} else if seen, partial = inc.compact.get(h); partial {
		// The store holds exactly the records seen of it so far.
		inc.compact.remove(h)
	}
	if partial {
		c.seen = int(seen)
		c.marks = append(c.marks, c.base[:min(c.seen, len(c.base))]...)
		for len(c.marks) < c.seen {
			c.marks = append(c.marks, rowMark{digest: invalidDigest, mask: ^uint64(0)})
		}
		if c.mode == matching && len(c.base) < c.seen {
			c.mode = sending
		}
	}
	inc.full[j.key] = c
	return c
}

// matches reports whether the record at pos equals the stored one there.
func (c *customer) matches(pos int, m rowMark) bool {
	return pos <= len(c.base) && m.digest != invalidDigest && c.base[pos-1].digest == m.digest
}

// atRisk reports whether a later stored record set one of the fields of
// the record at pos: if it changed or is gone, the vendor holds its value
// there, and the record at pos must be sent again to restore it.
func (c *customer) atRisk(pos int) bool {
	return c.base[pos-1].mask&c.suffix[pos] != 0
}

// compactIfDone forgets the details of a customer whose every record so
// far was unchanged and whose stored sequence has no more: only the
// count is kept, in case the input holds more of it. inc.mu is held.
func (inc *incremental) compactIfDone(c *customer) {
	if c.mode != matching || c.pending > 0 || len(c.held) > 0 {
		return
	}
	switch {
	case c.seen == len(c.base) && !hasTail(c.base):
		inc.forget(c)
	case c.seen < len(c.base):
		// More of it may come; if not, the store is brought up to date at
		// the end (finalize), which looks its sequence up again.
		delete(inc.full, c.key.Key)
		inc.partial[c.key.Key] = uint32(c.seen)
	}
}

// forget keeps only the count of records seen of c. inc.mu is held.
func (inc *incremental) forget(c *customer) {
	delete(inc.full, c.key.Key)
	inc.compact.put(maphash.String(inc.seed, c.key.Key), uint32(c.seen))
}

func hasTail(seq []rowMark) bool {
	return len(seq) > 0 && seq[len(seq)-1].digest == tailDigest
}

// unchanged is the outcome of a record the store holds as confirmed.
func (inc *incremental) unchanged(j *job, vendorID string) Outcome {
	return Outcome{Seq: j.seq, Record: j.rec, Status: Unchanged, Result: &adapter.Result{
		Vendor: inc.e.vendor, ID: j.update.ID, VendorID: vendorID,
		Sent: []string{}, Dropped: []string{}, Unchanged: true, Skipped: true}}
}

// endOfInput settles the customers still held once every record is
// read: one whose sequence ended as stored is unchanged; one whose
// sequence is shorter than the stored one has its held records sent.
func (inc *incremental) endOfInput() {
	type unchangedJob struct {
		j        *job
		vendorID string
	}
	var skip []unchangedJob
	var send []*job
	inc.mu.Lock()
	for _, c := range inc.full {
		c.eof = true
		ended := c.seen == len(c.base) && !hasTail(c.base)
		switch {
		case c.mode == holding && ended:
			for _, j := range c.held {
				skip = append(skip, unchangedJob{j, c.vendorID})
			}
			inc.release(c)
			c.mode = matching
		case c.mode == holding:
			c.mode = sending
			unchanged, held := inc.changedAt(c, c.seen+1)
			for _, j := range unchanged {
				skip = append(skip, unchangedJob{j, c.vendorID})
			}
			c.pending += len(held)
			send = append(send, held...)
			if len(held) == 0 {
				c.final = true
			}
		case c.mode == matching && !ended:
			c.final = true // unchanged, but the stored sequence is longer
		case c.mode == sending && c.pending == 0 && c.stored != encodeSequence(c.marks, 0, false):
			c.final = true // its last confirmation kept a tail
		}
	}
	inc.mu.Unlock()
	for _, s := range skip {
		inc.e.emit(inc.unchanged(s.j, s.vendorID))
	}
	for _, j := range send {
		inc.dispatch(j)
	}
}

// settled records what became of a record the run sent, and returns its
// outcome, which changes only when the store cannot record a success.
func (inc *incremental) settled(j *job, out Outcome) Outcome {
	if inc == nil || j.row == nil || j.row.cust == nil {
		return out
	}
	c, pos := j.row.cust, j.row.pos
	dry := inc.e.cfg.dryRun || out.Result != nil && out.Result.DryRun != nil
	inc.mu.Lock()
	var entry *syncstate.Entry
	tailed := false // entry ends with a row for an earlier night's later records
	now := inc.e.cfg.now()
	switch {
	case dry:
	case c.mode == broken:
		// An earlier record of the customer may or may not be at the
		// vendor as sent, and its mark says so; a confirmation written now
		// would claim it.
	case out.Status == Succeeded && len(out.Result.Mismatches) > 0:
		// Written, but not as sent: not a fact to skip on tomorrow.
		entry = inc.markEntry(c, pos, now)
		entry.VendorID = out.Result.VendorID
		c.mode = broken // nothing after it may be claimed either
	case out.Status == Succeeded || out.Status == Unchanged:
		final := c.eof && pos == c.seen
		tailed = !final && pos < len(c.base)
		tail := uint64(0)
		if tailed {
			tail = c.suffix[pos]
		}
		digest := encodeSequence(c.marks[:pos], tail, tailed)
		seen := c.stored
		vendorID := c.vendorID
		if out.Result != nil && out.Result.VendorID != "" {
			vendorID = out.Result.VendorID
		}
		entry = &syncstate.Entry{Key: c.key, Record: syncstate.Record{Digest: digest, VendorID: vendorID, SyncedAt: now},
			IfDigest: &seen, Conflict: unconfirmed}
	case out.Attempted:
		// It may have landed: forget the confirmation it may have undone.
		entry = inc.markEntry(c, pos, now)
		c.mode = broken
	default:
		c.mode = broken
	}
	inc.mu.Unlock()

	var err error
	if entry != nil {
		// WithoutCancel: the vendor has answered; an interrupt arriving
		// now must not keep the answer from the store.
		err = inc.retry(context.WithoutCancel(inc.e.ctx), func(ctx context.Context) error { return inc.store.Put(ctx, *entry) })
	}

	inc.mu.Lock()
	defer inc.mu.Unlock()
	c.pending--
	switch {
	case err != nil && (out.Status == Succeeded || out.Status == Unchanged):
		c.mode = broken
		out = inc.unrecorded(out, err)
	case err != nil:
		c.mode = broken
	case entry != nil:
		c.stored = entry.Digest
		if entry.IfDigest != nil {
			c.vendorID = entry.VendorID
		}
		if c.mode == sending && c.pending == 0 && !c.eof && !tailed {
			// Forgotten by decide, before its next lookup: a lookup made
			// earlier would not have seen this write.
			inc.idle = append(inc.idle, c)
		}
	}
	if c.eof && c.pending == 0 && c.mode != broken && c.stored != encodeSequence(c.marks, 0, false) {
		c.final = true // the input ended while its last record was in flight
	}
	return out
}

// markEntry is the unconditional write that says the customer's record
// at pos may or may not be at the vendor: the records before it as
// confirmed, then a row that matches nothing, for the fields it and any
// later stored record set. inc.mu is held.
func (inc *incremental) markEntry(c *customer, pos int, now time.Time) *syncstate.Entry {
	mask := c.marks[pos-1].mask
	if pos <= len(c.base) {
		mask |= c.suffix[pos-1]
	}
	return &syncstate.Entry{Key: c.key, Record: syncstate.Record{
		Digest: encodeSequence(c.marks[:pos-1], mask, true), VendorID: c.vendorID, SyncedAt: now}}
}

// unrecorded is the outcome of a record the vendor confirmed but the
// store could not record: a failure, since the next run will send it
// again, and a halt, since no later confirmation can be recorded either.
func (inc *incremental) unrecorded(out Outcome, err error) Outcome {
	status := 0
	if out.Result != nil {
		status = out.Result.HTTPStatus
	}
	inc.e.halt(haltedError(&Halt{Reason: "the sync state store could not be written", Last: err}, false))
	out.Status = Failed
	out.Err = &adapter.Error{Vendor: inc.e.vendor, Code: adapter.Unavailable, Retryable: true, HTTPStatus: status, Err: err,
		Message: fmt.Sprintf("applied by %s (HTTP %d) but not recorded in the sync state store, so the next run sends it again: %v", inc.e.vendor, status, err)}
	return out
}

// unsent notes that j was not sent (the run ended first, or it was held
// back or invalid): its customer's store record stays as it is.
func (inc *incremental) unsent(j *job) {
	if inc == nil || j.row == nil || j.row.cust == nil {
		return
	}
	inc.mu.Lock()
	defer inc.mu.Unlock()
	j.row.cust.mode = broken
	j.row.cust.pending--
}

// finalize brings the store up to date, without a request, for the
// customers whose sequence ended shorter than the stored one while every
// record was unchanged or sent: the vendor holds what they set.
func (inc *incremental) finalize() {
	if inc.e.cfg.dryRun || inc.e.readErr != nil {
		return // nothing written, or the input's end, and so its sequences', unknown
	}
	entries := inc.partialEntries()
	inc.mu.Lock()
	now := inc.e.cfg.now()
	for _, c := range inc.full {
		if !c.final || c.mode == broken || c.pending > 0 {
			continue
		}
		seen := c.stored
		entries = append(entries, syncstate.Entry{Key: c.key, Record: syncstate.Record{
			Digest: encodeSequence(c.marks, 0, false), VendorID: c.vendorID, SyncedAt: now},
			IfDigest: &seen, Conflict: unconfirmed})
	}
	inc.mu.Unlock()
	if len(entries) == 0 {
		return
	}
	if err := inc.retry(context.WithoutCancel(inc.e.ctx), func(ctx context.Context) error { return inc.store.Put(ctx, entries...) }); err == nil {
		inc.finalized = len(entries)
	}
}

// partialEntries are the finalizing writes of the customers forgotten as
// partial whose sequence the input ended before the stored one's end: the
// store's sequence cut to the records seen, conditional on it unchanged.
func (inc *incremental) partialEntries() []syncstate.Entry {
	inc.mu.Lock()
	keys := make([]syncstate.Key, 0, len(inc.partial))
	seen := make(map[syncstate.Key]int, len(inc.partial))
	for key, n := range inc.partial {
		k := inc.keyOf(key)
		keys = append(keys, k)
		seen[k] = int(n)
	}
	now := inc.e.cfg.now()
	inc.mu.Unlock()
	var entries []syncstate.Entry
	for len(keys) > 0 {
		batch := keys[:min(len(keys), lookupBatch)]
		keys = keys[len(batch):]
		var recs map[syncstate.Key]syncstate.Record
		err := inc.retry(context.WithoutCancel(inc.e.ctx), func(ctx context.Context) (err error) {
			recs, err = inc.store.GetMany(ctx, batch)
			return err
		})
		if err != nil {
			return entries // the next run finds the longer sequence, and sends the rest
		}
		for k, rec := range recs {
			base, ok := parseSequence(rec.Digest)
			if !ok || seen[k] >= len(base) {
				continue
			}
			was := rec.Digest
			entries = append(entries, syncstate.Entry{Key: k, Record: syncstate.Record{
				Digest: encodeSequence(base[:seen[k]], 0, false), VendorID: rec.VendorID, SyncedAt: now},
				IfDigest: &was, Conflict: unconfirmed})
		}
	}
	return entries
}

// retry runs op until it succeeds, storeTries times at most, with short
// growing pauses, unless ctx ends.
func (inc *incremental) retry(ctx context.Context, op func(ctx context.Context) error) error {
	pause := 50 * time.Millisecond
	var err error
	for try := 1; ; try++ {
		if err = op(ctx); err == nil || try == storeTries || ctx.Err() != nil {
			return err
		}
		if sleep(ctx, pause) != nil {
			return err
		}
		pause *= 2
	}
}

// encodeSequence writes a customer's rows as the store keeps them: "s1:"
// and each row as digest/fields (hex), then, with tail, a row for
// records of an earlier night that the vendor may still hold the fields
// of. A sequence too long for the store is written as one that matches
// nothing, so the customer is always sent.
func encodeSequence(rows []rowMark, tailMask uint64, tail bool) string {
	var b strings.Builder
	b.Grow(len(seqPrefix) + len(rows)*(rowDigestLen+10))
	b.WriteString(seqPrefix)
	for i, r := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(r.digest)
		b.WriteByte('/')
		b.WriteString(strconv.FormatUint(r.mask, 16))
	}
	if tail {
		if len(rows) > 0 {
			b.WriteByte(',')
		}
		b.WriteString(tailDigest + "/" + strconv.FormatUint(tailMask, 16))
	}
	if b.Len() > syncstate.MaxFieldBytes {
		return unconfirmed
	}
	return b.String()
}

// ConfirmedRecords reads the digest a run stored for a customer
// (syncstate.Record.Digest, see Incremental sync in the package doc): how
// many of the customer's records, from its first, the vendor confirmed,
// and whether that is all the store holds of it (whole). When it is not,
// the vendor may or may not hold what the next record set (it failed
// after a request went out, or two runs updated the customer at once),
// and the next run sends that record and every later one again. A digest
// no run writes as a sequence, such as "unconfirmed", confirms none.
func ConfirmedRecords(digest string) (confirmed int, whole bool) {
	rows, ok := parseSequence(digest)
	if !ok {
		return 0, false
	}
	for _, r := range rows {
		if r.digest == tailDigest || r.digest == invalidDigest {
			return confirmed, false
		}
		confirmed++
	}
	return confirmed, true
}

// parseSequence reads what encodeSequence wrote. A digest of an older
// custsync ("v1:...", one update) reads as a sequence of that one record
// setting any field; anything else (unconfirmed) as no usable sequence.
func parseSequence(digest string) ([]rowMark, bool) {
	if rest, ok := strings.CutPrefix(digest, "v1:"); ok && len(rest) >= rowDigestLen {
		return []rowMark{{digest: rest[:rowDigestLen], mask: ^uint64(0)}}, true
	}
	rest, ok := strings.CutPrefix(digest, seqPrefix)
	if !ok {
		return nil, false
	}
	if rest == "" {
		return nil, true
	}
	parts := strings.Split(rest, ",")
	rows := make([]rowMark, len(parts))
	for i, p := range parts {
		d, m, ok := strings.Cut(p, "/")
		mask, err := strconv.ParseUint(m, 16, 64)
		if !ok || err != nil || d == "" || d == tailDigest && i != len(parts)-1 {
			return nil, false
		}
		rows[i] = rowMark{digest: d, mask: mask}
	}
	return rows, true
}
