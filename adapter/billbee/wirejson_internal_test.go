package billbee

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/internal/wirejson"
)

// TestTheUpdateIsWhatEncodingJSONWrites: the generated request type,
// encoded by wirejson, is byte for byte what encoding/json writes, for
// every field the update sets or clears.
func TestTheUpdateIsWhatEncodingJSONWrites(t *testing.T) {
	id := int64(100000150176895)
	for _, u := range []*adapter.CustomerUpdate{
		{Name: adapter.Set("Müller <&> \xff"), Email: adapter.Set("a@b.c"), Phone: adapter.Set("+49 1"), VATID: adapter.Set("DE1"),
			Billbee: &adapter.BillbeeFields{PriceGroupID: adapter.Set[int64](1 << 40), LanguageID: adapter.Set[int32](2), Type: adapter.Set[int32](1), Number: adapter.Set[int32](0)}},
		{Name: adapter.Clear[string](), Email: adapter.Clear[string](), Phone: adapter.Clear[string](), VATID: adapter.Clear[string](),
			Billbee: &adapter.BillbeeFields{PriceGroupID: adapter.Clear[int64](), LanguageID: adapter.Clear[int32](), Type: adapter.Clear[int32](), Number: adapter.Clear[int32]()}},
		{},
	} {
		body := updateBody(id, u)
		want, err := json.Marshal(&body)
		require.NoError(t, err)
		got, err := wirejson.Marshal(&body)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got))
	}
}
