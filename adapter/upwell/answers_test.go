package upwell_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/upwell"
)

// caseVariantCode is what a column "Name" beside "name" gives under
// WithStrict: from go1.27 (the toolchain go.mod names, which CI and the
// README use) encoding/json honours case:strict and the column is not the
// name; an older Go matches it regardless of case, the last one wins, and
// the write reads as a mismatch (Internal), as documented in upwell.go.
func caseVariantCode() adapter.Code {
	if strictCaseHonoured() {
		return adapter.OK
	}
	return adapter.Internal
}

// strictCaseHonoured reports whether this Go's encoding/json honours the
// case:strict tag option, by trying it.
func strictCaseHonoured() bool {
	var v struct {
		Name string `json:"name,case:strict"`
	}
	_ = json.Unmarshal([]byte(`{"Name":"x"}`), &v)
	return v.Name == ""
}

// rtFunc answers in-process, as a declared single round trip.
type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) SingleRoundTrip() {}

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestOddButValidAnswersDecideByTheCountsAlone: whatever shape the parts of
// a 200 answer have that an update does not need, only affectedRows
// decides; and only a column named exactly is compared.
func TestOddButValidAnswersDecideByTheCountsAlone(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		code       adapter.Code // OK: success
	}{
		{"string count", `{"updateCustomer":{"affectedRows":"1","returning":[{"id":"c","name":"Acme"}]}}`, 0},
		{"float count", `{"updateCustomer":{"affectedRows":1.0,"returning":[{"id":"c","name":"Acme"}]}}`, 0},
		{"exp count", `{"updateCustomer":{"affectedRows":1e0,"returning":[]}}`, 0},
		{"empty returning", `{"updateCustomer":{"affectedRows":1,"returning":[]}}`, 0},
		{"null returning", `{"updateCustomer":{"affectedRows":1,"returning":null}}`, 0},
		{"no returning", `{"updateCustomer":{"affectedRows":1}}`, 0},
		{"two rows returned, count 1", `{"updateCustomer":{"affectedRows":1,"returning":[{"id":"c","name":"Acme"},{"id":"d","name":"Other"}]}}`, 0},
		{"extra fields", `{"updateCustomer":{"affectedRows":1,"returning":[{"id":"c","name":"Acme","x":{"y":[1e999]}}],"z":1},"extensions":{"cost":1}}`, 0},
		{"numeric id", `{"updateCustomer":{"affectedRows":1,"returning":[{"id":12345678901234567890,"name":"Acme"}]}}`, 0},
		{"rules null", `{"updateCustomer":{"affectedRows":1,"returning":[]},"updateCustomerRules":null}`, 0},
		{"rules count null", `{"updateCustomer":{"affectedRows":1,"returning":[]},"updateCustomerRules":{"affectedRows":null}}`, 0},
		{"rules as array", `{"updateCustomer":{"affectedRows":1,"returning":[]},"updateCustomerRules":[]}`, 0},
		{"returning as object", `{"updateCustomer":{"affectedRows":1,"returning":{"id":"c","name":"Acme"}}}`, 0},
		{"returning item a string", `{"updateCustomer":{"affectedRows":1,"returning":["c"]}}`, 0},
		{"affectedRows null", `{"updateCustomer":{"affectedRows":null,"returning":[]}}`, adapter.Internal},
		{"affectedRows 0", `{"updateCustomer":{"affectedRows":0,"returning":[]}}`, adapter.NotFound},
		{"affectedRows 2", `{"updateCustomer":{"affectedRows":2,"returning":[]}}`, adapter.Internal},
		{"affectedRows 1 then null (dup)", `{"updateCustomer":{"affectedRows":1,"affectedRows":null}}`, adapter.Internal},
		{"affectedRows 0 then 1 (dup)", `{"updateCustomer":{"affectedRows":0,"affectedRows":1}}`, 0},
		{"AffectedRows case variant 0 after 1", `{"updateCustomer":{"affectedRows":1,"AffectedRows":0}}`, adapter.NotFound},
		{"stored name differs only by case-variant key", `{"updateCustomer":{"affectedRows":1,"returning":[{"id":"c","name":"Acme","Name":"legacy"}]}}`, caseVariantCode()},
		{"count as empty string", `{"updateCustomer":{"affectedRows":"","returning":[]}}`, adapter.Internal},
		{"count huge", `{"updateCustomer":{"affectedRows":123456789012345678901234567890}}`, adapter.Internal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := rtFunc(func(r *http.Request) (*http.Response, error) {
				_, _ = io.Copy(io.Discard, r.Body)
				return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(tc.body)), ContentLength: -1, Request: r}, nil
			})
			c, err := upwell.New(upwell.Config{APIKey: "upwell-sentinel-key-5f0c2e", SourceSystem: "ACME"},
				adapter.WithBaseURL("http://127.0.0.1:1"), adapter.WithTransport(rt), adapter.WithRateLimiter(nil), adapter.WithMaxRetries(0), adapter.WithStrict(true))
			require.NoError(t, err)
			res, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: "C-1", Name: adapter.Set("Acme")})
			if tc.code == 0 {
				assert.NoError(t, err)
				if res != nil {
					assert.Empty(t, res.Mismatches)
				}
			} else {
				assert.Equal(t, tc.code, adapter.CodeOf(err), "%v", err)
			}
		})
	}
}
