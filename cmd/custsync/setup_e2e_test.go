package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/specs"
)

// setupLines is n valid lines for v, one customer each.
func setupLines(v specs.Vendor, n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		switch v {
		case specs.Billbee:
			fmt.Fprintf(&b, `{"id": "%d", "name": "Customer %d", "email": "c%d@example.com"}`+"\n", 100000+i, i, i)
		case specs.BlueTape:
			fmt.Fprintf(&b, `{"id": "bt-%d", "firstName": "Jo", "lastName": "Doe %d", "email": "c%d@example.com", "phone": "+11234567890", "modifiedAt": "2026-12-01T10:00:00Z"}`+"\n", i, i, i)
		default:
			fmt.Fprintf(&b, `{"id": "S-%06d", "name": "Customer %d"}`+"\n", i, i)
		}
	}
	return b.String()
}

// credentialVar is the variable that holds v's API key.
var credentialVar = map[specs.Vendor]string{
	specs.Upwell: "UPWELL_API_KEY", specs.BlueTape: "BLUETAPE_API_KEY", specs.Billbee: "BILLBEE_API_KEY",
}

func TestAWrongSetupCostsThreeRequestsAndExits3(t *testing.T) {
	t.Parallel()
	const records = 500
	for _, v := range []specs.Vendor{specs.Upwell, specs.BlueTape, specs.Billbee} {
		for _, tc := range []struct {
			name   string
			env    func(map[string]string)
			base   func(string) string
			reason string
		}{
			{"a wrong key", func(env map[string]string) { env[credentialVar[v]] = "wrong" }, func(u string) string { return u },
				string(v) + " refused the credentials for 3 records in a row (HTTP 401): check them; no line needs fixing"},
			{"a misspelt base URL path", func(map[string]string) {}, func(u string) string { return u + "/v1" },
				"3 records in a row found no " + string(v) + " endpoint at the base URL (HTTP 404): check the base URL; no line needs fixing"},
		} {
			t.Run(string(v)+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				srv := newSandbox(t)
				dir := t.TempDir()
				env := demoEnv(v)
				tc.env(env)
				input := writeFile(t, dir, "in.jsonl", setupLines(v, records))
				out := runBinary(t, invocation{
					args: []string{"push", "--vendor", string(v), "--base-url", tc.base(srv.URL(v)), "--file", input, "--json", "--concurrency", "16"},
					env:  env, dir: dir,
				})
				require.Equal(t, exitIncomplete, out.code)
				var summary pushSummaryJSON
				require.NoError(t, json.Unmarshal([]byte(out.stdout), &summary), out.stdout)
				assert.Equal(t, tc.reason, summary.HaltReason)
				assert.Equal(t, 3, summary.Failed, "the three records that showed the setup wrong")
				assert.Equal(t, records-3, summary.NotSent)
				if tc.name == "a wrong key" {
					// A wrong base path never reaches the vendor's routes; the
					// sandbox counts what it served.
					assert.EqualValues(t, 3, srv.Stats(v).Requests, "one record at a time until the setup is proven")
				}
				assert.Contains(t, out.stderr, "push: halted: "+tc.reason)
				failures := readFailures(t, summary.FailuresFile)
				require.Len(t, failures, records, "every line is in the failures file, to push again as it is")
				codes := map[string]int{}
				for _, f := range failures {
					codes[f.Error.Code]++
					assert.True(t, f.Error.Code != "Canceled" || f.Error.Retryable, "not sent, and retryable")
				}
				want := map[string]int{"Canceled": records - 3, "PermissionDenied": 3}
				if tc.name != "a wrong key" {
					want = map[string]int{"Canceled": records - 3, "FailedPrecondition": 3}
				}
				assert.Equal(t, want, codes)

				text := runBinary(t, invocation{
					args: []string{"push", "--vendor", string(v), "--base-url", tc.base(srv.URL(v)), "--file", input, "--concurrency", "16"},
					env:  env, dir: dir,
				})
				assert.Equal(t, exitIncomplete, text.code)
				assert.Contains(t, text.stdout, "push: no line needs fixing: the 500 not applied are in ")
				assert.Contains(t, text.stdout, "fix the credentials or base URL and push that file again: custsync push --vendor "+string(v))
				assert.NotContains(t, text.stdout, "fix them and push again")
			})
		}
	}
}
