package adapter_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"iter"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/syncstate/sqlite"
)

// connCounter is an httptest server that counts the connections clients
// open to it (ConnState StateNew) and the protocol of each request.
type connCounter struct {
	srv    *httptest.Server
	conns  atomic.Int64
	http2  atomic.Int64
	closed atomic.Int64
}

func newConnCounter(t *testing.T, tlsMode string) *connCounter {
	t.Helper()
	c := &connCounter{}
	c.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 2 {
			c.http2.Add(1)
		}
		w.WriteHeader(http.StatusOK)
	}))
	c.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			c.conns.Add(1)
		}
		if s == http.StateClosed {
			c.closed.Add(1)
		}
	}
	switch tlsMode {
	case "http":
		c.srv.Start()
	case "https/1.1":
		c.srv.StartTLS()
	case "https/2":
		c.srv.EnableHTTP2 = true
		c.srv.StartTLS()
	}
	t.Cleanup(c.srv.Close)
	return c
}

// trusting keeps the Client's default pool and trusts the test server's
// certificate: the settings under test are the default's.
func trusting(srv *httptest.Server) adapter.Option {
	return adapter.WithDefaultPoolTLS(&tls.Config{RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs})
}

func distinctUpdates(n int) iter.Seq[*adapter.CustomerUpdate] {
	return func(yield func(*adapter.CustomerUpdate) bool) {
		for i := range n {
			if !yield(&adapter.CustomerUpdate{ID: fmt.Sprintf("C-%d", i), Name: adapter.Set("Acme")}) {
				return
			}
		}
	}
}

func TestABulkRunOpensNoMoreConnectionsThanItHasUpdatesInFlight(t *testing.T) {
	const records, concurrency = 2000, 16
	for _, tc := range []struct{ mode, store string }{
		{"http", "none"}, {"https/1.1", "none"}, {"https/2", "none"},
		// With a state store the run has more workers than records in
		// flight; the connections still follow the records in flight.
		{"http", "sqlite"}, {"https/1.1", "sqlite"},
	} {
		mode := tc.mode
		t.Run("over "+mode+" with the default transport and store "+tc.store, func(t *testing.T) {
			t.Parallel()
			cc := newConnCounter(t, mode)
			opts := []adapter.Option{adapter.WithBaseURL(cc.srv.URL)}
			if mode != "http" {
				opts = append(opts, trusting(cc.srv))
			}
			c, err := newFakeClient(&fakeDriver{}, opts...)
			require.NoError(t, err)
			run := []bulk.Option{bulk.WithConcurrency(concurrency)}
			if tc.store == "sqlite" {
				store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
				require.NoError(t, err)
				t.Cleanup(func() { _ = store.Close() })
				run = append(run, bulk.WithState(store))
			}
			outcomes, err := bulk.Updates(context.Background(), c, distinctUpdates(records), run...)
			require.NoError(t, err)
			ok := 0
			for out := range outcomes {
				require.NoError(t, out.Err)
				ok++
			}
			require.Equal(t, records, ok)
			assert.LessOrEqual(t, cc.conns.Load(), int64(concurrency+2),
				"connections opened for %d updates, %d at once (net/http's default pool of 2 idle opens hundreds)", records, concurrency)
			if mode == "https/2" {
				assert.EqualValues(t, records, cc.http2.Load(), "HTTP/2 is offered and taken over TLS")
			} else {
				assert.Zero(t, cc.http2.Load())
			}
		})
	}
}

// holdingServer counts connections like newConnCounter, and holds each
// request until all sent requests are in, or long enough for them to be:
// a client that does not wait for a free connection has dialed one for
// each by then.
func holdingServer(t *testing.T, sent int) *connCounter {
	t.Helper()
	var inFlight atomic.Int32
	allIn := make(chan struct{})
	cc := newConnCounter(t, "http")
	cc.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if inFlight.Add(1) == int32(sent) {
			close(allIn)
		}
		select {
		case <-allIn:
		case <-time.After(200 * time.Millisecond):
		}
		w.WriteHeader(http.StatusOK)
	})
	return cc
}

// sendAtOnce sends n updates at once and waits for them all to succeed.
func sendAtOnce(t *testing.T, c *adapter.Client, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: fmt.Sprintf("C-%d", i), Name: adapter.Set("Acme")})
			assert.NoError(t, err)
		})
	}
	wg.Wait()
}

// A caller running updates of its own at a bounded concurrency, not
// through bulk.Updates, gets the same pool by reserving connections.
func TestReservedConnectionsAreAllTheClientOpens(t *testing.T) {
	const reserved, sent = 2, 4
	cc := holdingServer(t, sent)
	c, err := newFakeClient(&fakeDriver{}, adapter.WithBaseURL(cc.srv.URL))
	require.NoError(t, err)

	release := c.ReserveConnections(reserved)
	sendAtOnce(t, c, sent)
	release()
	release() // again: nothing more is given back

	assert.EqualValues(t, reserved, cc.conns.Load(), "the updates waited for the reserved connections instead of opening more")
}

func TestReservingConnectionsLeavesTheUsersOwnPoolAlone(t *testing.T) {
	const sent = 4
	cc := holdingServer(t, sent)
	c, err := newFakeClient(&fakeDriver{}, adapter.WithBaseURL(cc.srv.URL), adapter.WithHTTPClient(&http.Client{Transport: adapter.NewHTTPTransport()}))
	require.NoError(t, err)

	release := c.ReserveConnections(1)
	sendAtOnce(t, c, sent)
	release()

	assert.EqualValues(t, sent, cc.conns.Load(), "the user's transport dialed as it does")
}

func TestAClientOfTheUsersOwnKeepsItsTransport(t *testing.T) {
	cc := newConnCounter(t, "http")
	var used atomic.Int64
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		used.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})
	c, err := newFakeClient(&fakeDriver{}, adapter.WithBaseURL(cc.srv.URL), adapter.WithHTTPClient(&http.Client{Transport: rt}))
	require.NoError(t, err)
	_, err = c.Update(context.Background(), update("Acme"))
	require.NoError(t, err)
	assert.EqualValues(t, 1, used.Load(), "the request went through the user's transport")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
func (f roundTripFunc) SingleRoundTrip()                                  {}

func TestTheDefaultTransportOffersHTTP2AndPoolsPerHost(t *testing.T) {
	tr := adapter.NewHTTPTransport()
	assert.True(t, tr.ForceAttemptHTTP2)
	assert.Equal(t, 256, tr.MaxIdleConnsPerHost)
	assert.NotNil(t, tr.Proxy, "proxies from the environment are honoured, as by http.DefaultTransport")
	assert.NotZero(t, tr.TLSHandshakeTimeout)
}
