package redislimit_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/redislimit"
	"github.com/custsync/custsync/internal/redistest"
)

func TestEveryOptionRefusesAnInvalidValueBeforeConnecting(t *testing.T) {
	tests := []struct {
		name string
		opt  redislimit.Option
		want string // "" when accepted
	}{
		{"WithKeyPrefix refuses the empty prefix", redislimit.WithKeyPrefix(""), `redislimit.WithKeyPrefix(""): must not be empty`},
		{"WithKeyPrefix accepts a one-character prefix", redislimit.WithKeyPrefix("x"), ""},
		{"WithMaxOutage refuses 0", redislimit.WithMaxOutage(0), "redislimit.WithMaxOutage(0s): must be positive"},
		{"WithMaxOutage refuses a negative duration", redislimit.WithMaxOutage(-time.Second), "redislimit.WithMaxOutage(-1s): must be positive"},
		{"WithMaxOutage accepts a nanosecond", redislimit.WithMaxOutage(time.Nanosecond), ""},
		{"WithLogger refuses nil", redislimit.WithLogger(nil), "redislimit.WithLogger(nil): no logger given"},
		{"WithLogger accepts a logger", redislimit.WithLogger(slog.New(slog.DiscardHandler)), ""},
		{"a nil option is refused", nil, "redislimit: option 1 of the list is nil"},
	}
	// Refused values are refused before any dial: against a port where
	// nothing listens they fail InvalidArgument, not Unavailable.
	closed := "redis://" + redistest.FreeAddr(t) + "/0"
	srv := redistest.Start(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == "" {
				l, err := redislimit.New(t.Context(), srv.URL(), tt.opt)
				require.NoError(t, err)
				require.NoError(t, l.Wait(t.Context(), []adapter.Limit{{Key: "options-test", PerSecond: 1000}}))
				require.NoError(t, l.Close())
				return
			}
			for _, open := range []func() error{
				func() error { _, err := redislimit.New(t.Context(), closed, tt.opt); return err },
				func() error {
					_, err := redislimit.NewFromClient(t.Context(), redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), tt.opt)
					return err
				},
			} {
				err := open()
				var e *adapter.Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, adapter.InvalidArgument, e.Code)
				assert.Contains(t, e.Message, tt.want)
			}
		})
	}
}

func TestAClusterClientNeedsAHashTagInThePrefix(t *testing.T) {
	cluster := func() redis.UniversalClient {
		c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{redistest.FreeAddr(t)}})
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	tests := []struct {
		name, prefix string
		want         adapter.Code // InvalidArgument: refused; Unavailable: accepted, then not reached
	}{
		{"a prefix without braces is refused", "custsync:rl:", adapter.InvalidArgument},
		{"empty braces are no hash tag", "custsync:{}:", adapter.InvalidArgument},
		{"an unclosed brace is no hash tag", "custsync:{rl:", adapter.InvalidArgument},
		{"a hash tag is accepted", "other:{x}:", adapter.Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			_, err := redislimit.NewFromClient(ctx, cluster(), redislimit.WithKeyPrefix(tt.prefix))
			var e *adapter.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.want, e.Code, e.Message)
			if tt.want == adapter.InvalidArgument {
				assert.Contains(t, e.Message, "hash tag")
			}
		})
	}
	_, err := redislimit.NewFromClient(t.Context(), cluster())
	var e *adapter.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, adapter.Unavailable, e.Code, "the default prefix carries {rl}")
}

func TestNewFromClientRefusesANilClient(t *testing.T) {
	_, err := redislimit.NewFromClient(t.Context(), nil)
	var e *adapter.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, adapter.InvalidArgument, e.Code)
	assert.Contains(t, e.Message, "no Redis client given")
}
