package bluetape_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bluetape"
	"github.com/custsync/custsync/internal/buildinfo"
	"github.com/custsync/custsync/internal/vendortest"
)

// floorClient is the least code that makes the same update: net/http and
// encoding/json for one request shape, without validation, retries,
// limiter or scrubbing. The benchmarks' yardstick, never used in the
// product.
type floorClient struct {
	http              *http.Client
	baseURL           string
	apiKey, accountID string
}

type floorRequest struct {
	CellPhoneNumber    string    `json:"cellPhoneNumber"`
	EmailAddress       string    `json:"emailAddress"`
	FirstName          string    `json:"firstName"`
	LastName           string    `json:"lastName"`
	SourceModifiedDate time.Time `json:"sourceModifiedDate"`
}

func (f *floorClient) update(ctx context.Context, id string, body *floorRequest) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, f.baseURL+"/integration/customer/"+id, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", buildinfo.UserAgent()) // as every custsync request
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Bluetape-Key", f.apiKey)
	req.Header.Set("X-Integration-Accountid", f.accountID)
	resp, err := f.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close() //nolint:errcheck // read whole below: a failed close loses nothing
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	var out struct {
		BlueTapeID string `json:"blueTapeId"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return err
	}
	if out.BlueTapeID == "" {
		return fmt.Errorf("no blueTapeId")
	}
	return nil
}

var benchModified = time.Date(2023, 1, 4, 9, 47, 57, 477_000_000, time.UTC)

func benchUpdate() (*adapter.CustomerUpdate, *floorRequest) {
	u := &adapter.CustomerUpdate{ID: "dc506b22c7fa", FirstName: adapter.Set("John"), LastName: adapter.Set("Doe"),
		Email: adapter.Set("john@example.com"), Phone: adapter.Set("+11234567890"), ModifiedAt: adapter.Set(benchModified)}
	return u, &floorRequest{CellPhoneNumber: "+11234567890", EmailAddress: "john@example.com", FirstName: "John", LastName: "Doe", SourceModifiedDate: benchModified}
}

func newBenchClients(tb testing.TB, vendor *vendortest.Canned) (*adapter.Client, *floorClient) {
	tb.Helper()
	c, err := bluetape.New(bluetape.Config{APIKey: apiKey, AccountID: accountID}, adapter.WithTransport(vendor), adapter.WithRateLimiter(nil))
	require.NoError(tb, err)
	return c, &floorClient{http: &http.Client{Transport: vendor}, baseURL: bluetape.DefaultBaseURL, apiKey: apiKey, accountID: accountID}
}

const benchAnswer = `{"blueTapeId":"fb5637b2e5f3"}`

func TestTheFloorSendsByteForByteWhatTheDriverSends(t *testing.T) {
	vendor := &vendortest.Canned{Status: 202, Body: []byte(benchAnswer), Record: true}
	c, floor := newBenchClients(t, vendor)
	u, f := benchUpdate()
	_, err := c.Update(context.Background(), u)
	require.NoError(t, err)
	driverSent := vendor.Take()
	require.NoError(t, floor.update(context.Background(), u.ID, f))
	assert.Equal(t, driverSent, vendor.Take(), "the benchmark compares like with like")
	assert.Len(t, driverSent, 1)
}

// BenchmarkUpdate compares the driver with the floor on one in-process
// vendor:
//
//	go test ./adapter/bluetape -run '^$' -bench Update -benchmem -count 10 | go run golang.org/x/perf/cmd/benchstat -col /client -
func BenchmarkUpdate(b *testing.B) {
	vendor := &vendortest.Canned{Status: 202, Body: []byte(benchAnswer)}
	c, floor := newBenchClients(b, vendor)
	u, f := benchUpdate()
	vendortest.CompareWithFloor(b, func(ctx context.Context) error { return floor.update(ctx, u.ID, f) }, c, u)
}
