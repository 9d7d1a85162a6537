package bluetape_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	gen "github.com/custsync/custsync/gen/bluetape"
)

// Upstream's template hands the resolved URL to
// http.NewRequest, which sets Host without an empty port ("h.example:"
// becomes "h.example"); the fallback sets req.Host from the resolved URL
// itself, so a server URL with an empty port and a path url.Parse does
// not keep sends "Host: h.example:", where the fast way and upstream send
// "Host: h.example".
func TestTheFallbackSetsHostAsHTTPNewRequestDoes(t *testing.T) {
	for _, server := range []string{"https://h.example:/v1/", "https://h.example:/ü/"} {
		for _, id := range []string{"C-1", "a/b"} {
			t.Run(server+" "+id, func(t *testing.T) {
				req, err := gen.NewUpdateCustomerRequestWithBody(server, id, "application/json", nil)
				require.NoError(t, err)
				base, err := url.Parse(server)
				require.NoError(t, err)
				resolved, err := base.Parse("./integration/customer/" + url.PathEscape(id))
				require.NoError(t, err)
				upstream, err := http.NewRequest(http.MethodPut, resolved.String(), nil)
				require.NoError(t, err)
				assert.Equal(t, upstream.URL.String(), req.URL.String())
				assert.Equal(t, upstream.Host, req.Host)
			})
		}
	}
}
