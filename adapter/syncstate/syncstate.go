// Package syncstate remembers which updates each vendor confirmed, so a
// nightly push sends only what changed and a killed push resumes where it
// stopped.
//
// A Store maps a record's Key (vendor, account fingerprint, the vendor's
// key for the customer) to the Record of the last update the vendor
// confirmed for it: a digest of what was confirmed, the vendor's id and
// when. A bulk run looks records up before sending them (many keys per
// GetMany) and skips those whose digest is unchanged; it writes a record
// only after the vendor's success, and counts the success only once Put
// has returned, so the store never claims a record the vendor did not
// confirm.
//
// Two implementations pass one conformance suite (package statetest):
//
//   - syncstate/sqlite: one local file, the embedded default; pure Go, so
//     it cross-compiles; inspect it with the sqlite3 shell.
//   - syncstate/postgres: a PostgreSQL database, for runs without a
//     persistent disk (containers, CI runners) or several machines
//     sharing one sync.
//
// Both batch concurrent Puts into one transaction (group commit), so many
// workers share one durable commit, and both stay correct with several
// processes, on several machines, writing one store. No write depends on
// a clock: SyncedAt is kept for people reading the state, and which
// write stands is decided by commit order and by conditions on the
// stored digest (Entry.IfDigest), never by comparing times, since the
// clocks of two machines need not agree.
//
// Both can also be opened read-only (OpenReadOnly), for a dry run: such a
// store reads what the writable ones commit, creates and writes nothing,
// not even a schema, and refuses every Put with ErrReadOnly.
//
// Both also keep a run log (RunLog, an optional interface beside Store):
// each run that wrote the store, with its counts, and each customer's
// last failure, for people asking what a night did and why a customer is
// not as its input says. A run records its start and end and its
// failures only: a night with nothing failing writes two rows more.
package syncstate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Key says which vendor record a Record is about.
type Key struct {
	// Vendor is the vendor's name, (*adapter.Client).Vendor(): "billbee".
	Vendor string
	// Account is the credential's fingerprint, (*adapter.Client).Account():
	// never the credential itself.
	Account string
	// Key is the vendor's own key for the customer, (*adapter.Client).Key.
	Key string
}

// String writes the key for messages, each part clipped to 64 bytes.
func (k Key) String() string {
	return fmt.Sprintf("%s/%s/%s", clip(k.Vendor), clip(k.Account), clip(k.Key))
}

func clip(s string) string {
	const n = 64
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Record is what a store holds for a Key: the last update the vendor
// confirmed.
type Record struct {
	// Digest identifies what the vendor confirmed: an opaque string, up
	// to MaxFieldBytes, that stores compare only for equality (for
	// example the digests of a customer's rows, one after another).
	Digest string
	// VendorID is the vendor's own id for the record (Result.VendorID).
	VendorID string
	// SyncedAt is when the writer saw the vendor confirm it, by the
	// writer's clock. Stores keep it to the microsecond, in UTC, and never
	// compare it: it says when, not which write wins.
	SyncedAt time.Time
}

// Entry is one record to write, as Put takes it: a confirmation, or a
// mark (a digest no update has, written unconditionally) that makes the
// next run send the customer again.
//
// An entry without IfDigest always writes: of two writes to one Key, the
// one committed last stands, whatever their SyncedAt. A mark must never
// be lost to a writer whose clock is behind, or the store would claim a
// value the vendor may not hold.
type Entry struct {
	Key
	Record
	// IfDigest makes the write conditional: when set, the record is
	// written only if the digest stored for Key is still *IfDigest (""
	// for "no record"), as the writer read it before sending. Otherwise
	// another writer (a second push, another machine) wrote the same
	// customer in between (the same update twice is no conflict), the
	// vendor's order of the two is unknown, and the store writes Conflict
	// as the digest instead, so the next run sends the customer again.
	// The condition alone decides, never SyncedAt.
	IfDigest *string
	// Conflict is the digest written when IfDigest no longer holds.
	Conflict string
}

// Store is the sync state. Implementations are safe for concurrent use,
// also by several processes sharing one store.
type Store interface {
	// Get returns the record stored for k, and false when there is none.
	Get(ctx context.Context, k Key) (Record, bool, error)
	// GetMany returns the records stored for keys, in one round trip
	// where the store allows; a key with no record is absent from the map.
	GetMany(ctx context.Context, keys []Key) (map[Key]Record, error)
	// Holds reports whether the store holds any record for vendor's
	// account. A run that finds none before it starts need not look up
	// the customers it has not met yet.
	Holds(ctx context.Context, vendor, account string) (bool, error)
	// Put stores entries, in order, and returns once they are durable:
	// after a nil error they survive a crash of the process (and, for
	// PostgreSQL, of the server). One kind of write may be lazy: an entry
	// that expects no record (IfDigest set to "") and creates one may
	// be lost to a crash of the machine or the database server, never of
	// the calling process, within a second or so of Put returning, when
	// every entry the store commits with it is such an entry too. Losing
	// it leaves the key with no record, as it was, and a run then sends
	// the customer again; never skips it. A store still makes such a
	// write durable before it returns when the entry found a record (and
	// wrote its Conflict digest). An unconditional entry always writes,
	// so the last write to a key in commit order stands; a conditional
	// one (IfDigest) is checked against the stored record in the same
	// transaction. Neither looks at SyncedAt. Invalid entries fail the
	// whole call, naming the field, and nothing is written. A store
	// opened read-only refuses every Put with ErrReadOnly.
	Put(ctx context.Context, entries ...Entry) error
	// Close waits for Puts in progress and releases the store; later calls
	// fail with ErrClosed.
	Close() error
}

// ErrClosed is returned by a Store used after Close.
var ErrClosed = errors.New("syncstate: the store is closed")

// ErrReadOnly is returned by Put on a store opened read-only, such as
// one a dry run reads: it writes nothing.
var ErrReadOnly = errors.New("syncstate: the store is open read-only")

// MaxFieldBytes bounds every text field of an entry, so a bad caller
// cannot write megabytes per row.
const MaxFieldBytes = 4096

// Check reports the first problem with e, naming the field, or nil. Stores
// call it on every entry before writing any.
func (e Entry) Check() error {
	// Fixed arrays, not slices: Check runs for every entry a run writes,
	// and must not allocate.
	required := [...]struct{ name, value string }{
		{"Vendor", e.Vendor}, {"Account", e.Account}, {"Key", e.Key.Key}, {"Digest", e.Digest},
	}
	for _, f := range required {
		if strings.TrimSpace(f.value) == "" {
			return fmt.Errorf("syncstate: entry %s: %s is empty", e.Key, f.name)
		}
	}
	ifDigest := ""
	if e.IfDigest != nil {
		ifDigest = *e.IfDigest
	}
	fields := [...]struct{ name, value string }{
		{"Vendor", e.Vendor}, {"Account", e.Account}, {"Key", e.Key.Key}, {"Digest", e.Digest}, {"VendorID", e.VendorID},
		{"Conflict", e.Conflict}, {"IfDigest", ifDigest},
	}
	for _, f := range fields {
		if len(f.value) > MaxFieldBytes {
			return fmt.Errorf("syncstate: entry %s: %s is %d bytes, more than %d", e.Key, f.name, len(f.value), MaxFieldBytes)
		}
		if strings.IndexByte(f.value, 0) >= 0 {
			return fmt.Errorf("syncstate: entry %s: %s contains a NUL byte", e.Key, f.name)
		}
		// PostgreSQL refuses such text, failing every entry committed with
		// it; refused here, it fails only its own Put, in every store.
		if !utf8.ValidString(f.value) {
			return fmt.Errorf("syncstate: entry %s: %s is not valid UTF-8", e.Key, f.name)
		}
	}
	if e.IfDigest != nil && strings.TrimSpace(e.Conflict) == "" {
		return fmt.Errorf("syncstate: entry %s: Conflict is empty; a conditional entry needs the digest to write when its condition fails", e.Key)
	}
	if e.SyncedAt.IsZero() {
		return fmt.Errorf("syncstate: entry %s: SyncedAt is the zero time", e.Key)
	}
	if y := e.SyncedAt.UTC().Year(); y < 1 || y > 9999 {
		return fmt.Errorf("syncstate: entry %s: SyncedAt %s is outside years 1 to 9999", e.Key, e.SyncedAt)
	}
	return nil
}

// TimeLayout is how stores write SyncedAt as text: UTC, fixed width, to
// the microsecond, so text order is time order.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// Normalize returns t as stores keep it: UTC, to the microsecond.
func Normalize(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
