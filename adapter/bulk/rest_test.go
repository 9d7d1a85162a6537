package bulk_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
)

// sentClient records the ids it was sent, and calls onUpdate first.
type sentClient struct {
	onUpdate func(ctx context.Context, u *adapter.CustomerUpdate) error
	mu       sync.Mutex
	sent     map[string]bool
}

func (c *sentClient) Update(ctx context.Context, u *adapter.CustomerUpdate, _ ...adapter.CallOption) (*adapter.Result, error) {
	if c.onUpdate != nil {
		if err := c.onUpdate(ctx, u); err != nil {
			return nil, err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sent == nil {
		c.sent = map[string]bool{}
	}
	c.sent[u.ID] = true
	return &adapter.Result{Vendor: "fake", ID: u.ID, VendorID: "v-" + u.ID, HTTPStatus: 200, Sent: u.SetFields(), Dropped: []string{}}, nil
}

func (*sentClient) Key(u *adapter.CustomerUpdate) string { return u.ID }
func (*sentClient) Vendor() string                       { return "fake" }
func (*sentClient) Account() string                      { return "fake-account" }

func (c *sentClient) wasSent(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sent[id]
}

// gatedReader is a JSONL reader of a file that counts the records it
// returned and, when gateAt is set, stops before the gateAt-th until open
// is closed.
type gatedReader struct {
	*bulk.JSONLReader
	gateAt int
	open   chan struct{}
	read   atomic.Int64
}

func (g *gatedReader) Next() (bulk.Record, error) {
	if g.gateAt > 0 && int(g.read.Load())+1 == g.gateAt {
		<-g.open
	}
	rec, err := g.JSONLReader.Next()
	if err == nil {
		g.read.Add(1)
	}
	return rec, err
}

func (g *gatedReader) reads() int { return int(g.read.Load()) }

// restInput writes n records C-1...C-n, one a line, with a blank line
// before C-6, and returns the file's path and the byte offset of each
// record's start, blank lines before it included.
func restInput(t *testing.T, dir string, n int) (path string, starts map[string]int64) {
	t.Helper()
	var b strings.Builder
	starts = map[string]int64{}
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("C-%d", i)
		starts[id] = int64(b.Len())
		if i == 6 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, `{"id": %q, "name": "Customer %d"}`+"\n", id, i)
	}
	path = filepath.Join(dir, "customers.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	return path, starts
}

// failureIDs reads the ids and codes of a failures file, in order.
func failureIDs(t *testing.T, path string) (ids []string, codes map[string]int) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer func() { assert.NoError(t, f.Close()) }()
	codes = map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var line struct {
			ID    string       `json:"id"`
			Error bulk.Failure `json:"_error"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line))
		ids = append(ids, line.ID)
		codes[line.Error.Code.String()]++
	}
	require.NoError(t, sc.Err())
	return ids, codes
}

func TestAStoppedRunRecordsAtOnceWhereItsUnsentRecordsBegin(t *testing.T) {
	t.Parallel()
	const records = 40
	dir := t.TempDir()
	input, starts := restInput(t, dir, records)
	in, err := os.Open(input)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, in.Close()) })
	before, err := in.Stat()
	require.NoError(t, err)

	// C-5 hangs in flight, and the outcomes after C-4's wait, so that the
	// records read after C-5 are neither sent nor reported when the run
	// stops.
	inFlight, release := make(chan struct{}), make(chan struct{})
	client := &sentClient{onUpdate: func(_ context.Context, u *adapter.CustomerUpdate) error {
		if u.ID == "C-5" {
			close(inFlight)
			<-release
		}
		return nil
	}}
	observe := func(out bulk.Outcome) {
		if out.Record.Line == 4 {
			<-release
		}
	}
	reader := &gatedReader{JSONLReader: bulk.NewJSONLReader(in), open: make(chan struct{})}
	path := filepath.Join(dir, "failures.jsonl")
	ff, err := bulk.CreateFailures(path, true)
	require.NoError(t, err)
	stop, stopNow := context.WithCancelCause(context.Background())

	var rep *bulk.Report
	done := make(chan struct{})
	go func() {
		defer close(done)
		rep, err = bulk.Run(context.Background(), client, reader, bulk.WithConcurrency(1), bulk.WithStop(stop),
			bulk.WithFailures(ff), bulk.WithObserver(observe))
	}()
	<-inFlight
	// C-6 waits for a worker; C-7 was read after it.
	require.Eventually(t, func() bool { return reader.reads() >= 7 }, 10*time.Second, time.Millisecond)
	stopNow(errors.New("not sent: stopped"))

	var stale []bulk.StaleFile
	require.Eventually(t, func() bool {
		stale = bulk.StaleFailures(path, true)
		return len(stale) == 1 && stale[0].Rest != nil && stale[0].Rest.Line > 0
	}, 10*time.Second, time.Millisecond, "the rest file says where the run stopped before any record of the rest is reported")
	rest := stale[0].Rest
	assert.Equal(t, 7, rest.Line, "C-6, on line 7 after a blank line, is the first record not started")
	assert.Equal(t, starts["C-6"], rest.Offset, "the rest begins with the blank line before it")
	assert.Equal(t, input, rest.Input.Path)
	assert.Equal(t, before.Size(), rest.Input.Size)
	assert.True(t, before.ModTime().Equal(rest.Input.ModTime), "%v, want %v", rest.Input.ModTime, before.ModTime())
	assert.False(t, rest.Changed)
	assert.Equal(t, ff.Writing()+".rest", rest.Path)
	info, err := os.Lstat(rest.Path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the rest file names the input: its owner's alone")

	// Another export takes the input's name: the report says so.
	require.NoError(t, os.WriteFile(input+".new", []byte("{}\n"), 0o600))
	require.NoError(t, os.Rename(input+".new", input))
	stale = bulk.StaleFailures(path, true)
	require.Len(t, stale, 1)
	require.NotNil(t, stale[0].Rest)
	assert.True(t, stale[0].Rest.Changed, "another file holds the input's name now")

	close(release)
	<-done
	require.NoError(t, err)
	assert.NoFileExists(t, rest.Path, "every record not sent is in the failures file: the rest file is gone")
	where, err := ff.Close()
	require.NoError(t, err)
	assert.Equal(t, 5, rep.Succeeded)
	assert.Equal(t, records-5, rep.NotSent)
	ids, codes := failureIDs(t, where)
	assert.Equal(t, map[string]int{"Canceled": records - 5}, codes)
	var want []string
	for i := 6; i <= records; i++ {
		want = append(want, fmt.Sprintf("C-%d", i))
	}
	assert.ElementsMatch(t, want, ids, "one line each")
	for i := 6; i <= records; i++ {
		assert.False(t, client.wasSent(fmt.Sprintf("C-%d", i)), "no record from the rest's line on was sent")
	}
	assert.Empty(t, partialsIn(t, dir))
}

func TestARunThatHasNotStoppedSaysItWasStillSending(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input, _ := restInput(t, dir, 10)
	in, err := os.Open(input)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, in.Close()) })
	reader := &gatedReader{JSONLReader: bulk.NewJSONLReader(in), gateAt: 8, open: make(chan struct{})}
	path := filepath.Join(dir, "failures.jsonl")
	ff, err := bulk.CreateFailures(path, true)
	require.NoError(t, err)
	client := &sentClient{onUpdate: func(_ context.Context, u *adapter.CustomerUpdate) error {
		if u.ID == "C-2" {
			return &adapter.Error{Code: adapter.NotFound, Message: "no such customer"}
		}
		return nil
	}}

	done := make(chan struct{})
	var rep *bulk.Report
	go func() {
		defer close(done)
		rep, err = bulk.Run(context.Background(), client, reader, bulk.WithConcurrency(1), bulk.WithFailures(ff))
	}()
	require.Eventually(t, func() bool { return client.wasSent("C-7") }, 10*time.Second, 5*time.Millisecond)

	// A kill now would leave the one failure so far, and nothing of the
	// lines not reached.
	stale := bulk.StaleFailures(path, true)
	require.Len(t, stale, 1)
	assert.Equal(t, 1, stale[0].Lines, "C-2's failure was written at once")
	require.NotNil(t, stale[0].Rest)
	assert.Equal(t, 0, stale[0].Rest.Line, "still sending: the records not sent are in no file")
	assert.Equal(t, input, stale[0].Rest.Input.Path)

	close(reader.open)
	<-done
	require.NoError(t, err)
	assert.Equal(t, 9, rep.Succeeded)
	where, err := ff.Close()
	require.NoError(t, err)
	ids, _ := failureIDs(t, where)
	assert.Equal(t, []string{"C-2"}, ids)
	assert.Empty(t, partialsIn(t, dir), "the rest file went with the temporary file")
}

func TestTheRestFileIsNeverWrittenThroughALink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input, _ := restInput(t, dir, 30)
	target := filepath.Join(dir, "precious")
	require.NoError(t, os.WriteFile(target, []byte("keep me\n"), 0o600))
	ff, err := bulk.CreateFailures(filepath.Join(dir, "failures.jsonl"), true)
	require.NoError(t, err)
	require.NoError(t, os.Symlink(target, ff.Writing()+".rest"))

	in, err := os.Open(input)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, in.Close()) })
	stop, stopNow := context.WithCancelCause(context.Background())
	client := &sentClient{onUpdate: func(_ context.Context, u *adapter.CustomerUpdate) error {
		if u.ID == "C-3" {
			stopNow(errors.New("not sent: stopped"))
		}
		return nil
	}}
	rep, err := bulk.Run(context.Background(), client, bulk.NewJSONLReader(in), bulk.WithConcurrency(1), bulk.WithStop(stop), bulk.WithFailures(ff))
	require.NoError(t, err)
	where, err := ff.Close()
	require.NoError(t, err)

	assert.Equal(t, "keep me\n", readFile(t, target), "the link's target is untouched")
	_, codes := failureIDs(t, where)
	assert.Equal(t, map[string]int{"Canceled": 27}, codes, "without a rest file of its own, the run writes every line at once")
	assert.Equal(t, 27, rep.NotSent)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

// partialsIn lists the temporary failures files, and their rest files, in
// dir.
func partialsIn(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.partial-*"))
	require.NoError(t, err)
	return names
}

func TestStaleFailuresReadARestFileForWhatItIs(t *testing.T) {
	t.Parallel()
	stale := func(t *testing.T, rest func(dir, partial string)) *bulk.Rest {
		t.Helper()
		dir := t.TempDir()
		partial := filepath.Join(dir, "fixed.jsonl.partial-0000beef")
		require.NoError(t, os.WriteFile(partial, []byte("{}\n"), 0o600))
		rest(dir, partial)
		files := bulk.StaleFailures(filepath.Join(dir, "fixed.jsonl"), true)
		require.Len(t, files, 1, "the rest file is no partial file of its own")
		assert.Equal(t, 1, files[0].Lines)
		return files[0].Rest
	}

	t.Run("a rest file cut short reads as a run still sending, the lesser claim", func(t *testing.T) {
		t.Parallel()
		r := stale(t, func(_, partial string) {
			require.NoError(t, os.WriteFile(partial+".rest", []byte(`{"input":"/data/export.jsonl","size":12,"modTi`), 0o600))
		})
		require.NotNil(t, r)
		assert.Equal(t, 0, r.Line)
		assert.Negative(t, r.Offset)
	})
	t.Run("an input that is gone has changed", func(t *testing.T) {
		t.Parallel()
		r := stale(t, func(dir, partial string) {
			rec := fmt.Sprintf(`{"input":%q,"size":12,"modTime":"2026-12-01T10:03:27Z","line":40001,"offset":4480000}`+"\n", filepath.Join(dir, "gone.jsonl"))
			require.NoError(t, os.WriteFile(partial+".rest", []byte(rec), 0o600))
		})
		require.NotNil(t, r)
		assert.Equal(t, 40001, r.Line)
		assert.EqualValues(t, 4480000, r.Offset)
		assert.True(t, r.Changed)
	})
	t.Run("a rest file that is a link is not followed", func(t *testing.T) {
		t.Parallel()
		r := stale(t, func(dir, partial string) {
			target := filepath.Join(dir, "elsewhere")
			require.NoError(t, os.WriteFile(target, []byte(`{"line":1}`), 0o600))
			require.NoError(t, os.Symlink(target, partial+".rest"))
		})
		assert.Nil(t, r, "a link is no rest file of a run's")
	})
}
