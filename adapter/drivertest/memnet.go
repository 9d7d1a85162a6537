package drivertest

import (
	"context"
	"net"
	"net/http"
	"sync"
)

// memNet serves a handler through net/http over in-memory connections
// (net.Pipe) instead of sockets. Made inside a testing/synctest bubble,
// client, server and sandbox then run on the bubble's clock, which moves
// only when every goroutine waits: no scheduling delay of a loaded
// machine can move two requests closer together on arrival than the
// client's pacing sent them, so a case can hold pacing to the vendor's
// limits exactly.
type memNet struct {
	srv       *http.Server
	transport *http.Transport
	conns     chan net.Conn
	closed    chan struct{}
	closeOnce sync.Once
}

func newMemNet(h http.Handler) *memNet {
	m := &memNet{srv: &http.Server{Handler: h}, conns: make(chan net.Conn), closed: make(chan struct{})}
	m.transport = &http.Transport{DialContext: m.dial}
	go func() { _ = m.srv.Serve(memListener{m}) }() // ends with ErrServerClosed at Close
	return m
}

// Client returns an HTTP client whose every connection reaches the
// handler, whatever the URL's host.
func (m *memNet) Client() *http.Client { return &http.Client{Transport: m.transport} }

// Close closes every connection, so that no goroutine outlives the bubble.
func (m *memNet) Close() {
	m.transport.CloseIdleConnections()
	_ = m.srv.Close() // only the listener's close can fail, and it cannot
}

func (m *memNet) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case m.conns <- server:
		return client, nil
	case <-m.closed:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// memListener hands the server the connections memNet dials.
type memListener struct{ m *memNet }

func (l memListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.m.conns:
		return c, nil
	case <-l.m.closed:
		return nil, net.ErrClosed
	}
}

func (l memListener) Close() error {
	l.m.closeOnce.Do(func() { close(l.m.closed) })
	return nil
}

func (memListener) Addr() net.Addr { return memAddr{} }

type memAddr struct{}

func (memAddr) Network() string { return "mem" }
func (memAddr) String() string  { return "mem" }
