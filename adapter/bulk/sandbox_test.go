package bulk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/billbee"
	"github.com/custsync/custsync/adapter/bluetape"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// wireRecorder stands in front of a sandbox and records, per customer,
// the marks ("#<n>") of the updates PUT on the wire, in the order they
// arrived, and whether two requests for one customer were ever open at
// once (a Billbee update is a GET and a PUT: both count).
type wireRecorder struct {
	vendor specs.Vendor
	next   http.Handler

	mu sync.Mutex
	// open counts the requests being served per customer and per update
	// (its #n mark; 0 when it has none). A retry of the same update may
	// find the handler of its failed attempt not yet returned (a reset
	// ends the client's attempt before the server's goroutine is done):
	// only two different updates of one customer open at once overlap.
	open     map[string]map[int]int
	overlaps int
	marks    map[string][]int
}

var markPattern = regexp.MustCompile(`#(\d+)`)

func (w *wireRecorder) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	id := path.Base(r.URL.Path)
	if w.vendor == specs.Upwell {
		var b struct {
			SourceSystemID string `json:"sourceSystemId"`
		}
		_ = json.Unmarshal(body, &b)
		id = b.SourceSystemID
	}
	mark := 0
	if m := markPattern.FindSubmatch(body); m != nil {
		mark, _ = strconv.Atoi(string(m[1]))
	}
	w.mu.Lock()
	if w.open[id] == nil {
		w.open[id] = map[int]int{}
	}
	for other, n := range w.open[id] {
		if n > 0 && (other != mark || mark == 0) {
			w.overlaps++
			break
		}
	}
	w.open[id][mark]++
	if r.Method == http.MethodPut && mark != 0 {
		w.marks[id] = append(w.marks[id], mark)
	}
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.open[id][mark]--
		w.mu.Unlock()
	}()
	w.next.ServeHTTP(rw, r)
}

// vendorCase is how one vendor is updated and read back in these tests.
type vendorCase struct {
	vendor specs.Vendor
	client func(t testing.TB, baseURL string, doer *http.Client, opts ...adapter.Option) *adapter.Client
	// update sets the mark n on customer id; stored reads it back.
	update func(id string, n int) *adapter.CustomerUpdate
	stored string // the stored record's key that carries the mark
}

var vendorCases = []vendorCase{
	{
		vendor: specs.Upwell,
		client: func(t testing.TB, baseURL string, doer *http.Client, opts ...adapter.Option) *adapter.Client {
			c, err := upwell.New(upwell.Config{APIKey: sandbox.UpwellAPIKey, SourceSystem: sandbox.UpwellSourceSystem},
				append([]adapter.Option{adapter.WithBaseURL(baseURL), adapter.WithHTTPClient(doer), adapter.WithRateLimiter(nil)}, opts...)...)
			require.NoError(t, err)
			return c
		},
		update: func(id string, n int) *adapter.CustomerUpdate {
			return &adapter.CustomerUpdate{ID: id, Name: adapter.Set(fmt.Sprintf("Name #%d", n))}
		},
		stored: "name",
	},
	{
		vendor: specs.BlueTape,
		client: func(t testing.TB, baseURL string, doer *http.Client, opts ...adapter.Option) *adapter.Client {
			creds := sandbox.DefaultCredentials()
			c, err := bluetape.New(bluetape.Config{APIKey: adapter.Secret(creds.BlueTapeAPIKey), AccountID: adapter.Secret(creds.BlueTapeAccountID)},
				append([]adapter.Option{adapter.WithBaseURL(baseURL), adapter.WithHTTPClient(doer), adapter.WithRateLimiter(nil)}, opts...)...)
			require.NoError(t, err)
			return c
		},
		update: func(id string, n int) *adapter.CustomerUpdate {
			return &adapter.CustomerUpdate{ID: id, FirstName: adapter.Set(fmt.Sprintf("First #%d", n)), LastName: adapter.Set("Last"),
				Email: adapter.Set("ap@example.com"), Phone: adapter.Set("+15551234567"),
				ModifiedAt: adapter.Set(time.Date(2025, 6, 1, 9, 30, 0, 0, time.UTC))}
		},
		stored: "firstName",
	},
	{
		vendor: specs.Billbee,
		client: func(t testing.TB, baseURL string, doer *http.Client, opts ...adapter.Option) *adapter.Client {
			creds := sandbox.DefaultCredentials()
			c, err := billbee.New(billbee.Config{APIKey: adapter.Secret(creds.BillbeeAPIKey), Username: creds.BillbeeUsername, APIPassword: adapter.Secret(creds.BillbeeAPIPassword)},
				append([]adapter.Option{adapter.WithBaseURL(baseURL), adapter.WithHTTPClient(doer), adapter.WithRateLimiter(nil)}, opts...)...)
			require.NoError(t, err)
			return c
		},
		update: func(id string, n int) *adapter.CustomerUpdate {
			return &adapter.CustomerUpdate{ID: id, Name: adapter.Set(fmt.Sprintf("Name #%d", n))}
		},
		stored: "Name",
	},
}

// recordedSandbox starts a sandbox with latency behind a wireRecorder.
func recordedSandbox(t *testing.T, v specs.Vendor, faults sandbox.Faults) (*sandbox.Sandbox, *wireRecorder, *httptest.Server) {
	t.Helper()
	sb := sandbox.New(sandbox.WithSyntheticCustomers(20), sandbox.WithFaults(v, faults))
	rec := &wireRecorder{vendor: v, next: sb, open: map[string]map[int]int{}, marks: map[string][]int{}}
	ts := httptest.NewServer(rec)
	t.Cleanup(func() {
		ts.Close()
		assert.Empty(t, sb.Violations(), "the sandbox answered off its spec")
	})
	return sb, rec, ts
}

func TestARunAppliesEachCustomersRecordsInOrderAtEveryVendor(t *testing.T) {
	const ids, perID, concurrency = 3, 40, 16
	for _, vc := range vendorCases {
		t.Run(string(vc.vendor)+" ends with each customer's last update, sent in input order", func(t *testing.T) {
			t.Parallel()
			sb, rec, ts := recordedSandbox(t, vc.vendor, sandbox.Faults{Latency: time.Millisecond, Jitter: 3 * time.Millisecond})
			client := vc.client(t, ts.URL+sandbox.BasePath(vc.vendor), ts.Client())
			updates := func(yield func(*adapter.CustomerUpdate) bool) {
				for n := 1; n <= perID; n++ {
					for i := 1; i <= ids; i++ {
						if !yield(vc.update(sandbox.SyntheticID(vc.vendor, i), n)) {
							return
						}
					}
				}
			}
			for out := range runUpdates(t, context.Background(), client, updates, bulk.WithConcurrency(concurrency)) {
				require.NoError(t, out.Err)
			}
			want := make([]int, perID)
			for n := range want {
				want[n] = n + 1
			}
			for i := 1; i <= ids; i++ {
				id := sandbox.SyntheticID(vc.vendor, i)
				assert.Equal(t, want, rec.marks[id], "%s: updates went out in input order", id)
				stored, ok := sb.Customer(vc.vendor, id)
				require.True(t, ok)
				assert.Contains(t, stored[vc.stored], fmt.Sprintf("#%d", perID), "%s holds its last update", id)
			}
			assert.Zero(t, rec.overlaps, "two requests for one customer were open at once")
		})
	}
}

func TestARunKeepsOrderThroughRetriedFaults(t *testing.T) {
	// 503s, resets and truncated answers (some applied, some not) are
	// retried by the client and by the run; each record's retries still
	// end before the customer's next update starts.
	vc := vendorCases[0]
	sb, rec, ts := recordedSandbox(t, vc.vendor, sandbox.Faults{Latency: time.Millisecond,
		UnavailableRate: 0.15, ResetRate: 0.05, ResetAfterApplyRate: 0.05, TruncateRate: 0.05})
	client := vc.client(t, ts.URL+sandbox.BasePath(vc.vendor), ts.Client())
	updates := func(yield func(*adapter.CustomerUpdate) bool) {
		for n := 1; n <= 60; n++ {
			if !yield(vc.update(sandbox.SyntheticID(vc.vendor, 1+n%2), n)) {
				return
			}
		}
	}
	for out := range runUpdates(t, context.Background(), client, updates, bulk.WithConcurrency(16),
		bulk.WithCallOptions(adapter.WithRetryBackoff(time.Millisecond, 2*time.Millisecond)), bulk.WithRecordPause(time.Millisecond)) {
		require.NoError(t, out.Err)
	}
	for i := 1; i <= 2; i++ {
		id := sandbox.SyntheticID(vc.vendor, i)
		marks := rec.marks[id]
		for j := 1; j < len(marks); j++ {
			assert.GreaterOrEqual(t, marks[j], marks[j-1], "%s: an update went out before an earlier one was done: %v", id, marks)
		}
		stored, ok := sb.Customer(vc.vendor, id)
		require.True(t, ok)
		assert.Equal(t, fmt.Sprintf("Name #%d", 61-i), stored["name"])
	}
	assert.Zero(t, rec.overlaps)
}
