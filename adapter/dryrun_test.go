package adapter_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
)

// The transport itself refuses writes in a dry run, so a driver that
// ignores Call.DryRun still writes nothing.
func TestADryRunNeverLetsAWriteThrough(t *testing.T) {
	for _, method := range []string{http.MethodPut, http.MethodPost, http.MethodPatch, http.MethodDelete} {
		t.Run(method+" is refused before it leaves", func(t *testing.T) {
			var hits atomic.Int32
			c, d := newFake(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1); ok(w, r) })
			d.method = method
			_, err := c.Update(context.Background(), update("Acme"), adapter.WithDryRun(true))
			require.Error(t, err)
			assert.Equal(t, adapter.Internal, adapter.CodeOf(err))
			assert.Contains(t, err.Error(), "dry run")
			assert.Zero(t, hits.Load())
		})
	}
	t.Run("a GET goes through, so drivers can read", func(t *testing.T) {
		var hits atomic.Int32
		c, d := newFake(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1); ok(w, r) })
		d.method = http.MethodGet
		_, err := c.Update(context.Background(), update("Acme"), adapter.WithDryRun(true))
		require.NoError(t, err)
		assert.EqualValues(t, 1, hits.Load())
	})
	t.Run("without the option a PUT goes through", func(t *testing.T) {
		var hits atomic.Int32
		c, _ := newFake(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1); ok(w, r) })
		_, err := c.Update(context.Background(), update("Acme"), adapter.WithDryRun(false))
		require.NoError(t, err)
		assert.EqualValues(t, 1, hits.Load())
	})
}
