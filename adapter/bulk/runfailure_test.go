package bulk_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/syncstate"
)

func TestRunFailureKeepsOnlyFailedRecordsThatNameACustomer(t *testing.T) {
	c := &orderClient{}
	at := time.Date(2026, 12, 6, 1, 2, 3, 0, time.UTC)
	notFound := &adapter.Error{Code: adapter.NotFound, Message: "no customer \x00 C-1", HTTPStatus: 404, RequestID: "req-1"}
	invalid := &adapter.Error{Code: adapter.InvalidArgument, Field: "email", Message: "email is not an address"}
	for _, tt := range []struct {
		name string
		out  bulk.Outcome
		want *syncstate.Failure
	}{
		{"a record the vendor refused is its customer's failure",
			bulk.Outcome{Status: bulk.Failed, Err: notFound, Attempted: true, Record: bulk.Record{Line: 7, Update: &adapter.CustomerUpdate{ID: "C-1"}}},
			&syncstate.Failure{Key: syncstate.Key{Vendor: "fake", Account: "fake-account", Key: "C-1"}, RunID: 42, At: at, Line: 7,
				Code: "NotFound", Message: "no customer \uFFFD C-1", HTTPStatus: 404, RequestID: "req-1"}},
		{"an invalid record that names its customer is that customer's failure",
			bulk.Outcome{Status: bulk.Failed, Err: invalid, Record: bulk.Record{Line: 3, Err: invalid, Customer: &adapter.CustomerUpdate{ID: "C-2"}}},
			&syncstate.Failure{Key: syncstate.Key{Vendor: "fake", Account: "fake-account", Key: "C-2"}, RunID: 42, At: at, Line: 3,
				Code: "InvalidArgument", Message: "email is not an address", Field: "email"}},
		{"an invalid record that names no customer is nobody's failure",
			bulk.Outcome{Status: bulk.Failed, Err: invalid, Record: bulk.Record{Line: 4, Err: invalid}}, nil},
		{"a record not sent is nobody's failure",
			bulk.Outcome{Status: bulk.NotSent, Err: context.Canceled, Record: bulk.Record{Line: 5, Update: &adapter.CustomerUpdate{ID: "C-3"}}}, nil},
		{"a record that succeeded is nobody's failure",
			bulk.Outcome{Status: bulk.Succeeded, Attempted: true, Record: bulk.Record{Line: 6, Update: &adapter.CustomerUpdate{ID: "C-4"}}}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := bulk.RunFailure(c, 42, tt.out, at)
			if tt.want == nil {
				assert.False(t, ok)
				return
			}
			require.True(t, ok)
			assert.Equal(t, *tt.want, got)
			assert.NoError(t, got.Check())
		})
	}
}
