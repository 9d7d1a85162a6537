package billbee_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/billbee"
	"github.com/custsync/custsync/internal/buildinfo"
	"github.com/custsync/custsync/internal/vendortest"
)

// floorClient is the least code that makes the same read-modify-write:
// net/http and encoding/json, a GET of the customer and a PUT of it with
// the name set and the VAT id cleared, keeping the columns the driver
// keeps. No validation, retries, limiter or verification. The benchmarks'
// yardstick, never used in the product.
type floorClient struct {
	http                  *http.Client
	baseURL               string
	apiKey, authorization string
}

func newFloor(h *http.Client) *floorClient {
	return &floorClient{http: h, baseURL: billbee.DefaultBaseURL, apiKey: apiKey,
		authorization: "Basic " + base64.StdEncoding.EncodeToString([]byte(username+":"+password))}
}

func (f *floorClient) do(ctx context.Context, method, url string, body []byte) ([]byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", buildinfo.UserAgent()) // as every custsync request
	req.Header.Set("Authorization", f.authorization)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Billbee-Api-Key", f.apiKey)
	resp, err := f.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close() //nolint:errcheck // read whole below: a failed close loses nothing
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return raw, nil
}

func (f *floorClient) update(ctx context.Context, id, name string) error {
	url := f.baseURL + "/api/v1/customers/" + id
	raw, err := f.do(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	var got struct {
		ErrorCode int                        `json:"ErrorCode"`
		Data      map[string]json.RawMessage `json:"Data"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		return err
	}
	var mail struct {
		ID     json.RawMessage `json:"Id"`
		TypeID json.RawMessage `json:"TypeId"`
		Value  json.RawMessage `json:"Value"`
	}
	if err := json.Unmarshal(got.Data["DefaultMailAddress"], &mail); err != nil {
		return err
	}
	body, err := json.Marshal(map[string]any{
		"DefaultMailAddress": mail, "Email": got.Data["Email"], "Id": got.Data["Id"],
		"MetaData": got.Data["MetaData"], "Name": name, "VatId": nil,
	})
	if err != nil {
		return err
	}
	raw, err = f.do(ctx, http.MethodPut, url, body)
	if err != nil {
		return err
	}
	var put struct {
		ErrorCode int `json:"ErrorCode"`
	}
	if err := json.Unmarshal(raw, &put); err != nil {
		return err
	}
	if put.ErrorCode != 0 {
		return fmt.Errorf("ErrorCode %d", put.ErrorCode)
	}
	return nil
}

func benchUpdate() *adapter.CustomerUpdate {
	return &adapter.CustomerUpdate{ID: "100000150176895", Name: adapter.Set("Moritz"), VATID: adapter.Clear[string]()}
}

func newBenchClients(tb testing.TB, vendor *vendortest.Canned) (*adapter.Client, *floorClient) {
	tb.Helper()
	c, err := billbee.New(billbee.Config{APIKey: apiKey, Username: username, APIPassword: password},
		adapter.WithTransport(vendor), adapter.WithRateLimiter(nil))
	require.NoError(tb, err)
	return c, newFloor(&http.Client{Transport: vendor})
}

func TestTheFloorSendsByteForByteWhatTheDriverSends(t *testing.T) {
	vendor := &vendortest.Canned{Status: 200, Body: []byte(fuzzCustomer), Record: true}
	c, floor := newBenchClients(t, vendor)
	u := benchUpdate()
	_, err := c.Update(context.Background(), u)
	require.NoError(t, err)
	driverSent := vendor.Take()
	require.NoError(t, floor.update(context.Background(), u.ID, "Moritz"))
	assert.Equal(t, driverSent, vendor.Take(), "the benchmark compares like with like")
	assert.Len(t, driverSent, 2, "a GET and a PUT")
}

// BenchmarkUpdate compares the driver's read-modify-write with the
// floor's on one in-process vendor (the same answer to the GET and the
// PUT, as Billbee gives):
//
//	go test ./adapter/billbee -run '^$' -bench 'Update$' -benchmem -count 10 | go run golang.org/x/perf/cmd/benchstat -col /client -
func BenchmarkUpdate(b *testing.B) {
	vendor := &vendortest.Canned{Status: 200, Body: []byte(fuzzCustomer)}
	c, floor := newBenchClients(b, vendor)
	u := benchUpdate()
	vendortest.CompareWithFloor(b, func(ctx context.Context) error { return floor.update(ctx, u.ID, "Moritz") }, c, u)
}
