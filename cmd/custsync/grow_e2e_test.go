package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// An export still being written when push reaches its end: what is
// written after it is either pushed or reported, never silently left out.
func TestPushSaysWhenItsInputGrewAfterItReachedTheEnd(t *testing.T) {
	t.Parallel()
	const n = 20
	dir := t.TempDir()
	input := writeFile(t, dir, "export.jsonl", upwellExport(n, nil))
	late := fmt.Sprintf(`{"id":%q,"name":"written late"}`+"\n", sandbox.SyntheticID(specs.Upwell, n+1))
	sb := sandbox.New(sandbox.WithSyntheticCustomers(n + 1))
	var once sync.Once
	var mu sync.Mutex
	var names []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(buf))
		mu.Lock()
		names = append(names, string(buf))
		mu.Unlock()
		if strings.Contains(string(buf), sandbox.SyntheticID(specs.Upwell, n)) {
			// The last line is being sent: push has read it, and is at or
			// near the input's end. The export gets one more line now.
			once.Do(func() {
				f, err := os.OpenFile(input, os.O_APPEND|os.O_WRONLY, 0)
				if err == nil {
					_, _ = f.WriteString(late)
					_ = f.Close()
				}
			})
		}
		sb.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	out := runBinary(t, invocation{args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL + sandbox.BasePath(specs.Upwell),
		"--file", input, "--concurrency", "1"}, env: demoEnv(specs.Upwell), dir: dir})
	mu.Lock()
	defer mu.Unlock()
	sentLate := strings.Contains(strings.Join(names, "\n"), "written late")
	if sentLate {
		assert.Equal(t, exitOK, out.code, out.stderr)
		assert.NotContains(t, out.stderr, "grew")
		return
	}
	assert.Equal(t, exitIncomplete, out.code, "the late line was neither sent nor reported: %s", out.stderr)
	require.Contains(t, out.stderr, fmt.Sprintf("%s grew by %d bytes while it was pushed", input, len(late)))
}
