package adapter_test

import (
	"context"
	"fmt"
	"slices"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

func ExampleUpdateAll() {
	// The sandbox stands in for Upwell; use upwell.FromEnv() for real.
	srv := sandbox.NewServer()
	defer srv.Close()
	client, err := upwell.New(upwell.Config{APIKey: sandbox.UpwellAPIKey, SourceSystem: sandbox.UpwellSourceSystem},
		adapter.WithBaseURL(srv.URL(specs.Upwell)), adapter.WithHTTPClient(srv.Client()))
	if err != nil {
		panic(err)
	}
	updates := []*adapter.CustomerUpdate{
		{ID: "C-1001", Email: adapter.Set("ap@acme.example")},
		{ID: "C-1002", Upwell: &adapter.UpwellFields{DueOption: adapter.Set[int32](60)}},
		{ID: "C-9999", Name: adapter.Set("Nobody")},
	}
	var report []string
	for out := range adapter.UpdateAll(context.Background(), client, slices.Values(updates)) {
		if out.Err != nil {
			report = append(report, fmt.Sprintf("%s failed: %s", out.Update.ID, adapter.CodeOf(out.Err)))
			continue
		}
		report = append(report, fmt.Sprintf("%s updated %v", out.Update.ID, out.Result.Sent))
	}
	slices.Sort(report) // outcomes arrive in completion order
	for _, line := range report {
		fmt.Println(line)
	}
	// Output:
	// C-1001 updated [email]
	// C-1002 updated [upwell.dueOption]
	// C-9999 failed: NotFound
}
