package wiretime_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/wiretime"
)

func TestParseRoundTripsEveryShapeBillbeeSends(t *testing.T) {
	tests := []struct {
		in        string
		want      time.Time
		hasOffset bool
	}{
		{"2021-08-21T11:09:46", time.Date(2021, 8, 21, 11, 9, 46, 0, time.UTC), false},
		{"2021-08-21T13:00:33.23", time.Date(2021, 8, 21, 13, 0, 33, 230_000_000, time.UTC), false},
		{"2021-08-31T20:55:38.677", time.Date(2021, 8, 31, 20, 55, 38, 677_000_000, time.UTC), false},
		{"2022-07-22T09:54:25.310", time.Date(2022, 7, 22, 9, 54, 25, 310_000_000, time.UTC), false},
		{"2021-08-21T13:00:33.1234567", time.Date(2021, 8, 21, 13, 0, 33, 123_456_700, time.UTC), false},
		{"2021-08-21T13:00:33.5", time.Date(2021, 8, 21, 13, 0, 33, 500_000_000, time.UTC), false},
		{"2022-07-22T00:00:00+00:00", time.Date(2022, 7, 22, 0, 0, 0, 0, time.UTC), true},
		{"2023-04-26T09:18:44.081Z", time.Date(2023, 4, 26, 9, 18, 44, 81_000_000, time.UTC), true},
		{"2023-04-26T11:18:44.0810000+02:00", time.Date(2023, 4, 26, 9, 18, 44, 81_000_000, time.UTC), true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := wiretime.Parse(tt.in)
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(got.Time), "got %v, want %v", got.Time, tt.want)
			assert.Equal(t, tt.hasOffset, got.HasOffset())

			b, err := json.Marshal(got)
			require.NoError(t, err)
			assert.Equal(t, `"`+tt.in+`"`, string(b), "a value read from the wire is written back unchanged")

			var back wiretime.Time
			require.NoError(t, json.Unmarshal(b, &back))
			assert.True(t, got.Equal(back.Time))
			assert.NoError(t, wiretime.Validate(tt.in))
		})
	}
}

func TestParseRejectsWhatIsNotADateTime(t *testing.T) {
	for _, in := range []string{
		"",
		"2021-08-21",
		"2021-08-21 13:00:33",
		"2021-08-21T13:00:33.",
		"2021-08-21T13:00:33.12345678",
		"2021-08-21T13:00:33x",
		"2021-08-21T13:00:33+0200",
		"2021-13-21T13:00:33",
		"yesterday at noon",
	} {
		t.Run(in, func(t *testing.T) {
			_, err := wiretime.Parse(in)
			assert.Error(t, err)
			assert.Error(t, wiretime.Validate(in))
		})
	}
}

func TestFromMarshalsAsRFC3339WithOffset(t *testing.T) {
	v := wiretime.From(time.Date(2024, 1, 2, 3, 4, 5, 600_000_000, time.FixedZone("", 3600)))
	b, err := json.Marshal(v)
	require.NoError(t, err)
	assert.Equal(t, `"2024-01-02T03:04:05.6+01:00"`, string(b))
	assert.True(t, v.HasOffset())
}

func TestUnmarshalJSONNullLeavesTheValueAlone(t *testing.T) {
	v := wiretime.From(time.Unix(0, 0).UTC())
	require.NoError(t, json.Unmarshal([]byte("null"), &v))
	assert.True(t, v.Equal(time.Unix(0, 0)))
	assert.Error(t, json.Unmarshal([]byte("12"), &v))
}
