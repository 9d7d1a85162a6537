package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// normalisingUpwell is an Upwell that confirms every update but stores
// the name upper-cased and the e-mail lower-cased, as its returning
// record then shows.
func normalisingUpwell(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Input map[string]any `json:"input"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		stored := map[string]any{"id": "cus_1"}
		if n, ok := body.Input["name"].(string); ok {
			stored["name"] = strings.ToUpper(n)
		}
		if e, ok := body.Input["emailAddress"].(string); ok {
			stored["emailAddress"] = strings.ToLower(e)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"updateCustomer":      map[string]any{"affectedRows": 1, "returning": []any{stored}},
			"updateCustomerRules": map[string]any{"affectedRows": 0},
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestUpdateShowsFieldsStoredOtherwiseThanSent(t *testing.T) {
	t.Parallel()
	const input = `{"id": "C-1001", "name": "Acme Corp", "email": "AP@Acme.example"}`

	t.Run("the summary line lists the mismatch and stderr warns; a case-only e-mail difference is no mismatch", func(t *testing.T) {
		t.Parallel()
		out := runBinary(t, invocation{
			args: []string{"update", "--vendor", "upwell", "--base-url", normalisingUpwell(t).URL},
			env:  demoEnv(specs.Upwell), stdin: input,
		})
		require.Equal(t, exitOK, out.code, out.stderr)
		assert.Contains(t, out.stdout, `; stored otherwise: name (sent "Acme Corp", stored "ACME CORP")`)
		assert.NotContains(t, out.stdout, "email (")
		assert.Contains(t, out.stderr, "upwell stored 1 field otherwise than sent")
	})
	t.Run("--json carries them as {field, sent, stored}", func(t *testing.T) {
		t.Parallel()
		out := runBinary(t, invocation{
			args: []string{"update", "--vendor", "upwell", "--base-url", normalisingUpwell(t).URL, "--json"},
			env:  demoEnv(specs.Upwell), stdin: input,
		})
		require.Equal(t, exitOK, out.code, out.stderr)
		var got struct {
			Mismatches []map[string]any `json:"mismatches"`
		}
		require.NoError(t, json.Unmarshal([]byte(out.stdout), &got))
		assert.Equal(t, []map[string]any{{"field": "name", "sent": "Acme Corp", "stored": "ACME CORP"}}, got.Mismatches)
	})
	t.Run("--strict makes it a failure that says the update was applied", func(t *testing.T) {
		t.Parallel()
		out := runBinary(t, invocation{
			args: []string{"update", "--vendor", "upwell", "--base-url", normalisingUpwell(t).URL, "--strict", "--json"},
			env:  demoEnv(specs.Upwell), stdin: input,
		})
		assert.Equal(t, exitFailed, out.code)
		assert.Contains(t, out.stderr, `name: sent "Acme Corp", stored "ACME CORP"`)
		assert.Contains(t, out.stderr, "the update was applied")
		var got struct {
			Error struct {
				Code       string           `json:"code"`
				Mismatches []map[string]any `json:"mismatches"`
			} `json:"error"`
		}
		require.NoError(t, json.Unmarshal([]byte(out.stdout), &got), out.stdout)
		assert.Equal(t, "Internal", got.Error.Code)
		assert.Len(t, got.Error.Mismatches, 1)
	})
	t.Run("against the sandbox, which stores what it is sent, --strict succeeds with no mismatch", func(t *testing.T) {
		t.Parallel()
		srv := newSandbox(t)
		out := runBinary(t, invocation{
			args: []string{"update", "--vendor", "billbee", "--base-url", srv.URL(specs.Billbee), "--strict", "--json"},
			env:  demoEnv(specs.Billbee), stdin: `{"id": "100000150176895", "name": "Max Mustermann GmbH", "phone": "+49 30 123456"}`,
		})
		require.Equal(t, exitOK, out.code, out.stderr)
		assert.Contains(t, out.stdout, `"mismatches":[]`)
	})
}

// push accepts a UTF-8 byte order mark on its first line; update accepts
// one before its object too.
func TestUpdateAcceptsAByteOrderMark(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	out := runBinary(t, invocation{
		args:  []string{"update", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell)},
		env:   demoEnv(specs.Upwell),
		stdin: "\xef\xbb\xbf" + `{"id": "C-1001", "name": "Acme BOM"}`,
	})
	require.Equal(t, exitOK, out.code, out.stderr)
	rec, ok := srv.Customer(specs.Upwell, sandbox.UpwellCustomerAcme)
	require.True(t, ok)
	assert.Equal(t, "Acme BOM", rec["name"])
}

func TestUpdateRefusesSilentlyChangedInputNamingTheField(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, input, want string
	}{
		{"a duplicate id", `{"id":"C-1001","id":"C-1002","name":"x"}`, "id: is given more than once"},
		{"invalid UTF-8", "{\"id\":\"C-1001\",\"name\":\"Bad\xff\xfeName\"}", "name: is not valid UTF-8"},
		{"an empty sourceSystem", `{"id":"C-1001","sourceSystem":"","name":"x"}`, "sourceSystem"},
		{"a sourceSystem with spaces", `{"id":"C-1001","sourceSystem":" ACME ","name":"x"}`, `sourceSystem: " ACME " has leading or trailing spaces`},
		{"a top-level array", `[{"id":"C-1001"}]`, "got a JSON array"},
		{"null in ccEmails", `{"id":"C-1001","ccEmails":[null]}`, "ccEmails[0]: is null"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, requests := countingServer(t)
			out := runBinary(t, invocation{
				args:  []string{"update", "--vendor", "upwell", "--base-url", srv.URL},
				env:   demoEnv(specs.Upwell),
				stdin: tc.input,
			})
			assert.Equal(t, exitUsage, out.code)
			assert.Contains(t, out.stderr, tc.want)
			assert.NotContains(t, out.stderr, "map[string]json.RawMessage")
			assert.Zero(t, requests.Load(), "nothing may be sent")
		})
	}
}

func TestACredentialWithALineBreakIsNamedByItsVariable(t *testing.T) {
	t.Parallel()
	env := demoEnv(specs.Billbee)
	env["BILLBEE_API_KEY"] = "abc\r\ndef"
	out := runBinary(t, invocation{args: []string{"update", "--vendor", "billbee", "--base-url", "http://127.0.0.1:9"}, env: env, stdin: `{"id":"1","name":"x"}`})
	assert.Equal(t, exitUsage, out.code)
	assert.Contains(t, out.stderr, "BILLBEE_API_KEY")
	assert.NotContains(t, out.stderr, "APIKey")
	assert.NotContains(t, out.stderr, "abc")
}

// push gets --strict through the client options: a record stored
// otherwise than sent is a failure, in the failures file, and exit 1.
func TestPushStrictFailsRecordsStoredOtherwise(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input := writeFile(t, dir, "in.jsonl", `{"id": "C-1001", "name": "Acme Corp"}`+"\n")
	failures := dir + "/failed.jsonl"
	base := normalisingUpwell(t).URL
	out := runBinary(t, invocation{args: []string{"push", "--vendor", "upwell", "--base-url", base, "--file", input, "--failures", failures}, env: demoEnv(specs.Upwell)})
	assert.Equal(t, exitOK, out.code, "without --strict a mismatch is no failure: %s", out.stderr)
	assert.Contains(t, out.stderr, "line 1: upwell stored otherwise than sent: name", "but it is never silent")
	assert.Contains(t, out.stdout, "push: stored otherwise than sent (succeeded, not recorded as synced): name (1)")

	state := dir + "/state.db"
	for night := range 2 {
		out = runBinary(t, invocation{args: []string{"push", "--vendor", "upwell", "--base-url", base, "--file", input, "--json", "--state", state}, env: demoEnv(specs.Upwell)})
		require.Equal(t, exitOK, out.code, out.stderr)
		var summary struct {
			Succeeded, Unchanged int
			Mismatched           map[string]int
		}
		require.NoError(t, json.Unmarshal([]byte(out.stdout), &summary), out.stdout)
		assert.Equal(t, 1, summary.Succeeded, "night %d: a write the vendor stored otherwise is not recorded as synced, so it is sent again", night+1)
		assert.Zero(t, summary.Unchanged)
		assert.Equal(t, map[string]int{"name": 1}, summary.Mismatched)
	}

	out = runBinary(t, invocation{args: []string{"push", "--vendor", "upwell", "--base-url", base, "--file", input, "--failures", failures, "--strict"}, env: demoEnv(specs.Upwell)})
	assert.Equal(t, exitFailed, out.code, out.stderr)
	got, err := os.ReadFile(failures)
	require.NoError(t, err)
	assert.Contains(t, string(got), `"code":"Internal"`)
	assert.Contains(t, string(got), "stored")
}
