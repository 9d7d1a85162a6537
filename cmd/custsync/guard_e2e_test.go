package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// guardExport is an Upwell export of customers 1..n of the sandbox's
// synthetic ones, each with a name and the e-mail email(i) gives as JSON
// text (null, "", or an address).
func guardExport(n int, email func(i int) string) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `{"id":%q,"name":"Customer %d","email":%s}`+"\n", sandbox.SyntheticID(specs.Upwell, i), i, email(i))
	}
	return b.String()
}

func address(i int) string { return strconv.Quote(fmt.Sprintf("ap%d@example.com", i)) }

// halfCleared is an export in which every other customer lost its e-mail.
func halfCleared(i int) string {
	if i%2 == 0 {
		return "null"
	}
	return address(i)
}

// guardOut is the "guard" member of push --json's summary.
type guardOut struct {
	MaxChanges       string          `json:"maxChanges"`
	MaxClears        string          `json:"maxClears"`
	Records          int             `json:"records"`
	WouldSend        int             `json:"wouldSend"`
	SendLimit        int             `json:"sendLimit"`
	WouldClear       int             `json:"wouldClear"`
	ClearLimit       int             `json:"clearLimit"`
	Set              map[string]int  `json:"set"`
	Cleared          map[string]int  `json:"cleared"`
	Examples         []plannedRecOut `json:"examples"`
	ClearingExamples []plannedRecOut `json:"clearingExamples"`
	Refused          bool            `json:"refused"`
}

type plannedRecOut struct {
	Line    int              `json:"line"`
	ID      string           `json:"id"`
	Key     string           `json:"key"`
	Set     []string         `json:"set"`
	Cleared []string         `json:"cleared"`
	Changes []map[string]any `json:"changes"`
}

func decodeGuard(t *testing.T, line string) guardOut {
	t.Helper()
	var got struct {
		Guard *guardOut `json:"guard"`
	}
	require.NoError(t, json.Unmarshal([]byte(line), &got), "the summary: %s", line)
	require.NotNil(t, got.Guard, "the summary has a guard member: %s", line)
	return *got.Guard
}

func lines(list []plannedRecOut) []int {
	out := []int{}
	for _, r := range list {
		out = append(out, r.Line)
	}
	return out
}

func TestPushMaxChangesRefusesABrokenExport(t *testing.T) {
	t.Parallel()
	const n = 20
	push := func(t *testing.T, srv *sandbox.Server, dir, input string, args ...string) outcome {
		t.Helper()
		path := writeFile(t, dir, "export.jsonl", input)
		return runBinary(t, invocation{
			args: append([]string{"push", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell), "--file", path}, args...),
			env:  demoEnv(specs.Upwell), dir: dir,
		})
	}
	failuresFiles := func(t *testing.T, dir string) []string {
		t.Helper()
		files, err := filepath.Glob(filepath.Join(dir, "*failures*"))
		require.NoError(t, err)
		return files
	}

	t.Run("half the records clearing their e-mail: --max-changes 10% sends nothing and exits 4", func(t *testing.T) {
		t.Parallel()
		srv := newSandbox(t, sandbox.WithSyntheticCustomers(n))
		dir := t.TempDir()
		out := push(t, srv, dir, guardExport(n, halfCleared), "--max-changes", "10%")
		require.Equal(t, exitRefused, out.code)
		assert.Zero(t, srv.Stats(specs.Upwell).Requests, "not one request")
		assert.Empty(t, failuresFiles(t, dir), "no failures file: nothing failed")
		assert.Equal(t, "push: refused by --max-changes 10%: 20 of 20 records would be sent (at most 2), 10 fields cleared (at most 2); nothing was sent\n", out.stdout)
		assert.Contains(t, out.stderr, "custsync push: they would set name (20), email (10); they would clear (to null or an empty value) email (10)\n")
		assert.Contains(t, out.stderr, "custsync push: for example:\n"+
			`  line 2, customer ["ACME","S-00002"]: clears email; sets name`+"\n"+
			`  line 4, customer ["ACME","S-00004"]: clears email; sets name`+"\n"+
			`  line 6, customer ["ACME","S-00006"]: clears email; sets name`+"\n"+
			`  line 8, customer ["ACME","S-00008"]: clears email; sets name`+"\n"+
			`  line 10, customer ["ACME","S-00010"]: clears email; sets name`+"\n"+
			"custsync push: if the export is right, push it with a higher --max-changes, or without it\n",
			"the records that clear, five at most, in input order")
	})

	t.Run("with --json the summary says what was counted, and that nothing was sent", func(t *testing.T) {
		t.Parallel()
		srv := newSandbox(t, sandbox.WithSyntheticCustomers(n))
		dir := t.TempDir()
		out := push(t, srv, dir, guardExport(n, halfCleared), "--max-changes", "10%", "--json")
		require.Equal(t, exitRefused, out.code)
		assert.Zero(t, srv.Stats(specs.Upwell).Requests)
		summary := decodePush(t, out)
		assert.Equal(t, pushJSONOut{}, summary, "nothing succeeded, failed or was not sent")
		g := decodeGuard(t, out.stdout)
		assert.True(t, g.Refused)
		assert.Equal(t, "10%", g.MaxChanges)
		assert.Empty(t, g.MaxClears)
		assert.Equal(t, []int{n, n, 2, 10, 2}, []int{g.Records, g.WouldSend, g.SendLimit, g.WouldClear, g.ClearLimit})
		assert.Equal(t, map[string]int{"name": 20, "email": 10}, g.Set)
		assert.Equal(t, map[string]int{"email": 10}, g.Cleared)
		assert.Equal(t, []int{1, 2, 3, 4, 5}, lines(g.Examples))
		assert.Equal(t, []int{2, 4, 6, 8, 10}, lines(g.ClearingExamples))
		assert.Equal(t, plannedRecOut{Line: 2, ID: "S-00002", Key: `["ACME","S-00002"]`, Set: []string{"name"}, Cleared: []string{"email"}}, g.ClearingExamples[0])
	})

	t.Run("a second night that clears half the e-mails is refused though the state holds the first", func(t *testing.T) {
		t.Parallel()
		srv := newSandbox(t, sandbox.WithSyntheticCustomers(n))
		dir := t.TempDir()
		state := filepath.Join(dir, "state.db")
		first := push(t, srv, dir, guardExport(n, address), "--state", state)
		require.Equal(t, exitOK, first.code, first.stderr)
		sent := srv.Stats(specs.Upwell).Requests
		require.EqualValues(t, n, sent)

		out := push(t, srv, dir, guardExport(n, halfCleared), "--state", state, "--max-changes", "10%")
		require.Equal(t, exitRefused, out.code)
		assert.Equal(t, sent, srv.Stats(specs.Upwell).Requests, "not one request")
		assert.Contains(t, out.stdout, "10 of 20 records would be sent (at most 2), 10 fields cleared (at most 2); nothing was sent",
			"the changed records only: the state was read")
		again := push(t, srv, dir, guardExport(n, address), "--state", state, "--max-changes", "10%", "--json")
		require.Equal(t, exitOK, again.code, again.stderr)
		assert.Equal(t, pushJSONOut{Unchanged: n}, decodePush(t, again), "the refused night wrote nothing to the state")
	})

	t.Run("under the limit the push goes ahead and sends", func(t *testing.T) {
		t.Parallel()
		srv := newSandbox(t, sandbox.WithSyntheticCustomers(n))
		dir := t.TempDir()
		out := push(t, srv, dir, guardExport(n, halfCleared), "--max-changes", "100%", "--max-clears", "50%", "--json")
		require.Equal(t, exitOK, out.code, out.stderr)
		assert.EqualValues(t, n, srv.Stats(specs.Upwell).Requests)
		assert.Equal(t, pushJSONOut{Succeeded: n}, decodePush(t, out))
		g := decodeGuard(t, out.stdout)
		assert.False(t, g.Refused)
		assert.Equal(t, []int{n, n, n, 10, 10}, []int{g.Records, g.WouldSend, g.SendLimit, g.WouldClear, g.ClearLimit}, "at the limit passes")
		assert.Contains(t, out.stderr, "push: --max-changes 100% and --max-clears 50%: 20 of 20 records would be sent (at most 20), 10 fields cleared (at most 10); sending\n")
	})

	for _, tt := range []struct {
		args    []string
		refused bool
		counted string
	}{
		{[]string{"--max-changes", "20"}, false, "20 of 20 records would be sent (at most 20), 10 fields cleared (at most 20)"},
		{[]string{"--max-changes", "19"}, true, "20 of 20 records would be sent (at most 19), 10 fields cleared (at most 19)"},
		{[]string{"--max-clears", "10"}, false, "20 of 20 records would be sent, 10 fields cleared (at most 10)"},
		{[]string{"--max-clears", "9"}, true, "20 of 20 records would be sent, 10 fields cleared (at most 9)"},
		{[]string{"--max-clears", "49.99%"}, true, "20 of 20 records would be sent, 10 fields cleared (at most 9)"},
		{[]string{"--max-changes", "100%", "--max-clears", "0"}, true, "20 of 20 records would be sent (at most 20), 10 fields cleared (at most 0)"},
	} {
		verdict := "goes ahead"
		if tt.refused {
			verdict = "is refused"
		}
		t.Run(strings.Join(tt.args, " ")+" "+verdict, func(t *testing.T) {
			t.Parallel()
			srv := newSandbox(t, sandbox.WithSyntheticCustomers(n))
			dir := t.TempDir()
			out := push(t, srv, dir, guardExport(n, halfCleared), tt.args...)
			assert.Contains(t, out.stdout, tt.counted)
			if tt.refused {
				assert.Equal(t, exitRefused, out.code)
				assert.Zero(t, srv.Stats(specs.Upwell).Requests)
				return
			}
			assert.Equal(t, exitOK, out.code)
			assert.EqualValues(t, n, srv.Stats(specs.Upwell).Requests)
		})
	}

	t.Run("an e-mail emptied to \"\" counts as cleared, and such records fail without a request", func(t *testing.T) {
		t.Parallel()
		srv := newSandbox(t, sandbox.WithSyntheticCustomers(n))
		dir := t.TempDir()
		emptied := func(i int) string {
			if i <= 5 {
				return `""`
			}
			return address(i)
		}
		refused := push(t, srv, dir, guardExport(n, emptied), "--max-clears", "4")
		assert.Equal(t, exitRefused, refused.code)
		assert.Contains(t, refused.stdout, "5 fields cleared (at most 4)")
		out := push(t, srv, dir, guardExport(n, emptied), "--max-clears", "5")
		assert.Equal(t, exitFailed, out.code)
		assert.EqualValues(t, n-5, srv.Stats(specs.Upwell).Requests, "the client refuses empty text: use null to clear")
	})
}

func TestPushMaxChangesWithAStateCountsWhatTheNightSends(t *testing.T) {
	t.Parallel()
	for _, kind := range stateKinds() {
		t.Run("with the "+kind.name+" store, a night that changes 3 of 100 records passes --max-changes 5% and sends them", func(t *testing.T) {
			t.Parallel()
			const n = 100
			srv := newSandbox(t, sandbox.WithSyntheticCustomers(n))
			dir := t.TempDir()
			state := kind.state(t, dir)
			push := func(input string, extra ...string) outcome {
				path := writeFile(t, dir, "export.jsonl", input)
				return runBinary(t, invocation{args: append([]string{"push", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell),
					"--file", path, "--state", state, "--json"}, extra...), env: demoEnv(specs.Upwell), dir: dir})
			}
			first := push(guardExport(n, address))
			require.Equal(t, exitOK, first.code, first.stderr)
			require.EqualValues(t, n, srv.Stats(specs.Upwell).Requests)

			tonight := guardExport(n, func(i int) string {
				switch i {
				case 10, 20:
					return strconv.Quote(fmt.Sprintf("new%d@example.com", i))
				case 30:
					return "null"
				}
				return address(i)
			})
			out := push(tonight, "--max-changes", "5%")
			require.Equal(t, exitOK, out.code, out.stderr)
			assert.EqualValues(t, n+3, srv.Stats(specs.Upwell).Requests, "the three changed records, and only them")
			assert.Equal(t, pushJSONOut{Succeeded: 3, Unchanged: n - 3}, decodePush(t, out))
			g := decodeGuard(t, out.stdout)
			assert.Equal(t, []int{n, 3, 5, 1, 5}, []int{g.Records, g.WouldSend, g.SendLimit, g.WouldClear, g.ClearLimit}, "the count is what the night sent")
			assert.Equal(t, map[string]int{"name": 3, "email": 2}, g.Set)
			assert.Equal(t, map[string]int{"email": 1}, g.Cleared)
			assert.Equal(t, []int{10, 20, 30}, lines(g.Examples))
			assert.Equal(t, []int{30}, lines(g.ClearingExamples))
		})
	}
}

func TestPushDryRunPlanShowsEachRecordThatWouldBeSent(t *testing.T) {
	t.Parallel()

	t.Run("with --json, one object per record that would be sent, then the summary as without --plan", func(t *testing.T) {
		t.Parallel()
		const n = 10
		srv := newSandbox(t, sandbox.WithSyntheticCustomers(n))
		dir := t.TempDir()
		state := filepath.Join(dir, "state.db")
		last := writeFile(t, dir, "last.jsonl", guardExport(n, address))
		require.Equal(t, exitOK, runBinary(t, invocation{args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell),
			"--file", last, "--state", state}, env: demoEnv(specs.Upwell), dir: dir}).code)
		tonight := writeFile(t, dir, "tonight.jsonl", guardExport(n, func(i int) string {
			if i == 4 || i == 7 {
				return "null"
			}
			return address(i)
		})+"not json\n")
		sent := srv.Stats(specs.Upwell).Requests

		out := runBinary(t, invocation{args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell),
			"--file", tonight, "--state", state, "--dry-run", "--plan", "--json"}, env: demoEnv(specs.Upwell), dir: dir})
		require.Equal(t, exitFailed, out.code, "the line that is not JSON fails")
		assert.Equal(t, sent, srv.Stats(specs.Upwell).Requests)
		rows := strings.Split(strings.TrimSuffix(out.stdout, "\n"), "\n")
		require.Len(t, rows, 3, "two records, then the summary: %s", out.stdout)
		var planned []plannedRecOut
		for _, row := range rows[:2] {
			var r plannedRecOut
			dec := json.NewDecoder(strings.NewReader(row))
			dec.DisallowUnknownFields()
			require.NoError(t, dec.Decode(&r), row)
			planned = append(planned, r)
		}
		assert.ElementsMatch(t, []plannedRecOut{
			{Line: 4, ID: "S-00004", Key: `["ACME","S-00004"]`, Set: []string{"name"}, Cleared: []string{"email"}},
			{Line: 7, ID: "S-00007", Key: `["ACME","S-00007"]`, Set: []string{"name"}, Cleared: []string{"email"}},
		}, planned, "Upwell has no read, and the state holds fingerprints, not values: no changes")
		var summary map[string]json.RawMessage
		require.NoError(t, json.Unmarshal([]byte(rows[2]), &summary))
		keys := make([]string, 0, len(summary))
		for k := range summary {
			keys = append(keys, k)
		}
		assert.ElementsMatch(t, []string{"started", "vendor", "input", "state", "succeeded", "unchanged", "dryRun", "failed", "notSent", "byCode", "dropped", "halted", "haltReason", "failuresFile", "elapsedSeconds", "recordsPerSecond", "mismatched"}, keys)
		assert.Equal(t, pushJSONOut{Succeeded: 2, Unchanged: n - 2, Failed: 1, DryRun: true}, decodePush(t, outcome{stdout: rows[2]}))
	})

	t.Run("Billbee's read gives each field the write would change", func(t *testing.T) {
		t.Parallel()
		srv := newSandbox(t)
		dir := t.TempDir()
		input := writeFile(t, dir, "export.jsonl", `{"id": "100000150176895", "name": "Max Mustermann GmbH", "vatId": null}`+"\n"+
			`{"id": "100000150176896", "name": "Erika"}`+"\n")
		before, _ := srv.Customer(specs.Billbee, "100000150176895")
		args := []string{"push", "--vendor", "billbee", "--base-url", srv.URL(specs.Billbee), "--file", input, "--dry-run", "--plan"}
		out := runBinary(t, invocation{args: append(args, "--json"), env: demoEnv(specs.Billbee), dir: dir})
		require.Equal(t, exitFailed, out.code, "the second customer does not exist")
		rows := strings.Split(strings.TrimSuffix(out.stdout, "\n"), "\n")
		require.Len(t, rows, 2, "one record would be sent, then the summary: %s", out.stdout)
		var r plannedRecOut
		require.NoError(t, json.Unmarshal([]byte(rows[0]), &r))
		assert.Equal(t, plannedRecOut{Line: 1, ID: "100000150176895", Key: "100000150176895", Set: []string{"name"}, Cleared: []string{"vatId"},
			Changes: []map[string]any{
				{"field": "name", "vendorField": "Name", "current": "Max", "new": "Max Mustermann GmbH"},
				{"field": "vatId", "vendorField": "VatId", "current": "1234", "new": nil},
			}}, r)
		after, _ := srv.Customer(specs.Billbee, "100000150176895")
		assert.Equal(t, before, after, "nothing was written")

		text := runBinary(t, invocation{args: args, env: demoEnv(specs.Billbee), dir: dir})
		assert.True(t, strings.HasPrefix(text.stdout, `would send line 1, customer 100000150176895: clears vatId; sets name`+"\n"+
			`  name (Name): "Max" -> "Max Mustermann GmbH"`+"\n"+
			`  vatId (VatId): "1234" -> null`+"\n"+
			"push: dry run, nothing written: 1 would be sent, 0 unchanged, 1 failed"), text.stdout)
	})

	t.Run("with --max-changes, a dry run says the push would be refused and exits 4", func(t *testing.T) {
		t.Parallel()
		const n = 10
		srv := newSandbox(t, sandbox.WithSyntheticCustomers(n))
		dir := t.TempDir()
		input := writeFile(t, dir, "export.jsonl", guardExport(n, halfCleared))
		out := runBinary(t, invocation{args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell),
			"--file", input, "--dry-run", "--max-changes", "10%"}, env: demoEnv(specs.Upwell), dir: dir})
		assert.Equal(t, exitRefused, out.code)
		assert.Contains(t, out.stdout, "push: dry run, nothing written: 10 would be sent, 0 unchanged, 0 failed, 0 not sent")
		assert.Contains(t, out.stdout, "push: --max-changes 10%: 10 of 10 records would be sent (at most 1), 5 fields cleared (at most 1); a push would be refused (exit 4)\n")
		assert.Contains(t, out.stderr, "custsync push: for example:\n  line 2, ")
		assert.Zero(t, srv.Stats(specs.Upwell).Requests)
	})
}

func TestPushGuardRefusesWhatItCannotCount(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input := writeFile(t, dir, "export.jsonl", guardExport(2, address))
	for _, tt := range []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		{"standard input, which can be read once", []string{"--file", "-", "--max-changes", "10%"}, guardExport(2, address),
			"--max-changes 10% reads the input twice (once to count what would be sent, once to send it), and standard input can be read only once"},
		{"a limit that is no number", []string{"--file", input, "--max-changes", "ten"}, "", `--max-changes "ten": want a number of records (100) or a percentage of them (10%, 2.5%)`},
		{"a share over 100%", []string{"--file", input, "--max-clears", "150%"}, "", `--max-clears "150%": want a percentage from 0% to 100%`},
		{"--plan without --dry-run", []string{"--file", input, "--plan"}, "", "--plan shows a dry run's plan record by record; add --dry-run"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := runBinary(t, invocation{args: append([]string{"push", "--vendor", "upwell", "--sandbox"}, tt.args...), env: demoEnv(specs.Upwell), stdin: tt.stdin, dir: dir})
			assert.Equal(t, exitUsage, out.code)
			assert.Contains(t, out.stderr, tt.want)
			assert.Empty(t, out.stdout)
		})
	}
}
