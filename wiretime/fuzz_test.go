package wiretime_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/wiretime"
)

// FuzzParse: whatever parses is written back exactly as it was read, and
// parses again to the same instant.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"2021-08-21T13:00:33.23", "2021-08-21T11:09:46", "2022-07-22T00:00:00+00:00",
		"2023-04-26T09:18:44.081Z", "2021-08-21T13:00:33.1234567", "2021-08-21T13:00:33.12345678",
		"2021-02-30T00:00:00", "2021-08-21T24:00:00", "", "T", "2021-08-21T13:00:33-23:59",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := wiretime.Parse(s)
		if err != nil {
			return
		}
		assert.Equal(t, s, v.String(), "written back as read")
		again, err := wiretime.Parse(v.String())
		require.NoError(t, err)
		assert.True(t, v.Equal(again.Time))
		assert.Equal(t, v.HasOffset(), again.HasOffset())
	})
}
