package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/driver"
)

func TestConfigError(t *testing.T) {
	t.Parallel()
	const hint = "(or use --sandbox to try custsync without credentials)"
	_, envErr := driver.Env(nil, "CUSTSYNC_TEST_SURELY_UNSET")
	require.ErrorIs(t, envErr, driver.ErrEnvNotSet)

	for _, tc := range []struct {
		name     string
		err      error
		want     string
		wantHint bool
	}{
		{
			name:     "a missing variable, as driver.Env reports it, points to --sandbox",
			err:      envErr,
			want:     "environment variable CUSTSYNC_TEST_SURELY_UNSET is not set",
			wantHint: true,
		},
		{
			name:     "a missing variable is told by ErrEnvNotSet, whatever the message says",
			err:      &adapter.Error{Code: adapter.InvalidArgument, Field: "UPWELL_API_KEY", Err: driver.ErrEnvNotSet, Message: "UPWELL_API_KEY is missing"},
			want:     "UPWELL_API_KEY is missing",
			wantHint: true,
		},
		{
			name:     "a missing variable wrapped by a driver still points to --sandbox",
			err:      fmt.Errorf("upwell: %w", driver.ErrEnvNotSet),
			want:     "upwell: environment variable not set",
			wantHint: true,
		},
		{
			name: "another error that mentions an environment variable gets no hint",
			err:  &adapter.Error{Code: adapter.InvalidArgument, Message: "the environment variable UPWELL_SOURCE_SYSTEM holds spaces"},
			want: "the environment variable UPWELL_SOURCE_SYSTEM holds spaces",
		},
		{
			name: "an error of another kind is passed on",
			err:  errors.New("--base-url: want https"),
			want: "--base-url: want https",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := configError(tc.err)
			var ue *usageError
			require.ErrorAs(t, err, &ue, "a configuration error is a usage error")
			assert.Contains(t, err.Error(), tc.want)
			if tc.wantHint {
				assert.Contains(t, err.Error(), hint)
			} else {
				assert.NotContains(t, err.Error(), hint)
			}
		})
	}
}
