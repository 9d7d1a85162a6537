// Package redistest starts real redis-server processes for tests: each on
// a free loopback port, in its own temporary directory, with persistence
// off (an empty --save, --appendonly no), stopped when the test ends. Tests use a
// real server, not a fake, so that scripts, TIME and restarts behave as in
// production. A machine without redis-server fails the test with how to
// install it; nothing is skipped.
package redistest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Install says how to get redis-server, for failure messages.
const Install = "redis-server not found on PATH: install it with `apt-get install redis-server` " +
	"(Debian/Ubuntu; .ci/run does this on CI) or put a redis-server binary on PATH"

// Server is one redis-server process on a loopback port.
type Server struct {
	tb   testing.TB
	path string // the redis-server binary
	dir  string
	port int

	mu     sync.Mutex
	proc   *os.Process
	exited chan struct{} // closed when proc has exited
	log    *os.File
}

// Start starts a redis-server for tb and stops it when tb ends. It fails
// tb (never skips) when redis-server is missing or does not come up.
func Start(tb testing.TB) *Server {
	tb.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Fatal(Install)
	}
	s := &Server{tb: tb, path: path, dir: tb.TempDir()}
	// A free port may be taken between our probe and redis-server's bind;
	// try a few.
	for range 5 {
		s.port = freePort(tb)
		if err = s.start(); err == nil {
			tb.Cleanup(s.Stop)
			return s
		}
	}
	tb.Fatalf("redistest: redis-server did not start: %v", err)
	return nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL is the server's redis:// URL, database 0.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Stop stops the server (SIGKILL: nothing is saved anyway) and waits for
// it to exit. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return
	}
	_ = s.proc.Kill() // SIGKILL ends a frozen process too
	<-s.exited
	_ = s.log.Close() // our handle on the log redis-server wrote: nothing of ours to lose
	s.proc, s.exited, s.log = nil, nil, nil
}

// Freeze stops the server's process (SIGSTOP) without closing its
// connections: clients see a Redis that accepts and never answers, as a
// hung or partitioned one does. Thaw resumes it.
func (s *Server) Freeze() { s.signal(syscall.SIGSTOP) }

// Thaw resumes a frozen server (SIGCONT).
func (s *Server) Thaw() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig os.Signal) {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		s.tb.Fatal("redistest: the server is not running")
	}
	if err := s.proc.Signal(sig); err != nil {
		s.tb.Fatalf("redistest: %v", err)
	}
}

// Restart stops the server and starts a fresh one, with no data, on the
// same port, as a crashed and restarted Redis would come back. It may be
// called from any goroutine: a failure is reported with Errorf, and
// Restart returns false.
func (s *Server) Restart() bool {
	s.tb.Helper()
	s.Stop()
	var err error
	for range 50 { // the port may linger a moment after the kill
		if err = s.start(); err == nil {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.tb.Errorf("redistest: redis-server did not restart on port %d: %v", s.port, err)
	return false
}

// start runs redis-server on s.port and waits until it answers PING.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	logPath := filepath.Join(s.dir, "redis-"+strconv.Itoa(s.port)+".log")
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(s.path,
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir,
		"--daemonize", "no", "--protected-mode", "yes")
	cmd.Stdout, cmd.Stderr = log, log
	configureChild(cmd)
	// Closing our handle on the child's log (below) loses nothing: the
	// child writes it, this package only reads it back.
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return err
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			_ = log.Close()
			out, _ := os.ReadFile(logPath)
			return fmt.Errorf("redis-server exited (%w): %s", waitErr, lastLines(string(out), 5))
		default:
		}
		if ping(s.Addr()) == nil {
			s.proc, s.exited, s.log = cmd.Process, exited, log
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	<-exited
	_ = log.Close()
	return fmt.Errorf("redis-server on port %d did not answer PING within 10s", s.port)
}

// ping sends PING over a raw connection and expects +PONG.
func ping(addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close() //nolint:errcheck // a probe: its answer is all that counts
	_ = conn.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// freePort returns a loopback port that was free a moment ago.
func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("redistest: no free loopback port: %v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		tb.Fatalf("redistest: freeing port %d: %v", port, err)
	}
	return port
}

// FreeAddr returns a loopback host:port with nothing listening, for tests
// of an unreachable Redis.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(tb)))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
