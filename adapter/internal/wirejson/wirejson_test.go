package wirejson_test

import (
	"encoding/json"
	"testing"

	"github.com/oapi-codegen/nullable"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter/internal/wirejson"
)

// body has the shapes of the generated request types: Nullable fields of
// each type they use, with and without omitempty, nested and behind
// pointers, beside plain fields.
type body struct {
	Name     nullable.Nullable[string]   `json:"name,omitempty"`
	Kept     nullable.Nullable[string]   `json:"kept"`
	Small    nullable.Nullable[int32]    `json:"small,omitempty"`
	Big      nullable.Nullable[int64]    `json:"big,omitempty"`
	List     nullable.Nullable[[]string] `json:"list,omitempty"`
	Any      nullable.Nullable[any]      `json:"any,omitempty"`
	Flag     nullable.Nullable[bool]     `json:"flag,omitempty"` // no marshaler of its own: MarshalJSON
	ID       *int64                      `json:"id,omitempty"`
	Text     *string                     `json:"text,omitempty"`
	Rules    *rules                      `json:"rules,omitempty"`
	Entries  nullable.Nullable[[]entry]  `json:"entries,omitempty"`
	Unmapped map[string]any              `json:"unmapped,omitempty"`
}

type rules struct {
	Due nullable.Nullable[int32] `json:"due,omitempty"`
}

type entry struct {
	Value nullable.Nullable[string] `json:"value,omitempty"`
}

// texts are strings encoding/json treats specially: HTML characters
// (escaped), invalid UTF-8 (replaced), U+2028 and U+2029 (escaped),
// control characters and quotes.
var texts = []string{"", "Acme Corp", "<b>&amp;</b>", "bad \xff\xfe utf-8", "line\u2028sep\u2029", "tab\t\"q\" \\ \x00\x1f", "é😀"}

func bodies() []body {
	id, text := int64(100000150176895), "plain"
	var out []body
	for _, s := range texts {
		out = append(out, body{
			Name: nullable.NewNullableWithValue(s), Kept: nullable.NewNullNullable[string](),
			Small: nullable.NewNullableWithValue[int32](-30), Big: nullable.NewNullableWithValue[int64](1 << 62),
			List: nullable.NewNullableWithValue([]string{s, "b"}), Any: nullable.NewNullableWithValue[any](map[string]any{"k": s, "n": json.Number("1.50")}),
			Flag: nullable.NewNullableWithValue(true), ID: &id, Text: &s,
			Rules:   &rules{Due: nullable.NewNullableWithValue[int32](30)},
			Entries: nullable.NewNullableWithValue([]entry{{Value: nullable.NewNullableWithValue(s)}, {}}),
		})
	}
	return append(out,
		body{}, // every Nullable absent: omitted, or the zero value where not omitempty
		body{Name: nullable.NewNullNullable[string](), Small: nullable.NewNullNullable[int32](), Big: nullable.NewNullNullable[int64](),
			List: nullable.NewNullNullable[[]string](), Any: nullable.NewNullNullable[any](), Flag: nullable.NewNullNullable[bool](),
			Rules: &rules{Due: nullable.NewNullNullable[int32]()}, Entries: nullable.NewNullNullable[[]entry]()},
		body{List: nullable.NewNullableWithValue[[]string](nil), Any: nullable.NewNullableWithValue[any](json.RawMessage(` {"a" : [1, 2]} `)),
			Text: &text, Unmapped: map[string]any{"z": 1, "a": []any{nil, "x"}}},
		body{Any: nullable.NewNullableWithValue[any](nil), Name: nullable.Nullable[string]{true: "both", false: ""}}, // null wins, as in MarshalJSON
	)
}

func TestMarshalIsEncodingJSON(t *testing.T) {
	for i, b := range bodies() {
		want, err := json.Marshal(&b)
		require.NoError(t, err)
		got, err := wirejson.Marshal(&b)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), "body %d", i)
	}
}

func FuzzMarshalIsEncodingJSON(f *testing.F) {
	for _, s := range texts {
		f.Add(s, int64(len(s)))
	}
	f.Fuzz(func(t *testing.T, s string, n int64) {
		b := body{Name: nullable.NewNullableWithValue(s), Big: nullable.NewNullableWithValue(n), Small: nullable.NewNullableWithValue(int32(n)),
			List: nullable.NewNullableWithValue([]string{s}), Any: nullable.NewNullableWithValue[any](s), Text: &s}
		want, err := json.Marshal(&b)
		require.NoError(t, err)
		got, err := wirejson.Marshal(&b)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got))
	})
}

// A value encoding/json refuses is refused here too.
func TestMarshalRefusesWhatEncodingJSONRefuses(t *testing.T) {
	b := body{Any: nullable.NewNullableWithValue[any](func() {})}
	_, want := json.Marshal(&b)
	_, got := wirejson.Marshal(&b)
	require.Error(t, want)
	assert.Error(t, got)
}
