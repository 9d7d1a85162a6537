package bulk_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
)

// idleClient is a Client that a run stopped before it starts never calls.
type idleClient struct{}

func (idleClient) Update(context.Context, *adapter.CustomerUpdate, ...adapter.CallOption) (*adapter.Result, error) {
	panic("a stopped run sends nothing")
}
func (idleClient) Key(u *adapter.CustomerUpdate) string { return u.ID }
func (idleClient) Vendor() string                       { return "fake" }
func (idleClient) Account() string                      { return "acct" }

// BenchmarkNotSentRemainder measures how fast a stopped run writes the
// rest of its input to the failures file as not sent: what a kill -9
// after an interrupt can cut short. One op is one record.
//
//	go test ./adapter/bulk -run '^$' -bench NotSentRemainder -benchtime 200000x -count 6
func BenchmarkNotSentRemainder(b *testing.B) {
	var input bytes.Buffer
	for i := range b.N {
		fmt.Fprintf(&input, `{"id": "C-%07d", "name": "Customer %d", "email": "c%d@example.com", "phone": "+1 555 %07d", "vatId": null}`+"\n", i, i, i, i)
	}
	stop, cancel := context.WithCancelCause(context.Background())
	cancel(fmt.Errorf("not sent: the push was interrupted: %w", context.Canceled))
	ff, err := bulk.CreateFailures(filepath.Join(b.TempDir(), "in.failures.jsonl"), true)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	rep, err := bulk.Run(context.Background(), idleClient{}, bulk.NewJSONLReader(&input), bulk.WithStop(stop), bulk.WithFailures(ff))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := ff.Close(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if rep.NotSent != b.N {
		b.Fatalf("%d not sent, want %d", rep.NotSent, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
