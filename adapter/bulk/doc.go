// Package bulk runs a batch of customer updates end to end: it reads an
// input, sends each customer's records in input order while other
// customers flow, skips what a state store holds as confirmed, writes a
// failures file that is an input again, halts when the vendor cannot be
// reached, and returns a report in which every record is accounted for.
//
// A nightly sync with a failures file and a state store:
//
//	client, err := billbee.FromEnv()
//	store, err := sqlite.Open(ctx, "state.db")
//	defer store.Close()
//	in, err := os.Open("customers.jsonl")
//	defer in.Close()
//	failures, err := bulk.CreateFailures(bulk.DefaultFailuresPath(in.Name(), client.Vendor(), time.Now()), false, in.Name(), "state.db")
//	report, err := bulk.Run(ctx, client, bulk.NewJSONLReader(in),
//		bulk.WithState(store), bulk.WithFailures(failures), bulk.WithConcurrency(8))
//	where, err := failures.Close() // "" when nothing failed
//	fmt.Printf("%d sent, %d unchanged, %d failed, %d not sent; failures in %q\n",
//		report.Succeeded, report.Unchanged, report.Failed, report.NotSent, where)
//
// Run takes any Reader: NewJSONLReader reads custsync's JSON lines,
// NewCSVReader a CSV or TSV export, its columns named by the header or
// by a Mapping, in UTF-8, UTF-16 or a single-byte Windows or ISO
// encoding. Updates runs the same engine over updates held in memory and
// yields each Outcome.
//
// # Order, memory, and where each record ends
//
// A customer is what the vendor keys its record by (Client.Key: Upwell's
// sourceSystem and id, the id elsewhere). A customer's records are never
// in flight together and are applied in input order, each one (its
// retries included) finished before the next starts, while other
// customers keep every worker busy. Once one of a customer's records
// fails, its later records are held back (FailedPrecondition, nothing
// sent), so that pushing the failures file again, fixed, applies them in
// their order. A record that is invalid but names its customer keeps its
// place among that customer's records the same way.
//
// Memory stays flat however long the input: a few records per worker are
// read ahead (512 with a state store, to look them up in one query), and
// at most 64 per worker wait behind a customer in flight; when one
// customer repeats more often than that, the input is read no further
// until one of its records finishes.
//
// Every record read ends in exactly one Status: Succeeded, Unchanged,
// Failed or NotSent. A record is tried again as a whole while its failure
// is retryable (WithRecordAttempts). WithStop winds a run down gently
// (nothing new starts; what is in flight finishes); canceling ctx aborts
// what is in flight too. The run halts on its own, reporting the rest as
// NotSent with a *Halt saying why, when the setup is wrong (WithSetupCheck:
// a refused key or a wrong base URL costs 3 records, sent one at a time
// until the vendor answers one otherwise), the vendor cannot be reached
// at all (WithUnreachableAfter), keeps failing (WithHaltAfter), or the
// state store cannot be read or written.
//
// # Incremental sync
//
// WithState makes a run send only what changed since the vendor last
// confirmed it. The unit of change is a customer's whole sequence of
// records in the input, not one record: an ERP that exports a customer's
// address and contact as two rows gives two records of one customer, and
// the store keeps, per customer (vendor, account, Client.Key), the
// sequence the vendor last confirmed: each record's digest
// ((*adapter.CustomerUpdate).Digest, 96 bits of it) and the fields it set.
//
// Reading the input, the run compares each record with the stored one at
// the same place in the customer's sequence:
//
//   - while every record so far is equal, nothing is sent: a customer
//     whose records are all unchanged sends nothing, however many it has;
//   - from the first record that differs (or is new, past the end of the
//     stored sequence), that record and every later one of the customer
//     are sent, in order. Later records must go too: each applies over
//     what the earlier ones set, so a partial-update vendor ends up with
//     what the whole sequence sets, as a full push would leave it;
//   - the records before the first difference are not sent again: the
//     vendor holds what they set, since they equal what it confirmed.
//     Except where a later record of the stored sequence set one of their
//     fields too (say row 1 sets the e-mail and row 2 sets it again): then
//     the vendor holds the later value, and if that later record changed
//     or is gone, the earlier one must be sent again to restore its value.
//     Such records are held back, not skipped, until the customer's
//     sequence is known to be unchanged (they are then Unchanged) or not
//     (they are sent first, in order). Held records are bounded in all;
//     past the bound the customer is sent, which is always safe.
//
// A record is recorded only after the vendor confirmed it, and counted
// only once that is durable (a customer's first confirmation, where the
// store held nothing, may be written lazily: see syncstate.Store.Put;
// losing it only makes the next run send the customer again): the store
// then holds the sequence up to it,
// followed, while the rest of the input is not yet known, by a row that
// matches nothing for the fields later records of the earlier night may
// still hold. A record that failed after a request went out, or that the
// vendor stored otherwise than sent (adapter.Mismatch), makes the
// customer's stored sequence match nothing from that record on, so
// neither this run nor the next skips on the strength of an older
// confirmation. A store that cannot record a confirmed record fails that
// record (it was applied; the next run sends it again) and halts the run.
// When a customer's sequence ends shorter than the stored one, and every
// record went through, the store is brought up to date at the end of the
// run without a request (Report.Finalized). Writes are conditional on
// what the run read, so two runs updating one customer at once leave it
// marked to be sent again rather than claiming either.
//
// WithRefreshAfter sends again customers confirmed longer ago;
// WithForce sends everything and still records it; WithDryRun reads the
// store and writes nothing. Lookups are batched (up to 512 customers a
// query) and confirmations share commits (syncstate's group commit), so
// the store is not what limits a run.
//
// # A guard against a broken export
//
// An export in which every customer's e-mail became empty is, to a run,
// a night of ordinary changes. Plan works out, before anything is sent
// and without a request, what Run with the same input and options would
// do: how many records it would send (with a state store, exactly those
// incremental sync would send), and, by field, how many it would set and
// clear (null, or an empty value: adapter.CustomerUpdate.ClearedFields),
// with a few example records. A Guard judges the plan: a number of records
// or a share of the input (ParseLimit: "100", "10%") that the records sent,
// and the fields cleared, may not pass. The input is read twice, so it
// must be a file:
//
//	plan, err := bulk.Plan(ctx, client, bulk.NewJSONLReader(in), bulk.WithState(store))
//	maxChanges, err := bulk.ParseLimit("10%")
//	if err := (bulk.Guard{MaxChanges: maxChanges}).Check(plan); err != nil {
//		return err // a *GuardError: nothing was sent
//	}
//	_, err = in.Seek(0, io.SeekStart)
//	report, err := bulk.Run(ctx, client, bulk.NewJSONLReader(in), bulk.WithState(store))
package bulk
