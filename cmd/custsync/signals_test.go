package main

import (
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOneHangUpDeliveredTwiceOnlyStops(t *testing.T) {
	// An ssh drop: bash forwards SIGHUP and the kernel sends one too;
	// the push must let the records in flight finish.
	stop, abort, release := interrupts()
	defer release()
	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGHUP))
	require.Eventually(t, func() bool { return stop.Err() != nil }, 5*time.Second, time.Millisecond)
	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGHUP))
	time.Sleep(100 * time.Millisecond) // the echo is handled, or would be
	assert.NoError(t, abort.Err(), "the second SIGHUP of one hang-up does not abort")

	time.Sleep(hangupEcho)
	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGHUP))
	assert.Eventually(t, func() bool { return abort.Err() != nil }, 5*time.Second, time.Millisecond, "a later SIGHUP is a second signal")
}
