package adapter_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/billbee"
	"github.com/custsync/custsync/adapter/upwell"
)

// userAgentRecorder is a vendor stand-in that notes the User-Agent of
// every request and answers with answer.
type userAgentRecorder struct {
	mu     sync.Mutex
	agents []string
}

func (r *userAgentRecorder) serve(t *testing.T, answer http.HandlerFunc) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.agents = append(r.agents, req.Header.Get("User-Agent"))
		r.mu.Unlock()
		answer(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (r *userAgentRecorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.agents...)
}

func TestEveryRequestSaysItIsCustsync(t *testing.T) {
	t.Parallel()
	// A test binary is built from the clone: custsync's version is devel.
	want := "custsync/devel (" + runtime.Version() + ")"

	upwellAnswer := func(failFirst int) http.HandlerFunc {
		var mu sync.Mutex
		calls := 0
		return func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			mu.Lock()
			calls++
			n := calls
			mu.Unlock()
			if n <= failFirst {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"updateCustomer":{"affectedRows":1,"returning":[{"id":"cus_1","name":"Acme"}]},"updateCustomerRules":{"affectedRows":1}}`)
		}
	}
	update := &adapter.CustomerUpdate{ID: "C-1001", Name: adapter.Set("Acme")}

	tests := []struct {
		name      string
		failFirst int
		options   func(srv *httptest.Server) []adapter.Option
		requests  int
	}{
		{
			name:     "an update through the default transport",
			options:  func(*httptest.Server) []adapter.Option { return nil },
			requests: 1,
		},
		{
			name:      "every retry of an update",
			failFirst: 2,
			options: func(*httptest.Server) []adapter.Option {
				return []adapter.Option{adapter.WithRetryBackoff(time.Millisecond, time.Millisecond)}
			},
			requests: 3,
		},
		{
			name: "an update through the caller's http.Client",
			options: func(srv *httptest.Server) []adapter.Option {
				return []adapter.Option{adapter.WithHTTPClient(srv.Client())}
			},
			requests: 1,
		},
		{
			name: "an update through the caller's RoundTripper",
			options: func(*httptest.Server) []adapter.Option {
				return []adapter.Option{adapter.WithTransport(adapter.NewHTTPTransport())}
			},
			requests: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var rec userAgentRecorder
			srv := rec.serve(t, upwellAnswer(tt.failFirst))
			opts := append([]adapter.Option{adapter.WithBaseURL(srv.URL)}, tt.options(srv)...)
			client, err := upwell.New(upwell.Config{APIKey: "key", SourceSystem: "ACME"}, opts...)
			require.NoError(t, err)
			_, err = client.Update(context.Background(), update)
			require.NoError(t, err)
			seen := rec.seen()
			require.Len(t, seen, tt.requests)
			for i, got := range seen {
				assert.Equal(t, want, got, "request %d", i+1)
			}
		})
	}

	t.Run("both requests of a Billbee read-modify-write", func(t *testing.T) {
		t.Parallel()
		var rec userAgentRecorder
		srv := rec.serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if r.Method == http.MethodGet {
				_, _ = io.WriteString(w, `{"ErrorMessage":null,"ErrorCode":0,"Data":{"Id":42,"Name":"Max"}}`)
				return
			}
			body, _ := io.ReadAll(r.Body)
			_, _ = fmt.Fprintf(w, `{"ErrorMessage":null,"ErrorCode":0,"Data":%s}`, body)
		})
		client, err := billbee.New(billbee.Config{APIKey: "k", Username: "u", APIPassword: "p"}, adapter.WithBaseURL(srv.URL))
		require.NoError(t, err)
		_, err = client.Update(context.Background(), &adapter.CustomerUpdate{ID: "42", Name: adapter.Set("Max Mustermann")})
		require.NoError(t, err)
		assert.Equal(t, []string{want, want}, rec.seen(), "the GET and the PUT")
	})
}
