// Package pgtest starts a throwaway PostgreSQL server for tests: a fresh
// cluster in a temporary directory, listening only on a unix socket in
// that directory (so parallel test binaries never fight over a port),
// stopped and removed afterwards. It needs Debian's postgresql package
// (initdb and postgres); a test that finds none fails saying how to
// install it, and is never skipped.
//
// PostgreSQL refuses to run as root, so under root (CI) the server runs
// as the postgres user that the package creates.
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a running throwaway PostgreSQL server.
type Server struct {
	dir  string
	cmd  *exec.Cmd
	exit chan error
	next atomic.Int64
}

// binDir finds the directory holding initdb and postgres.
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("pgtest: no PostgreSQL server binaries (initdb, postgres) in PATH or /usr/lib/postgresql/*/bin: " +
		"install them with `apt-get install postgresql` (.ci/run does)")
}

func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// Start initializes a cluster and starts its server. Call Stop when done.
func Start() (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, exit: make(chan error, 1)}
	cred, err := credential(dir)
	if err != nil {
		s.remove()
		return nil, err
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		s.remove()
		return nil, fmt.Errorf("pgtest: initdb: %w\n%s", err, out)
	}
	var logs bytes.Buffer
	s.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", data,
		"-c", "listen_addresses=", "-c", "unix_socket_directories="+dir, "-c", "max_connections=200",
		"-c", "fsync=on", "-c", "synchronous_commit=on")
	s.cmd.Stdout, s.cmd.Stderr = &logs, &logs
	// Pdeathsig: a test binary killed with SIGKILL takes its server along.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	if err := s.cmd.Start(); err != nil {
		s.remove()
		return nil, fmt.Errorf("pgtest: starting postgres: %w", err)
	}
	go func() { s.exit <- s.cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, s.URL("postgres"))
		cancel()
		if err == nil {
			_ = conn.Close(context.Background()) // a probe: that it connected is all it was for
			return s, nil
		}
		select {
		case werr := <-s.exit:
			s.remove()
			return nil, fmt.Errorf("pgtest: postgres exited (%w):\n%s", werr, logs.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("pgtest: postgres did not accept connections within 60s: %w\n%s", err, logs.String())
		}
	}
}

// credential is nil when not root; under root, the postgres user, who is
// then given dir.
func credential(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root, and PostgreSQL refuses root; no postgres user to run it as (%w): `apt-get install postgresql` creates one", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// URL is a connection URL for database db, over the server's unix socket.
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@/%s?host=%s&sslmode=disable", db, s.dir)
}

// NewDatabase creates an empty database, dropped when t ends, and returns
// its URL.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("test_%d_%d", os.Getpid(), s.next.Add(1))
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer func() {
		if err := conn.Close(ctx); err != nil {
			t.Errorf("pgtest: closing the connection that created %s: %v", name, err)
		}
	}()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, s.URL("postgres"))
		if err != nil {
			return
		}
		// Best effort: a database left behind goes with the throwaway cluster.
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		_ = conn.Close(ctx)
	})
	return s.URL(name)
}

// Stop shuts the server down (fast mode) and removes its directory.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		var exit error
		select {
		case exit = <-s.exit:
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			exit = <-s.exit
		}
		_ = exit // how it exited does not matter: it is gone, its directory next
	}
	s.remove()
}

func (s *Server) remove() { _ = os.RemoveAll(s.dir) }

// Main is a TestMain for packages that need a server: it starts one,
// hands it to use, runs the tests, stops it and exits. Without a server
// the package fails, saying how to get one.
func Main(m *testing.M, use func(*Server)) {
	srv, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
	use(srv)
	code := m.Run()
	srv.Stop()
	os.Exit(code)
}
