package billbee

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
)

// putBody sends a member the update does not touch once, whatever the
// letter cases it was read in; inside a contact entry every member goes
// back as read, in the order read, so the last of two spellings is still
// the one a case-insensitive reader takes.
func TestPutBodySendsEachUntouchedMemberOnce(t *testing.T) {
	u := &adapter.CustomerUpdate{ID: "42", Name: adapter.Set("Moritz")}
	for _, data := range []string{
		`{"Id":42,"email":"stale@b.example","Email":"current@b.example"}`,
	} {
		t.Run(data, func(t *testing.T) {
			update, err := updateFields(42, u)
			require.NoError(t, err)
			body := putBody(customer{data: splitObject([]byte(data))}, update)
			var walk func(raw json.RawMessage)
			walk = func(raw json.RawMessage) {
				var obj map[string]json.RawMessage
				if json.Unmarshal(raw, &obj) != nil {
					return
				}
				seen := map[string]string{}
				for k, v := range obj {
					if other, dup := seen[strings.ToLower(k)]; dup {
						assert.Fail(t, "a member sent under two letter cases", "%q and %q in %s", other, k, body)
					}
					seen[strings.ToLower(k)] = k
					walk(v)
				}
			}
			walk(body)
		})
	}
}

// Inside a contact entry every member goes back as read, in the order
// read: of two spellings, a case-insensitive reader that keeps the last,
// as Billbee's binder and encoding/json do, still takes the current one.
func TestAContactEntryKeepsItsMembersInTheOrderRead(t *testing.T) {
	u := &adapter.CustomerUpdate{ID: "42", Name: adapter.Set("Moritz")}
	data := `{"Id":42,"DefaultFax":{"Id":1,"value":"stale","Value":"current","TypeName":"Fax"}}`
	update, err := updateFields(42, u)
	require.NoError(t, err)
	body := putBody(customer{data: splitObject([]byte(data))}, update)
	var sent struct {
		DefaultFax struct {
			Value    string
			TypeName *string
		}
	}
	require.NoError(t, json.Unmarshal(body, &sent))
	assert.Equal(t, "current", sent.DefaultFax.Value, "%s", body)
	assert.Nil(t, sent.DefaultFax.TypeName, "TypeName is read-only: %s", body)
}
