package adapter_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/driver"
)

// Input that encoding/json would change without a word is refused,
// naming the field, before anything is sent.
func TestParseRefusesWhatWouldBeSilentlyChanged(t *testing.T) {
	tests := []struct {
		name, input, field, message string
	}{
		{"a duplicate id", `{"id":"C-1001","id":"C-1002","name":"x"}`, "id", "more than once"},
		{"a duplicate field", `{"id":"C-1","name":"a","name":"b"}`, "name", "more than once"},
		{"a duplicate key in a vendor section", `{"id":"C-1","upwell":{"dueOption":1,"dueOption":2}}`, "upwell.dueOption", "more than once"},
		{"a duplicate key inside metadata", `{"id":"C-1","metadata":{"limits":{"max":1,"max":2}}}`, "metadata.limits.max", "more than once"},
		{"invalid UTF-8 in a value", "{\"id\":\"C-1\",\"name\":\"Bad\xff\xfeName\"}", "name", "not valid UTF-8"},
		{"invalid UTF-8 in a vendor section", "{\"id\":\"C-1\",\"upwell\":{\"billToCustomerId\":\"C\xff\"}}", "upwell.billToCustomerId", "not valid UTF-8"},
		{"invalid UTF-8 in metadata", "{\"id\":\"C-1\",\"metadata\":{\"note\":\"\xc3\x28\"}}", "metadata", "not valid UTF-8"},
		{"invalid UTF-8 in a key", "{\"id\":\"C-1\",\"na\xffme\":\"x\"}", "", "not valid UTF-8"},
		{"a lone high surrogate escape in a value", `{"id":"C-1","name":"Bad\ud800Name"}`, "name", "not valid UTF-8"},
		{"a lone low surrogate escape in metadata", `{"id":"C-1","metadata":{"k":"\udc00"}}`, "metadata", "not valid UTF-8"},
		{"a high surrogate escape before another escape", `{"id":"C-1","name":"x\ud83d\u0041"}`, "name", "not valid UTF-8"},
		{"an explicit empty sourceSystem", `{"id":"C-1","sourceSystem":"","name":"x"}`, "sourceSystem", `is ""`},
		{"an explicit null sourceSystem", `{"id":"C-1","sourceSystem":null,"name":"x"}`, "sourceSystem", "is null"},
		{"null inside ccEmails", `{"id":"C-1","ccEmails":["a@b.example",null]}`, "ccEmails[1]", "is null"},
		{"a number inside ccEmails", `{"id":"C-1","ccEmails":[7]}`, "ccEmails[0]", "want a string"},
		{"a top-level array", `[{"id":"C-1"}]`, "", "want one JSON object (one customer update), got a JSON array"},
		{"a top-level string", `"C-1"`, "", "got a JSON string"},
		{"a top-level null", `null`, "", "got null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := adapter.ParseCustomerUpdate([]byte(tt.input))
			assert.Nil(t, u)
			var e *adapter.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, adapter.InvalidArgument, e.Code)
			assert.Equal(t, tt.field, e.Field)
			assert.Contains(t, e.Message, tt.message)
			assert.NotContains(t, e.Message, "map[string]json.RawMessage", "messages speak the user's terms")
			assert.NotContains(t, e.Message, "empty string")
		})
	}
}

func TestTheSameKeyInDifferentObjectsIsNoDuplicate(t *testing.T) {
	u, err := adapter.ParseCustomerUpdate([]byte(`{"id":"C-1","metadata":{"id":"x","a":{"id":"y"}},"ccEmails":["a@b.example","a@b.example"]}`))
	require.NoError(t, err)
	assert.Equal(t, "C-1", u.ID)
}

// One rule for every identifier, however the update was built: empty is
// an error, surrounding whitespace is an error, and so is text that is
// not UTF-8; nothing is trimmed or replaced.
func TestIdentifiersAndTextFollowOneRule(t *testing.T) {
	ny := time.FixedZone("-10:00", -10*3600)
	tests := []struct {
		name    string
		update  adapter.CustomerUpdate
		field   string
		message string
	}{
		{"a sourceSystem with surrounding spaces", adapter.CustomerUpdate{ID: "C-1", SourceSystem: " ACME ", Name: adapter.Set("x")}, "sourceSystem", "leading or trailing spaces"},
		{"an id with a leading space", adapter.CustomerUpdate{ID: " C-1001", Name: adapter.Set("x")}, "id", "leading or trailing spaces"},
		{"a billToCustomerId with a trailing space", adapter.CustomerUpdate{ID: "C-1", Upwell: &adapter.UpwellFields{BillToCustomerID: adapter.Set("C-9 ")}}, "upwell.billToCustomerId", "leading or trailing spaces"},
		{"a name built in Go that is not UTF-8", adapter.CustomerUpdate{ID: "C-1", Name: adapter.Set("Bad\xff\xfeName")}, "name", "not valid UTF-8"},
		{"an id that is not UTF-8", adapter.CustomerUpdate{ID: "C-\xff", Name: adapter.Set("x")}, "id", "not valid UTF-8"},
		{"metadata built in Go that is not UTF-8", adapter.CustomerUpdate{ID: "C-1", Metadata: adapter.Set(adapter.JSONObject{"a": []any{"ok", "\xff"}})}, "metadata.a[1]", "not valid UTF-8"},
		{"a modifiedAt in year 10000 in UTC", adapter.CustomerUpdate{ID: "C-1", ModifiedAt: adapter.Set(time.Date(9999, 12, 31, 23, 59, 59, 0, ny))}, "modifiedAt", "year 10000 in UTC"},
		{"a modifiedAt before year 1 in UTC", adapter.CustomerUpdate{ID: "C-1", ModifiedAt: adapter.Set(time.Date(1, 1, 1, 0, 0, 0, 0, time.FixedZone("+01:00", 3600)))}, "modifiedAt", "year 0 in UTC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var requests atomic.Int32
			c, _ := newFake(t, func(w http.ResponseWriter, r *http.Request) { requests.Add(1); ok(w, r) })
			u := tt.update
			_, err := c.Update(context.Background(), &u)
			var e *adapter.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, adapter.InvalidArgument, e.Code)
			assert.Equal(t, tt.field, e.Field, e.Message)
			assert.Contains(t, e.Message, tt.message)
			assert.Zero(t, requests.Load(), "nothing sent")
		})
	}
	t.Run("9999-12-31T23:59:59Z itself is fine", func(t *testing.T) {
		u, err := adapter.ParseCustomerUpdate([]byte(`{"id":"C-1","modifiedAt":"9999-12-31T23:59:59Z"}`))
		require.NoError(t, err)
		c, _ := newFake(t, ok)
		_, err = c.Update(context.Background(), u)
		assert.Equal(t, driver.FieldModifiedAt, fieldOf(err), "refused only as unsupported by the fake: %v", err)
		assert.Contains(t, err.Error(), "cannot store")
	})
}

func fieldOf(err error) string {
	var e *adapter.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

func TestEnvNamesTheVariableOfACredentialThatCannotBeSent(t *testing.T) {
	t.Setenv("CUSTSYNC_TEST_KEY", "abc\r\nX-Injected: 1")
	_, err := driver.Env(nil, "CUSTSYNC_TEST_KEY")
	var e *adapter.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "CUSTSYNC_TEST_KEY", e.Field)
	assert.Contains(t, e.Message, "CUSTSYNC_TEST_KEY")
	assert.NotContains(t, e.Message, "abc", "never the value")
	assert.False(t, errors.Is(err, driver.ErrEnvNotSet), "it is set, just unusable")
}

func TestEscapedCharactersThatAreValidStayAccepted(t *testing.T) {
	for _, input := range []string{
		`{"id":"C-1","name":"Smile \ud83d\ude00"}`,    // a surrogate pair: one emoji
		`{"id":"C-1","name":"a\\ud800 is text here"}`, // an escaped backslash, then letters
		`{"id":"C-1","name":"\u00e9\n\"quoted\""}`,
	} {
		t.Run(input, func(t *testing.T) {
			_, err := adapter.ParseCustomerUpdate([]byte(input))
			assert.NoError(t, err)
		})
	}
}
