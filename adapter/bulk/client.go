package bulk

import (
	"context"

	"github.com/custsync/custsync/adapter"
)

// Client is what a run sends through. *adapter.Client implements it; so
// can a user's own client, or a fake in tests.
type Client interface {
	// Update sends one update, as (*adapter.Client).Update does.
	Update(ctx context.Context, u *adapter.CustomerUpdate, opts ...adapter.CallOption) (*adapter.Result, error)
	// Key is the vendor's own key for the record u addresses: records with
	// equal keys are one customer, sent one after the other in input
	// order. u may be invalid: Key must not fail.
	Key(u *adapter.CustomerUpdate) string
	// Vendor names the vendor, for errors and the state store's keys.
	Vendor() string
	// Account fingerprints the credential and endpoint (never the
	// credential itself): a state store keeps what each account's vendor
	// confirmed apart.
	Account() string
}

// ConnectionReserver is a Client that keeps a pool of connections: a run
// tells it how many records it will have in flight, so the pool keeps
// that many idle connections instead of opening new ones. *adapter.Client
// is one.
type ConnectionReserver interface {
	ReserveConnections(n int) (release func())
}

var _ Client = (*adapter.Client)(nil)
