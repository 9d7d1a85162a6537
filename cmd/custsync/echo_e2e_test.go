package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/sandbox"
)

// longSecretsEnv carries credentials of 34 characters, so that a vendor
// can echo most of one (28 characters) without echoing it whole.
var longSecretsEnv = map[string]string{
	"UPWELL_API_KEY":       "UPWk7Q2x9Lm4Np8Rs1Tv6Wy3Ab5Cd0EfGh",
	"UPWELL_SOURCE_SYSTEM": "ACME",
	"BLUETAPE_API_KEY":     "BTk2Zp8Qw5Er1Ty7Ui4Op9As3Df6Gh0JkL",
	"BLUETAPE_ACCOUNT_ID":  "BTa9Mn3Bv7Cx1Zl5Kj8Hg2Fd6Sa4Qw0ErT",
	"BILLBEE_API_KEY":      "BBk4Rt8Yu2Io6Pa1Sd5Fg9Hj3Kl7Zx0CvB",
	"BILLBEE_USERNAME":     "ops@shop.example",
	"BILLBEE_API_PASSWORD": "BBp6Nm2Qa8Ws4Ed0Rf7Tg3Yh9Uj1Ik5OlP",
}

// longSecrets are the values no output may hold any 8 characters of: the
// credentials, and Billbee's Basic token.
func longSecrets(t *testing.T) []string {
	t.Helper()
	secrets := []string{base64.StdEncoding.EncodeToString([]byte(longSecretsEnv["BILLBEE_USERNAME"] + ":" + longSecretsEnv["BILLBEE_API_PASSWORD"]))}
	for k, v := range longSecretsEnv {
		if k != "UPWELL_SOURCE_SYSTEM" && k != "BILLBEE_USERNAME" {
			require.Len(t, v, 34, k)
			secrets = append(secrets, v)
		}
	}
	sort.Strings(secrets)
	return secrets
}

func reversed(s string) string {
	r := []rune(s)
	slices.Reverse(r)
	return string(r)
}

// partialEchoes are the ways a vendor was seen to echo part of a
// credential: 28 of its 34 characters, a prefix, a suffix, its hex
// encoding, reversed.
func partialEchoes(v string) []string {
	return []string{v[3:31], v[:10], v[len(v)-10:], hex.EncodeToString([]byte(v)), reversed(v)}
}

// partialEchoServer is a vendor gone wrong in a subtler way than
// echoServer: it answers every request with the vendor's 400 error whose
// message, and whose request id header, repeat parts of the request's
// credential headers.
func partialEchoServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var echo []string
		for _, name := range []string{"Authorization", "X-Billbee-Api-Key", "X-Bluetape-Key", "X-Integration-Accountid"} {
			v := r.Header.Get(name)
			if _, token, basic := strings.Cut(v, "Basic "); basic {
				v = token
			}
			if v != "" {
				echo = append(echo, name+" "+strings.Join(partialEchoes(v), " / "))
			}
		}
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

// assertNoPartOf fails when text holds, in any letter case, 8 consecutive
// characters of a secret, as they are, reversed, or in hex.
func assertNoPartOf(t *testing.T, text string, secrets []string) {
	t.Helper()
	lower := strings.ToLower(text)
	for _, secret := range secrets {
		for _, form := range []string{secret, reversed(secret)} {
			form = strings.ToLower(form)
			for i := 0; i+8 <= len(form); i++ {
				part := form[i : i+8]
				if !assert.NotContains(t, lower, part, "8 characters of a secret") ||
					!assert.NotContains(t, lower, hex.EncodeToString([]byte(part)), "8 characters of a secret in hex") {
					return
				}
			}
		}
	}
}

func TestAVendorEchoingPartOfACredentialNeverGetsItIntoOutputOrFailures(t *testing.T) {
	t.Parallel()
	srv := partialEchoServer(t)
	secrets := longSecrets(t)
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
			"update": {nil, {"--json"}, {"--verbose"}},
			"push":   {nil, {"--verbose"}},
		} {
			for _, extra := range extras {
				name := strings.TrimSpace(fmt.Sprintf("%s %s %s", cmd, vendor, strings.Join(extra, " ")))
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					dir := t.TempDir()
					args := append([]string{cmd, "--vendor", vendor, "--base-url", base, "--file", "-"}, extra...)
					out := runBinary(t, invocation{args: args, env: longSecretsEnv, stdin: input, dir: dir})
					require.Equal(t, exitFailed, out.code, "the vendor refused the update")
					written := out.stdout + out.stderr
					assert.Contains(t, written, "you sent", "the vendor's message is shown")
					assert.Contains(t, written, "[REDACTED]", "with the echoes cut out")
					if cmd == "push" {
						data, err := os.ReadFile(filepath.Join(dir, failuresFileNamed(t, out.stdout)))
						require.NoError(t, err)
						written += string(data)
					}
					assertNoPartOf(t, written, secrets)
				})
			}
		}
	}
}
