package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/sandbox"
)

// Distinctive credentials: if any of these (or Billbee's Basic token)
// shows up in anything the command writes, a credential leaked.
var sentinelEnv = map[string]string{
	"UPWELL_API_KEY":       "SENTINELupwellKEY0001",
	"UPWELL_SOURCE_SYSTEM": "ACME",
	"BLUETAPE_API_KEY":     "SENTINELbluetapeKEY0002",
	"BLUETAPE_ACCOUNT_ID":  "SENTINELbluetapeACCT0003",
	"BILLBEE_API_KEY":      "SENTINELbillbeeKEY0004",
	"BILLBEE_USERNAME":     "ops@shop.example",
	"BILLBEE_API_PASSWORD": "SENTINELbillbeePW0005",
}

func sentinelSecrets() []string {
	secrets := []string{
		base64.StdEncoding.EncodeToString([]byte(sentinelEnv["BILLBEE_USERNAME"] + ":" + sentinelEnv["BILLBEE_API_PASSWORD"])),
	}
	for k, v := range sentinelEnv {
		if strings.HasPrefix(v, "SENTINEL") {
			secrets = append(secrets, v, k+"="+v)
		}
	}
	sort.Strings(secrets)
	return secrets
}

// echoServer is a vendor gone wrong: it answers every request with the
// vendor's 400 error whose message, and whose request id header, repeat
// the request's headers, credentials included.
func echoServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var echo []string
		for name, values := range r.Header {
			echo = append(echo, name+": "+strings.Join(values, ","))
		}
		sort.Strings(echo)
		msg := "you sent " + strings.Join(echo, "; ")
		var body any
		switch {
		case strings.HasPrefix(r.URL.Path, sandbox.BlueTapeServicePath):
			body = map[string]any{"code": "400", "reason": msg}
		case strings.HasPrefix(r.URL.Path, "/api/v1/customers"):
			body = map[string]any{"Message": msg}
		default:
			body = map[string]any{"error": map[string]any{"code": "bad-request", "message": msg}}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", strings.Join(echo, " "))
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestCredentialsAreNeverPrinted(t *testing.T) {
	t.Parallel()
	srv := echoServer(t)
	inputs := map[string]string{
		"upwell":   `{"id": "C-1001", "name": "Acme"}`,
		"bluetape": `{"id": "dc506b22c7fa", "firstName": "John", "lastName": "Doe", "email": "j@example.com", "phone": "+11234567890", "modifiedAt": "2025-01-01T00:00:00Z"}`,
		"billbee":  `{"id": "100000150176895", "name": "Max"}`,
	}
	for vendor, input := range inputs {
		base := srv.URL
		if vendor == "bluetape" {
			base += sandbox.BlueTapeServicePath
		}
		for cmd, extras := range map[string][][]string{
			"update": {nil, {"--json"}, {"--verbose"}, {"--verbose", "--json"}},
			"push":   {nil, {"--verbose"}},
		} {
			for _, extra := range extras {
				name := strings.TrimSpace(fmt.Sprintf("%s %s %s", cmd, vendor, strings.Join(extra, " ")))
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					dir := t.TempDir()
					args := append([]string{cmd, "--vendor", vendor, "--base-url", base, "--file", "-"}, extra...)
					out := runBinary(t, invocation{args: args, env: sentinelEnv, stdin: input, dir: dir})
					require.Equal(t, exitFailed, out.code, "the vendor refused the update")
					assert.Contains(t, out.stderr, "you sent", "the vendor's message is shown")
					assert.Contains(t, out.stderr, "[REDACTED]", "with the credentials cut out")
					written := out.stdout + out.stderr
					if cmd == "push" {
						data, err := os.ReadFile(filepath.Join(dir, failuresFileNamed(t, out.stdout)))
						require.NoError(t, err)
						written += string(data)
					}
					for _, secret := range sentinelSecrets() {
						assert.NotContains(t, written, secret)
					}
				})
			}
		}
	}
}
