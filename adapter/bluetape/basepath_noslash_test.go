package bluetape_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	gen "github.com/custsync/custsync/gen/bluetape"
)

// The generated builder trims a trailing slash from the server
// URL and so keeps a base path given without one ("https://h/v1" and
// "https://h/v1/" build the same URL). Its fallback for a server URL
// url.Parse does not keep as written resolves against the server URL as
// given, which without the trailing slash drops the last path segment: the
// same server then gets the base path for one id and loses it for another.
func TestABasePathWithoutTrailingSlashIsKeptForEveryID(t *testing.T) {
	for _, server := range []string{"https://h.example/ü", "https://h.example/a|b"} {
		for _, id := range []string{"C-1", "a/b"} {
			t.Run(server+" "+id, func(t *testing.T) {
				withSlash, err := gen.NewUpdateCustomerRequestWithBody(server+"/", id, "application/json", nil)
				require.NoError(t, err)
				without, err := gen.NewUpdateCustomerRequestWithBody(server, id, "application/json", nil)
				require.NoError(t, err)
				assert.Equal(t, withSlash.URL.String(), without.URL.String())
				assert.False(t, strings.HasPrefix(without.URL.EscapedPath(), "/integration/"), "the base path is kept: %s", without.URL)
			})
		}
	}
}
