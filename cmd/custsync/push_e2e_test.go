package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

func TestPushExampleFilesAgainstTheInProcessSandbox(t *testing.T) {
	t.Parallel()
	// The README's main job, and the example of each other vendor.
	for _, tc := range []struct{ vendor, file string }{
		{"billbee", "examples/customers.jsonl"},
		{"upwell", "examples/upwell.jsonl"},
		{"bluetape", "examples/bluetape.jsonl"},
	} {
		t.Run(tc.vendor, func(t *testing.T) {
			t.Parallel()
			// A copy, so that the run cannot leave a failures file in the repository.
			data, err := os.ReadFile(repoFile(t, tc.file))
			require.NoError(t, err)
			dir := t.TempDir()
			input := writeFile(t, dir, filepath.Base(tc.file), string(data))
			out := runBinary(t, invocation{args: []string{"push", "--sandbox", "--vendor", tc.vendor, "--file", input}, dir: dir})
			require.Equal(t, exitOK, out.code)
			lines := countLines(t, input)
			assert.Contains(t, out.stdout, "push: "+strconv.Itoa(lines)+" succeeded, 0 failed, 0 not sent in ")
			assert.Contains(t, out.stderr, "in-process sandbox")
			assert.Empty(t, failuresFiles(t, dir), "no failures, no failures file")
		})
	}
	t.Run("update with examples/customer.json", func(t *testing.T) {
		t.Parallel()
		out := runBinary(t, invocation{args: []string{"update", "--sandbox", "--vendor", "billbee", "--file", repoFile(t, "examples/customer.json")}})
		require.Equal(t, exitOK, out.code)
		assert.Contains(t, out.stdout, "billbee 100000150176895: updated")
	})
}

// failureLine is one line of a failures file.
type failureLine struct {
	Raw   *string         `json:"_raw"`
	Error failureInfoJSON `json:"_error"`
	rest  map[string]json.RawMessage
}

type failureInfoJSON struct {
	Line       int    `json:"line"`
	Vendor     string `json:"vendor"`
	Code       string `json:"code"`
	Message    string `json:"message"`
	HTTPStatus int    `json:"httpStatus"`
	VendorCode string `json:"vendorCode"`
	Retryable  bool   `json:"retryable"`
}

// readFailures reads a failures file, keyed by the record's id (or by its
// _raw text for lines that were not objects).
func readFailures(t *testing.T, path string) map[string]failureLine {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer func() { assert.NoError(t, f.Close()) }()
	out := map[string]failureLine{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var fl failureLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &fl), "a failures line is JSON: %s", sc.Text())
		require.NoError(t, json.Unmarshal(sc.Bytes(), &fl.rest))
		require.Contains(t, fl.rest, "_error")
		key := ""
		if fl.Raw != nil {
			key = "raw:" + *fl.Raw
		} else {
			require.NoError(t, json.Unmarshal(fl.rest["id"], &key))
		}
		require.NotContains(t, out, key, "one line per failed record")
		out[key] = fl
	}
	require.NoError(t, sc.Err())
	return out
}

func codesOf(failures map[string]failureLine) map[string]string {
	codes := map[string]string{}
	for k, f := range failures {
		codes[k] = f.Error.Code
	}
	return codes
}

func TestPushFailuresFileRoundTrip(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t, sandbox.WithSyntheticCustomers(10))
	dir := t.TempDir()
	archived := "100000150176896"
	input := writeFile(t, dir, "batch.jsonl", strings.Join([]string{
		`{"id": "100000150176895", "name": "Max Mustermann GmbH"}`, // 1 ok
		``,                                      // blank: skipped, not a record
		`this is not JSON`,                      // 3 not a customer
		`{"id": "999999999", "name": "Nobody"}`, // 4 NotFound
		`{"id": "` + archived + `", "name": "Archived Co"}`, // 5 archived: FailedPrecondition
		`{"id": "200000000000001", "nmae": "typo"}`,         // 6 unknown field
		`{"id": "200000000000002", "email": "a@b.example"}`, // 7 ok
	}, "\n")+"\n")
	env := demoEnv(specs.Billbee)
	push := func(file string) outcome {
		return runBinary(t, invocation{args: []string{"push", "--vendor", "billbee", "--base-url", srv.URL(specs.Billbee), "--file", file}, env: env, dir: dir})
	}

	out := push(input)
	require.Equal(t, exitFailed, out.code)
	assert.Contains(t, out.stdout, "push: 2 succeeded, 4 failed, 0 not sent in ")
	failuresPath := failuresFileNamed(t, out.stdout)
	assert.Regexp(t, `^`+regexp.QuoteMeta(filepath.Join(dir, "batch.failures-billbee-"))+`\d{8}T\d{6}Z\.jsonl$`, failuresPath)
	first := readFailures(t, failuresPath)
	wantCodes := map[string]string{
		"raw:this is not JSON": "InvalidArgument",
		"999999999":            "NotFound",
		archived:               "FailedPrecondition",
		"200000000000001":      "InvalidArgument",
	}
	require.Equal(t, wantCodes, codesOf(first), "exactly the failed lines, each with its code")
	lines := map[string]int{}
	for k, f := range first {
		lines[k] = f.Error.Line
		assert.Equal(t, "billbee", f.Error.Vendor)
		assert.NotEmpty(t, f.Error.Message)
	}
	assert.Equal(t, map[string]int{"raw:this is not JSON": 3, "999999999": 4, archived: 5, "200000000000001": 6}, lines)
	assert.Equal(t, 404, first["999999999"].Error.HTTPStatus)
	assert.Contains(t, first["200000000000001"].Error.Message, "nmae")
	assert.JSONEq(t, `"typo"`, string(first["200000000000001"].rest["nmae"]), "the original object is kept as written")
	// stderr names vendor, code and message for each failure.
	assert.Contains(t, out.stderr, "NotFound")
	assert.Contains(t, out.stderr, "FailedPrecondition")

	t.Run("fed back unchanged, the same lines fail with the same codes", func(t *testing.T) {
		out := push(failuresPath)
		require.Equal(t, exitFailed, out.code)
		assert.Contains(t, out.stdout, "push: 0 succeeded, 4 failed, 0 not sent in ")
		againPath := failuresFileNamed(t, out.stdout)
		assert.NotEqual(t, failuresPath, againPath, "each run writes a file of its own")
		assert.FileExists(t, failuresPath, "the earlier run's file is kept")
		again := readFailures(t, againPath)
		assert.Equal(t, wantCodes, codesOf(again))
		for k, f := range again {
			delete(f.rest, "_error")
			delete(first[k].rest, "_error")
			assert.Equal(t, first[k].rest, f.rest, "the record itself is unchanged: %s", k)
		}
	})

	t.Run("fed back corrected, every line succeeds", func(t *testing.T) {
		data, err := os.ReadFile(failuresPath)
		require.NoError(t, err)
		fixed := string(data)
		// Fix each line the way an operator would, leaving _error in place.
		fixed = strings.Replace(fixed, `"_raw":"this is not JSON"`, `"_raw":"{\"id\": \"200000000000003\", \"name\": \"Was Garbage\"}"`, 1)
		fixed = strings.Replace(fixed, `"id":"999999999"`, `"id":"200000000000004"`, 1)
		fixed = strings.Replace(fixed, `"id":"`+archived+`"`, `"id":"7674534536"`, 1)
		fixed = strings.Replace(fixed, `"nmae":"typo"`, `"name":"Fixed"`, 1)
		corrected := writeFile(t, dir, "corrected.jsonl", fixed)
		out := push(corrected)
		require.Equal(t, exitOK, out.code)
		assert.Contains(t, out.stdout, "push: 4 succeeded, 0 failed, 0 not sent in ")
		assert.NotContains(t, out.stdout, "failed lines are in")
		assert.Len(t, failuresFiles(t, dir), 2, "a run without failures writes no file and deletes none")
		rec, ok := srv.Customer(specs.Billbee, "200000000000001")
		require.True(t, ok)
		assert.Equal(t, "Fixed", rec["Name"])
		rec, ok = srv.Customer(specs.Billbee, "200000000000003")
		require.True(t, ok)
		assert.Equal(t, "Was Garbage", rec["Name"], "a fixed _raw line is pushed")
	})
}

func TestPushFromStdin(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t, sandbox.WithSyntheticCustomers(50))
	var lines []string
	for i := 1; i <= 50; i++ {
		lines = append(lines, `{"id": "`+sandbox.SyntheticID(specs.Upwell, i)+`", "name": "Customer `+strconv.Itoa(i)+`"}`)
	}
	lines = append(lines, `{"id": "S-99999", "name": "Missing"}`)
	dir := t.TempDir()
	out := runBinary(t, invocation{
		args:  []string{"push", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell), "--file", "-", "--concurrency", "8"},
		env:   demoEnv(specs.Upwell),
		stdin: strings.Join(lines, "\r\n"), // CRLF, and no newline after the last line
		dir:   dir,
	})
	require.Equal(t, exitFailed, out.code)
	assert.Contains(t, out.stdout, "push: 50 succeeded, 1 failed, 0 not sent in ")
	failuresPath := failuresFileNamed(t, out.stdout)
	assert.Regexp(t, `^failures-upwell-\d{8}T\d{6}Z\.jsonl$`, failuresPath, "standard input's failures go to the working directory")
	failures := readFailures(t, filepath.Join(dir, failuresPath))
	assert.Equal(t, map[string]string{"S-99999": "NotFound"}, codesOf(failures))
	assert.Equal(t, 51, failures["S-99999"].Error.Line)
	rec, ok := srv.Customer(specs.Upwell, "S-00050")
	require.True(t, ok)
	assert.Equal(t, "Customer 50", rec["name"])
}

func TestPushFailuresFlagAndItsChecks(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	dir := t.TempDir()
	input := writeFile(t, dir, "in.jsonl", `{"id": "C-0000", "name": "Missing"}`+"\n")

	t.Run("--failures names the file", func(t *testing.T) {
		target := filepath.Join(dir, "out", "failed.jsonl")
		require.NoError(t, os.MkdirAll(filepath.Dir(target), 0o755))
		out := runBinary(t, invocation{args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell), "--file", input, "--failures", target}, env: demoEnv(specs.Upwell)})
		assert.Equal(t, exitFailed, out.code)
		assert.Equal(t, map[string]string{"C-0000": "NotFound"}, codesOf(readFailures(t, target)))
	})
	t.Run("the input itself is refused as failures file", func(t *testing.T) {
		out := runBinary(t, invocation{args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell), "--file", input, "--failures", input}, env: demoEnv(specs.Upwell)})
		assert.Equal(t, exitUsage, out.code)
		data, err := os.ReadFile(input)
		require.NoError(t, err)
		assert.Contains(t, string(data), "C-0000", "the input is untouched")
	})
	t.Run("an unwritable failures path fails before anything is sent", func(t *testing.T) {
		before := srv.Stats(specs.Upwell).Requests
		out := runBinary(t, invocation{args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell), "--file", input, "--failures", filepath.Join(dir, "no", "such", "dir", "f.jsonl")}, env: demoEnv(specs.Upwell)})
		assert.Equal(t, exitUsage, out.code)
		assert.Contains(t, out.stderr, "failures file")
		assert.Equal(t, before, srv.Stats(specs.Upwell).Requests)
	})
}

func TestPushNeverLosesItsInput(t *testing.T) {
	t.Parallel()
	// A failures file of an earlier run: one line since fixed, one not.
	earlier := `{"id": "` + sandbox.SyntheticID(specs.Upwell, 1) + `", "name": "Fixed", "_error": {"code": "InvalidArgument"}}` + "\n" +
		`{"id": "S-99999", "name": "Missing", "_error": {"code": "NotFound"}}` + "\n"

	t.Run("standard input redirected from the failures file is refused, and the file kept", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		path := writeFile(t, dir, "failures.jsonl", earlier)
		out := runBinary(t, invocation{args: []string{"push", "--sandbox", "--vendor", "upwell", "--file", "-", "--failures", "failures.jsonl"}, stdinFile: path, dir: dir})
		assert.Equal(t, exitUsage, out.code)
		assert.Contains(t, out.stderr, "the failures file failures.jsonl is standard input; name another with --failures")
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, earlier, string(data), "the input is untouched")
	})

	t.Run("standard input redirected from another file is pushed", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		path := writeFile(t, dir, "earlier.jsonl", earlier)
		out := runBinary(t, invocation{args: []string{"push", "--sandbox", "--vendor", "upwell", "--file", "-"}, stdinFile: path, dir: dir})
		assert.Equal(t, exitFailed, out.code)
		assert.Contains(t, out.stdout, "push: 1 succeeded, 1 failed, 0 not sent in ")
		assert.Equal(t, map[string]string{"S-99999": "NotFound"}, codesOf(readFailures(t, filepath.Join(dir, failuresFileNamed(t, out.stdout)))))
	})

	t.Run("a pipe reading the failures file while push starts reads all of it", func(t *testing.T) {
		t.Parallel()
		// "cat failures.jsonl | custsync push --file -": cat opens the file
		// only when push first reads, as a slow-starting cat may.
		dir := t.TempDir()
		path := writeFile(t, dir, "failures.jsonl", earlier)
		var stdout, stderr bytes.Buffer
		a := &app{stdin: &lazyFile{path: path}, stdout: &stdout, stderr: &stderr}
		code := a.run([]string{"push", "--sandbox", "--vendor", "upwell", "--file", "-", "--failures", path})
		t.Logf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		assert.Equal(t, exitFailed, code)
		assert.Contains(t, stdout.String(), "push: 1 succeeded, 1 failed, 0 not sent in ")
		assert.Equal(t, map[string]string{"S-99999": "NotFound"}, codesOf(readFailures(t, path)), "the failures file now holds the line still to fix")
		assert.Empty(t, partials(t, dir))
	})
}

// lazyFile reads the file at path, opening it at the first Read.
type lazyFile struct {
	path string
	f    *os.File
}

func (l *lazyFile) Read(p []byte) (int, error) {
	if l.f == nil {
		f, err := os.Open(l.path)
		if err != nil {
			return 0, err
		}
		l.f = f
	}
	n, err := l.f.Read(p)
	if err == io.EOF {
		if cerr := l.f.Close(); cerr != nil {
			return n, cerr
		}
	}
	return n, err
}

// failuresFileNamed is the failures file the summary names.
func failuresFileNamed(t *testing.T, stdout string) string {
	t.Helper()
	m := regexp.MustCompile(`push: failed lines are in (.+?); fix them`).FindStringSubmatch(stdout)
	require.NotNil(t, m, "the summary names the failures file:\n%s", stdout)
	return m[1]
}

// failuresFiles lists the finished failures files in dir.
func failuresFiles(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*failures-*.jsonl"))
	require.NoError(t, err)
	return names
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	n := 0
	for _, l := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(l) != "" {
			n++
		}
	}
	return n
}

// TestTheJSONSummarySaysWhatRanAndWhen: a cron log of many nights'
// summaries must tell them apart.
func TestTheJSONSummarySaysWhatRanAndWhen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input := writeFile(t, dir, "nightly.jsonl", `{"id":"100000150176895","name":"Max Mustermann GmbH"}`+"\n")
	state := filepath.Join(dir, "state.db")
	before := time.Now().UTC().Truncate(time.Second)
	out := runBinary(t, invocation{args: []string{"push", "--sandbox", "--vendor", "billbee", "--file", input, "--state", state, "--json"}, dir: dir})
	require.Equal(t, exitOK, out.code, out.stderr)
	var got pushSummaryJSON
	require.NoError(t, json.Unmarshal([]byte(out.stdout), &got), out.stdout)
	started, err := time.Parse(time.RFC3339, got.Started)
	require.NoError(t, err, "started is RFC 3339: %q", got.Started)
	assert.Equal(t, time.UTC, started.Location())
	assert.False(t, started.Before(before), "started %s, the push began at %s", started, before)
	assert.Equal(t, "billbee", got.Vendor)
	assert.Equal(t, input, got.Input)
	assert.Equal(t, state, got.State)
	assert.Positive(t, got.ElapsedSeconds)
}
