package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/specs"
)

func TestCheckTellsARightSetupFromAWrongKeyOrBaseURL(t *testing.T) {
	t.Parallel()
	for _, v := range []specs.Vendor{specs.Upwell, specs.BlueTape, specs.Billbee} {
		t.Run(string(v), func(t *testing.T) {
			t.Parallel()
			srv := newSandbox(t)
			check := func(env map[string]string, base string, args ...string) outcome {
				return runBinary(t, invocation{args: append([]string{"check", "--vendor", string(v), "--base-url", base}, args...), env: env})
			}

			out := check(demoEnv(v), srv.URL(v))
			require.Equal(t, exitOK, out.code, out.stderr)
			assert.Equal(t, "check: "+string(v)+" accepted the credentials, and "+srv.URL(v)+" serves its API (nothing written)\n", out.stdout)
			assert.EqualValues(t, 1, srv.Stats(v).Requests, "one request")
			for status := range srv.Stats(v).ByStatus {
				assert.Less(t, status, 500, "answered about a customer, not failed")
			}

			out = check(demoEnv(v), srv.URL(v), "--json")
			require.Equal(t, exitOK, out.code)
			assert.JSONEq(t, `{"vendor":"`+string(v)+`","baseURL":"`+srv.URL(v)+`","ok":true}`, out.stdout)

			wrong := demoEnv(v)
			wrong[credentialVar[v]] = "wrong-sentinel-key"
			out = check(wrong, srv.URL(v), "--json")
			assert.Equal(t, exitFailed, out.code)
			var got struct {
				OK     bool `json:"ok"`
				Config bool `json:"config"`
				Error  struct {
					Code       string `json:"code"`
					HTTPStatus int    `json:"httpStatus"`
				} `json:"error"`
			}
			require.NoError(t, json.Unmarshal([]byte(out.stdout), &got), out.stdout)
			assert.False(t, got.OK)
			assert.True(t, got.Config)
			assert.Equal(t, "PermissionDenied", got.Error.Code)
			assert.Equal(t, 401, got.Error.HTTPStatus)
			assert.Contains(t, out.stderr, "custsync check: "+string(v)+" refused the credentials: check "+credentialVar[v])
			assert.NotContains(t, out.stdout+out.stderr, "wrong-sentinel-key", "never a credential")

			out = check(demoEnv(v), srv.URL(v)+"/v1")
			assert.Equal(t, exitFailed, out.code)
			assert.Contains(t, out.stderr, "FailedPrecondition")
			assert.Contains(t, out.stderr, "custsync check: "+srv.URL(v)+"/v1 does not serve "+string(v)+"'s API: check --base-url")
			assert.Empty(t, out.stdout)
		})
	}
}

func TestCheckWithoutItsVariablesIsAUsageError(t *testing.T) {
	t.Parallel()
	out := runBinary(t, invocation{args: []string{"check", "--vendor", "upwell"}})
	assert.Equal(t, exitUsage, out.code)
	assert.Contains(t, out.stderr, "UPWELL_API_KEY")
}
