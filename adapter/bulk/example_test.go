package bulk_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/syncstate/sqlite"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// sandboxUpwell returns a client for the sandbox's Upwell. Use
// upwell.FromEnv() (UPWELL_API_KEY, UPWELL_SOURCE_SYSTEM) for the real one.
func sandboxUpwell(srv *sandbox.Server, opts ...adapter.Option) *adapter.Client {
	client, err := upwell.New(upwell.Config{APIKey: sandbox.UpwellAPIKey, SourceSystem: sandbox.UpwellSourceSystem},
		append([]adapter.Option{adapter.WithBaseURL(srv.URL(specs.Upwell)), adapter.WithHTTPClient(srv.Client())}, opts...)...)
	if err != nil {
		panic(err)
	}
	return client
}

// Updates sends updates held in memory and yields what became of each.
func ExampleUpdates() {
	srv := sandbox.NewServer() // stands in for Upwell
	defer srv.Close()
	client := sandboxUpwell(srv) // upwell.New for the sandbox; upwell.FromEnv() for Upwell itself

	updates := []*adapter.CustomerUpdate{
		{ID: "C-1001", Email: adapter.Set("ap@acme.example")},
		{ID: "C-1002", Upwell: &adapter.UpwellFields{DueOption: adapter.Set[int32](60)}},
		{ID: "C-9999", Name: adapter.Set("Nobody")},
	}
	outcomes, err := bulk.Updates(context.Background(), client, slices.Values(updates))
	if err != nil {
		panic(err) // an invalid option: nothing was sent
	}
	var report []string
	for out := range outcomes {
		if out.Err != nil {
			report = append(report, fmt.Sprintf("%s %s: %s", out.Record.Update.ID, out.Status, adapter.CodeOf(out.Err)))
			continue
		}
		report = append(report, fmt.Sprintf("%s %s %v", out.Record.Update.ID, out.Status, out.Result.Sent))
	}
	slices.Sort(report) // outcomes of different customers arrive in completion order
	fmt.Println(strings.Join(report, "\n"))
	// Output:
	// C-1001 succeeded [email]
	// C-1002 succeeded [upwell.dueOption]
	// C-9999 failed: NotFound
}

// A nightly sync of a JSONL export, with a failures file and a state
// store: the second night of the same export sends nothing that the
// vendor confirmed, and the failures file of each night is an input to
// push again once fixed. Updates of one customer apply in the order of
// the file.
func ExampleRun() {
	srv := sandbox.NewServer() // stands in for Upwell
	defer srv.Close()
	dir, _ := os.MkdirTemp("", "custsync-example-")
	defer os.RemoveAll(dir) //nolint:errcheck // a temporary directory
	export := filepath.Join(dir, "customers.jsonl")
	_ = os.WriteFile(export, []byte(`{"id": "C-1001", "name": "Acme"}
{"id": "C-1002", "upwell": {"dueOption": 60}}
{"id": "C-1001", "name": "Acme Corp"}
{"id": "C-1003", "nmae": "Initech"}
{"id": "C-9999", "name": "Nobody"}
`), 0o600)

	ctx := context.Background()
	client := sandboxUpwell(srv) // upwell.New for the sandbox; upwell.FromEnv() for Upwell itself
	store, err := sqlite.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		panic(err)
	}
	defer store.Close() //nolint:errcheck // every write was awaited by the runs
	for night := 1; night <= 2; night++ {
		in, err := os.Open(export)
		if err != nil {
			panic(err)
		}
		failures, err := bulk.CreateFailures(bulk.DefaultFailuresPath(in.Name(), client.Vendor(), time.Now()), false, in.Name(), store.Path())
		if err != nil {
			panic(err)
		}
		report, err := bulk.Run(ctx, client, bulk.NewJSONLReader(in),
			bulk.WithState(store), bulk.WithFailures(failures), bulk.WithConcurrency(8))
		_ = in.Close()
		if err != nil {
			panic(err) // an invalid option: nothing was read or sent
		}
		where, err := failures.Close() // "" when nothing failed
		if err != nil {
			panic(err)
		}
		fmt.Printf("night %d: %d sent, %d unchanged, %d failed, %d not sent\n",
			night, report.Succeeded, report.Unchanged, report.Failed, report.NotSent)
		printFailures(where)
	}
	stored, _ := srv.Customer(specs.Upwell, "C-1001")
	fmt.Println("C-1001 is now", stored["name"])
	// Output:
	// night 1: 3 sent, 0 unchanged, 2 failed, 0 not sent
	//   line 4: C-1003 InvalidArgument
	//   line 5: C-9999 NotFound
	// night 2: 0 sent, 3 unchanged, 2 failed, 0 not sent
	//   line 4: C-1003 InvalidArgument
	//   line 5: C-9999 NotFound
	// C-1001 is now Acme Corp
}

// printFailures prints the line, customer and code of each record of a
// failures file.
func printFailures(path string) {
	f, err := os.Open(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close() //nolint:errcheck // read only
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var line struct {
			ID    string `json:"id"`
			Error struct {
				Line int    `json:"line"`
				Code string `json:"code"`
			} `json:"_error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("  line %d: %s %s\n", line.Error.Line, line.ID, line.Error.Code)
	}
}

// A run halts on its own when the vendor keeps failing: the records it did
// not send are reported NotSent, wrapping a *Halt that says why, ready to be
// pushed again.
func ExampleHalt() {
	srv := sandbox.NewServer()
	defer srv.Close()
	client := sandboxUpwell(srv, adapter.WithMaxRetries(0))   // no retries within a record
	srv.FailNext(specs.Upwell, 100, sandbox.FaultUnavailable) // Upwell is down

	updates := func(yield func(*adapter.CustomerUpdate) bool) {
		for i := 1; i <= 5; i++ {
			if !yield(&adapter.CustomerUpdate{ID: fmt.Sprintf("C-100%d", i), Name: adapter.Set("Acme")}) {
				return
			}
		}
	}
	outcomes, err := bulk.Updates(context.Background(), client, updates,
		bulk.WithConcurrency(1), bulk.WithRecordAttempts(1), bulk.WithHaltAfter(2))
	if err != nil {
		panic(err)
	}
	report := make([]string, 5) // outcomes arrive in completion order: report them in input order
	for out := range outcomes {
		var halt *bulk.Halt
		if errors.As(out.Err, &halt) {
			report[out.Seq] = fmt.Sprintf("%s %s (calls: %d): %s", out.Record.Update.ID, out.Status, out.Calls, halt.Reason)
			continue
		}
		report[out.Seq] = fmt.Sprintf("%s %s: %s", out.Record.Update.ID, out.Status, adapter.CodeOf(out.Err))
	}
	fmt.Println(strings.Join(report, "\n"))
	// Output:
	// C-1001 failed: Unavailable
	// C-1002 failed: Unavailable
	// C-1003 not sent (calls: 0): 2 records in a row failed with retryable errors
	// C-1004 not sent (calls: 0): 2 records in a row failed with retryable errors
	// C-1005 not sent (calls: 0): 2 records in a row failed with retryable errors
}

// A guard against a broken export: before a night is sent, Plan works out
// what the run would send, without a request, and a Guard refuses a night
// that changes far more than nights do. Here the second night's export
// lost half the e-mail addresses.
func ExamplePlan() {
	srv := sandbox.NewServer(sandbox.WithSyntheticCustomers(20)) // stands in for Upwell
	defer srv.Close()
	dir, _ := os.MkdirTemp("", "custsync-example-")
	defer os.RemoveAll(dir) //nolint:errcheck // a temporary directory
	export := func(broken bool) string {
		var b strings.Builder
		for i := 1; i <= 20; i++ {
			email := fmt.Sprintf("%q", fmt.Sprintf("ap%d@example.com", i))
			if broken && i%2 == 0 {
				email = "null"
			}
			fmt.Fprintf(&b, `{"id": %q, "email": %s}`+"\n", sandbox.SyntheticID(specs.Upwell, i), email)
		}
		path := filepath.Join(dir, "customers.jsonl")
		_ = os.WriteFile(path, []byte(b.String()), 0o600)
		return path
	}

	ctx := context.Background()
	client := sandboxUpwell(srv)
	store, err := sqlite.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		panic(err)
	}
	defer store.Close() //nolint:errcheck // every write was awaited by the runs
	maxChanges, err := bulk.ParseLimit("10%")
	if err != nil {
		panic(err)
	}
	for night := 1; night <= 2; night++ {
		in, err := os.Open(export(night == 2))
		if err != nil {
			panic(err)
		}
		plan, err := bulk.Plan(ctx, client, bulk.NewJSONLReader(in), bulk.WithState(store))
		if err != nil {
			panic(err)
		}
		guard := bulk.Guard{MaxChanges: maxChanges}
		if night == 1 {
			guard = bulk.Guard{} // the first night sends everything
		}
		if err := guard.Check(plan); err != nil {
			fmt.Printf("night %d: %v\n", night, err)
			fmt.Printf("  cleared by field: %v\n", plan.Cleared)
			for _, r := range plan.ClearingExamples[:2] {
				fmt.Printf("  line %d: %s clears %v\n", r.Line, r.ID, r.Cleared)
			}
			_ = in.Close()
			continue
		}
		if _, err := in.Seek(0, io.SeekStart); err != nil {
			panic(err)
		}
		report, err := bulk.Run(ctx, client, bulk.NewJSONLReader(in), bulk.WithState(store))
		_ = in.Close()
		if err != nil {
			panic(err)
		}
		fmt.Printf("night %d: %d planned, %d sent\n", night, plan.Send, report.Succeeded)
	}
	fmt.Println("requests on night 2:", srv.Stats(specs.Upwell).Requests-20)
	// Output:
	// night 1: 20 planned, 20 sent
	// night 2: refused: 10 of 20 records would be sent, over the limit of 2; 10 fields would be cleared, over the limit of 2
	//   cleared by field: map[email:10]
	//   line 2: S-00002 clears [email]
	//   line 4: S-00004 clears [email]
	// requests on night 2: 0
}

// A CSV export with the ERP's own column names, mapped to fields, run
// through the same engine; the failed row goes to a failures file in the
// export's format, to fix in a spreadsheet and run again.
func ExampleNewCSVReader() {
	srv := sandbox.NewServer() // stands in for Upwell
	defer srv.Close()
	client := sandboxUpwell(srv)

	mapping, err := bulk.ParseMapping([]byte(`
columns:
  Kundennummer: id
  Firma: name
  Zahlungsziel: upwell.dueOption
ignore: [Bemerkung]
nullMarker: '\N'
`))
	if err != nil {
		panic(err)
	}
	export := "Kundennummer;Firma;Zahlungsziel;Bemerkung\r\n" +
		"C-1001;Acme Corp;45;\"zwei\r\nZeilen\"\r\n" +
		"C-1002;;bald;\r\n" // not a number: this row fails, alone
	in, err := bulk.NewCSVReader(strings.NewReader(export), bulk.CSVConfig{Mapping: mapping})
	if err != nil {
		panic(err) // the header does not fit the mapping: nothing was read
	}
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir) //nolint:errcheck // a temporary directory
	failures, err := bulk.CreateFailures(filepath.Join(dir, "kunden.failures.csv"), true)
	if err != nil {
		panic(err)
	}
	report, err := bulk.Run(context.Background(), client, in, bulk.WithFailures(failures))
	if err != nil {
		panic(err)
	}
	where, err := failures.Close()
	if err != nil {
		panic(err)
	}
	data, err := os.ReadFile(where)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d succeeded, %d failed\n", report.Succeeded, report.Failed)
	fmt.Print(strings.ReplaceAll(string(data), "\r\n", "\n"))
	// Output:
	// 1 succeeded, 1 failed
	// Kundennummer;Firma;Zahlungsziel;Bemerkung;_error
	// C-1002;;bald;;"{""line"":4,""vendor"":""upwell"",""code"":""InvalidArgument"",""message"":""column \""Zahlungsziel\"" (upwell.dueOption): want a whole number, got \""bald\"""",""httpStatus"":0,""vendorCode"":"""",""retryable"":false,""field"":""upwell.dueOption""}"
}
