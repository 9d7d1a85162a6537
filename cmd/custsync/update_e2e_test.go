package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

func TestUpdate(t *testing.T) {
	t.Parallel()

	t.Run("an update from stdin succeeds and prints one summary line", func(t *testing.T) {
		t.Parallel()
		srv := newSandbox(t)
		out := runBinary(t, invocation{
			args:  []string{"update", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell)},
			env:   demoEnv(specs.Upwell),
			stdin: `{"id": "C-1001", "email": "payables@acme.example", "upwell": {"dueOption": 60}}`,
		})
		require.Equal(t, exitOK, out.code)
		lines := strings.Split(strings.TrimSpace(out.stdout), "\n")
		require.Len(t, lines, 1)
		assert.Regexp(t, `^upwell C-1001: updated \(vendor id \S+, HTTP 200, 1 attempt; sent email, upwell\.dueOption; dropped none\)$`, lines[0])
		rec, ok := srv.Customer(specs.Upwell, sandbox.UpwellCustomerAcme)
		require.True(t, ok)
		assert.Equal(t, "payables@acme.example", rec["emailAddress"])
	})

	t.Run("--file - reads stdin too, and --json prints exactly one result object", func(t *testing.T) {
		t.Parallel()
		srv := newSandbox(t)
		out := runBinary(t, invocation{
			args:  []string{"update", "--vendor", "billbee", "--base-url", srv.URL(specs.Billbee), "--file", "-", "--json", "--lenient"},
			env:   demoEnv(specs.Billbee),
			stdin: `{"id": "100000150176895", "name": "Max Mustermann GmbH", "vatId": null, "firstName": "Max"}`,
		})
		require.Equal(t, exitOK, out.code)
		var got map[string]any
		dec := json.NewDecoder(strings.NewReader(out.stdout))
		require.NoError(t, dec.Decode(&got))
		assert.False(t, dec.More(), "stdout holds exactly one JSON value")
		assert.Equal(t, "billbee", got["vendor"])
		assert.Equal(t, "100000150176895", got["id"])
		assert.Equal(t, "100000150176895", got["vendorId"])
		assert.EqualValues(t, 200, got["status"])
		assert.EqualValues(t, 2, got["attempts"], "a Billbee update is a GET and a PUT")
		assert.Equal(t, []any{"name", "vatId"}, got["sent"])
		assert.Equal(t, []any{"firstName"}, got["dropped"])
		assert.Contains(t, got, "requestId")
	})

	t.Run("--json lists dropped as an empty list, never null", func(t *testing.T) {
		t.Parallel()
		srv := newSandbox(t)
		out := runBinary(t, invocation{
			args:  []string{"update", "--vendor", "bluetape", "--base-url", srv.URL(specs.BlueTape), "--json"},
			env:   demoEnv(specs.BlueTape),
			stdin: `{"id": "dc506b22c7fa", "firstName": "John", "lastName": "Doe", "email": "john@example.com", "phone": "+11234567890", "modifiedAt": "2025-01-02T03:04:05Z"}`,
		})
		require.Equal(t, exitOK, out.code)
		assert.Contains(t, out.stdout, `"dropped":[]`)
		assert.Contains(t, out.stdout, `"vendorId":"`+sandbox.BlueTapeCustomerJohnBlueTapeID+`"`)
	})

	t.Run("a vendor failure exits 1, names vendor, code and message, and --json prints the error object", func(t *testing.T) {
		t.Parallel()
		srv := newSandbox(t)
		out := runBinary(t, invocation{
			args:  []string{"update", "--vendor", "billbee", "--base-url", srv.URL(specs.Billbee), "--json"},
			env:   demoEnv(specs.Billbee),
			stdin: `{"id": "100000150176896", "name": "Archived Co"}`,
		})
		require.Equal(t, exitFailed, out.code)
		assert.Contains(t, out.stderr, "billbee")
		assert.Contains(t, out.stderr, "FailedPrecondition")
		assert.Contains(t, out.stderr, "archived")
		var got struct {
			Vendor string         `json:"vendor"`
			ID     string         `json:"id"`
			Error  map[string]any `json:"error"`
		}
		require.NoError(t, json.Unmarshal([]byte(out.stdout), &got))
		assert.Equal(t, "billbee", got.Vendor)
		assert.Equal(t, "100000150176896", got.ID)
		assert.Equal(t, "FailedPrecondition", got.Error["code"])
		assert.Contains(t, got.Error["message"], "archived")
		for _, key := range []string{"httpStatus", "vendorCode", "retryable", "attempts"} {
			assert.Contains(t, got.Error, key)
		}
		assert.EqualValues(t, 1, got.Error["attempts"], "the read found the customer archived; nothing was written")
	})

	t.Run("a customer the vendor does not have is NotFound, exit 1", func(t *testing.T) {
		t.Parallel()
		srv := newSandbox(t)
		out := runBinary(t, invocation{
			args:  []string{"update", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell)},
			env:   demoEnv(specs.Upwell),
			stdin: `{"id": "C-9999", "name": "Nobody"}`,
		})
		assert.Equal(t, exitFailed, out.code)
		assert.Contains(t, out.stderr, "upwell")
		assert.Contains(t, out.stderr, "NotFound")
		assert.Empty(t, out.stdout)
	})
}

// countingServer answers every request with 500 and counts them: tests of
// input refused before the network assert it got nothing.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		http.Error(w, "unexpected request", http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestUpdateInvalidInputExits2AndSendsNothing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, vendor, input string
		want                []string // in stderr
	}{
		{"an unknown field is named", "upwell", `{"id": "C-1001", "nmae": "Acme"}`, []string{"nmae", "unknown field"}},
		{"an unknown field in a vendor section is named", "billbee", `{"id": "1", "billbee": {"colour": 1}}`, []string{"billbee.colour"}},
		{"a field of the wrong type is named", "upwell", `{"id": "C-1001", "name": 42}`, []string{"name", "want a string"}},
		{"a field the vendor cannot store is named", "billbee", `{"id": "100000150176895", "firstName": "Max"}`, []string{"firstName", "cannot store"}},
		{"a malformed e-mail is named", "upwell", `{"id": "C-1001", "email": "not an address"}`, []string{"email"}},
		{"a non-numeric Billbee id is named", "billbee", `{"id": "C-1001", "name": "x"}`, []string{"id"}},
		{"BlueTape's required fields are named", "bluetape", `{"id": "dc506b22c7fa", "firstName": "John"}`, []string{"lastName"}},
		{"input that is not JSON is refused", "upwell", `id=C-1001`, []string{"InvalidArgument"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, requests := countingServer(t)
			base := srv.URL
			if tc.vendor == "bluetape" {
				base += sandbox.BlueTapeServicePath
			}
			out := runBinary(t, invocation{
				args:  []string{"update", "--vendor", tc.vendor, "--base-url", base, "--json"},
				env:   demoEnv(specs.Vendor(tc.vendor)),
				stdin: tc.input,
			})
			assert.Equal(t, exitUsage, out.code)
			for _, w := range tc.want {
				assert.Contains(t, out.stderr, w)
			}
			assert.Contains(t, out.stderr, "nothing sent")
			assert.Contains(t, out.stdout, `"code":"InvalidArgument"`, "--json reports input errors too")
			assert.Zero(t, requests.Load(), "nothing may be sent")
		})
	}
}

func TestConfigurationErrorsExit2(t *testing.T) {
	t.Parallel()
	input := `{"id": "C-1001", "name": "Acme"}`

	t.Run("a missing credential variable is named, for every vendor", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			vendor  specs.Vendor
			missing string
		}{
			{specs.Upwell, "UPWELL_API_KEY"},
			{specs.BlueTape, "BLUETAPE_API_KEY"},
			{specs.BlueTape, "BLUETAPE_ACCOUNT_ID"},
			{specs.Billbee, "BILLBEE_API_KEY"},
			{specs.Billbee, "BILLBEE_USERNAME"},
			{specs.Billbee, "BILLBEE_API_PASSWORD"},
		} {
			env := demoEnv(tc.vendor)
			delete(env, tc.missing)
			for _, cmd := range []string{"update", "push"} {
				out := runBinary(t, invocation{args: []string{cmd, "--vendor", string(tc.vendor), "--file", "-"}, env: env, stdin: input})
				assert.Equal(t, exitUsage, out.code, "%s %s without %s", cmd, tc.vendor, tc.missing)
				assert.Contains(t, out.stderr, tc.missing)
			}
		}
	})

	t.Run("UPWELL_SOURCE_SYSTEM is optional", func(t *testing.T) {
		t.Parallel()
		srv := newSandbox(t)
		out := runBinary(t, invocation{
			args:  []string{"update", "--vendor", "upwell", "--base-url", srv.URL(specs.Upwell)},
			env:   map[string]string{"UPWELL_API_KEY": sandbox.UpwellAPIKey},
			stdin: `{"id": "C-1001", "sourceSystem": "ACME", "name": "Acme Corp"}`,
		})
		assert.Equal(t, exitOK, out.code)
	})

	t.Run("a plain-http base URL of a remote host is refused", func(t *testing.T) {
		t.Parallel()
		out := runBinary(t, invocation{
			args:  []string{"update", "--vendor", "upwell", "--base-url", "http://example.com"},
			env:   demoEnv(specs.Upwell),
			stdin: input,
		})
		assert.Equal(t, exitUsage, out.code)
		assert.Contains(t, out.stderr, "https")
	})

	t.Run("usage mistakes exit 2 with a hint", func(t *testing.T) {
		t.Parallel()
		for _, args := range [][]string{
			{},
			{"frobnicate"},
			{"update"},
			{"update", "--vendor", "salesforce"},
			{"update", "--vendor", "upwell", "--no-such-flag"},
			{"update", "--vendor", "upwell", "stray-argument"},
			{"update", "--vendor", "upwell", "--sandbox", "--base-url", "https://api.upwell.com"},
			{"update", "--vendor", "upwell", "--file", "/no/such/file.json"},
			{"push", "--vendor", "upwell"},
			{"push", "--vendor", "upwell", "--file", "/no/such/file.jsonl"},
			{"push", "--sandbox", "--vendor", "upwell", "--file", "-", "--concurrency", "0"},
			{"sandbox", "--synthetic", "-1"},
		} {
			out := runBinary(t, invocation{args: args, env: demoEnv(specs.Upwell)})
			assert.Equal(t, exitUsage, out.code, "custsync %v", args)
			assert.NotEmpty(t, out.stderr, "custsync %v", args)
		}
	})
}

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--help"}, {"-h"}, {"help"}, {"help", "push"},
		{"update", "--help"}, {"push", "--help"}, {"sandbox", "--help"}, {"vendors", "--help"},
	} {
		out := runBinary(t, invocation{args: args})
		assert.Equal(t, exitOK, out.code, "custsync %v", args)
		assert.Contains(t, out.stdout, "Usage:", "custsync %v", args)
		assert.Contains(t, out.stdout, "Example", "custsync %v", args)
		assert.Empty(t, out.stderr, "custsync %v", args)
	}
}

func TestVendorsPrintsTheFieldMatrix(t *testing.T) {
	t.Parallel()
	out := runBinary(t, invocation{args: []string{"vendors"}})
	require.Equal(t, exitOK, out.code)
	lines := strings.Split(out.stdout, "\n")
	assert.Regexp(t, `^field\s+upwell\s+bluetape\s+billbee$`, lines[0])
	row := func(field string) []string {
		for _, l := range lines {
			if cells := strings.Fields(l); len(cells) > 0 && cells[0] == field {
				return cells
			}
		}
		t.Fatalf("no row for %s in:\n%s", field, out.stdout)
		return nil
	}
	assert.Equal(t, []string{"email", "input.emailAddress", "emailAddress", "Email"}, row("email"))
	assert.Equal(t, []string{"vatId", "-", "-", "VatId"}, row("vatId"))
	assert.Equal(t, []string{"modifiedAt", "-", "sourceModifiedDate", "-"}, row("modifiedAt"))
	assert.Contains(t, out.stdout, "Notes:")
	assert.Contains(t, out.stdout, "name: cannot be cleared")
}

// TestAWrongBlueTapeBaseURLIsNamedNotTakenForAMissingCustomer: BlueTape
// answers a path it does not serve with a 404, as it answers a missing
// customer; only the latter says "Customer not found.".
func TestAWrongBlueTapeBaseURLIsNamedNotTakenForAMissingCustomer(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	const john = `{"id": "dc506b22c7fa", "firstName": "John", "lastName": "Doe", "email": "john@example.com", "phone": "+11234567890", "modifiedAt": "2025-01-02T03:04:05Z"}`
	wrong := strings.TrimSuffix(srv.URL(specs.BlueTape), "/genericBthubService") + "/genericBthubServic"
	out := runBinary(t, invocation{args: []string{"update", "--vendor", "bluetape", "--base-url", wrong}, env: demoEnv(specs.BlueTape), stdin: john})
	assert.Equal(t, exitFailed, out.code)
	assert.Contains(t, out.stderr, "FailedPrecondition")
	assert.Contains(t, out.stderr, "PUT "+wrong+"/integration/customer/dc506b22c7fa")
	assert.Contains(t, out.stderr, "check the base URL")
	assert.NotContains(t, out.stderr, "NotFound")
	assert.Contains(t, out.stderr, "custsync update: "+wrong+" does not serve bluetape's API: check --base-url")

	missing := strings.Replace(john, "dc506b22c7fa", "no-such-customer", 1)
	out = runBinary(t, invocation{args: []string{"update", "--vendor", "bluetape", "--base-url", srv.URL(specs.BlueTape)}, env: demoEnv(specs.BlueTape), stdin: missing})
	assert.Equal(t, exitFailed, out.code)
	assert.Contains(t, out.stderr, "NotFound")
	assert.Contains(t, out.stderr, "Customer not found.")
}

func TestAnUpdateWithAWrongKeySaysWhichVariableToCheck(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	env := demoEnv(specs.Billbee)
	env["BILLBEE_API_KEY"] = "wrong-sentinel-key"
	out := runBinary(t, invocation{args: []string{"update", "--vendor", "billbee", "--base-url", srv.URL(specs.Billbee)}, env: env,
		stdin: `{"id": "100000150176895", "name": "Max"}`})
	assert.Equal(t, exitFailed, out.code)
	assert.Contains(t, out.stderr, "PermissionDenied")
	assert.Contains(t, out.stderr, "custsync update: billbee refused the credentials: check BILLBEE_API_KEY, BILLBEE_USERNAME and BILLBEE_API_PASSWORD")
	assert.NotContains(t, out.stderr, "wrong-sentinel-key")
}
