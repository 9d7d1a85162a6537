//go:build linux

package bulk

import (
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAFullDeviceIsAWriteError(t *testing.T) {
	t.Parallel()
	_, err := os.Stat("/dev/full")
	require.NoError(t, err, "this test writes to /dev/full, the device every Linux and BSD has; a system without it cannot run it")
	ff, err := CreateFailures("/dev/full", true)
	require.NoError(t, err)
	err = ff.Append(failureOf("A0"))
	require.ErrorIs(t, err, syscall.ENOSPC)
	assert.ErrorContains(t, err, "writing the failures file /dev/full")
	require.ErrorIs(t, ff.Append(failureOf("A1")), syscall.ENOSPC, "the error again")
	where, err := ff.Close()
	require.ErrorIs(t, err, syscall.ENOSPC, "Close reports that the failures were not written")
	assert.Empty(t, where, "no failure is in it")
}
