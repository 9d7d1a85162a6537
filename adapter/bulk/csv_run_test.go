package bulk_test

import (
	"bytes"
	"context"
	"encoding/csv"
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
	"golang.org/x/text/encoding/charmap"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
)

// erpMapping maps an ERP's German column names.
var erpMapping = &bulk.Mapping{
	Columns: map[string]bulk.Column{
		"Kundennummer": {Field: "id"}, "Firma": {Field: "name"}, "E-Mail": {Field: "email"},
		"Zahlungsziel": {Field: "upwell.dueOption"},
	},
	Ignore: []string{"Bemerkung"},
}

// windows1252 encodes UTF-8 text as a Windows tool writes it.
func windows1252(t *testing.T, s string) []byte {
	t.Helper()
	b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
	require.NoError(t, err)
	return b
}

// csvFailures reads a CSV failures file in windows-1252: the header, and
// each row's id and error code, in order.
func csvFailures(t *testing.T, path string) (header []string, ids, codes []string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	text, err := charmap.Windows1252.NewDecoder().Bytes(raw)
	require.NoError(t, err)
	r := csv.NewReader(bytes.NewReader(text))
	r.Comma = ';'
	rows, err := r.ReadAll()
	require.NoError(t, err)
	require.NotEmpty(t, rows)
	for _, row := range rows[1:] {
		var f bulk.Failure
		require.NoError(t, json.Unmarshal([]byte(row[len(row)-1]), &f), "the last cell is the failure: %q", row)
		ids = append(ids, row[0])
		codes = append(codes, f.Code.String())
	}
	return rows[0], ids, codes
}

// runCSV runs the CSV file path through client, failures to failures.
func runCSV(t *testing.T, client bulk.Client, path, failures string) (*bulk.Report, string) {
	t.Helper()
	in, err := os.Open(path)
	require.NoError(t, err)
	defer func() { assert.NoError(t, in.Close()) }()
	cfg := bulk.CSVConfig{Mapping: erpMapping, Encoding: bulk.Windows1252}
	require.NoError(t, bulk.CheckCSV(in, cfg))
	_, err = in.Seek(0, 0)
	require.NoError(t, err)
	reader, err := bulk.NewCSVReader(in, cfg)
	require.NoError(t, err)
	ff, err := bulk.CreateFailures(failures, true, path)
	require.NoError(t, err)
	rep, err := bulk.Run(context.Background(), client, reader, bulk.WithConcurrency(4), bulk.WithFailures(ff))
	require.NoError(t, err)
	where, err := ff.Close()
	require.NoError(t, err)
	return rep, where
}

func TestACSVRunsFailuresFileIsCSVThatPushesAgain(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input := filepath.Join(dir, "export.csv")
	require.NoError(t, os.WriteFile(input, windows1252(t, "Kundennummer;Firma;E-Mail;Bemerkung;Zahlungsziel\r\n"+
		"K-1;Müller GmbH;m@x.example;;30\r\n"+
		"K-2;Süß AG;s@x.example;\"Bitte\r\nanrufen\";14\r\n"+ // not found
		"K-3;Öko KG;;;bald\r\n"+ // not a number
		"K-2;Süß AG;;;\r\n"+ // held behind K-2's failure
		"K-4;Ärzte eG;;;\r\n"), 0o600))
	var known atomic.Bool
	client := &sentClient{onUpdate: func(_ context.Context, u *adapter.CustomerUpdate) error {
		if u.ID == "K-2" && !known.Load() {
			return &adapter.Error{Code: adapter.NotFound, Message: "no such customer"}
		}
		return nil
	}}
	failures := filepath.Join(dir, "export.failures.csv")

	rep, where := runCSV(t, client, input, failures)
	assert.Equal(t, 2, rep.Succeeded)
	assert.Equal(t, 3, rep.Failed)
	require.Equal(t, failures, where)
	header, ids, codes := csvFailures(t, where)
	assert.Equal(t, []string{"Kundennummer", "Firma", "E-Mail", "Bemerkung", "Zahlungsziel", "_error"}, header)
	byCustomer := map[string][]string{}
	for i, id := range ids {
		byCustomer[id] = append(byCustomer[id], codes[i])
	}
	assert.Equal(t, map[string][]string{"K-2": {"NotFound", "FailedPrecondition"}, "K-3": {"InvalidArgument"}}, byCustomer,
		"each customer's rows in input order")
	raw, err := os.ReadFile(where)
	require.NoError(t, err)
	assert.Contains(t, string(raw), "K-2;S\xfc\xdf AG;s@x.example;\"Bitte\r\nanrufen\";14;", "the row as read, in windows-1252")

	// Fixed: the customer exists now, and the cell is a number.
	require.NoError(t, os.WriteFile(where, bytes.Replace(raw, []byte(";bald;"), []byte(";60;"), 1), 0o600))
	known.Store(true)
	again, where := runCSV(t, client, failures, filepath.Join(dir, "again.csv"))
	assert.Equal(t, 3, again.Succeeded)
	assert.Zero(t, again.Failed)
	assert.Empty(t, where, "nothing failed: no failures file")
}

// gatedCSV is a CSV reader that stops before its gateAt-th record until
// open is closed, and counts the records it returned.
type gatedCSV struct {
	*bulk.CSVReader
	gateAt int
	open   chan struct{}
	read   atomic.Int64
}

func (g *gatedCSV) Next() (bulk.Record, error) {
	if int(g.read.Load())+1 == g.gateAt {
		<-g.open
	}
	rec, err := g.CSVReader.Next()
	if err == nil {
		g.read.Add(1)
	}
	return rec, err
}

func TestAStoppedCSVRunSaysWhereItsUnsentRowsBeginInTheFilesOwnBytes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var text strings.Builder
	starts := map[string]int64{}
	lines := map[string]int{}
	text.WriteString("Kundennummer;Firma\r\n")
	line := 2
	for i := 1; i <= 12; i++ {
		id := fmt.Sprintf("K-%d", i)
		starts[id] = int64(len(windows1252(t, text.String())))
		lines[id] = line
		if i == 3 {
			fmt.Fprintf(&text, "%s;\"Größe\r\nund Maß\"\r\n", id) // two lines
			line += 2
			continue
		}
		fmt.Fprintf(&text, "%s;Bäcker %d\r\n", id, i)
		line++
	}
	input := filepath.Join(dir, "export.csv")
	require.NoError(t, os.WriteFile(input, windows1252(t, text.String()), 0o600))
	in, err := os.Open(input)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, in.Close()) })
	reader, err := bulk.NewCSVReader(in, bulk.CSVConfig{Mapping: &bulk.Mapping{Columns: map[string]bulk.Column{
		"Kundennummer": {Field: "id"}, "Firma": {Field: "name"}}}, Encoding: bulk.Windows1252})
	require.NoError(t, err)
	gated := &gatedCSV{CSVReader: reader, gateAt: 6, open: make(chan struct{})}
	path := filepath.Join(dir, "failures.csv")
	ff, err := bulk.CreateFailures(path, true)
	require.NoError(t, err)
	client := &sentClient{}
	stop, stopNow := context.WithCancelCause(context.Background())

	var rep *bulk.Report
	done := make(chan struct{})
	go func() {
		defer close(done)
		rep, err = bulk.Run(context.Background(), client, gated, bulk.WithConcurrency(1), bulk.WithStop(stop), bulk.WithFailures(ff))
	}()
	require.Eventually(t, func() bool { return client.wasSent("K-5") }, 10*time.Second, time.Millisecond)
	stopNow(errors.New("not sent: stopped"))
	var stale []bulk.StaleFile
	require.Eventually(t, func() bool {
		stale = bulk.StaleFailures(path, true)
		return len(stale) == 1 && stale[0].Rest != nil && stale[0].Rest.Line > 0
	}, 10*time.Second, time.Millisecond)
	rest := stale[0].Rest
	assert.Equal(t, lines["K-6"], rest.Line, "K-6 is the first row not sent; K-3's cell took two lines")
	assert.Equal(t, starts["K-6"], rest.Offset, "in the file's bytes, umlauts one byte each")
	assert.Equal(t, input, rest.Input.Path)
	close(gated.open)
	<-done
	require.NoError(t, err)
	where, err := ff.Close()
	require.NoError(t, err)
	assert.Equal(t, 5, rep.Succeeded)
	assert.Equal(t, 7, rep.NotSent)
	_, ids, codes := csvFailures(t, where)
	assert.Equal(t, []string{"K-6", "K-7", "K-8", "K-9", "K-10", "K-11", "K-12"}, ids)
	assert.Equal(t, []string{"Canceled", "Canceled", "Canceled", "Canceled", "Canceled", "Canceled", "Canceled"}, codes)
}

func TestACSVRunKeepsEachCustomersRowsInInputOrder(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var order []string
	client := &sentClient{onUpdate: func(_ context.Context, u *adapter.CustomerUpdate) error {
		mu.Lock()
		defer mu.Unlock()
		name, _ := u.Name.Value()
		order = append(order, u.ID+"="+name)
		return nil
	}}
	var rows strings.Builder
	rows.WriteString("id,name\n")
	for i := 1; i <= 50; i++ {
		fmt.Fprintf(&rows, "A,v%d\nB%d,x\n", i, i)
	}
	r, err := bulk.NewCSVReader(strings.NewReader(rows.String()), bulk.CSVConfig{})
	require.NoError(t, err)
	rep, err := bulk.Run(context.Background(), client, r, bulk.WithConcurrency(8))
	require.NoError(t, err)
	assert.Equal(t, 100, rep.Succeeded)
	var a []string
	for _, o := range order {
		if strings.HasPrefix(o, "A=") {
			a = append(a, o)
		}
	}
	var want []string
	for i := 1; i <= 50; i++ {
		want = append(want, fmt.Sprintf("A=v%d", i))
	}
	assert.Equal(t, want, a, "one customer's rows go in input order")
}
