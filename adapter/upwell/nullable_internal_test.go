package upwell

import (
	"encoding/json"
	"testing"

	"github.com/oapi-codegen/nullable"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
)

// nullableOf writes the maps of pooled requests in place; what it leaves
// must be what nullable's own constructors make, whatever the map held.
func TestAReusedNullableIsANewOne(t *testing.T) {
	var n nullable.Nullable[string]
	for _, tc := range []struct {
		name string
		f    adapter.Field[string]
		want nullable.Nullable[string]
	}{
		{"a set value in a new map", adapter.Set("a@b.example"), nullable.NewNullableWithValue("a@b.example")},
		{"a clear over a set value", adapter.Clear[string](), nullable.NewNullNullable[string]()},
		{"a set value over a clear", adapter.Set("c@d.example"), nullable.NewNullableWithValue("c@d.example")},
		{"another set value over a set one", adapter.Set("e@f.example"), nullable.NewNullableWithValue("e@f.example")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.True(t, nullableOf(&n, tc.f))
			assert.Equal(t, tc.want, n)
			assert.Equal(t, tc.want.IsNull(), n.IsNull())
			got, err := json.Marshal(n)
			require.NoError(t, err)
			want, err := json.Marshal(tc.want)
			require.NoError(t, err)
			assert.JSONEq(t, string(want), string(got))
		})
	}
	t.Run("an absent field leaves the map alone", func(t *testing.T) {
		before := nullable.NewNullableWithValue("e@f.example")
		assert.False(t, nullableOf(&n, adapter.Field[string]{}))
		assert.Equal(t, before, n)
	})
}

// A pooled request carries nothing of the update it was last used for.
func TestAReleasedRequestStartsEmpty(t *testing.T) {
	u := &adapter.CustomerUpdate{ID: "C-1", Name: adapter.Set("Acme"), Email: adapter.Set("ap@acme.example"),
		Metadata: adapter.Set(adapter.JSONObject{"tier": "gold"}), Upwell: &adapter.UpwellFields{DueOption: adapter.Set[int32](30)}}
	w, _, err := request(u, "ACME")
	require.NoError(t, err)
	w.release()
	assert.Equal(t, wireRequest{email: w.email, meta: w.meta, due: w.due}, *w, "only the maps are kept")
	assert.Empty(t, w.email)
	assert.Empty(t, w.meta)
	assert.Empty(t, w.due)
	w, hasInput, err := request(&adapter.CustomerUpdate{ID: "C-2", Upwell: &adapter.UpwellFields{DueOption: adapter.Clear[int32]()}}, "ACME")
	require.NoError(t, err)
	defer w.release()
	assert.False(t, hasInput)
	b, err := json.Marshal(&w.body)
	require.NoError(t, err)
	assert.JSONEq(t, `{"sourceSystem":"ACME","sourceSystemId":"C-2","customerRulesInput":{"dueOption":null}}`, string(b))
}
