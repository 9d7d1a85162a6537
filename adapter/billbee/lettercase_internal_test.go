package billbee

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
)

// Review 14b: putBody sends a member the update does not touch once per
// letter case it was read in, at the top level and inside a contact entry.
func TestReview14bPutBodySendsEachUntouchedMemberOnce(t *testing.T) {
	u := &adapter.CustomerUpdate{ID: "42", Name: adapter.Set("Moritz")}
	for _, data := range []string{
		`{"Id":42,"email":"stale@b.example","Email":"current@b.example"}`,
		`{"Id":42,"DefaultFax":{"Id":1,"value":"stale","Value":"current"}}`,
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
