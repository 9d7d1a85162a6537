package bulk_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
)

// randomRow is a row of an export: a customer and a non-empty set of the
// fields the fake vendor keeps, each set to one of a few values so that
// rows repeat across nights.
func randomRow(r *rand.Rand, customers int) *adapter.CustomerUpdate {
	u := &adapter.CustomerUpdate{ID: fmt.Sprintf("K-%d", r.IntN(customers))}
	for u.Name.IsAbsent() && u.Email.IsAbsent() && u.Phone.IsAbsent() {
		if r.IntN(2) == 0 {
			u.Name = adapter.Set(fmt.Sprintf("n%d", r.IntN(3)))
		}
		if r.IntN(2) == 0 {
			u.Email = adapter.Set(fmt.Sprintf("e%d@x.example", r.IntN(3)))
		}
		if r.IntN(2) == 0 {
			u.Phone = adapter.Set(fmt.Sprintf("+4930%d", r.IntN(3)))
		}
	}
	return u
}

// mutate returns tonight's export from last night's: rows changed, gone,
// added, or moved past other customers' rows.
func mutate(r *rand.Rand, rows []*adapter.CustomerUpdate, customers int) []*adapter.CustomerUpdate {
	out := slices.Clone(rows)
	for range r.IntN(4) {
		switch i := r.IntN(max(len(out), 1)); r.IntN(4) {
		case 0:
			if len(out) > 0 {
				changed := randomRow(r, customers)
				changed.ID = out[i].ID
				out[i] = changed
			}
		case 1:
			if len(out) > 1 {
				out = slices.Delete(out, i, i+1)
			}
		case 2:
			out = slices.Insert(out, min(i, len(out)), randomRow(r, customers))
		case 3:
			// Swap with the next row of another customer: each
			// customer's own order stays, only the interleaving moves.
			if i+1 < len(out) && out[i].ID != out[i+1].ID {
				out[i], out[i+1] = out[i+1], out[i]
			}
		}
	}
	return out
}

// Night after night of random exports, an incremental push leaves the
// vendor exactly as a full push of every row would from where the vendor
// stood: the rules of what is skipped, held and sent again lose no field
// and keep no stale one. Every other night the vendor misbehaves first:
// it fails some records before or after applying them, and stores some
// names otherwise than sent; then a clean night pushes the same export,
// or last night's again, and must put everything right.
func TestIncrementalNightsLeaveTheVendorAsFullPushesWould(t *testing.T) {
	t.Parallel()
	const customers, nights = 6, 8
	for seed := range uint64(40) {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(seed, 19))
			vendor := newPartialVendor()
			store := openStore(t)
			var export, previous []*adapter.CustomerUpdate
			for range 3 + r.IntN(10) {
				export = append(export, randomRow(r, customers))
			}
			for n := range nights {
				if n > 0 {
					previous, export = export, mutate(r, export, customers)
				}
				tonight := export
				if n%2 == 1 {
					misbehave(vendor, rand.New(rand.NewPCG(seed, uint64(n))))
					night(t, vendor, store, export, bulk.WithRecordAttempts(1))
					vendor.fail, vendor.storesOtherwise = nil, nil
					if r.IntN(2) == 0 {
						tonight = previous // the ERP reverted tonight's change
					}
				}
				reference := vendor.clone()
				got := night(t, vendor, store, tonight)
				require.Zero(t, got[bulk.Failed]+got[bulk.NotSent], "night %d", n+1)
				night(t, reference, openStore(t), tonight) // a fresh store: every row is sent
				for i := range customers {
					id := fmt.Sprintf("K-%d", i)
					for _, f := range []string{"name", "email", "phone"} {
						require.Equal(t, reference.field(id, f), vendor.field(id, f),
							"night %d, %s's %s; tonight's export:\n%s", n+1, id, f, describeAll(tonight))
					}
				}
				vendor.takeSent()
			}
		})
	}
}

// misbehave makes v fail one record in eight before applying it and one
// in eight after (the answer lost), and store one name in eight
// otherwise than sent (upper case), saying so in its answer.
func misbehave(v *partialVendor, fault *rand.Rand) {
	v.fail = func(u *adapter.CustomerUpdate) error {
		switch fault.IntN(8) {
		case 0:
			return &adapter.Error{Code: adapter.Internal, HTTPStatus: 500, Attempts: 1, Message: "failed before it was applied"}
		case 1:
			v.apply(u)
			return &adapter.Error{Code: adapter.Unavailable, Attempts: 1, Message: "applied, and the answer lost"}
		}
		return nil
	}
	v.storesOtherwise = func(*adapter.CustomerUpdate) bool { return fault.IntN(8) == 0 }
}

func describeAll(rows []*adapter.CustomerUpdate) string {
	s := ""
	for _, u := range rows {
		s += describeUpdate(u) + "\n"
	}
	return s
}
