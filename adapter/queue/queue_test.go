package queue_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/queue"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/adapter/vendors"
	"github.com/custsync/custsync/sandbox"
)

// The tests run Upwell's sandbox: one PUT per record, a partial update of
// a customer it holds.
const vendor = vendors.Upwell

// account is the account with the sandbox's credentials; wrongKey's key
// is refused.
const (
	account  = "acme"
	wrongKey = "wrong-key"
)

// vendorSide is the sandbox behind a server that records each update it
// is sent, in the order it arrives.
type vendorSide struct {
	sb  *sandbox.Sandbox
	srv *httptest.Server
	// hold, when set, is called before a request is handed on: it may
	// block it.
	hold func(r *http.Request)

	mu      sync.Mutex
	updates []string // the names the updates set, in arrival order
}

// newVendor starts a sandbox holding customers synthetic customers.
func newVendor(t *testing.T, customers int) *vendorSide {
	t.Helper()
	v := &vendorSide{sb: sandbox.New(sandbox.WithSyntheticCustomers(customers))}
	v.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v.hold != nil {
			v.hold(r)
		}
		if r.Context().Err() != nil {
			return // its sender is gone: the vendor never saw it
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if r.Method == http.MethodPut {
			v.mu.Lock()
			v.updates = append(v.updates, nameIn(body))
			v.mu.Unlock()
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		v.sb.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		v.srv.Close()
		assert.Empty(t, v.sb.Violations(), "the sandbox answered off its spec")
	})
	return v
}

// names is what the tests' records set: "L<line>-<run>".
var names = regexp.MustCompile(`"(L\d+-r\d+)"`)

func nameIn(body []byte) string {
	if m := names.FindSubmatch(body); m != nil {
		return string(m[1])
	}
	return ""
}

func (v *vendorSide) received() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.updates...)
}

// accounts serves account and wrongKey at the sandbox.
type accounts struct{ root string }

func (a accounts) Names() []string { return []string{account, wrongKey} }

func (a accounts) Client(_ context.Context, v vendors.Name, name string) (bulk.Client, error) {
	env := map[string]string{
		upwell.EnvAPIKey:       sandbox.DefaultCredentials().UpwellAPIKey,
		upwell.EnvSourceSystem: sandbox.UpwellSourceSystem,
	}
	switch name {
	case account:
	case wrongKey:
		env[upwell.EnvAPIKey] = "not-the-key"
	default:
		return nil, fmt.Errorf("no account %q", name)
	}
	return vendors.FromLookup(v, func(k string) (string, bool) { s, ok := env[k]; return s, ok },
		adapter.WithBaseURL(a.root+sandbox.BasePath(v)))
}

// newQueue migrates a database of its own and opens it.
func newQueue(t *testing.T) (*queue.Queue, string) {
	t.Helper()
	url := server.NewDatabase(t)
	require.NoError(t, queue.Migrate(context.Background(), url))
	q, err := queue.Open(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(q.Close)
	return q, url
}

// startWorker runs a worker until the test ends or stop is called.
func startWorker(t *testing.T, q *queue.Queue, v *vendorSide, opts ...queue.WorkerOption) (stop func()) {
	t.Helper()
	w, err := queue.NewWorker(q, accounts{root: v.srv.URL}, opts...)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			assert.NoError(t, <-done)
		})
	}
	t.Cleanup(stop)
	return stop
}

// wait waits for run id to finish, for at most 40s.
func wait(t *testing.T, q *queue.Queue, id queue.RunID) *queue.Run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	run, err := q.Wait(ctx, id)
	require.NoError(t, err)
	return run
}

// input writes records records, customer by customer in turns: record i
// (from 0) is for synthetic customer i%customers+1 and sets its name to
// "L<line>-r<run>".
func input(records, customers, run int) string {
	var b strings.Builder
	for i := range records {
		fmt.Fprintf(&b, `{"id":%q,"name":"L%d-r%d"}`+"\n", sandbox.SyntheticID(vendor, i%customers+1), i+1, run)
	}
	return b.String()
}

// failuresOf reads a failures file: each line's object before "_error",
// and its Failure.
func failuresOf(t *testing.T, data []byte) (objects []string, failures []bulk.Failure) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		line := sc.Text()
		at := strings.LastIndex(line, `,"_error":`)
		if at < 0 {
			at = strings.LastIndex(line, `"_error":`) // an object of no other member
		}
		require.GreaterOrEqual(t, at, 0, "a failures line without _error: %s", line)
		var f struct {
			Error bulk.Failure `json:"_error"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &f))
		objects, failures = append(objects, line[:at]+"}"), append(failures, f.Error)
	}
	require.NoError(t, sc.Err())
	return objects, failures
}

func TestARunSpreadOverTwoWorkersSendsEveryRecordAndReportsEveryLine(t *testing.T) {
	ctx := context.Background()
	q, url := newQueue(t)
	v := newVendor(t, 30)
	valid := input(90, 30, 1)
	lines := strings.Split(strings.TrimSuffix(valid, "\n"), "\n")
	// Invalid records, kept as they are: one naming its customer (it
	// holds that customer's later records back), one naming none.
	invalid := map[int]string{
		10: `{"id":"` + sandbox.SyntheticID(vendor, 10) + `","name":5}`,
		50: `not json at all`,
	}
	var in []string
	for _, l := range lines {
		if bad, ok := invalid[len(in)+1]; ok {
			in = append(in, bad)
		}
		in = append(in, l)
	}
	id, err := q.Enqueue(ctx, strings.NewReader(strings.Join(in, "\n")+"\n"),
		queue.Job{Vendor: vendor, Account: account, Input: "customers.jsonl", Shards: 4})
	require.NoError(t, err)

	startWorker(t, q, v)
	startWorker(t, q, v)
	run := wait(t, q, id)

	// Customer 10's records after its invalid one are held back.
	heldBack := 0
	for n, l := range in {
		if n+1 > 10 && strings.Contains(l, `"`+sandbox.SyntheticID(vendor, 10)+`"`) && !strings.Contains(l, `"name":5`) {
			heldBack++
		}
	}
	assert.Equal(t, queue.Finished, run.State)
	assert.Equal(t, 4, run.Shards)
	assert.Equal(t, 4, run.ShardsDone)
	assert.Equal(t, len(in), run.Report.Records, "every line is counted")
	assert.Equal(t, len(lines)-heldBack, run.Report.Succeeded)
	assert.Equal(t, 2+heldBack, run.Report.Failed)
	assert.Zero(t, run.Report.NotSent)
	assert.Nil(t, run.Report.Halt)
	assert.Equal(t, "customers.jsonl", run.Input)

	// Each customer's updates reached the vendor in input order, and every
	// valid record but those held back did.
	received := v.received()
	assert.Len(t, received, len(lines)-heldBack)
	last := map[string]int{}
	for _, name := range received {
		// The name's number is the record's place among the valid ones.
		n, err := strconv.Atoi(strings.TrimPrefix(strings.Split(name, "-")[0], "L"))
		require.NoError(t, err, name)
		customer := fmt.Sprint((n-1)%30 + 1)
		assert.Greater(t, n, last[customer], "customer %s's updates out of order", customer)
		last[customer] = n
	}

	var failures bytes.Buffer
	n, err := q.WriteFailures(ctx, id, &failures)
	require.NoError(t, err)
	assert.Equal(t, 2+heldBack, n)
	objects, fs := failuresOf(t, failures.Bytes())
	require.Len(t, objects, n)
	// In input order, each with its line in the input, the invalid lines
	// byte for byte.
	assert.Equal(t, invalid[10], objects[0])
	assert.Equal(t, 10, fs[0].Line)
	assert.Equal(t, adapter.InvalidArgument, fs[0].Code)
	for i := 1; i < len(fs); i++ {
		assert.Less(t, fs[i-1].Line, fs[i].Line)
		want := in[fs[i].Line-1]
		if fs[i].Line == 50 {
			want = `{"_raw":"not json at all"}` // no object: kept as text
		}
		assert.Equal(t, want, objects[i], "the failures line of line %d", fs[i].Line)
	}
	assert.GreaterOrEqual(t, slicesIndex(fs, 50), 0, "line 50 is in the failures file")

	runs, err := q.Runs(ctx, 10)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, *run, runs[0])

	// A finished shard keeps its failures, not its copy of the input.
	conn := connect(t, url)
	var kept int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM custsync_queue_records`).Scan(&kept))
	assert.Zero(t, kept)
}

func itoa(n int) string { return strconv.Itoa(n) }

func slicesIndex(fs []bulk.Failure, line int) int {
	for i, f := range fs {
		if f.Line == line {
			return i
		}
	}
	return -1
}

func TestAnInputWithALineOverTheLimitIsRefusedWhole(t *testing.T) {
	ctx := context.Background()
	q, _ := newQueue(t)
	long := func(n int) string {
		prefix, suffix := `{"id":"S-00001","name":"`, `"}`
		return prefix + strings.Repeat("x", n-len(prefix)-len(suffix)) + suffix
	}
	t.Run("one byte over is refused, nothing enqueued", func(t *testing.T) {
		in := input(3, 3, 1) + long(bulk.MaxLineBytes+1) + "\n" + input(3, 3, 1)
		_, err := q.Enqueue(ctx, strings.NewReader(in), queue.Job{Vendor: vendor, Account: account})
		assert.Equal(t, adapter.InvalidArgument, adapter.CodeOf(err), "%v", err)
		assert.Contains(t, err.Error(), "line 4 is over the limit")
		runs, err := q.Runs(ctx, 10)
		require.NoError(t, err)
		assert.Empty(t, runs)
	})
	t.Run("a last line with no ending, one byte over, is refused", func(t *testing.T) {
		in := input(2, 2, 1) + long(bulk.MaxLineBytes+1)
		_, err := q.Enqueue(ctx, strings.NewReader(in), queue.Job{Vendor: vendor, Account: account})
		assert.ErrorContains(t, err, "line 3 is over the limit")
		runs, err := q.Runs(ctx, 10)
		require.NoError(t, err)
		assert.Empty(t, runs)
	})
	t.Run("a line at the limit, ending in CRLF, is enqueued", func(t *testing.T) {
		in := "\xEF\xBB\xBF" + long(bulk.MaxLineBytes) + "\r\n" + input(3, 3, 1)
		id, err := q.Enqueue(ctx, strings.NewReader(in), queue.Job{Vendor: vendor, Account: account})
		require.NoError(t, err)
		run, err := q.Run(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, queue.Queued, run.State)
		assert.Equal(t, queue.DefaultShards, run.Shards)
	})
}

func TestEnqueueRefusesAJobItCannotRun(t *testing.T) {
	q, _ := newQueue(t)
	for name, job := range map[string]queue.Job{
		"an unknown vendor":          {Vendor: "upwel", Account: account},
		"an account with upper case": {Vendor: vendor, Account: "Acme"},
		"an account of 41 letters":   {Vendor: vendor, Account: strings.Repeat("a", 41)},
		"no account":                 {Vendor: vendor},
		"too many shards":            {Vendor: vendor, Account: account, Shards: 1025},
		"negative shards":            {Vendor: vendor, Account: account, Shards: -1},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := q.Enqueue(context.Background(), strings.NewReader(input(1, 1, 1)), job)
			assert.Equal(t, adapter.InvalidArgument, adapter.CodeOf(err), "%v", err)
		})
	}
	runs, err := q.Runs(context.Background(), 10)
	require.NoError(t, err)
	assert.Empty(t, runs)
}

func TestAnEmptyInputIsARunFinishedAtOnce(t *testing.T) {
	q, _ := newQueue(t)
	id, err := q.Enqueue(context.Background(), strings.NewReader("\n\n"), queue.Job{Vendor: vendor, Account: account, Shards: 2})
	require.NoError(t, err)
	run, err := q.Run(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, queue.Finished, run.State)
	assert.Equal(t, 2, run.ShardsDone)
	assert.Zero(t, run.Report.Records)
}

func TestRunsOfOneAccountApplyInTheOrderTheyWereEnqueued(t *testing.T) {
	ctx := context.Background()
	q, _ := newQueue(t)
	v := newVendor(t, 5)
	first, err := q.Enqueue(ctx, strings.NewReader(input(20, 5, 1)), queue.Job{Vendor: vendor, Account: account, Shards: 3})
	require.NoError(t, err)
	second, err := q.Enqueue(ctx, strings.NewReader(input(5, 5, 2)), queue.Job{Vendor: vendor, Account: account, Shards: 3})
	require.NoError(t, err)

	startWorker(t, q, v, queue.WithPerAccount(2))
	startWorker(t, q, v, queue.WithPerAccount(2))
	assert.Equal(t, 20, wait(t, q, first).Report.Succeeded)
	assert.Equal(t, 5, wait(t, q, second).Report.Succeeded)

	received := v.received()
	require.Len(t, received, 25)
	for i, name := range received {
		want := "-r1"
		if i >= 20 {
			want = "-r2"
		}
		assert.True(t, strings.HasSuffix(name, want), "update %d is %s", i, name)
	}
	for c := 1; c <= 5; c++ {
		got, ok := v.sb.Customer(vendor, sandbox.SyntheticID(vendor, c))
		require.True(t, ok)
		assert.Equal(t, fmt.Sprintf("L%d-r2", c), got["name"], "customer %d", c)
	}
}

func TestAWrongCredentialHaltsTheRun(t *testing.T) {
	ctx := context.Background()
	q, _ := newQueue(t)
	v := newVendor(t, 40)
	id, err := q.Enqueue(ctx, strings.NewReader(input(80, 40, 1)), queue.Job{Vendor: vendor, Account: wrongKey, Shards: 8})
	require.NoError(t, err)
	startWorker(t, q, v)
	startWorker(t, q, v)
	run := wait(t, q, id)

	require.NotNil(t, run.Report.Halt)
	assert.True(t, run.Report.Halt.Setup)
	assert.Equal(t, 80, run.Report.Records)
	assert.Zero(t, run.Report.Succeeded)
	assert.Equal(t, 80, run.Report.Failed+run.Report.NotSent)
	// Each worker starts one shard before the other's halt is known, and
	// a shard's setup check costs 3 requests; the other shards send none.
	sent := len(v.received())
	assert.LessOrEqual(t, sent, 6)
	assert.Equal(t, sent, run.Report.ByCode[adapter.PermissionDenied], "every request was refused")
	assert.Equal(t, run.Report.NotSent, run.Report.ByCode[adapter.Canceled])

	var failures bytes.Buffer
	n, err := q.WriteFailures(ctx, id, &failures)
	require.NoError(t, err)
	assert.Equal(t, 80, n)
	_, fs := failuresOf(t, failures.Bytes())
	notSent := 0
	for _, f := range fs {
		if f.Code == adapter.Canceled {
			notSent++
			assert.Contains(t, f.Message, "not sent: the run halted")
		}
	}
	assert.Equal(t, run.Report.NotSent, notSent)
}

func TestMigrateTwiceAtOnceSucceedsAndOpenRefusesAnUnmigratedDatabase(t *testing.T) {
	ctx := context.Background()
	url := server.NewDatabase(t)
	_, err := queue.Open(ctx, url)
	require.ErrorIs(t, err, queue.ErrNotMigrated)
	assert.Contains(t, err.Error(), "custsync migrate --queue")

	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() { errs[i] = queue.Migrate(ctx, url) })
	}
	wg.Wait()
	assert.NoError(t, errors.Join(errs...))
	require.NoError(t, queue.Migrate(ctx, url), "a migrated database is migrated again with nothing to do")
	q, err := queue.Open(ctx, url)
	require.NoError(t, err)
	q.Close()
}

func TestOpenRefusesASchemaOfANewerCustsync(t *testing.T) {
	ctx := context.Background()
	_, url := newQueue(t)
	conn := connect(t, url)
	_, err := conn.Exec(ctx, "UPDATE custsync_queue_schema SET version = version + 1")
	require.NoError(t, err)
	_, err = queue.Open(ctx, url)
	assert.ErrorContains(t, err, "newer custsync")
	assert.NotErrorIs(t, err, queue.ErrNotMigrated)
	assert.ErrorContains(t, queue.Migrate(ctx, url), "newer custsync")
}

func TestAMalformedURLIsRefusedWithoutItsPassword(t *testing.T) {
	_, err := queue.Open(context.Background(), "postgres://u:secret-pw@host:notaport/db")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret-pw")
	err = queue.Migrate(context.Background(), "postgres://u:secret-pw@host:notaport/db")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret-pw")
}

func TestAWorkerWithMoreSlotsThanItsPoolHasConnectionsRunsThemAll(t *testing.T) {
	ctx := context.Background()
	_, url := newQueue(t)
	q, err := queue.Open(ctx, url+"&pool_max_conns=2")
	require.NoError(t, err)
	defer q.Close()
	v := newVendor(t, 30)
	id, err := q.Enqueue(ctx, strings.NewReader(input(60, 30, 1)), queue.Job{Vendor: vendor, Account: account, Shards: 8})
	require.NoError(t, err)
	startWorker(t, q, v, queue.WithPerAccount(8))
	run := wait(t, q, id)
	assert.Equal(t, 60, run.Report.Succeeded)
	assert.Equal(t, 8, run.ShardsDone)
}

// connect opens a connection of the test's own to the queue's database,
// closed when the test ends: to look into it, or to leave it as an older
// or a newer custsync would.
func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, conn.Close(context.Background())) })
	return conn
}
