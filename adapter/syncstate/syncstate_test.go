package syncstate_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter/syncstate"
)

func TestEntryCheckNamesTheBadField(t *testing.T) {
	good := syncstate.Entry{
		Key:    syncstate.Key{Vendor: "billbee", Account: "acct", Key: "1"},
		Record: syncstate.Record{Digest: "v1:x", SyncedAt: time.Now()},
	}
	assert.NoError(t, good.Check())
	tests := []struct {
		name  string
		edit  func(*syncstate.Entry)
		field string
	}{
		{"an empty vendor is refused", func(e *syncstate.Entry) { e.Vendor = "" }, "Vendor"},
		{"a blank account is refused", func(e *syncstate.Entry) { e.Account = "  " }, "Account"},
		{"an empty key is refused", func(e *syncstate.Entry) { e.Key.Key = "" }, "Key"},
		{"an empty digest is refused", func(e *syncstate.Entry) { e.Digest = "" }, "Digest"},
		{"a zero time is refused", func(e *syncstate.Entry) { e.SyncedAt = time.Time{} }, "SyncedAt"},
		{"a time past year 9999 is refused", func(e *syncstate.Entry) { e.SyncedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "SyncedAt"},
		{"a NUL byte is refused", func(e *syncstate.Entry) { e.VendorID = "a\x00" }, "VendorID"},
		{"text that is not UTF-8 is refused", func(e *syncstate.Entry) { e.Key.Key = "M\xfcller" }, "Key"},
		{"an oversized conflict digest is refused", func(e *syncstate.Entry) {
			seen := ""
			e.IfDigest, e.Conflict = &seen, strings.Repeat("c", syncstate.MaxFieldBytes+1)
		}, "Conflict"},
		{"an expected digest with a NUL byte is refused", func(e *syncstate.Entry) {
			seen := "a\x00"
			e.IfDigest, e.Conflict = &seen, "conflict"
		}, "IfDigest"},
		{"an oversized key is refused", func(e *syncstate.Entry) { e.Key.Key = strings.Repeat("k", syncstate.MaxFieldBytes+1) }, "Key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := good
			tt.edit(&e)
			err := e.Check()
			assert.ErrorContains(t, err, tt.field)
			assert.Less(t, len(err.Error()), 400, "the message clips long values")
		})
	}
}

func TestCheckingAValidEntryAllocatesNothing(t *testing.T) {
	// Stores check every entry a run writes.
	seen := "s1:0123456789abcdef01234567/1f"
	e := syncstate.Entry{Key: syncstate.Key{Vendor: "upwell", Account: "acct", Key: `["ACME","C-1"]`},
		Record:   syncstate.Record{Digest: "s1:76543210fedcba9876543210/3", VendorID: "v-1", SyncedAt: time.Now()},
		IfDigest: &seen, Conflict: "unconfirmed"}
	require.NoError(t, e.Check())
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = e.Check() }))
}

func TestStorableTextKeepsWhatARunLogTakes(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("ü", syncstate.MaxFieldBytes)
	for _, tt := range []struct{ name, in string }{
		{"plain text", "no customer with id C-1"},
		{"a NUL byte", "a\x00b"},
		{"bytes that are not UTF-8", "M\xfcller"},
		{"text longer than a field", long},
	} {
		got := syncstate.StorableText(tt.in)
		err := syncstate.Failure{Key: syncstate.Key{Vendor: "v", Account: "a", Key: "k"}, RunID: 1, At: time.Now(), Code: "NotFound", Message: got}.Check()
		assert.NoError(t, err, tt.name)
		assert.True(t, utf8.ValidString(got), tt.name)
	}
	assert.Equal(t, "no customer with id C-1", syncstate.StorableText("no customer with id C-1"))
	clipped := syncstate.StorableText(long)
	assert.LessOrEqual(t, len(clipped), syncstate.MaxFieldBytes)
	assert.True(t, strings.HasSuffix(clipped, "ü…"), "clipped at a character, and says so")
}
