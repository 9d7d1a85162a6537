package upwell_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/internal/buildinfo"
	"github.com/custsync/custsync/internal/vendortest"
)

// floorClient is the least code that makes the same update: net/http and
// encoding/json, written for one request shape, no validation, no
// retries, no limiter, no verification. It is the yardstick of the
// benchmarks, never used in the product.
type floorClient struct {
	http    *http.Client
	baseURL string
	apiKey  string
}

type floorRequest struct {
	CustomerRulesInput *struct {
		DueOption int32 `json:"dueOption"`
	} `json:"customerRulesInput,omitempty"`
	Input struct {
		EmailAddress string            `json:"emailAddress"`
		Metadata     map[string]string `json:"metadata"`
		Name         string            `json:"name"`
	} `json:"input"`
	SourceSystem   string `json:"sourceSystem"`
	SourceSystemID string `json:"sourceSystemId"`
}

func (f *floorClient) update(ctx context.Context, body *floorRequest) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, f.baseURL+"/api/rest/customers", bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", f.apiKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", buildinfo.UserAgent()) // as every custsync request
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close() //nolint:errcheck // read whole below: a failed close loses nothing
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	var out struct {
		UpdateCustomer struct {
			AffectedRows int `json:"affectedRows"`
		} `json:"updateCustomer"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return err
	}
	if out.UpdateCustomer.AffectedRows != 1 {
		return fmt.Errorf("affectedRows %d", out.UpdateCustomer.AffectedRows)
	}
	return nil
}

// benchUpdate is the update both clients send: every input column and a rule.
func benchUpdate() (*adapter.CustomerUpdate, *floorRequest) {
	u := &adapter.CustomerUpdate{ID: "C-1001", Name: adapter.Set("Acme Corp"), Email: adapter.Set("ap@acme.example"),
		Metadata: adapter.Set(adapter.JSONObject{"tier": "gold"}), Upwell: &adapter.UpwellFields{DueOption: adapter.Set[int32](30)}}
	f := &floorRequest{SourceSystem: "ACME", SourceSystemID: "C-1001"}
	f.CustomerRulesInput = &struct {
		DueOption int32 `json:"dueOption"`
	}{30}
	f.Input.EmailAddress, f.Input.Metadata, f.Input.Name = "ap@acme.example", map[string]string{"tier": "gold"}, "Acme Corp"
	return u, f
}

// benchAnswer is Upwell's answer to it, with the stored record returned.
const benchAnswer = `{"updateCustomer":{"affectedRows":1,"returning":[{"id":"cus_123","name":"Acme Corp","emailAddress":"ap@acme.example","metadata":{"tier":"gold"},"sourceSystem":"ACME","sourceSystemId":"C-1001"}]},"updateCustomerRules":{"affectedRows":1}}`

func newBenchClients(tb testing.TB, vendor *vendortest.Canned) (*adapter.Client, *floorClient) {
	tb.Helper()
	c, err := upwell.New(upwell.Config{APIKey: apiKey, SourceSystem: "ACME"}, adapter.WithTransport(vendor), adapter.WithRateLimiter(nil))
	require.NoError(tb, err)
	return c, &floorClient{http: &http.Client{Transport: vendor}, baseURL: upwell.DefaultBaseURL, apiKey: apiKey}
}

func TestTheFloorSendsByteForByteWhatTheDriverSends(t *testing.T) {
	vendor := &vendortest.Canned{Status: 200, Body: []byte(benchAnswer), Record: true}
	c, floor := newBenchClients(t, vendor)
	u, f := benchUpdate()
	res, err := c.Update(context.Background(), u)
	require.NoError(t, err)
	assert.Empty(t, res.Mismatches, "the answer confirms every column")
	driverSent := vendor.Take()
	require.NoError(t, floor.update(context.Background(), f))
	assert.Equal(t, driverSent, vendor.Take(), "the benchmark compares like with like")
	assert.Len(t, driverSent, 1)
}

// BenchmarkUpdate compares the driver with the floor on the same
// in-process vendor; the ratio of the two is the result:
//
//	go test ./adapter/upwell -run '^$' -bench Update -benchmem -count 10 | go run golang.org/x/perf/cmd/benchstat -col /client -
func BenchmarkUpdate(b *testing.B) {
	vendor := &vendortest.Canned{Status: 200, Body: []byte(benchAnswer)}
	c, floor := newBenchClients(b, vendor)
	u, f := benchUpdate()
	vendortest.CompareWithFloor(b, func(ctx context.Context) error { return floor.update(ctx, f) }, c, u)
}
