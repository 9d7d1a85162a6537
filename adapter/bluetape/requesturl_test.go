package bluetape_test

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	gen "github.com/custsync/custsync/gen/bluetape"
)

// TestTheGeneratedRequestURLIsTheOneUpstreamResolves holds gen/client.tmpl's
// change to what oapi-codegen's own template builds: the server URL, with
// the trailing slash adapter/driver.Conn.Server gives it, and the escaped
// path parameter, for every kind of base URL and id.
func TestTheGeneratedRequestURLIsTheOneUpstreamResolves(t *testing.T) {
	servers := []string{"https://api.bluetape.example/", "https://api.bluetape.example/base/path/", "http://127.0.0.1:8080/", "https://[::1]:8443/v1/"}
	ids := []string{"C-1001", "with space", "a/b", "ünï", "%41", "a?b#c", "x;y,z"}
	for _, server := range servers {
		for _, id := range ids {
			req, err := gen.NewUpdateCustomerRequestWithBody(server, id, "application/json", nil)
			require.NoError(t, err)
			base, err := url.Parse(server)
			require.NoError(t, err)
			upstream, err := base.Parse("./integration/customer/" + url.PathEscape(id))
			require.NoError(t, err)
			assert.Equal(t, upstream.String(), req.URL.String(), "server %q, id %q", server, id)
			assert.Equal(t, upstream.Host, req.Host)
		}
	}
}
