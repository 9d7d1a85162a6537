package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/custsync/custsync/specs"
)

// BenchmarkQueueWorkers is a first night of 20,000 Upwell records spread
// over 1, 2 and 4 `custsync worker` processes through a queue in
// PostgreSQL, against `custsync sandbox` in another process, beside the
// same records pushed by one local `custsync push` with the same state
// store (a fresh PostgreSQL database each): the difference is what the
// queue costs per record.
//
//	go test ./cmd/custsync -run '^$' -bench '^BenchmarkQueueWorkers' -benchtime 1x -count 4 | benchstat -col /workers -
//
// A sample runs from the run's enqueueing (before enqueue reads and stores
// the input) to the end of its last shard, the workers already started;
// CPU is that of the workers (stopped after the run, for their rusage) and
// of enqueue, or of push; the machine's CPU adds PostgreSQL's and the
// sandbox's.
func BenchmarkQueueWorkers(b *testing.B) {
	const records = 20_000
	base, stats := sandboxProcess(b, records)
	file := nightExport(b, b.TempDir(), records, 1, 0)
	b.Run("workers=push", func(b *testing.B) {
		var runs []nightRun
		var busy time.Duration
		for range b.N {
			state := postgresServer(b).NewDatabase(b)
			before := machineBusy(b)
			runs = append(runs, pushNight(b, base, stats, file, state))
			busy += machineBusy(b) - before
		}
		report(b, records, runs)
		b.ReportMetric(float64(busy.Microseconds())/float64(records*b.N), "machine-cpu-µs/record")
	})
	for _, workers := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			var runs []nightRun
			var busy time.Duration
			for range b.N {
				run, machine := queueNight(b, base, stats, file, workers)
				runs, busy = append(runs, run), busy+machine
			}
			report(b, records, runs)
			b.ReportMetric(float64(busy.Microseconds())/float64(records*b.N), "machine-cpu-µs/record")
		})
	}
}

// machineBusy is the CPU time the whole machine has spent busy since boot
// (/proc/stat: user, nice, system, irq, softirq, steal), so that a
// night's cost includes PostgreSQL's and the sandbox's. Other work on the
// machine counts too: compare runs made in the same quiet minutes.
func machineBusy(b *testing.B) time.Duration {
	b.Helper()
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		b.Skip("no /proc/stat")
	}
	fields := strings.Fields(strings.SplitN(string(data), "\n", 2)[0])
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} { // user nice system (idle iowait) irq softirq steal
		n, err := strconv.ParseInt(fields[i], 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}

// benchCommand is the binary with args, the sandbox's Upwell credentials
// as account "bench" at base, and nothing else of the environment.
func benchCommand(base string, args ...string) *exec.Cmd {
	cmd := exec.Command(binary, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range accountEnv("bench", specs.Upwell, base) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// queueNight enqueues file in a fresh queue, worked by workers worker
// processes, waits for it, and returns what it cost.
func queueNight(b *testing.B, base, stats, file string, workers int) (run nightRun, machine time.Duration) {
	b.Helper()
	url := postgresServer(b).NewDatabase(b)
	if out, err := benchCommand(base, "migrate", "--queue", url).CombinedOutput(); err != nil {
		b.Fatalf("migrate: %v\n%s", err, out)
	}
	procs := make([]*exec.Cmd, workers)
	for i := range procs {
		procs[i] = benchCommand(base, "worker", "--queue", url, "--accounts", "bench", "--rate-limit", "", "--concurrency", nightConcurrency)
		procs[i].Stdout, procs[i].Stderr = io.Discard, io.Discard
		if err := procs[i].Start(); err != nil {
			b.Fatal(err)
		}
	}
	// The workers are up once they listen; a second is plenty.
	time.Sleep(time.Second)
	enqueue := benchCommand(base, "enqueue", "--queue", url, "--vendor", "upwell", "--account", "bench", "--file", file, "--wait", "--json")
	var stdout strings.Builder
	enqueue.Stdout, enqueue.Stderr = &stdout, io.Discard
	before, busy := sandboxRequests(b, stats), machineBusy(b)
	start := time.Now()
	if err := enqueue.Run(); err != nil {
		b.Fatalf("enqueue: %v\n%s", err, stdout.String())
	}
	run = nightRun{wall: time.Since(start), requests: sandboxRequests(b, stats) - before}
	machine = machineBusy(b) - busy
	cpu := func(p *os.ProcessState) time.Duration {
		ru := p.SysUsage().(*syscall.Rusage)
		run.rssKiB = max(run.rssKiB, ru.Maxrss)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	run.cpu = cpu(enqueue.ProcessState)
	for _, p := range procs {
		if err := p.Process.Signal(syscall.SIGTERM); err != nil {
			b.Fatal(err)
		}
		if err := p.Wait(); err != nil {
			b.Fatalf("a worker: %v", err)
		}
		run.cpu += cpu(p.ProcessState)
	}
	if err := json.Unmarshal([]byte(stdout.String()), &run.summary); err != nil {
		b.Fatalf("the summary: %v\n%s", err, stdout.String())
	}
	// enqueue --wait notices the end of a run up to 2 s late (it polls):
	// the run's own elapsed time runs from its enqueueing, the input not
	// yet read, to its last shard's end.
	run.wall = time.Duration(run.summary.ElapsedSeconds * float64(time.Second))
	if run.summary.Failed+run.summary.NotSent > 0 || run.summary.Succeeded != int(run.requests) {
		b.Fatalf("a night failed: %+v, %d requests", run.summary, run.requests)
	}
	return run, machine
}
