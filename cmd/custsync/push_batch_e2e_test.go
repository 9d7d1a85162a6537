package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// pushTo runs push against srv for vendor v with input as the file
// in.jsonl in dir.
func pushTo(t *testing.T, srv *sandbox.Server, v specs.Vendor, dir, input string, args ...string) outcome {
	t.Helper()
	path := writeFile(t, dir, "in.jsonl", input)
	return runBinary(t, invocation{
		args: append([]string{"push", "--vendor", string(v), "--base-url", srv.URL(v), "--file", path}, args...),
		env:  demoEnv(v),
		dir:  dir,
	})
}

func TestPushAppliesDuplicateIDsInInputOrder(t *testing.T) {
	t.Parallel()
	// The reports: 200 lines for one Upwell id at --concurrency 16 ended
	// with v199; Billbee's read-modify-write lost the name when the next
	// line set the e-mail.
	lines := func(n int, line func(k int) string) string {
		var b strings.Builder
		for k := 1; k <= n; k++ {
			b.WriteString(line(k) + "\n")
		}
		return b.String()
	}
	for _, tc := range []struct {
		vendor  specs.Vendor
		input   string
		records int
		check   func(t *testing.T, stored map[string]any)
		id      string
	}{
		{
			vendor: specs.Upwell, id: "S-00001", records: 200,
			input: lines(200, func(k int) string { return fmt.Sprintf(`{"id": "S-00001", "name": "v%d"}`, k) }),
			check: func(t *testing.T, stored map[string]any) { assert.Equal(t, "v200", stored["name"]) },
		},
		{
			vendor: specs.BlueTape, id: "synthetic-00001", records: 200,
			input: lines(200, func(k int) string {
				return fmt.Sprintf(`{"id": "synthetic-00001", "firstName": "v%d", "lastName": "Roe", "email": "jane.roe@example.com", "phone": "+15551234567", "modifiedAt": "2025-06-01T09:31:00Z"}`, k)
			}),
			check: func(t *testing.T, stored map[string]any) { assert.Equal(t, "v200", stored["firstName"]) },
		},
		{
			vendor: specs.Billbee, id: "200000000000001", records: 2,
			input: `{"id":"200000000000001","name":"NEW NAME"}` + "\n" + `{"id":"200000000000001","email":"new@example.com"}` + "\n",
			check: func(t *testing.T, stored map[string]any) {
				assert.Equal(t, "NEW NAME", stored["Name"], "the second line's read saw the first line's write")
				assert.Equal(t, "new@example.com", stored["Email"])
			},
		},
	} {
		t.Run(string(tc.vendor)+" ends with the last line's values", func(t *testing.T) {
			t.Parallel()
			latency := 5 * time.Millisecond
			if tc.vendor == specs.Billbee {
				latency = 300 * time.Millisecond
			}
			srv := newSandbox(t, sandbox.WithSyntheticCustomers(5), sandbox.WithFaults(tc.vendor, sandbox.Faults{Latency: latency, Jitter: latency}))
			out := pushTo(t, srv, tc.vendor, t.TempDir(), tc.input, "--concurrency", "16")
			require.Equal(t, exitOK, out.code)
			assert.Contains(t, out.stdout, fmt.Sprintf("push: %d succeeded, 0 failed, 0 not sent in ", tc.records))
			stored, ok := srv.Customer(tc.vendor, tc.id)
			require.True(t, ok)
			tc.check(t, stored)
		})
	}
}

func TestPushNeverDestroysAnEarlierRunsFailures(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t, sandbox.WithSyntheticCustomers(5))
	dir := t.TempDir()
	failed := pushTo(t, srv, specs.Upwell, dir, `{"id": "S-99999", "name": "Missing"}`+"\n")
	require.Equal(t, exitFailed, failed.code)
	earlier := failuresFileNamed(t, failed.stdout)
	before, err := os.ReadFile(earlier)
	require.NoError(t, err)

	t.Run("a push that succeeds leaves it untouched and writes no file", func(t *testing.T) {
		out := pushTo(t, srv, specs.Upwell, dir, `{"id": "S-00001", "name": "Fine"}`+"\n")
		require.Equal(t, exitOK, out.code)
		assert.NotContains(t, out.stdout, "failed lines are in")
		after, err := os.ReadFile(earlier)
		require.NoError(t, err)
		assert.Equal(t, string(before), string(after))
		assert.Equal(t, []string{earlier}, failuresFiles(t, dir))
	})

	t.Run("an empty standard input exits 0, says so, and touches nothing", func(t *testing.T) {
		stdinDir := t.TempDir()
		// A stdin run's failures file of last night, in the working directory.
		lastNight := writeFile(t, stdinDir, "failures-upwell-20261130T220000Z.jsonl", string(before))
		out := runBinary(t, invocation{args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell), "--file", "-"},
			env: demoEnv(specs.Upwell), dir: stdinDir, stdin: ""})
		require.Equal(t, exitOK, out.code)
		assert.Contains(t, out.stderr, "standard input holds no record; nothing was sent")
		assert.Contains(t, out.stdout, "push: 0 succeeded, 0 failed, 0 not sent in ")
		after, err := os.ReadFile(lastNight)
		require.NoError(t, err)
		assert.Equal(t, string(before), string(after))
		assert.Equal(t, []string{lastNight}, failuresFiles(t, stdinDir))
	})

	t.Run("a second failing run writes a file of its own", func(t *testing.T) {
		out := pushTo(t, srv, specs.Upwell, dir, `{"id": "S-88888", "name": "Missing too"}`+"\n")
		require.Equal(t, exitFailed, out.code)
		second := failuresFileNamed(t, out.stdout)
		assert.NotEqual(t, earlier, second)
		assert.Contains(t, codesOf(readFailures(t, second)), "S-88888")
		after, err := os.ReadFile(earlier)
		require.NoError(t, err)
		assert.Equal(t, string(before), string(after))
	})
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func TestPushToAClosedPortHaltsAndSaysSo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, setupCheck, reason string
		tried                    int // at most
	}{
		// An unproven setup: a mistyped port or host, found by the first
		// record's attempts.
		{"at the start", "3", "the vendor could not be reached in its first 3 attempts (connection refused): check the base URL's host and port", 1},
		// A vendor gone after it answered: reachability's clock.
		{"without the setup check", "0", "the vendor could not be reached for 20s (connection refused)", adapterDefaultConcurrency},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			const records = 1000
			input := writeFile(t, dir, "in.jsonl", jsonl(records, 0))
			out := runBinary(t, invocation{
				args: []string{"push", "--vendor", "upwell", "--base-url", "http://" + closedAddr(t), "--file", input, "--json", "--halt-after", "0", "--record-attempts", "20",
					"--setup-check", tc.setupCheck},
				env: demoEnv(specs.Upwell), dir: dir,
			})
			require.Equal(t, exitIncomplete, out.code)
			var summary pushSummaryJSON
			require.NoError(t, json.Unmarshal([]byte(out.stdout), &summary), "stdout holds the JSON summary alone: %s", out.stdout)
			assert.True(t, summary.Halted)
			assert.Equal(t, tc.reason, summary.HaltReason)
			assert.Equal(t, records, summary.Succeeded+summary.Failed+summary.NotSent)
			assert.GreaterOrEqual(t, summary.NotSent, records-tc.tried, "only the records in flight were tried")
			assert.Equal(t, records, summary.ByCode["Canceled"]+summary.ByCode["Unavailable"])
			assert.Contains(t, out.stderr, "push: halted: "+tc.reason+"; sending no more records")
			assert.Contains(t, out.stderr, fmt.Sprintf("custsync push: halted: %s: %d records were not sent", tc.reason, summary.NotSent))
			failures := readFailures(t, summary.FailuresFile)
			assert.Len(t, failures, records, "every record is in the failures file")
			for _, f := range failures {
				if f.Error.Code == "Canceled" {
					assert.Contains(t, f.Error.Message, "not sent: the run halted: the vendor could not be reached")
				}
			}
		})
	}
}

const adapterDefaultConcurrency = 4

func TestPushJSONSummaryIsExact(t *testing.T) {
	t.Parallel()
	// Latency makes the run long enough for elapsedSeconds, rounded to the
	// millisecond, to give the rate to within a percent.
	srv := newSandbox(t, sandbox.WithSyntheticCustomers(5), sandbox.WithFaults(specs.Upwell, sandbox.Faults{Latency: 50 * time.Millisecond}))
	dir := t.TempDir()
	out := pushTo(t, srv, specs.Upwell, dir, strings.Join([]string{
		`{"id": "S-00001", "name": "One", "vatId": "DE123"}`,                      // ok, vatId dropped
		`{"id": "S-00002", "name": "Two", "vatId": "DE456", "phone": "+4912345"}`, // ok, both dropped
		`{"id": "S-00003", "email": "three@example.com"}`,                         // ok
		`{"id": "S-99999", "name": "Missing"}`,                                    // NotFound
		`not json`,                                                                // InvalidArgument
		``,
	}, "\n")+"\n", "--json", "--lenient")
	require.Equal(t, exitFailed, out.code)
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(out.stdout), &raw), "stdout is one JSON object: %s", out.stdout)
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	assert.ElementsMatch(t, []string{"started", "vendor", "input", "state", "succeeded", "unchanged", "dryRun", "failed", "notSent", "byCode", "dropped", "halted", "haltReason", "failuresFile", "elapsedSeconds", "recordsPerSecond", "mismatched"}, keys)
	var s pushSummaryJSON
	require.NoError(t, json.Unmarshal([]byte(out.stdout), &s))
	assert.Equal(t, 3, s.Succeeded)
	assert.Equal(t, 2, s.Failed)
	assert.Equal(t, 0, s.NotSent)
	assert.Equal(t, map[string]int{"NotFound": 1, "InvalidArgument": 1}, s.ByCode)
	assert.Equal(t, map[string]int{"vatId": 2, "phone": 1}, s.Dropped)
	assert.False(t, s.Halted)
	assert.Empty(t, s.HaltReason)
	assert.Equal(t, map[string]string{"S-99999": "NotFound", "raw:not json": "InvalidArgument"}, codesOf(readFailures(t, s.FailuresFile)))
	assert.Equal(t, filepath.Dir(s.FailuresFile), dir)
	require.Greater(t, s.ElapsedSeconds, 0.0)
	assert.InDelta(t, 5/s.ElapsedSeconds, s.RecordsPerSecond, 0.05*5/s.ElapsedSeconds+0.1, "the rate is of the 5 records tried")

	t.Run("without --json, the summary counts the dropped fields", func(t *testing.T) {
		out := pushTo(t, srv, specs.Upwell, t.TempDir(), `{"id": "S-00001", "name": "One", "vatId": "DE123"}`+"\n", "--lenient")
		require.Equal(t, exitOK, out.code)
		assert.Contains(t, out.stdout, "push: dropped in lenient mode (the vendor cannot store them): vatId (1)")
	})
}

func TestPushDeadlineReportsTheRestAsNotSent(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t, sandbox.WithSyntheticCustomers(100), sandbox.WithFaults(specs.Upwell, sandbox.Faults{Latency: 100 * time.Millisecond}))
	dir := t.TempDir()
	var lines []string
	for i := 1; i <= 100; i++ {
		lines = append(lines, fmt.Sprintf(`{"id": "%s", "name": "Deadline %d"}`, sandbox.SyntheticID(specs.Upwell, i), i))
	}
	out := pushTo(t, srv, specs.Upwell, dir, strings.Join(lines, "\n")+"\n", "--concurrency", "1", "--deadline", "500ms")
	require.Equal(t, exitIncomplete, out.code)
	assert.Contains(t, out.stderr, "the --deadline of 500ms has passed: starting no more records")
	assert.Contains(t, out.stdout, "push: the --deadline of 500ms passed: ")
	failures := readFailures(t, failuresFileNamed(t, out.stdout))
	require.NotEmpty(t, failures)
	sent := 0
	for i := 1; i <= 100; i++ {
		id := sandbox.SyntheticID(specs.Upwell, i)
		f, failed := failures[id]
		rec, _ := srv.Customer(specs.Upwell, id)
		if !failed {
			sent++
			assert.Equal(t, fmt.Sprintf("Deadline %d", i), rec["name"], "%s succeeded", id)
			continue
		}
		assert.Equal(t, "Canceled", f.Error.Code)
		assert.Contains(t, f.Error.Message, "not sent: the push reached its --deadline")
		assert.NotEqual(t, fmt.Sprintf("Deadline %d", i), rec["name"], "%s is listed as not sent but was sent", id)
	}
	assert.Contains(t, out.stdout, fmt.Sprintf("push: %d succeeded, 0 failed, %d not sent in ", sent, 100-sent))
}

func TestPushHoldsBackACustomersLaterLinesOnceOneFails(t *testing.T) {
	t.Parallel()
	// Line 2 fails (Upwell cannot clear a name); line 3 for the same
	// customer must not overtake it, or pushing the fixed failures file
	// would put line 2's older values back over line 3's.
	srv := newSandbox(t, sandbox.WithSyntheticCustomers(5))
	dir := t.TempDir()
	input := `{"id":"S-00001","name":"first"}` + "\n" + `{"id":"S-00001","name":null}` + "\n" +
		`{"id":"S-00001","name":"third"}` + "\n" + `{"id":"S-00002","name":"other"}` + "\n"
	out := pushTo(t, srv, specs.Upwell, dir, input, "--json")
	require.Equal(t, exitFailed, out.code, out.stderr)

	var summary struct {
		Succeeded, Failed, NotSent int
		ByCode                     map[string]int
		FailuresFile               string
	}
	require.NoError(t, json.Unmarshal([]byte(out.stdout), &summary), out.stdout)
	assert.Equal(t, 2, summary.Succeeded, "line 1 and the other customer")
	assert.Equal(t, 2, summary.Failed)
	assert.Zero(t, summary.NotSent, "every line was tried: exit 1, not 3")
	assert.Equal(t, map[string]int{"InvalidArgument": 1, "FailedPrecondition": 1}, summary.ByCode)

	stored, ok := srv.Customer(specs.Upwell, "S-00001")
	require.True(t, ok)
	assert.Equal(t, "first", stored["name"], "line 3 was held back")
	failures, err := os.ReadFile(summary.FailuresFile)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(failures)), "\n")
	require.Len(t, lines, 2)
	assert.Contains(t, lines[0], `"name":null`, "the failed line first")
	assert.Contains(t, lines[1], `"third"`, "then the held-back one, in input order")
	assert.Contains(t, lines[1], "earlier update of this customer")
}

func TestPushHoldsBackACustomersLinesBehindOneThatIsNotAValidCustomer(t *testing.T) {
	t.Parallel()
	// A line with a typo in a key: were its failure written at once and
	// the customer's next line sent, pushing the fixed failures file
	// would put the older name back.
	srv := newSandbox(t, sandbox.WithSyntheticCustomers(5))
	dir := t.TempDir()
	input := `{"id":"S-00001","name":"OLD","nmae":"typo"}` + "\n" + `{"id":"S-00001","name":"NEW"}` + "\n" +
		`{"id":"S-00002","name":5}` + "\n" + `{"id":"S-00003","name":"fine"}` + "\n"
	out := pushTo(t, srv, specs.Upwell, dir, input, "--json")
	require.Equal(t, exitFailed, out.code, out.stderr)
	var summary struct {
		Succeeded, Failed int
		ByCode            map[string]int
		FailuresFile      string
	}
	require.NoError(t, json.Unmarshal([]byte(out.stdout), &summary), out.stdout)
	assert.Equal(t, 1, summary.Succeeded, "only S-00003")
	assert.Equal(t, map[string]int{"InvalidArgument": 2, "FailedPrecondition": 1}, summary.ByCode)
	assert.Zero(t, srv.Stats(specs.Upwell).Requests-1, "one request: S-00003's; the invalid lines and the held-back one sent nothing")

	failures, err := os.ReadFile(summary.FailuresFile)
	require.NoError(t, err)
	assert.Contains(t, string(failures), `nmae: unknown field`, "the invalid line keeps its own error")
	fixed := strings.Replace(string(failures), `,"nmae":"typo"`, "", 1)
	fixed = strings.Replace(fixed, `"name":5`, `"name":"five"`, 1)
	again := pushTo(t, srv, specs.Upwell, t.TempDir(), fixed)
	require.Equal(t, exitOK, again.code, again.stderr)
	stored, ok := srv.Customer(specs.Upwell, "S-00001")
	require.True(t, ok)
	assert.Equal(t, "NEW", stored["name"], "the fixed lines applied in input order")
}
