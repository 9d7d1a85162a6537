package redistest_test

import (
	"bufio"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/internal/redistest"
)

// recordingTB stands in for a test to see how Start fails.
type recordingTB struct {
	testing.TB
	mu     sync.Mutex
	failed []string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Fatal(args ...any) {
	r.mu.Lock()
	r.failed = append(r.failed, fmtArgs(args))
	r.mu.Unlock()
	runtime.Goexit()
}

func fmtArgs(args []any) string {
	if len(args) == 1 {
		if s, ok := args[0].(string); ok {
			return s
		}
	}
	return "unexpected Fatal arguments"
}

func TestStartFailsSayingHowToInstallRedisWhenItIsMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no redis-server anywhere
	tb := &recordingTB{TB: t}

	done := make(chan struct{})
	go func() {
		defer close(done)
		redistest.Start(tb)
	}()
	<-done

	if assert.Len(t, tb.failed, 1, "the test fails; it is not skipped") {
		assert.Contains(t, tb.failed[0], "apt-get install redis-server")
	}
}

func TestStopAndRestartTakeTheServerDownAndBack(t *testing.T) {
	srv := redistest.Start(t)
	addr := srv.Addr()
	require.Equal(t, "+PONG", send(t, addr, "PING"))
	require.Equal(t, "+OK", send(t, addr, "SET k v"))

	srv.Stop()
	_, err := net.DialTimeout("tcp", addr, time.Second)
	assert.Error(t, err, "nothing listens once stopped")
	srv.Stop() // twice is fine

	require.True(t, srv.Restart())
	assert.Equal(t, addr, srv.Addr(), "back on the same port")
	assert.Equal(t, "$-1", send(t, addr, "GET k"), "and empty, as a Redis without persistence restarts")
}

// send writes one inline command and returns the first line of the reply.
func send(t *testing.T, addr, command string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	require.NoError(t, err)
	defer func() { assert.NoError(t, conn.Close()) }()
	require.NoError(t, conn.SetDeadline(time.Now().Add(time.Second)))
	_, err = conn.Write([]byte(command + "\r\n"))
	require.NoError(t, err)
	line, err := bufio.NewReader(conn).ReadString('\n')
	require.NoError(t, err)
	return strings.TrimSpace(line)
}
