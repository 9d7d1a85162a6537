package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// binary is the custsync command built once for the end-to-end tests,
// which run it as a user would: as a separate process with its own
// environment, stdin and exit code.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "custsync-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Readable by all, so that a test can run the binary as another user.
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "custsync")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building custsync:", err)
		_ = os.RemoveAll(dir) // the build failure is the news
		os.Exit(1)
	}
	code := m.Run()
	stopPostgres()
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// invocation describes one run of the binary.
type invocation struct {
	args  []string
	env   map[string]string // the child's whole environment, beside PATH and HOME
	stdin string
	// stdinFile, when set, is opened as standard input instead of stdin,
	// as a shell's "< file" does.
	stdinFile string
	dir       string // working directory; a fresh temp dir when empty
	// as, when set, runs the binary as that user (a test running as root
	// uses it where permissions must bite).
	as *syscall.Credential
}

type outcome struct {
	code           int
	stdout, stderr string
}

// runBinary runs the binary to completion (at most a minute).
func runBinary(t *testing.T, inv invocation) outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := childCommand(t, ctx, inv)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		var exit *exec.ExitError
		require.True(t, errors.As(err, &exit), "running custsync: %v", err)
		code = exit.ExitCode()
	}
	t.Logf("custsync %s -> exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(inv.args, " "), code, stdout.String(), stderr.String())
	return outcome{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// childCommand prepares the binary with a controlled environment: nothing of
// the test process's own (no stray UPWELL_API_KEY) but PATH and HOME.
func childCommand(t *testing.T, ctx context.Context, inv invocation) *exec.Cmd {
	t.Helper()
	cmd := exec.CommandContext(ctx, binary, inv.args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range inv.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if inv.as != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: inv.as}
	}
	cmd.Dir = inv.dir
	if cmd.Dir == "" {
		cmd.Dir = t.TempDir()
	}
	cmd.Stdin = strings.NewReader(inv.stdin)
	if inv.stdinFile != "" {
		f, err := os.Open(inv.stdinFile)
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, f.Close()) })
		cmd.Stdin = f
	}
	return cmd
}

// demoEnv is the environment that carries the sandbox's demo credentials
// for vendor v, as a user would export them.
func demoEnv(v specs.Vendor) map[string]string {
	c := sandbox.DefaultCredentials()
	switch v {
	case specs.Upwell:
		return map[string]string{"UPWELL_API_KEY": c.UpwellAPIKey, "UPWELL_SOURCE_SYSTEM": sandbox.UpwellSourceSystem}
	case specs.BlueTape:
		return map[string]string{"BLUETAPE_API_KEY": c.BlueTapeAPIKey, "BLUETAPE_ACCOUNT_ID": c.BlueTapeAccountID}
	case specs.Billbee:
		return map[string]string{"BILLBEE_API_KEY": c.BillbeeAPIKey, "BILLBEE_USERNAME": c.BillbeeUsername, "BILLBEE_API_PASSWORD": c.BillbeeAPIPassword}
	}
	panic("unknown vendor " + v)
}

// newSandbox starts a sandbox server for one test.
func newSandbox(t *testing.T, opts ...sandbox.Option) *sandbox.Server {
	t.Helper()
	srv := sandbox.NewServer(opts...)
	t.Cleanup(func() {
		srv.Close()
		if v := srv.Violations(); len(v) > 0 {
			t.Errorf("the sandbox answered off its spec: %v", v)
		}
	})
	return srv
}

// writeFile writes content to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

// repoFile is the absolute path of a file of the repository, such as
// "examples/customers.jsonl".
func repoFile(t *testing.T, rel string) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("..", "..", rel))
	require.NoError(t, err)
	return path
}

// syncBuffer is a bytes.Buffer a child process and the test may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
