package bulk_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/syncstate"
	"github.com/custsync/custsync/adapter/syncstate/sqlite"
)

// partialVendor is a fake partial-update vendor: each update sets the
// fields it sets and leaves the rest, as Upwell's input does. It keeps
// every customer's record and the log of what it was sent.
type partialVendor struct {
	mu      sync.Mutex
	records map[string]map[string]string // id -> field -> value
	sent    []string                     // "id:name|email|phone" of each update, in arrival order
	fail    func(u *adapter.CustomerUpdate) error
	// storesOtherwise, when it holds for an update, has the vendor
	// answer that it stored the name otherwise than sent.
	storesOtherwise func(u *adapter.CustomerUpdate) bool
}

func newPartialVendor() *partialVendor {
	return &partialVendor{records: map[string]map[string]string{}}
}

func (v *partialVendor) Update(_ context.Context, u *adapter.CustomerUpdate, _ ...adapter.CallOption) (*adapter.Result, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.sent = append(v.sent, describeUpdate(u))
	if v.fail != nil {
		if err := v.fail(u); err != nil {
			return nil, err
		}
	}
	v.apply(u)
	res := &adapter.Result{Vendor: "fake", ID: u.ID, VendorID: "v-" + u.ID, HTTPStatus: 200, Attempts: 1}
	if name, ok := u.Name.Value(); ok && v.storesOtherwise != nil && v.storesOtherwise(u) {
		stored := strings.ToUpper(name)
		v.records[u.ID]["name"] = stored
		res.Mismatches = []adapter.Mismatch{{Field: "name", Sent: []byte(strconv.Quote(name)), Stored: []byte(strconv.Quote(stored))}}
	}
	return res, nil
}

// clone is a vendor holding what v holds, with no log and no faults.
func (v *partialVendor) clone() *partialVendor {
	v.mu.Lock()
	defer v.mu.Unlock()
	c := newPartialVendor()
	for id, rec := range v.records {
		c.records[id] = maps.Clone(rec)
	}
	return c
}

// apply stores what u sets. v.mu is held.
func (v *partialVendor) apply(u *adapter.CustomerUpdate) {
	rec := v.records[u.ID]
	if rec == nil {
		rec = map[string]string{}
		v.records[u.ID] = rec
	}
	for name, f := range map[string]adapter.Field[string]{"name": u.Name, "email": u.Email, "phone": u.Phone} {
		if s, ok := f.Value(); ok {
			rec[name] = s
		}
	}
}

func (v *partialVendor) Key(u *adapter.CustomerUpdate) string { return u.ID }
func (v *partialVendor) Vendor() string                       { return "fake" }
func (v *partialVendor) Account() string                      { return "acct" }

func (v *partialVendor) takeSent() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := v.sent
	v.sent = nil
	return out
}

func (v *partialVendor) field(id, name string) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.records[id][name]
}

func describeUpdate(u *adapter.CustomerUpdate) string {
	get := func(f adapter.Field[string]) string { s, _ := f.Value(); return s }
	return fmt.Sprintf("%s:%s|%s|%s", u.ID, get(u.Name), get(u.Email), get(u.Phone))
}

// row builds one record of an export: the fields given as name=value.
func row(id string, fields ...string) *adapter.CustomerUpdate {
	u := &adapter.CustomerUpdate{ID: id}
	for _, f := range fields {
		var name, value string
		fmt.Sscanf(f, "%s", &name) //nolint:errcheck // split below
		for i := range f {
			if f[i] == '=' {
				name, value = f[:i], f[i+1:]
				break
			}
		}
		switch name {
		case "name":
			u.Name = adapter.Set(value)
		case "email":
			u.Email = adapter.Set(value)
		case "phone":
			u.Phone = adapter.Set(value)
		}
	}
	return u
}

func openStore(t testing.TB) syncstate.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// night runs one push of rows through v with store, and returns the
// outcomes by status.
func night(t *testing.T, v bulk.Client, store syncstate.Store, rows []*adapter.CustomerUpdate, opts ...bulk.Option) map[bulk.Status]int {
	t.Helper()
	outs, err := bulk.Updates(context.Background(), v, slices.Values(rows), append([]bulk.Option{bulk.WithState(store), bulk.WithConcurrency(4)}, opts...)...)
	require.NoError(t, err)
	got := map[bulk.Status]int{}
	for out := range outs {
		got[out.Status]++
	}
	return got
}

func twoRowExport(n int, email func(i int) string) []*adapter.CustomerUpdate {
	var rows []*adapter.CustomerUpdate
	for i := range n {
		id := fmt.Sprintf("C-%d", i)
		rows = append(rows, row(id, "name=Customer "+id, "phone=+49 30 "+id))
	}
	for i := range n {
		id := fmt.Sprintf("C-%d", i)
		rows = append(rows, row(id, "email="+email(i)))
	}
	return rows
}

func TestACustomerWithSeveralRowsIsUnchangedOnlyAsAWholeSequence(t *testing.T) {
	t.Parallel()
	v := newPartialVendor()
	store := openStore(t)
	email := func(i int) string { return fmt.Sprintf("c%d@example.com", i) }
	export := twoRowExport(50, email)

	first := night(t, v, store, export)
	assert.Equal(t, map[bulk.Status]int{bulk.Succeeded: 100}, first, "the first night sends every row")
	assert.Len(t, v.takeSent(), 100)

	second := night(t, v, store, export)
	assert.Equal(t, map[bulk.Status]int{bulk.Unchanged: 100}, second, "the second night of the same export")
	assert.Empty(t, v.takeSent(), "an unchanged export sends no request, though every customer has two rows")

	changed := twoRowExport(50, func(i int) string {
		if i == 7 {
			return "new7@example.com"
		}
		return email(i)
	})
	third := night(t, v, store, changed)
	assert.Equal(t, []string{"C-7:|new7@example.com|"}, v.takeSent(), "only the changed row of the changed customer goes: it is the customer's last")
	assert.Equal(t, map[bulk.Status]int{bulk.Unchanged: 99, bulk.Succeeded: 1}, third)
	assert.Equal(t, "new7@example.com", v.field("C-7", "email"))

	assert.Equal(t, map[bulk.Status]int{bulk.Unchanged: 100}, night(t, v, store, changed), "and the night after, nothing again")
	assert.Empty(t, v.takeSent())
}

func TestAChangedRowIsSentWithEveryLaterRowOfItsCustomerInOrder(t *testing.T) {
	t.Parallel()
	v := newPartialVendor()
	store := openStore(t)
	export := []*adapter.CustomerUpdate{
		row("A", "name=Anna"), row("B", "name=Bert"), row("A", "phone=1"), row("A", "email=a@x.example"), row("B", "phone=2"),
	}
	night(t, v, store, export)
	v.takeSent()

	export[2] = row("A", "phone=11") // A's second row changes
	got := night(t, v, store, export)
	assert.Equal(t, []string{"A:||11", "A:|a@x.example|"}, v.takeSent(),
		"A's rows from the changed one on, in order; not A's first, and nothing of B")
	assert.Equal(t, map[bulk.Status]int{bulk.Unchanged: 3, bulk.Succeeded: 2}, got)
}

func TestAnEarlierRowWhoseFieldALaterRowOverwroteIsSentAgainWhenTheLaterOneChanges(t *testing.T) {
	t.Parallel()
	// Row 1 sets the e-mail, row 2 sets it again: the vendor holds row 2's.
	lastNight := []*adapter.CustomerUpdate{row("A", "name=Anna", "email=first@x.example"), row("A", "email=second@x.example")}
	for _, tc := range []struct {
		name    string
		tonight []*adapter.CustomerUpdate
		sent    []string
		email   string
	}{
		{name: "a sequence that is unchanged sends nothing, held rows included",
			tonight: lastNight, email: "second@x.example"},
		{name: "when the later row no longer sets the field, the earlier one is sent first to restore it",
			tonight: []*adapter.CustomerUpdate{lastNight[0], row("A", "phone=3")},
			sent:    []string{"A:Anna|first@x.example|", "A:||3"}, email: "first@x.example"},
		{name: "when the later row is gone, the earlier one is sent again",
			tonight: lastNight[:1], sent: []string{"A:Anna|first@x.example|"}, email: "first@x.example"},
		{name: "when a row is added after them, only it is sent",
			tonight: append(slices.Clone(lastNight), row("A", "phone=4")), sent: []string{"A:||4"}, email: "second@x.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := newPartialVendor()
			store := openStore(t)
			night(t, v, store, lastNight)
			require.Equal(t, "second@x.example", v.field("A", "email"))
			v.takeSent()

			night(t, v, store, tc.tonight)
			assert.Equal(t, tc.sent, v.takeSent())
			assert.Equal(t, tc.email, v.field("A", "email"), "as a full push would leave it")

			got := night(t, v, store, tc.tonight)
			assert.Empty(t, v.takeSent(), "the night after, the store holds tonight's sequence")
			assert.Equal(t, map[bulk.Status]int{bulk.Unchanged: len(tc.tonight)}, got)
		})
	}
}

func TestARowThatFailedIsSentAgainTheNextNight(t *testing.T) {
	t.Parallel()
	v := newPartialVendor()
	store := openStore(t)
	export := []*adapter.CustomerUpdate{row("A", "name=Anna"), row("A", "email=a@x.example"), row("B", "name=Bert")}
	v.fail = func(u *adapter.CustomerUpdate) error {
		if _, ok := u.Email.Value(); ok {
			return &adapter.Error{Code: adapter.Internal, HTTPStatus: 500, Attempts: 1, Message: "boom"}
		}
		return nil
	}
	got := night(t, v, store, export)
	assert.Equal(t, map[bulk.Status]int{bulk.Succeeded: 2, bulk.Failed: 1}, got)
	v.takeSent()
	v.fail = nil
	got = night(t, v, store, export)
	assert.Equal(t, []string{"A:|a@x.example|"}, v.takeSent(), "the row that may or may not have landed goes again, the confirmed ones do not")
	assert.Equal(t, map[bulk.Status]int{bulk.Succeeded: 1, bulk.Unchanged: 2}, got)
}

func TestADryRunReadsTheStateAndWritesNothing(t *testing.T) {
	t.Parallel()
	v := newPartialVendor()
	store := openStore(t)
	export := []*adapter.CustomerUpdate{row("A", "name=Anna"), row("B", "name=Bert")}
	got := night(t, v, store, export, bulk.WithDryRun(true))
	assert.Equal(t, map[bulk.Status]int{bulk.Succeeded: 2}, got)
	recs, err := store.GetMany(context.Background(), []syncstate.Key{{Vendor: "fake", Account: "acct", Key: "A"}, {Vendor: "fake", Account: "acct", Key: "B"}})
	require.NoError(t, err)
	assert.Empty(t, recs, "a dry run records nothing")
}

// tallyStore counts a store's calls, and fails Puts when told to.
type tallyStore struct {
	syncstate.Store
	mu                   sync.Mutex
	gets, getManys, puts int
	keysLooked           int
	failPuts             error
}

func (s *tallyStore) Get(ctx context.Context, k syncstate.Key) (syncstate.Record, bool, error) {
	s.mu.Lock()
	s.gets++
	s.mu.Unlock()
	return s.Store.Get(ctx, k)
}

func (s *tallyStore) GetMany(ctx context.Context, keys []syncstate.Key) (map[syncstate.Key]syncstate.Record, error) {
	s.mu.Lock()
	s.getManys++
	s.keysLooked += len(keys)
	s.mu.Unlock()
	return s.Store.GetMany(ctx, keys)
}

func (s *tallyStore) Put(ctx context.Context, entries ...syncstate.Entry) error {
	s.mu.Lock()
	s.puts++
	fail := s.failPuts
	s.mu.Unlock()
	if fail != nil {
		return fail
	}
	return s.Store.Put(ctx, entries...)
}

func TestARunLooksCustomersUpInBatchesNotOneByOne(t *testing.T) {
	t.Parallel()
	v := newPartialVendor()
	store := &tallyStore{Store: openStore(t)}
	export := twoRowExport(1000, func(i int) string { return fmt.Sprintf("c%d@example.com", i) })
	night(t, v, store, export)
	v.takeSent()
	store.gets, store.getManys, store.keysLooked = 0, 0, 0

	got := night(t, v, store, export)
	assert.Equal(t, map[bulk.Status]int{bulk.Unchanged: 2000}, got)
	assert.Zero(t, store.gets, "no customer is looked up alone")
	assert.LessOrEqual(t, store.getManys, 2000/2, "lookups are batched")
	assert.GreaterOrEqual(t, store.getManys, 1)
	assert.LessOrEqual(t, store.keysLooked, 2000, "no customer is looked up twice per record")
}

func TestAFirstNightLooksUpOnlyTheCustomersItMetBefore(t *testing.T) {
	t.Parallel()
	v := newPartialVendor()
	store := &tallyStore{Store: openStore(t)}
	// Each customer's second row comes 1,000 rows after its first: by
	// then the run has confirmed and forgotten the first, and must read
	// back what it wrote rather than take the customer for a new one.
	export := twoRowExport(1000, func(i int) string { return fmt.Sprintf("c%d@example.com", i) })
	first := night(t, v, store, export)
	assert.Equal(t, map[bulk.Status]int{bulk.Succeeded: 2000}, first)
	assert.Zero(t, store.gets, "no customer is looked up alone")
	assert.LessOrEqual(t, store.keysLooked, 1000, "a customer the run has not met is not looked up in a store that held nothing of the account")

	v.takeSent()
	second := night(t, v, store, export)
	assert.Equal(t, map[bulk.Status]int{bulk.Unchanged: 2000}, second, "the first night recorded every customer's whole sequence")
	assert.Empty(t, v.takeSent())
}

func TestAStoreThatCannotRecordAConfirmationFailsTheRecordAsAppliedAndHaltsWithoutSendingItAgain(t *testing.T) {
	t.Parallel()
	v := newPartialVendor()
	store := &tallyStore{Store: openStore(t), failPuts: errors.New("disk full")}
	outs, err := bulk.Updates(context.Background(), v, slices.Values(twoRowExport(50, func(int) string { return "x@example.com" })[:50]),
		bulk.WithState(store), bulk.WithConcurrency(1), bulk.WithRecordPause(0))
	require.NoError(t, err)
	var failed, notSent int
	for out := range outs {
		switch out.Status {
		case bulk.Failed:
			failed++
			assert.Contains(t, out.Err.Error(), "applied by fake (HTTP 200) but not recorded in the sync state store")
			assert.True(t, out.Attempted)
		case bulk.NotSent:
			notSent++
			var h *bulk.Halt
			require.ErrorAs(t, out.Err, &h)
			assert.Contains(t, h.Reason, "the sync state store could not be written")
		default:
			t.Errorf("record %d: %s", out.Seq, out.Status)
		}
	}
	sent := v.takeSent()
	assert.Len(t, sent, failed, "each record the vendor applied is failed as applied, once")
	assert.ElementsMatch(t, slices.Compact(slices.Sorted(slices.Values(sent))), sent, "no record is sent twice: the write is retried, not the record")
	assert.Positive(t, failed)
	assert.LessOrEqual(t, failed, 2, "the run halts at the first record it cannot record, with only those already under way (two workers per record in flight)")
	assert.Equal(t, 50, failed+notSent)
}

func TestAStateWrittenByAnEarlierVersionHoldsOneRecordPerCustomer(t *testing.T) {
	t.Parallel()
	v := newPartialVendor()
	store := openStore(t)
	u := row("A", "name=Anna", "email=a@x.example")
	digest, err := u.Digest()
	require.NoError(t, err)
	require.NoError(t, store.Put(context.Background(), syncstate.Entry{
		Key:    syncstate.Key{Vendor: "fake", Account: "acct", Key: "A"},
		Record: syncstate.Record{Digest: digest, VendorID: "v-A", SyncedAt: time.Now()}}))

	assert.Equal(t, map[bulk.Status]int{bulk.Unchanged: 1}, night(t, v, store, []*adapter.CustomerUpdate{u}), "the same update as the old digest's is unchanged")
	assert.Empty(t, v.takeSent())
	assert.Equal(t, map[bulk.Status]int{bulk.Succeeded: 1}, night(t, v, store, []*adapter.CustomerUpdate{row("A", "name=Anna", "email=new@x.example")}))
}

func TestACustomerWhoseLaterRowsAreGoneIsUnchangedAndTheStoreKeepsTheShorterSequence(t *testing.T) {
	t.Parallel()
	v := newPartialVendor()
	store := openStore(t)
	email := func(i int) string { return fmt.Sprintf("c%d@example.com", i) }
	night(t, v, store, twoRowExport(50, email))
	v.takeSent()
	firstRows := twoRowExport(50, email)[:50] // the contact rows are gone

	run := func() *bulk.Report {
		t.Helper()
		rep, err := bulk.Run(context.Background(), v, readerOf(slices.Values(firstRows)), bulk.WithState(store), bulk.WithConcurrency(4))
		require.NoError(t, err)
		return rep
	}
	rep := run()
	assert.Equal(t, 50, rep.Unchanged, "the rows left are unchanged, and no later stored row set their fields")
	assert.Empty(t, v.takeSent())
	assert.Equal(t, 50, rep.Finalized, "the store now holds the shorter sequences, without a request")
	rep = run()
	assert.Equal(t, 50, rep.Unchanged)
	assert.Zero(t, rep.Finalized, "nothing left to bring up to date")
	assert.Empty(t, v.takeSent())
}

func TestALaterSuccessNeverClaimsAnEarlierRowStoredOtherwiseThanSent(t *testing.T) {
	t.Parallel()
	v := newPartialVendor()
	store := openStore(t)
	export := []*adapter.CustomerUpdate{row("A", "name=anna"), row("A", "email=a@x.example")}
	v.storesOtherwise = func(u *adapter.CustomerUpdate) bool { return !u.Name.IsAbsent() }
	assert.Equal(t, map[bulk.Status]int{bulk.Succeeded: 2}, night(t, v, store, export))
	v.takeSent()
	v.storesOtherwise = nil
	night(t, v, store, export)
	assert.Equal(t, []string{"A:anna||", "A:|a@x.example|"}, v.takeSent(),
		"the row the vendor stored otherwise is sent again, and every row after it")
	assert.Equal(t, map[bulk.Status]int{bulk.Unchanged: 2}, night(t, v, store, export), "once stored as sent, it is confirmed")
}
