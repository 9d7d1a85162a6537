package adapter_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// BenchmarkPush measures a bulk run of Upwell updates against the sandbox
// on loopback (concurrency 16, no pacing), a custsync run (bulk.Updates)
// with the Client's default pool against a floor push (16 goroutines sending the
// same requests through net/http with 16 idle connections per host), over
// plain HTTP and over HTTPS with HTTP/1.1. It reports records/s and the
// connections all its pushes opened (the server's ConnState). Compare:
//
//	go test ./adapter -run '^$' -bench Push -count 6 | go run golang.org/x/perf/cmd/benchstat -col /client -
func BenchmarkPush(b *testing.B) {
	const records, concurrency = 2000, 16
	for _, proto := range []string{"http", "https"} {
		sb := sandbox.New(sandbox.WithSyntheticCustomers(records))
		srv := httptest.NewUnstartedServer(sb)
		var conns atomic.Int64
		srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		}
		var roots *tls.Config
		if proto == "https" {
			srv.StartTLS()
			roots = &tls.Config{RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}
		} else {
			srv.Start()
		}
		base := srv.URL + sandbox.BasePath(specs.Upwell)
		ids := make([]string, records)
		for i := range ids {
			ids[i] = sandbox.SyntheticID(specs.Upwell, i+1)
		}
		pushes := map[string]func(b *testing.B) func(){
			"floor": func(b *testing.B) func() {
				tr := &http.Transport{MaxIdleConnsPerHost: concurrency, TLSClientConfig: roots}
				b.Cleanup(tr.CloseIdleConnections)
				return func() { floorPush(b, &http.Client{Transport: tr}, base, ids, concurrency) }
			},
			"custsync": func(b *testing.B) func() {
				opts := []adapter.Option{adapter.WithBaseURL(base), adapter.WithRateLimiter(nil)}
				if roots != nil {
					opts = append(opts, adapter.WithDefaultPoolTLS(roots))
				}
				c, err := upwell.New(upwell.Config{APIKey: adapter.Secret(sandbox.UpwellAPIKey), SourceSystem: sandbox.UpwellSourceSystem}, opts...)
				if err != nil {
					b.Fatal(err)
				}
				return func() {
					updates := func(yield func(*adapter.CustomerUpdate) bool) {
						for i, id := range ids {
							if !yield(&adapter.CustomerUpdate{ID: id, Name: adapter.Set(fmt.Sprintf("Bench %d", i))}) {
								return
							}
						}
					}
					outcomes, err := bulk.Updates(context.Background(), c, updates, bulk.WithConcurrency(concurrency))
					if err != nil {
						b.Fatal(err)
					}
					for out := range outcomes {
						if out.Err != nil {
							b.Fatal(out.Err)
						}
					}
				}
			},
		}
		for _, client := range []string{"floor", "custsync"} {
			b.Run(fmt.Sprintf("proto=%s/client=%s", proto, client), func(b *testing.B) {
				push := pushes[client](b)
				conns.Store(0)
				cpu0 := processCPU(b)
				start := time.Now()
				for b.Loop() {
					push()
				}
				b.ReportMetric(float64(b.N*records)/time.Since(start).Seconds(), "records/s")
				// The CPU the process spent per record, client and sandbox
				// together: unlike records/s, hardly moved by other work on
				// the machine, and what limits records/s when the cores are
				// busy (the sandbox's share is the same for both clients).
				b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N*records), "cpu-µs/record")
				// Pushes after the first reuse its connections: this is the
				// number a push opens from cold, and no later one adds to it.
				b.ReportMetric(float64(conns.Load()), "conns")
			})
		}
		srv.Close()
	}
}

// floorPush sends one Upwell update per id with concurrency goroutines,
// as a hand-written client would, and reads affectedRows from each
// answer: the yardstick of BenchmarkPush.
func floorPush(b *testing.B, h *http.Client, base string, ids []string, concurrency int) {
	work := make(chan int)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for i := range work {
				body, _ := json.Marshal(map[string]any{"input": map[string]string{"name": fmt.Sprintf("Bench %d", i)},
					"sourceSystem": sandbox.UpwellSourceSystem, "sourceSystemId": ids[i]})
				req, _ := http.NewRequest(http.MethodPut, base+"/api/rest/customers", bytes.NewReader(body))
				req.Header.Set("Authorization", sandbox.UpwellAPIKey)
				req.Header.Set("Accept", "application/json")
				req.Header.Set("Content-Type", "application/json")
				resp, err := h.Do(req)
				if err != nil {
					b.Error(err)
					continue
				}
				raw, err := io.ReadAll(resp.Body)
				if cerr := resp.Body.Close(); cerr != nil {
					b.Error(cerr)
				}
				var out struct {
					UpdateCustomer struct {
						AffectedRows int `json:"affectedRows"`
					} `json:"updateCustomer"`
				}
				switch {
				case err != nil:
					b.Error(err)
				case resp.StatusCode != http.StatusOK:
					b.Errorf("HTTP %d", resp.StatusCode)
				case json.Unmarshal(raw, &out) != nil || out.UpdateCustomer.AffectedRows != 1:
					b.Errorf("not updated: %s", raw)
				}
			}
		})
	}
	for i := range ids {
		work <- i
	}
	close(work)
	wg.Wait()
}
