package adapter_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
)

// FuzzParseCustomerUpdate: any input either fails with an InvalidArgument
// *Error, or parses to an update whose canonical form parses back to it.
// Its seed corpus runs in every go test; explore with
// go test ./adapter -fuzz FuzzParseCustomerUpdate.
func FuzzParseCustomerUpdate(f *testing.F) {
	for _, seed := range []string{
		`{"id":"C-1","name":"Acme","email":null}`,
		`{"id":"100000150176895","billbee":{"priceGroupId":1818,"type":0},"vatId":null}`,
		`{"id":"C-1","upwell":{"dueOption":30,"billToCustomerId":null},"metadata":{"n":1e400}}`,
		`{"id":"x","modifiedAt":"2023-01-04T09:47:57.477Z","ccEmails":["a@b.c"]}`,
		`{"id":1}`, `{"nmae":"x"}`, `[]`, `null`, `{"id":"C-1","upwell":null}`, `{"id":"\u0000"}`,
		`{"id":"C-1","metadata":{"a":{"b":[1,2,{"c":null}]}}} `,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := adapter.ParseCustomerUpdate(data)
		if err != nil {
			var e *adapter.Error
			require.True(t, errors.As(err, &e), "an *adapter.Error, got %T: %v", err, err)
			assert.Equal(t, adapter.InvalidArgument, e.Code)
			return
		}
		out, err := json.Marshal(u)
		require.NoError(t, err)
		again, err := adapter.ParseCustomerUpdate(out)
		require.NoError(t, err, "the canonical form of a parsed update parses: %s", out)
		assert.Equal(t, u.SetFields(), again.SetFields())
		out2, err := json.Marshal(again)
		require.NoError(t, err)
		assert.Equal(t, string(out), string(out2), "the canonical form is stable")
	})
}
