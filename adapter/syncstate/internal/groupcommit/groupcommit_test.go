package groupcommit_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/custsync/custsync/adapter/syncstate"
	"github.com/custsync/custsync/adapter/syncstate/internal/groupcommit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func entries(keys ...string) []syncstate.Entry {
	var out []syncstate.Entry
	for _, k := range keys {
		out = append(out, syncstate.Entry{Key: syncstate.Key{Vendor: "v", Account: "a", Key: k}})
	}
	return out
}

// recorder is a CommitFunc that records each batch; while gate is open
// (nil) it commits at once, else it waits for gate.
type recorder struct {
	mu      sync.Mutex
	batches [][]string
	gate    chan struct{}
	err     error
}

func (r *recorder) commit(_ context.Context, es []syncstate.Entry) error {
	if r.gate != nil {
		<-r.gate
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var keys []string
	for _, e := range es {
		keys = append(keys, e.Key.Key)
	}
	r.batches = append(r.batches, keys)
	return r.err
}

func TestPutsWaitingDuringACommitShareTheNextOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{gate: make(chan struct{})}
		c := groupcommit.New(rec.commit, 100)
		defer c.Close()
		var wg sync.WaitGroup
		wg.Go(func() { assert.NoError(t, c.Put(context.Background(), entries("first"))) })
		synctest.Wait() // the first commit has started and waits on the gate
		for i := range 10 {
			wg.Go(func() { assert.NoError(t, c.Put(context.Background(), entries(fmt.Sprint("k", i)))) })
		}
		synctest.Wait() // the ten wait behind it
		close(rec.gate)
		wg.Wait()
		require.Len(t, rec.batches, 2, "one commit for the first, one for the ten that waited: %v", rec.batches)
		assert.Equal(t, []string{"first"}, rec.batches[0])
		assert.Len(t, rec.batches[1], 10)
	})
}

func TestABatchKeepsEachPutsOrderAndTheCap(t *testing.T) {
	rec := &recorder{}
	c := groupcommit.New(rec.commit, 2)
	defer c.Close()
	require.NoError(t, c.Put(context.Background(), entries("a", "b", "c")))
	assert.Equal(t, [][]string{{"a", "b", "c"}}, rec.batches, "one Put larger than the cap is still one transaction")
}

func TestAFailedCommitFailsEveryPutInIt(t *testing.T) {
	rec := &recorder{err: errors.New("disk full")}
	c := groupcommit.New(rec.commit, 10)
	defer c.Close()
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() { assert.ErrorContains(t, c.Put(context.Background(), entries("x")), "disk full") })
	}
	wg.Wait()
}

func TestPutAfterCloseIsRefusedAndAnEndedContextSendsNothing(t *testing.T) {
	rec := &recorder{}
	c := groupcommit.New(rec.commit, 10)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := c.Put(ctx, entries("x"))
	if err != nil { // the writer may take it first; then it was committed
		assert.ErrorIs(t, err, context.Canceled)
		assert.Empty(t, rec.batches)
	}
	c.Close()
	assert.ErrorIs(t, c.Put(context.Background(), entries("y")), syncstate.ErrClosed)
	c.Close() // twice is harmless
}
