package queue_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/custsync/custsync/internal/pgtest"
)

var server *pgtest.Server

// TestMain starts a throwaway PostgreSQL server for the package, unless
// the binary runs as the worker process of TestAKilledWorkersShardIsRescued
// (runWorkerProcess: it uses the parent's server and runs no test); every
// test ends with no goroutine left behind.
func TestMain(m *testing.M) {
	if spec := os.Getenv(workerProcessEnv); spec != "" {
		if err := runWorkerProcess(spec); err != nil {
			fmt.Fprintln(os.Stderr, "worker process:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	srv, err := pgtest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
	server = srv
	// The server's own goroutines (waiting for it, copying its logs) stay.
	ignoreServer := goleak.IgnoreCurrent()
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(ignoreServer); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL: goroutines left behind:", err)
			code = 1
		}
	}
	srv.Stop()
	os.Exit(code)
}
