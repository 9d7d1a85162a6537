package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/custsync/custsync/specs"
)

// The nightly benchmarks run custsync push as a user's cron job does:
// the built binary against `custsync sandbox` in another process, on
// loopback, so that the push's own CPU (user + system, from its rusage)
// and peak RSS are the client's alone. Upwell is the vendor: it publishes
// no rate limit, so the client, not pacing, is what is measured.
//
//	go test ./cmd/custsync -run '^$' -bench '^BenchmarkNight' -benchtime 1x -count 6 | benchstat -col /store -
//
// Each push is one sample (-benchtime 1x): a night is seconds long. One
// -count runs every store's pushes in a row against one sandbox, and
// rounds drift, so compare stores in interleaved rounds (one invocation
// each, as BENCHMARKS.md does for the first night).

const nightConcurrency = "16"

// sandboxProcess starts `custsync sandbox` with synthetic customers and
// returns Upwell's base URL and the stats URL.
func sandboxProcess(b *testing.B, synthetic int) (base, stats string) {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binary, "sandbox", "--addr", "127.0.0.1:0", "--synthetic", fmt.Sprint(synthetic), "--billbee-throttle=false")
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cancel(); _ = cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "upwell" {
			base = f[1]
			break
		}
	}
	if base == "" {
		b.Fatal("the sandbox printed no Upwell base URL")
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return base, strings.TrimSuffix(base, "/upwell") + "/_sandbox/upwell/stats"
}

// sandboxRequests is how many requests the sandbox's Upwell has had.
func sandboxRequests(b *testing.B, stats string) int64 {
	b.Helper()
	resp, err := http.Get(stats) //nolint:noctx // a benchmark's own loopback server
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close() //nolint:errcheck // read to its end below
	var s struct{ Requests int64 }
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		b.Fatal(err)
	}
	return s.Requests
}

// nightExport writes customers S-000001... as JSON lines, rows lines per
// customer (rows 2: the address and the contact, as an ERP exports
// them; every customer's rows after all customers' first), with the
// e-mail of customer changed (0: none) made new.
func nightExport(b *testing.B, dir string, customers, rows, changed int) string {
	b.Helper()
	path := filepath.Join(dir, fmt.Sprintf("export-%d-%d-%d.jsonl", customers, rows, changed))
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for i := 1; i <= customers; i++ {
		id := fmt.Sprintf("S-%05d", i)
		if rows == 1 {
			fmt.Fprintf(w, `{"id":%q,"name":"Customer %d","email":"c%d@example.com","metadata":{"erp":"E-%07d"}}`+"\n", id, i, i, i)
		} else {
			fmt.Fprintf(w, `{"id":%q,"name":"Customer %d","metadata":{"erp":"E-%07d"}}`+"\n", id, i, i)
		}
	}
	for r := 2; r <= rows; r++ {
		for i := 1; i <= customers; i++ {
			email := fmt.Sprintf("c%d@example.com", i)
			if i == changed {
				email = fmt.Sprintf("new%d@example.com", i)
			}
			fmt.Fprintf(w, `{"id":"S-%05d","email":%q}`+"\n", i, email)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// nightRun is what one push cost.
type nightRun struct {
	wall     time.Duration
	cpu      time.Duration // the push process's user + system time
	rssKiB   int64         // its peak resident set
	requests int64         // what the vendor received
	summary  pushSummaryJSON
}

// pushNight runs one push of file to base with the given state ("" for
// none) and extra flags, and what it cost.
func pushNight(b *testing.B, base, stats, file, state string, extra ...string) nightRun {
	b.Helper()
	args := []string{"push", "--vendor", "upwell", "--base-url", base, "--file", file, "--concurrency", nightConcurrency, "--json", "--state", state}
	args = append(args, extra...)
	cmd := exec.Command(binary, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range demoEnv(specs.Upwell) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, io.Discard
	before := sandboxRequests(b, stats)
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("custsync %s: %v\n%s", strings.Join(args, " "), err, stdout.String())
	}
	run := nightRun{wall: time.Since(start), requests: sandboxRequests(b, stats) - before}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	run.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	run.rssKiB = ru.Maxrss
	if err := json.Unmarshal([]byte(stdout.String()), &run.summary); err != nil {
		b.Fatalf("the summary: %v\n%s", err, stdout.String())
	}
	if run.summary.Failed+run.summary.NotSent > 0 {
		b.Fatalf("a night failed: %+v", run.summary)
	}
	return run
}

// stores are the state stores a night is measured with: none, a SQLite
// file, a PostgreSQL database (a fresh one per call).
func stores(b *testing.B) map[string]func(dir string) string {
	return map[string]func(dir string) string{
		"none":     func(string) string { return "" },
		"sqlite":   func(dir string) string { return filepath.Join(dir, "state.db") },
		"postgres": func(string) string { return postgresServer(b).NewDatabase(b) },
	}
}

func report(b *testing.B, records int, runs []nightRun) {
	var wall, cpu time.Duration
	var rss, requests int64
	for _, r := range runs {
		wall += r.wall
		cpu += r.cpu
		rss = max(rss, r.rssKiB)
		requests += r.requests
	}
	n := float64(len(runs))
	b.ReportMetric(float64(records)*n/wall.Seconds(), "records/s")
	b.ReportMetric(float64(cpu.Microseconds())/(float64(records)*n), "cpu-µs/record")
	b.ReportMetric(float64(rss)/1024, "peak-RSS-MiB")
	b.ReportMetric(float64(requests)/n, "requests/night")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkNightFirst is a first night of 20,000 Upwell records: without
// a state store, and with an empty one that records every confirmation.
func BenchmarkNightFirst(b *testing.B) {
	const records = 20_000
	base, stats := sandboxProcess(b, records)
	file := nightExport(b, b.TempDir(), records, 1, 0)
	for _, name := range []string{"none", "sqlite", "postgres"} {
		b.Run("store="+name, func(b *testing.B) {
			var runs []nightRun
			for range b.N {
				runs = append(runs, pushNight(b, base, stats, file, stores(b)[name](b.TempDir())))
			}
			report(b, records, runs)
		})
	}
}

// BenchmarkNightSecond is the night after: the same export, unchanged,
// at 10,000 and 100,000 records (NIGHT_RECORDS overrides, e.g. 1000000):
// without a state store every record is sent again; with one, none.
func BenchmarkNightSecond(b *testing.B) {
	sizes := []int{10_000, 100_000}
	if n := os.Getenv("NIGHT_RECORDS"); n != "" {
		var records int
		fmt.Sscan(n, &records) //nolint:errcheck // a malformed value runs 0 records and says so
		sizes = []int{records}
	}
	for _, records := range sizes {
		base, stats := sandboxProcess(b, records)
		dir := b.TempDir()
		file := nightExport(b, dir, records, 1, 0)
		for _, name := range []string{"none", "sqlite", "postgres"} {
			b.Run(fmt.Sprintf("records=%d/store=%s", records, name), func(b *testing.B) {
				state := stores(b)[name](dir)
				if state != "" {
					pushNight(b, base, stats, file, state) // the first night
				}
				var runs []nightRun
				for range b.N {
					runs = append(runs, pushNight(b, base, stats, file, state))
				}
				report(b, records, runs)
			})
		}
	}
}

// BenchmarkNightTwoRows is an export with two rows per customer (50,000
// customers, 100,000 lines), pushed with a state store: the second night
// unchanged, then a night where one customer's second row changed.
func BenchmarkNightTwoRows(b *testing.B) {
	const customers = 50_000
	base, stats := sandboxProcess(b, customers)
	dir := b.TempDir()
	same := nightExport(b, dir, customers, 2, 0)
	for _, name := range []string{"sqlite", "postgres"} {
		for _, night := range []struct {
			name string
			file string
		}{{"second", same}, {"one-changed", nightExport(b, dir, customers, 2, 4711)}} {
			b.Run(fmt.Sprintf("store=%s/night=%s", name, night.name), func(b *testing.B) {
				var runs []nightRun
				for range b.N {
					state := stores(b)[name](b.TempDir())
					pushNight(b, base, stats, same, state) // the first night
					runs = append(runs, pushNight(b, base, stats, night.file, state))
				}
				report(b, 2*customers, runs)
			})
		}
	}
}

// nightExportCSV writes the customers nightExport writes (one row each)
// as an ERP exports them: German column names, semicolons, CRLF line
// ends, Windows-1252 (all ASCII here, but decoded as such), and the
// mapping file that maps them. It returns both paths.
func nightExportCSV(b *testing.B, dir string, customers int) (export, mapping string) {
	b.Helper()
	mapping = filepath.Join(dir, "kunden-map.yaml")
	const m = "columns:\n  Kundennummer: id\n  Firma: name\n  E-Mail: email\n  Zusatzdaten: metadata\nignore: [Bemerkung]\n"
	if err := os.WriteFile(mapping, []byte(m), 0o600); err != nil {
		b.Fatal(err)
	}
	export = filepath.Join(dir, fmt.Sprintf("kunden-%d.csv", customers))
	f, err := os.Create(export)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprint(w, "Kundennummer;Firma;E-Mail;Zusatzdaten;Bemerkung\r\n")
	for i := 1; i <= customers; i++ {
		fmt.Fprintf(w, "S-%05d;Customer %d;c%d@example.com;\"{\"\"erp\"\":\"\"E-%07d\"\"}\";\r\n", i, i, i, i)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return export, mapping
}

// BenchmarkNightFormats pushes the same 100,000 Upwell records (NIGHT_RECORDS
// overrides) as JSON lines and as an ERP's CSV export (mapped, semicolons,
// Windows-1252, read whole once before sending), without a state store:
// every record is sent, so the rate is the whole pipeline's. Compare the
// formats in interleaved rounds (one invocation each), as BENCHMARKS.md
// does.
func BenchmarkNightFormats(b *testing.B) {
	records := 100_000
	if n := os.Getenv("NIGHT_RECORDS"); n != "" {
		fmt.Sscan(n, &records) //nolint:errcheck // a malformed value runs 0 records and says so
	}
	base, stats := sandboxProcess(b, records)
	dir := b.TempDir()
	jsonl := nightExport(b, dir, records, 1, 0)
	csvFile, mapping := nightExportCSV(b, dir, records)
	for _, format := range []struct {
		name  string
		file  string
		extra []string
	}{
		{"jsonl", jsonl, nil},
		{"csv", csvFile, []string{"--map", mapping, "--encoding", "windows-1252"}},
	} {
		b.Run("format="+format.name, func(b *testing.B) {
			var runs []nightRun
			for range b.N {
				run := pushNight(b, base, stats, format.file, "", format.extra...)
				if run.summary.Succeeded != records {
					b.Fatalf("%d of %d records succeeded", run.summary.Succeeded, records)
				}
				runs = append(runs, run)
			}
			report(b, records, runs)
		})
	}
}
