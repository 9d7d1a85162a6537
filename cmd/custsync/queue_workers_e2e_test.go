package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/internal/redistest"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// vendorRequest is one write a vendor received: which customer, which of
// the customer's records (by the field only that record sets), and the
// answer.
type vendorRequest struct {
	vendor   specs.Vendor
	customer string
	version  int
	status   int
}

// recorder serves a sandbox and records every write it answers, in the
// order the answers were given: a customer's writes are never in flight
// together, so this is the order they applied in.
type recorder struct {
	sb *sandbox.Sandbox

	mu       sync.Mutex
	writes   []vendorRequest
	requests map[specs.Vendor]int
}

// versionOf tells which of a customer's records a write carries: the
// records set the name (1), then the e-mail (2), then the phone or
// metadata (3), each with the customer's number in it.
var versionMarks = []*regexp.Regexp{
	3: regexp.MustCompile(`"Tel1":"\+49 30 7770|"metadata":\{[^}]*"v":3`),
	2: regexp.MustCompile(`"(?:Email|emailAddress)":"second-`),
	1: regexp.MustCompile(`"(?:Name|name)":"First `),
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	rec.sb.ServeHTTP(sw, r)
	vendor := specs.Upwell
	if strings.HasPrefix(r.URL.Path, sandbox.BasePath(specs.Billbee)) {
		vendor = specs.Billbee
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.requests[vendor]++
	if r.Method != http.MethodPut {
		return // Billbee's reads
	}
	req := vendorRequest{vendor: vendor, status: sw.status}
	for v := 3; v >= 1; v-- {
		if versionMarks[v].Match(body) {
			req.version = v
			break
		}
	}
	if vendor == specs.Billbee {
		req.customer = r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	} else {
		var b struct {
			SourceSystemID string `json:"sourceSystemId"`
		}
		_ = json.Unmarshal(body, &b)
		req.customer = b.SourceSystemID
	}
	rec.writes = append(rec.writes, req)
}

func (rec *recorder) count(v specs.Vendor) int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.requests[v]
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// customerRecords writes customer i's three records of a vendor: the
// name, then the e-mail, then the phone (Billbee) or metadata (Upwell).
// Each sets a field of its own, so that the vendor's final record shows
// each one applied, and a write shows which record it carries.
func customerRecords(w io.Writer, v specs.Vendor, i int) {
	id := sandbox.SyntheticID(v, i)
	fmt.Fprintf(w, `{"id":%q,"name":"First %d"}`+"\n", id, i)
	fmt.Fprintf(w, `{"id":%q,"email":"second-%d@example.com"}`+"\n", id, i)
	if v == specs.Billbee {
		fmt.Fprintf(w, `{"id":%q,"phone":"+49 30 7770%04d"}`+"\n", id, i)
	} else {
		fmt.Fprintf(w, `{"id":%q,"metadata":{"v":3,"n":%d}}`+"\n", id, i)
	}
}

// TestAPushSpreadOverThreeWorkersSurvivesAKilledOne is the acceptance of
// the queue: three worker processes, two accounts (an unpaced Upwell and
// a Billbee paced by its documented limits, shared through Redis), 20,000
// lines for the first and a few for the second, and one worker killed
// with kill -9 in the middle of a shard.
func TestAPushSpreadOverThreeWorkersSurvivesAKilledOne(t *testing.T) {
	t.Parallel()
	const (
		// Upwell: 6,660 customers of three records, and 20 lines that
		// are not valid updates (a name cleared), one customer each.
		upwellCustomers = 6660
		invalidLines    = 20
		upwellLines     = 3*upwellCustomers + invalidLines
		// Billbee allows 2 updates/s per credential (a read and a write
		// each, each endpoint at 2/s), and the client paces by those
		// documented limits, which no option raises: 8 customers of three
		// records are 12 s of it, spread over the workers' shards.
		billbeeCustomers = 8
		billbeeLines     = 3 * billbeeCustomers
		// Each worker runs one shard of an account at once (--per-account
		// 1), 4 records in flight (--concurrency 4).
		perAccount, concurrency = 1, 4
	)
	sb := sandbox.New(sandbox.WithSyntheticCustomers(upwellCustomers), sandbox.WithThrottle(specs.Billbee, sandbox.BillbeeThrottle()))
	rec := &recorder{sb: sb, requests: map[specs.Vendor]int{}}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	rdb := redistest.Start(t)
	queueURL := queueDatabase(t)
	dir := t.TempDir()

	var upwell, billbee bytes.Buffer
	for i := 1; i <= upwellCustomers; i++ {
		customerRecords(&upwell, specs.Upwell, i)
		if i%(upwellCustomers/invalidLines) == 0 {
			fmt.Fprintf(&upwell, `{"id":"S-9%04d","name":null}`+"\n", i)
		}
	}
	for i := 1; i <= billbeeCustomers; i++ {
		customerRecords(&billbee, specs.Billbee, i)
	}
	require.Equal(t, upwellLines, bytes.Count(upwell.Bytes(), []byte("\n")))
	upwellFile := writeFile(t, dir, "upwell.jsonl", upwell.String())
	billbeeFile := writeFile(t, dir, "billbee.jsonl", billbee.String())

	env := accountEnv("shop-up", specs.Upwell, srv.URL+sandbox.BasePath(specs.Upwell))
	for k, v := range accountEnv("shop-bb", specs.Billbee, srv.URL+sandbox.BasePath(specs.Billbee)) {
		env[k] = v
	}
	workers := make([]*process, 3)
	for i := range workers {
		workers[i] = startBinary(t, invocation{args: []string{"worker", "--queue", queueURL, "--accounts", "shop-up,shop-bb",
			"--rate-limit", rdb.URL(), "--per-account", fmt.Sprint(perAccount), "--concurrency", fmt.Sprint(concurrency),
			"--rescue-after", "3s"}, env: env})
	}
	enqueue := func(vendor specs.Vendor, account, file string) *process {
		return startBinary(t, invocation{args: []string{"enqueue", "--queue", queueURL, "--vendor", string(vendor), "--account", account,
			"--file", file, "--wait", "--json"}, dir: dir})
	}
	billbeeRun := enqueue(specs.Billbee, "shop-bb", billbeeFile)
	upwellRun := enqueue(specs.Upwell, "shop-up", upwellFile)
	var upwellID string
	require.Eventually(t, func() bool {
		m := regexp.MustCompile(`custsync enqueue: run (\d+):`).FindStringSubmatch(upwellRun.stderr.String())
		if m != nil {
			upwellID = m[1]
		}
		return m != nil
	}, time.Minute, 10*time.Millisecond, "the Upwell run is enqueued")

	// Kill a worker in the middle of an Upwell shard, once some records
	// went through.
	killed := -1
	require.Eventually(t, func() bool {
		if rec.count(specs.Upwell) >= 2000 {
			killed = workerInShard(workers, upwellID)
		}
		return killed >= 0
	}, time.Minute, 5*time.Millisecond, "a worker runs an Upwell shard after 2000 Upwell requests")
	require.NoError(t, workers[killed].cmd.Process.Signal(syscall.SIGKILL))
	assert.Equal(t, -1, workers[killed].wait(t), "killed")
	t.Logf("killed worker %d after %d Upwell requests", killed, rec.count(specs.Upwell))

	require.Equal(t, exitFailed, upwellRun.wait(t), "the invalid lines failed, every line was tried")
	require.Equal(t, exitOK, billbeeRun.wait(t))

	t.Run("the summaries account for every line", func(t *testing.T) {
		var up, bb waitedSummary
		require.NoError(t, json.Unmarshal([]byte(upwellRun.stdout.String()), &up))
		require.NoError(t, json.Unmarshal([]byte(billbeeRun.stdout.String()), &bb))
		assert.Equal(t, upwellLines, up.Succeeded+up.Unchanged+up.Failed+up.NotSent)
		assert.Equal(t, 3*upwellCustomers, up.Succeeded+up.Unchanged, "what the killed worker had confirmed counts as unchanged")
		assert.Equal(t, map[string]int{"InvalidArgument": invalidLines}, up.ByCode)
		assert.Equal(t, billbeeLines, bb.Succeeded+bb.Unchanged)
		assert.Zero(t, bb.Failed+bb.NotSent)

		failures, err := os.ReadFile(up.FailuresFile)
		require.NoError(t, err)
		assert.Equal(t, invalidLines, bytes.Count(failures, []byte("\n")))
		path := dir + "/upwell.run.failures.jsonl"
		out := runBinary(t, invocation{args: []string{"runs", "--queue", queueURL, "--run", fmt.Sprint(up.Run), "--failures", path}})
		require.Equal(t, exitOK, out.code, out.stderr)
		written, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, string(failures), string(written), "runs --failures writes the run's failures file byte for byte")
		for _, line := range strings.SplitAfter(strings.TrimSpace(string(failures)), "\n") {
			assert.Regexp(t, `^\{"id":"S-9\d{4}","name":null,"_error":\{"line":\d+,"vendor":"upwell","code":"InvalidArgument",`, line)
		}
	})

	t.Run("every customer's final record is its last line's", func(t *testing.T) {
		for i := 1; i <= upwellCustomers; i++ {
			got, ok := sb.Customer(specs.Upwell, sandbox.SyntheticID(specs.Upwell, i))
			require.True(t, ok)
			want := []string{fmt.Sprintf("First %d", i), fmt.Sprintf("second-%d@example.com", i), fmt.Sprintf("map[n:%d v:3]", i)}
			if !assert.Equal(t, want, []string{fmt.Sprint(got["name"]), fmt.Sprint(got["emailAddress"]), fmt.Sprint(got["metadata"])}, "Upwell customer %d", i) {
				break
			}
		}
		for i := 1; i <= billbeeCustomers; i++ {
			got, ok := sb.Customer(specs.Billbee, sandbox.SyntheticID(specs.Billbee, i))
			require.True(t, ok)
			assert.Equal(t, []any{fmt.Sprintf("First %d", i), fmt.Sprintf("second-%d@example.com", i), fmt.Sprintf("+49 30 7770%04d", i)},
				[]any{got["Name"], got["Email"], got["Tel1"]}, "Billbee customer %d", i)
		}
	})

	rec.mu.Lock()
	writes := rec.writes
	rec.mu.Unlock()

	t.Run("each customer's records arrived in input order", func(t *testing.T) {
		last := map[string]int{}
		for _, w := range writes {
			if w.status >= 300 {
				continue // not applied
			}
			key := string(w.vendor) + "/" + w.customer
			require.NotZero(t, w.version, "every write carries one of the customer's records: %+v", w)
			assert.GreaterOrEqual(t, w.version, last[key], "%s: record %d after record %d", key, w.version, last[key])
			last[key] = w.version
		}
		assert.Len(t, last, upwellCustomers+billbeeCustomers, "every customer was written")
	})

	t.Run("no limit was exceeded", func(t *testing.T) {
		// As in the shared-limit tests: one 429 is allowed for a loaded
		// machine that delays one request and hurries the next past the
		// 2% margin the pacing keeps, which the limiter then adapts to.
		billbee := sb.Stats(specs.Billbee)
		t.Logf("Billbee: %d requests, %d answered 429", billbee.Requests, billbee.TooManyRequests)
		assert.LessOrEqual(t, billbee.TooManyRequests, int64(1))
		assert.Zero(t, sb.Stats(specs.Upwell).TooManyRequests, "Upwell publishes no limit, and the sandbox sets none")
	})

	t.Run("records sent twice are at most the killed worker's in-flight window", func(t *testing.T) {
		// The killed worker ran at most perAccount shards of each
		// account. With a state store, a shard's bulk run has 2 x
		// concurrency workers: concurrency of them sending, the others
		// recording in the store what the vendor confirmed (the sending
		// token goes back before the store's commit). So at most 2 x
		// concurrency records of a shard were sent and not yet recorded
		// when it was killed: those are sent again. Each account has its
		// window.
		window := 2 * perAccount * concurrency
		sent := map[string]int{}
		for _, w := range writes {
			if w.status < 300 {
				sent[fmt.Sprintf("%s/%s/%d", w.vendor, w.customer, w.version)]++
			}
		}
		twice := map[specs.Vendor]int{}
		for key, n := range sent {
			twice[specs.Vendor(key[:strings.IndexByte(key, '/')])] += n - 1
		}
		t.Logf("records sent twice: %d Upwell, %d Billbee (window %d each); %d writes in all", twice[specs.Upwell], twice[specs.Billbee], window, len(writes))
		assert.LessOrEqual(t, twice[specs.Upwell], window)
		assert.LessOrEqual(t, twice[specs.Billbee], window)
		assert.Len(t, sent, 3*(upwellCustomers+billbeeCustomers), "every record was applied")
	})

	rescued := false
	for i, w := range workers {
		if i == killed {
			continue
		}
		assert.Equal(t, exitOK, w.stop(t), "SIGTERM stops a worker gently")
		rescued = rescued || strings.Contains(w.stderr.String(), `running the shard again" run=`+upwellID+" ")
	}
	assert.True(t, rescued, "a surviving worker ran the killed worker's Upwell shard again")
}

// shardLine is a worker's log line of a shard started or finished.
var shardLine = regexp.MustCompile(`msg="queue: (running the shard|finished the shard|the worker stopped; released the shard)" run=(\d+) shard=(\d+)`)

// workerInShard returns a worker that is in the middle of a shard of run
// id, by its log, or -1. It looks at the last started first: the first
// is likely the one River elected to rescue jobs, and killing it would
// add an election (about 15 s) to the rescue.
func workerInShard(workers []*process, id string) int {
	for i := len(workers) - 1; i >= 0; i-- {
		w := workers[i]
		running := map[string]bool{}
		for _, m := range shardLine.FindAllStringSubmatch(w.stderr.String(), -1) {
			if m[2] != id {
				continue
			}
			running[m[3]] = m[1] == "running the shard"
		}
		for _, r := range running {
			if r {
				return i
			}
		}
	}
	return -1
}

func TestASIGTERMedWorkerHandsItsShardOnWithoutResendingAnything(t *testing.T) {
	t.Parallel()
	const customers = 600
	// Slow enough that the worker is mid-shard when it is stopped.
	sb := sandbox.New(sandbox.WithSyntheticCustomers(customers), sandbox.WithFaults(specs.Upwell, sandbox.Faults{Latency: 20 * time.Millisecond}))
	rec := &recorder{sb: sb, requests: map[specs.Vendor]int{}}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	queueURL := queueDatabase(t)
	dir := t.TempDir()
	var lines bytes.Buffer
	for i := 1; i <= customers; i++ {
		fmt.Fprintf(&lines, `{"id":%q,"name":"First %d"}`+"\n", sandbox.SyntheticID(specs.Upwell, i), i)
	}
	input := writeFile(t, dir, "export.jsonl", lines.String())
	env := accountEnv("shop", specs.Upwell, srv.URL+sandbox.BasePath(specs.Upwell))
	worker := func() *process {
		return startBinary(t, invocation{args: []string{"worker", "--queue", queueURL, "--accounts", "shop", "--rate-limit", ""}, env: env})
	}
	first := worker()
	run := startBinary(t, invocation{args: []string{"enqueue", "--queue", queueURL, "--vendor", "upwell", "--account", "shop",
		"--file", input, "--shards", "1", "--wait", "--json"}, dir: dir})
	require.Eventually(t, func() bool { return rec.count(specs.Upwell) >= 100 }, time.Minute, 5*time.Millisecond)

	assert.Equal(t, exitOK, first.stop(t), "the first SIGTERM stops the worker gently")
	assert.Contains(t, first.stderr.String(), "released the shard")
	sentBefore := rec.count(specs.Upwell)
	second := worker()

	require.Equal(t, exitOK, run.wait(t))
	var summary waitedSummary
	require.NoError(t, json.Unmarshal([]byte(run.stdout.String()), &summary))
	assert.Equal(t, customers, summary.Succeeded+summary.Unchanged, "every line is accounted for")
	assert.Equal(t, sentBefore, summary.Unchanged, "what the first worker sent, its records in flight included, the second did not send again")
	assert.Equal(t, customers, rec.count(specs.Upwell), "no record was sent twice")
	assert.Equal(t, exitOK, second.stop(t))
}
