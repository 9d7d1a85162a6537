package bulk_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/syncstate"
)

// planInput is an export with valid, empty-valued and invalid lines.
const planInput = `{"id": "A", "name": "Acme", "email": null}
not json
{"id": "B", "email": ""}
{"id": "C", "name": "Cee", "ccEmails": [], "sourceSystem": "ERP"}
{"id": 5}
{"id": "A", "nmae": "typo"}
{"id": "A", "name": "Later"}
{"id": "D1", "name": "x"}
{"id": "D2", "name": "x"}

{"id": "D3", "name": "x"}
{"id": "D4", "name": "x", "phone": null}
`

func TestAPlanCountsWhatARunWouldSendWithoutARequest(t *testing.T) {
	t.Parallel()
	c := &scriptedClient{}
	var heard []int
	plan, err := bulk.Plan(context.Background(), c, bulk.NewJSONLReader(strings.NewReader(planInput)), bulk.WithConcurrency(3),
		bulk.WithObserver(func(out bulk.Outcome) {
			if out.Status == bulk.Succeeded {
				heard = append(heard, out.Record.Line)
			}
		}))
	require.NoError(t, err)
	assert.Zero(t, c.done.Load(), "no update was sent")
	assert.True(t, plan.Complete())
	assert.Equal(t, 11, plan.Records)
	assert.Equal(t, 7, plan.Send, "A, B, C and D1 to D4")
	assert.Equal(t, 4, plan.Failed, "not json, no customer, A's typo, and A's record held back behind it")
	assert.Zero(t, plan.Unchanged)
	assert.Zero(t, plan.NotPlanned)
	assert.Equal(t, map[string]int{"name": 6}, plan.Set, "sourceSystem is part of a key, not a change")
	assert.Equal(t, map[string]int{"email": 2, "ccEmails": 1, "phone": 1}, plan.Cleared, "null and empty values clear")
	assert.Equal(t, 4, plan.ClearedFields)
	assert.ElementsMatch(t, []int{1, 3, 4, 8, 9, 11, 12}, heard, "the observer hears each record to be sent")

	lines := func(list []bulk.PlannedRecord) []int {
		var out []int
		for _, r := range list {
			out = append(out, r.Line)
		}
		return out
	}
	assert.Equal(t, []int{1, 3, 4, 8, 9}, lines(plan.Examples), "the first five in input order, whatever order they were planned in")
	assert.Equal(t, []int{1, 3, 4, 12}, lines(plan.ClearingExamples))
	assert.Equal(t, bulk.PlannedRecord{Line: 4, ID: "C", Key: "C", Set: []string{"name"}, Cleared: []string{"ccEmails"}}, plan.ClearingExamples[2])

	t.Run("and the run sends what the plan counted", func(t *testing.T) {
		rep, err := bulk.Run(context.Background(), c, bulk.NewJSONLReader(strings.NewReader(planInput)), bulk.WithConcurrency(3))
		require.NoError(t, err)
		assert.Equal(t, plan.Send, rep.Succeeded)
		assert.Equal(t, plan.Failed, rep.Failed)
		assert.EqualValues(t, plan.Send, c.done.Load())
	})
}

// putCounter is a state store that counts its writes.
type putCounter struct {
	syncstate.Store
	puts atomic.Int64
}

func (s *putCounter) Put(ctx context.Context, entries ...syncstate.Entry) error {
	s.puts.Add(1)
	return s.Store.Put(ctx, entries...)
}

// Night after night of random exports, some of them sent to a vendor that
// fails records, the plan made before a night names exactly the records
// that night sends and those it skips, and writes nothing to the store.
func TestAPlanWithAStateSendsWhatTheRunSends(t *testing.T) {
	t.Parallel()
	const customers, nights = 6, 8
	for seed := range uint64(30) {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(seed, 23))
			vendor := newPartialVendor()
			store := &putCounter{Store: openStore(t)}
			var export []*adapter.CustomerUpdate
			for range 3 + r.IntN(10) {
				export = append(export, randomRow(r, customers))
			}
			for n := range nights {
				if n > 0 {
					export = mutate(r, export, customers)
				}
				if n%3 == 2 {
					misbehave(vendor, rand.New(rand.NewPCG(seed, uint64(n))))
					night(t, vendor, store, export, bulk.WithRecordAttempts(1))
					vendor.fail, vendor.storesOtherwise = nil, nil
					vendor.takeSent()
				}
				planned, skipped := map[int]bool{}, map[int]bool{}
				puts := store.puts.Load()
				plan, err := bulk.Plan(context.Background(), vendor, readerOf(slices.Values(export)), bulk.WithState(store), bulk.WithConcurrency(4),
					bulk.WithObserver(func(out bulk.Outcome) {
						switch out.Status {
						case bulk.Succeeded:
							planned[out.Record.Line] = true
						case bulk.Unchanged:
							skipped[out.Record.Line] = true
						}
					}))
				require.NoError(t, err)
				require.Equal(t, puts, store.puts.Load(), "a plan writes nothing")
				require.Empty(t, vendor.takeSent(), "a plan sends nothing")

				sent, unchanged := map[int]bool{}, map[int]bool{}
				rep, err := bulk.Run(context.Background(), vendor, readerOf(slices.Values(export)), bulk.WithState(store), bulk.WithConcurrency(4),
					bulk.WithObserver(func(out bulk.Outcome) {
						switch out.Status {
						case bulk.Succeeded:
							sent[out.Record.Line] = true
						case bulk.Unchanged:
							unchanged[out.Record.Line] = true
						}
					}))
				require.NoError(t, err)
				require.Zero(t, rep.Failed+rep.NotSent, "night %d", n+1)
				require.Equal(t, sent, planned, "night %d: the records sent; tonight's export:\n%s", n+1, describeAll(export))
				require.Equal(t, unchanged, skipped, "night %d: the records skipped", n+1)
				require.Len(t, vendor.takeSent(), plan.Send)
				require.Equal(t, rep.Unchanged, plan.Unchanged)
			}
		})
	}
}

func TestAPlanCutShortIsNotComplete(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	plan, err := bulk.Plan(ctx, &scriptedClient{}, readerOf(stream(50, nil)))
	require.NoError(t, err)
	assert.False(t, plan.Complete())
	assert.Equal(t, plan.Records, plan.NotPlanned+plan.Send, "every record read is counted once")
	var refused *bulk.GuardError
	require.ErrorAs(t, bulk.Guard{MaxChanges: limit(t, "100%")}.Check(plan), &refused, "a plan that did not cover the input passes no guard")
	assert.True(t, refused.Incomplete)
}

func TestPlanRefusesWhatItCannotDo(t *testing.T) {
	t.Parallel()
	c := &scriptedClient{}
	_, err := bulk.Plan(context.Background(), c, nil)
	_ = invalidOptionError(t, err, "Plan: no input given")
	failures, err := bulk.CreateFailures(t.TempDir()+"/f.jsonl", false)
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = failures.Close() })
	_, err = bulk.Plan(context.Background(), c, readerOf(stream(1, nil)), bulk.WithFailures(failures))
	_ = invalidOptionError(t, err, "Plan: WithFailures is for Run")
}

func limit(t *testing.T, s string) bulk.Limit {
	t.Helper()
	l, err := bulk.ParseLimit(s)
	require.NoError(t, err)
	return l
}

func TestParseLimitReadsANumberOrAPercentage(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in      string
		records int
		most    int
		str     string
	}{
		{"100", 1000, 100, "100"},
		{"0", 1000, 0, "0"},
		{"5000", 10, 5000, "5000"},
		{"10%", 1000, 100, "10%"},
		{"10%", 15, 1, "10%"},
		{"10.0%", 1000, 100, "10%"},
		{"2.5%", 1000, 25, "2.5%"},
		{"0.25%", 10000, 25, "0.25%"},
		{"0.01%", 99, 0, "0.01%"},
		{"0%", 1000, 0, "0%"},
		{"100%", 7, 7, "100%"},
		{"100.00%", 7, 7, "100%"},
	} {
		t.Run(tt.in+" of "+fmt.Sprint(tt.records)+" records allows "+fmt.Sprint(tt.most), func(t *testing.T) {
			l := limit(t, tt.in)
			most, ok := l.Of(tt.records)
			assert.True(t, ok)
			assert.Equal(t, tt.most, most)
			assert.Equal(t, tt.str, l.String())
			again := limit(t, l.String())
			assert.Equal(t, l, again, "String writes what ParseLimit reads")
		})
	}
	for _, bad := range []string{"", "%", "-1", "+5", "1e3", "ten", "10 %", " 10%", "100.01%", "101%", ".5%", "5.%", "1.234%", "1.2.3%", "2.5", "99999999999999999999"} {
		t.Run(fmt.Sprintf("%q is refused", bad), func(t *testing.T) {
			_, err := bulk.ParseLimit(bad)
			require.Error(t, err)
			assert.Contains(t, err.Error(), fmt.Sprintf("%q", bad))
		})
	}
	t.Run("the zero Limit bounds nothing", func(t *testing.T) {
		var l bulk.Limit
		_, ok := l.Of(10)
		assert.False(t, ok)
		assert.True(t, l.IsZero())
		assert.Empty(t, l.String())
	})
}

func TestAGuardRefusesAPlanOverItsLimits(t *testing.T) {
	t.Parallel()
	plan := func(send, cleared int) *bulk.PlanReport {
		return &bulk.PlanReport{Records: 1000, Send: send, ClearedFields: cleared}
	}
	for _, tt := range []struct {
		name                 string
		guard                bulk.Guard
		plan                 *bulk.PlanReport
		tooMany, tooManyGone bool
	}{
		{"at the limit passes", bulk.Guard{MaxChanges: limit(t, "10%")}, plan(100, 100), false, false},
		{"one record over is refused", bulk.Guard{MaxChanges: limit(t, "10%")}, plan(101, 0), true, false},
		{"MaxChanges bounds the fields cleared too", bulk.Guard{MaxChanges: limit(t, "100")}, plan(60, 101), false, true},
		{"MaxClears bounds them instead", bulk.Guard{MaxChanges: limit(t, "100"), MaxClears: limit(t, "200")}, plan(60, 150), false, false},
		{"MaxClears alone leaves the records unbounded", bulk.Guard{MaxClears: limit(t, "0")}, plan(1000, 1), false, true},
		{"both over", bulk.Guard{MaxChanges: limit(t, "1%")}, plan(500, 500), true, true},
		{"no limit passes anything", bulk.Guard{}, plan(1000, 5000), false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.guard.Check(tt.plan)
			if !tt.tooMany && !tt.tooManyGone {
				assert.NoError(t, err)
				return
			}
			var refused *bulk.GuardError
			require.ErrorAs(t, err, &refused)
			assert.Equal(t, tt.tooMany, refused.TooManySent())
			assert.Equal(t, tt.tooManyGone, refused.TooManyCleared())
			assert.False(t, refused.Incomplete)
			if tt.tooMany {
				assert.Contains(t, err.Error(), fmt.Sprintf("%d of 1000 records would be sent, over the limit of %d", refused.Send, refused.SendLimit))
			}
			if tt.tooManyGone {
				assert.Contains(t, err.Error(), fmt.Sprintf("%d fields would be cleared, over the limit of %d", refused.Cleared, refused.ClearLimit))
			}
		})
	}
}
