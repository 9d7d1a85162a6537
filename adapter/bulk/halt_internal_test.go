package bulk

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
)

// timeoutErr is what the dialer's own timeout looks like.
type timeoutErr struct{}

func (timeoutErr) Error() string { return "i/o timeout" }
func (timeoutErr) Timeout() bool { return true }

func TestADialThatTimesOutIsUnreachableAndAReadThatTimesOutIsNot(t *testing.T) {
	// A firewall that drops packets: no connection was made, so nothing
	// was sent, and the run should halt as for a refusal.
	dial := &url.Error{Op: "Put", URL: "https://api.example/x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: timeoutErr{}}}
	why, ok := unreachable(fmt.Errorf("attempt 1: %w", dial))
	assert.True(t, ok)
	assert.Equal(t, "connecting timed out", why)

	read := &url.Error{Op: "Put", URL: "https://api.example/x", Err: &net.OpError{Op: "read", Net: "tcp", Err: timeoutErr{}}}
	_, ok = unreachable(read)
	assert.False(t, ok, "a connection that was made may have carried the request")
	_, ok = unreachable(context.DeadlineExceeded)
	assert.False(t, ok)
	_, ok = unreachable(errors.New("dial tcp: i/o timeout"))
	assert.False(t, ok, "only the typed error counts, not its words")
}
