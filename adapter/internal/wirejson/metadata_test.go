package wirejson_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/oapi-codegen/nullable"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter/internal/wirejson"
)

type rawish struct{ s string }

func (r rawish) MarshalJSON() ([]byte, error) { return []byte(" { \"k\" : \"" + r.s + "\" } "), nil }

type metaBody struct {
	Any  nullable.Nullable[any]       `json:"any,omitempty"`
	When nullable.Nullable[time.Time] `json:"when,omitempty"`
	List nullable.Nullable[[]string]  `json:"list,omitempty"`
}

func FuzzMetadataIsEncodingJSON(f *testing.F) {
	f.Add("a", "b", 1.5)
	f.Add("\xff", "\xfe<", 1e21)
	f.Add("<&>", "\u2028", 0.5)
	f.Fuzz(func(t *testing.T, k, v string, x float64) {
		for _, b := range []metaBody{
			{Any: nullable.NewNullableWithValue[any](map[string]any{k: v, v: []any{k, x, nil}, "z": map[string]any{k: json.Number("1")}})},
			{Any: nullable.NewNullableWithValue[any](rawish{"<b>"})},
			{Any: nullable.NewNullableWithValue[any]([]byte(k))},
			{When: nullable.NewNullableWithValue(time.Unix(int64(x), 0).UTC()), List: nullable.NewNullableWithValue([]string{k, v})},
		} {
			want, wantErr := json.Marshal(&b)
			got, gotErr := wirejson.Marshal(&b)
			if wantErr != nil {
				assert.Error(t, gotErr)
				continue
			}
			require.NoError(t, gotErr)
			assert.Equal(t, string(want), string(got))
		}
	})
}
