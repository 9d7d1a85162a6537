package adapter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/custsync/custsync/adapter/syncstate"
)

// Syncer is a Client that remembers what each vendor confirmed, in a
// syncstate.Store, and sends only what changed: an update whose digest
// (CustomerUpdate.Digest) equals the one last confirmed for the same
// vendor, account and key is not sent; its Result has Skipped and
// Unchanged set and no request is made. Every other update goes to the
// client; once the vendor confirms it, the Syncer writes it to the store
// and returns only when that write is durable. Hand a Syncer to UpdateAll
// for an incremental, resumable bulk run: after a crash, running the same
// input again sends only what the store does not hold as confirmed.
//
// A record that failed is never recorded as synced. When its update may
// have reached the vendor (the call failed after a request went out), the
// Syncer marks the record unconfirmed, so neither a later update of the
// same key in this run nor the next run skips it on the strength of an
// older confirmation.
type Syncer struct {
	client       *Client
	store        syncstate.Store
	refreshAfter time.Duration
	force        bool
	now          func() time.Time
}

var _ Updater = (*Syncer)(nil)

// SyncOption configures a Syncer. An option given a value outside its
// documented range makes NewSyncer fail with an InvalidArgument *Error
// naming the option and the value.
type SyncOption func(*Syncer) error

// WithRefreshAfter re-sends a record last confirmed longer than d ago even
// when its update is unchanged, to heal changes made at the vendor's side.
// 0 (the default) never refreshes; a negative d is refused.
func WithRefreshAfter(d time.Duration) SyncOption {
	return func(s *Syncer) error {
		if d < 0 {
			return invalidOption(fmt.Sprintf("WithRefreshAfter(%v)", d), "must be 0 (never refresh) or more")
		}
		s.refreshAfter = d
		return nil
	}
}

// WithForce sends every update, whatever the store holds, and still
// records what the vendor confirmed.
func WithForce(force bool) SyncOption {
	return func(s *Syncer) error { s.force = force; return nil }
}

// unconfirmed is the digest of a record whose last update may or may not
// have reached the vendor: it equals no update's digest.
const unconfirmed = "unconfirmed"

// NewSyncer wraps client with store. It fails with an InvalidArgument
// *Error when either is nil or an option refuses its value.
func NewSyncer(client *Client, store syncstate.Store, opts ...SyncOption) (*Syncer, error) {
	switch {
	case client == nil:
		return nil, &Error{Code: InvalidArgument, Message: "NewSyncer: no client given"}
	case isNil(store):
		return nil, client.stamp(&Error{Code: InvalidArgument, Message: "NewSyncer: no store given"}, nil)
	}
	s := &Syncer{client: client, store: store, now: time.Now}
	for i, o := range opts {
		if o == nil {
			return nil, client.stamp(nilOption("NewSyncer", i), nil)
		}
		if err := o(s); err != nil {
			return nil, client.stamp(err, nil)
		}
	}
	return s, nil
}

// Key is the client's key for u; UpdateAll orders updates by it.
func (s *Syncer) Key(u *CustomerUpdate) string { return s.client.Key(u) }

// Client is the client the Syncer sends through.
func (s *Syncer) Client() *Client { return s.client }

// Decision is what a Syncer would do with an update.
type Decision int

const (
	// Send means the store holds no confirmation of this update.
	Send Decision = iota
	// Skip means the store holds this update as confirmed.
	Skip
	// Refresh means confirmed, but longer ago than WithRefreshAfter.
	Refresh
	// Force means WithForce sends it whatever the store holds.
	Force
)

func (d Decision) String() string {
	switch d {
	case Skip:
		return "skip"
	case Refresh:
		return "refresh"
	case Force:
		return "force"
	}
	return "send"
}

// Decide reports what Update would do with u, and the record the store
// holds for it (ok false when none), without sending anything.
func (s *Syncer) Decide(ctx context.Context, u *CustomerUpdate) (Decision, syncstate.Record, bool, error) {
	key, digest, err := s.keyOf(u)
	if err != nil {
		return Send, syncstate.Record{}, false, err
	}
	return s.decide(ctx, key, digest)
}

func (s *Syncer) decide(ctx context.Context, key syncstate.Key, digest string) (Decision, syncstate.Record, bool, error) {
	rec, ok, err := s.store.Get(ctx, key)
	if err != nil {
		return Send, syncstate.Record{}, false, s.storeError(err, "could not be read; nothing was sent")
	}
	switch {
	case s.force:
		return Force, rec, ok, nil
	case !ok || rec.Digest != digest:
		return Send, rec, ok, nil
	case s.refreshAfter > 0 && s.now().Sub(rec.SyncedAt) > s.refreshAfter:
		return Refresh, rec, ok, nil
	}
	return Skip, rec, ok, nil
}

func (s *Syncer) keyOf(u *CustomerUpdate) (syncstate.Key, string, error) {
	if u == nil {
		return syncstate.Key{}, "", s.client.stamp(invalidArgument("", "no update given"), nil)
	}
	digest, err := u.Digest()
	if err != nil {
		return syncstate.Key{}, "", s.client.stamp(err, nil)
	}
	return syncstate.Key{Vendor: s.client.Vendor(), Account: s.client.Account(), Key: s.client.Key(u)}, digest, nil
}

// Update sends u unless the store holds it as confirmed; see Syncer. A
// dry run (WithDryRun) reads the store and writes nothing to it.
func (s *Syncer) Update(ctx context.Context, u *CustomerUpdate, opts ...CallOption) (*Result, error) {
	call, err := s.client.cfg.call.with("Update", opts)
	if err != nil {
		return nil, s.client.stamp(err, nil) // nothing read or sent
	}
	if u == nil || u.validate() != nil {
		return s.client.Update(ctx, u, opts...) // refused before anything is read or sent
	}
	key, digest, err := s.keyOf(u)
	if err != nil {
		return nil, err
	}
	decision, rec, found, err := s.decide(ctx, key, digest)
	if err != nil {
		reportNoAttempt(ctx)
		return nil, err
	}
	if decision == Skip {
		reportNoAttempt(ctx)
		return &Result{Vendor: s.client.Vendor(), ID: u.ID, VendorID: rec.VendorID,
			Sent: []string{}, Dropped: []string{}, Unchanged: true, Skipped: true}, nil
	}

	// The probe tells this Syncer whether anything went out; UpdateAll's
	// own, when there is one, is the same probe, so it learns it too.
	probe, ok := ctx.Value(attemptProbeKey{}).(*attemptProbe)
	if !ok {
		probe = &attemptProbe{}
		ctx = context.WithValue(ctx, attemptProbeKey{}, probe)
	}
	res, err := s.client.Update(ctx, u, opts...)
	if call.dryRun {
		return res, err
	}
	if err != nil {
		if probe.attempts > 0 {
			// It may have landed: forget the old confirmation. The vendor's
			// error stays the record's error whatever this write does.
			_ = s.store.Put(context.WithoutCancel(ctx), syncstate.Entry{Key: key,
				Record: syncstate.Record{Digest: unconfirmed, SyncedAt: s.now()}})
		}
		return nil, err
	}
	if len(res.Mismatches) > 0 {
		// Written, but not as sent: not a fact to skip tomorrow's send on.
		// The old confirmation is stale too; tomorrow sends it again and
		// reports the mismatch again, until the vendor stores what is sent.
		_ = s.store.Put(context.WithoutCancel(ctx), syncstate.Entry{Key: key,
			Record: syncstate.Record{Digest: unconfirmed, VendorID: res.VendorID, SyncedAt: s.now()}})
		return res, nil
	}
	// Conditional on the record as read before sending: if another push
	// confirmed this customer meanwhile, which write the vendor applied
	// last is unknown, and the store marks the record for sending again.
	seen := ""
	if found {
		seen = rec.Digest
	}
	entry := syncstate.Entry{Key: key, Record: syncstate.Record{Digest: digest, VendorID: res.VendorID, SyncedAt: s.now()},
		IfDigest: &seen, Conflict: unconfirmed}
	// WithoutCancel: the vendor has applied the update; a Ctrl-C arriving
	// now must not keep the confirmation from the store.
	if err := s.store.Put(context.WithoutCancel(ctx), entry); err != nil {
		return nil, s.storeError(err, fmt.Sprintf("could not record the update %s confirmed (HTTP %d); it will be sent again", s.client.Vendor(), res.HTTPStatus))
	}
	return res, nil
}

// reportNoAttempt tells UpdateAll that this call sent nothing.
func reportNoAttempt(ctx context.Context) {
	if probe, ok := ctx.Value(attemptProbeKey{}).(*attemptProbe); ok {
		probe.attempts, probe.reported = 0, true
	}
}

// storeError is a retryable Unavailable error about the state store: a
// bulk run tries the record again, and halts when the store stays down.
func (s *Syncer) storeError(err error, what string) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return s.client.stamp(&Error{Code: Unavailable, Retryable: true, Err: err,
		Message: fmt.Sprintf("the sync state store %s: %v", what, err)}, nil)
}
