package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/custsync/custsync/adapter"
)

const pushUsage = `Usage: custsync push --vendor upwell|bluetape|billbee --file PATH.jsonl|- [flags]

Pushes a JSONL file, one customer per line in the canonical form of
"custsync update --help", through custsync's bulk API: --concurrency
updates in flight, paced by the vendor's rate limits, retried when that is
safe. Blank lines are skipped. The file is streamed: memory stays flat
however long it is.

A line that fails, including one that is not a valid customer, does not
stop the push: it goes to the failures file as the original JSON object
plus a key "_error" {line, vendor, code, message, httpStatus, vendorCode,
retryable} (a line that is not a JSON object goes as {"_raw": "<the line>",
"_error": ...}). push reads its own failures file, ignoring "_error", so
fix the lines and push that file again. The failures file may not be the
input, not even as redirected standard input.

Each failure is written as it happens, to a temporary file next to the
failures file (NAME.partial-XXXXXXXX); at the end it replaces the failures
file, or, if nothing failed, it is removed together with the failures file
of an earlier run. Should push be killed before the end, the failures so far
are in that temporary file. (A --failures that is not a regular file, or is
under /dev, such as /dev/stderr, is written to directly.)

Progress goes to stderr (a bar on a terminal, a line every 5 seconds
otherwise); a summary goes to stdout. An interrupt (Ctrl-C) sends no more
records and waits for those in flight; the records not sent go to the
failures file with code Canceled. A second interrupt aborts those in flight;
a third kills push at once.

Exit status: 0 if every record succeeded, 1 if any failed, 2 for bad usage.

Flags:
%flags%
Examples:
  custsync push --sandbox --vendor billbee --file examples/customers.jsonl
  custsync push --vendor upwell --file export.jsonl --concurrency 8
  custsync push --vendor upwell --file export.failures.jsonl   # after fixing the failed lines
`

// maxConcurrency bounds --concurrency: beyond it a vendor's rate limit is
// the bottleneck anyway, and each slot holds a connection and a record.
const maxConcurrency = 256

func (a *app) push(args []string) int {
	fs := newFlagSet("push", pushUsage)
	var tf targetFlags
	tf.register(fs)
	file := fs.String("file", "", "the JSONL input `PATH`; - is standard input (required)")
	failuresFlag := fs.String("failures", "", "write failed lines to `PATH` (default: the input's name with .failures.jsonl\nfor .jsonl, next to it; failures.jsonl for standard input)")
	concurrency := fs.Int("concurrency", adapter.DefaultConcurrency, "`N` updates in flight at once, 1 to 256")
	if code, done := a.parse(fs, args); done {
		return code
	}
	if *file == "" {
		return a.fail("push", usagef("--file is required (use --file - for standard input)"))
	}
	if *concurrency < 1 || *concurrency > maxConcurrency {
		return a.fail("push", usagef("--concurrency %d is out of range 1..%d", *concurrency, maxConcurrency))
	}
	vendor, err := tf.check()
	if err != nil {
		return a.fail("push", err)
	}
	in, info, size, err := openInput(*file, a.stdin)
	if err != nil {
		return a.fail("push", err)
	}
	defer in.Close()
	path, err := failuresPath(*failuresFlag, *file, info)
	if err != nil {
		return a.fail("push", err)
	}
	t, err := openTarget(vendor, tf, a.stderr)
	if err != nil {
		return a.fail("push", err)
	}
	defer t.close()
	failures, err := createFailureLog(path)
	if err != nil {
		return a.fail("push", err)
	}

	p := &pusher{
		vendor:      t.vendor,
		updater:     t.client,
		concurrency: *concurrency,
		lines:       newLineReader(in),
		failures:    failures,
		stop:        a.stop,
		abort:       a.abort,
		newProgress: func(snapshot func() counts) progress {
			return newProgress(a.stderr, a.stderrTTY, size, a.progressEvery, snapshot)
		},
	}
	report := p.run()
	report.failuresAt, report.closeErr = failures.close()
	return a.pushSummary(report, *file, tf)
}

// openInput opens the input. info describes it when it is a file (standard
// input included, when it is one; nil otherwise), for failuresPath's
// check; size is its size in bytes for the progress bar, or -1 when it is
// not a regular file or is standard input.
func openInput(path string, stdin io.Reader) (in io.ReadCloser, info fs.FileInfo, size int64, err error) {
	if path == "-" {
		if f, ok := stdin.(interface{ Stat() (fs.FileInfo, error) }); ok {
			info, _ = f.Stat() // nil on error: nothing to compare
		}
		return io.NopCloser(stdin), info, -1, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, 0, usagef("cannot read the input: %v", err)
	}
	info, err = f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, 0, usagef("cannot read the input: %v", err)
	}
	if info.IsDir() {
		f.Close()
		return nil, nil, 0, usagef("the input %s is a directory", path)
	}
	if !info.Mode().IsRegular() {
		return f, info, -1, nil
	}
	return f, info, info.Size(), nil
}

// pushSummary prints the summary on stdout, problems on stderr, and
// returns the exit code.
func (a *app) pushSummary(r pushReport, input string, tf targetFlags) int {
	rate := 0.0
	if s := r.elapsed.Seconds(); s > 0 {
		rate = float64(r.ok+r.failed) / s
	}
	fmt.Fprintf(a.stdout, "push: %d succeeded, %d failed in %s (%.1f records/s)\n", r.ok, r.failed, roundDuration(r.elapsed), rate)
	if r.interrupted {
		fmt.Fprintf(a.stdout, "push: interrupted: %d %s not sent (code Canceled in the failures file)\n", r.notSent, plural(r.notSent, "record was", "records were"))
	}
	if r.failed > 0 && r.writeErr == nil && r.failuresAt != "" {
		fmt.Fprintf(a.stdout, "push: failed lines are in %s; fix them and push again: %s\n", r.failuresAt, pushAgain(tf, r.failuresAt))
	}
	code := exitOK
	if r.failed > 0 {
		code = exitFailed
	}
	if r.readErr != nil {
		fmt.Fprintf(a.stderr, "custsync push: %s: %v; the lines after it were not pushed\n", input, r.readErr)
		code = exitFailed
	}
	if r.writeErr != nil {
		fmt.Fprintf(a.stderr, "custsync push: %v; failures after it were not recorded and no more records were sent\n", r.writeErr)
		if r.failuresAt != "" {
			fmt.Fprintf(a.stderr, "custsync push: the failures recorded before it are in %s\n", r.failuresAt)
		}
		code = exitFailed
	}
	if r.closeErr != nil {
		fmt.Fprintf(a.stderr, "custsync push: %v\n", r.closeErr)
		code = exitFailed
	}
	return code
}

func roundDuration(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

// pushAgain is the command line that pushes the failures file with the
// same target, for the summary.
func pushAgain(tf targetFlags, failuresPath string) string {
	args := []string{"custsync", "push", "--vendor", tf.vendor}
	switch {
	case tf.sandbox:
		args = append(args, "--sandbox")
	case tf.baseURL != "":
		args = append(args, "--base-url", tf.baseURL)
	}
	if tf.lenient {
		args = append(args, "--lenient")
	}
	args = append(args, "--file", failuresPath)
	for i, a := range args {
		args[i] = shellQuote(a)
	}
	return strings.Join(args, " ")
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// characters that never need quoting.
func shellQuote(s string) string {
	safe := s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r))
	}) < 0
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
