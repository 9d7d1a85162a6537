package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/syncstate/sqlite"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// A nightly sync in a program of your own: the second night of an
// unchanged export sends nothing.
func Example_nightlySync() {
	srv := sandbox.NewServer()
	defer srv.Close()
	client, err := upwell.New(upwell.Config{APIKey: sandbox.UpwellAPIKey, SourceSystem: sandbox.UpwellSourceSystem},
		adapter.WithBaseURL(srv.URL(specs.Upwell)))
	if err != nil {
		panic(err)
	}
	dir, _ := os.MkdirTemp("", "custsync-example-")
	defer os.RemoveAll(dir) //nolint:errcheck // a temporary directory
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "custsync-state.db"))
	if err != nil {
		panic(err)
	}
	defer func() {
		// Close waits for the last writes: its error is worth checking.
		if err := store.Close(); err != nil {
			fmt.Println(err)
		}
	}()
	export := []*adapter.CustomerUpdate{
		{ID: "C-1001", Email: adapter.Set("ap@acme.example")},
		{ID: "C-1002", Name: adapter.Set("Globex")},
	}
	for night := 1; night <= 2; night++ {
		outcomes, err := bulk.Updates(ctx, client, slices.Values(export), bulk.WithState(store))
		if err != nil {
			panic(err)
		}
		sent, unchanged := 0, 0
		for out := range outcomes {
			switch out.Status {
			case bulk.Succeeded:
				sent++
			case bulk.Unchanged:
				unchanged++
			default:
				fmt.Println(out.Status, out.Err)
			}
		}
		fmt.Printf("night %d: %d sent, %d unchanged\n", night, sent, unchanged)
	}
	// Output:
	// night 1: 2 sent, 0 unchanged
	// night 2: 0 sent, 2 unchanged
}
