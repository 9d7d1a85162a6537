package adapter_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
)

func TestACodeReadsBackWhatItWrites(t *testing.T) {
	for c := adapter.OK; c <= adapter.Internal; c++ {
		b, err := json.Marshal(c)
		require.NoError(t, err)
		var got adapter.Code
		require.NoError(t, json.Unmarshal(b, &got), "%s", b)
		assert.Equal(t, c, got)
	}
	var got adapter.Code
	assert.ErrorContains(t, json.Unmarshal([]byte(`"NotACode"`), &got), `"NotACode" names no error code`)
	assert.Error(t, json.Unmarshal([]byte(`"Code(42)"`), &got), "what String writes for an unknown code is no code")
}
