package upwell

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/internal/wirejson"
)

// TestTheBodyIsWhatEncodingJSONWrites: the generated request type,
// encoded by wirejson, is byte for byte what encoding/json writes, for
// every field set, cleared and absent.
func TestTheBodyIsWhatEncodingJSONWrites(t *testing.T) {
	for _, u := range []*adapter.CustomerUpdate{
		{ID: "C-1", Name: adapter.Set("Acme <&> \xff"), Email: adapter.Set("ap@acme.example"), CCEmails: adapter.Set([]string{"a@b.c", "d@e.f"}),
			Metadata: adapter.Set(adapter.JSONObject{"tier": "gold", "n": json.Number("1.50"), "list": []any{nil, true}}),
			Upwell:   &adapter.UpwellFields{BillToCustomerID: adapter.Set("P-1"), DueOption: adapter.Set[int32](30)}},
		{ID: "C-2", Email: adapter.Clear[string](), CCEmails: adapter.Clear[[]string](), Metadata: adapter.Clear[adapter.JSONObject](),
			Upwell: &adapter.UpwellFields{BillToCustomerID: adapter.Clear[string](), DueOption: adapter.Clear[int32]()}},
		{ID: "C-3", CCEmails: adapter.Set([]string{}), Upwell: &adapter.UpwellFields{DueOption: adapter.Set[int32](-1)}},
	} {
		w, _, err := request(u, "ACME")
		require.NoError(t, err)
		want, err := json.Marshal(&w.body)
		require.NoError(t, err)
		got, err := wirejson.Marshal(&w.body)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), "update %s", u.ID)
		w.release()
	}
}
