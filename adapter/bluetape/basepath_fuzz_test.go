package bluetape_test

import (
	"net/url"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	gen "github.com/custsync/custsync/gen/bluetape"
)

// The generated builder, given any base path url.Parse accepts
// (ending in '/', as driver.Conn.Server passes it), builds the URL that
// upstream's resolving template builds, for any id.
func FuzzTheBuilderResolvesAsUpstream(f *testing.F) {
	for _, p := range []string{"/a%41/", "/a%2Fb/", "/ü/", "/a|b/", "//", "/a%25b/", "/%e2%82%ac/"} {
		for _, id := range []string{"C-1", "a/b", "%41", "ü", "a|b"} {
			f.Add(p, id)
		}
	}
	f.Fuzz(func(t *testing.T, path, id string) {
		server := "https://h.example" + path + "/"
		base, err := url.Parse(server)
		if err != nil || base.Host != "h.example" || base.RawQuery != "" || base.Fragment != "" || base.ForceQuery {
			return
		}
		for _, seg := range strings.Split(base.EscapedPath(), "/") {
			if seg == "." || seg == ".." {
				return // refused by the Client (checkBaseURL)
			}
		}
		if t := strings.TrimSpace(id); t == "." || t == ".." || strings.IndexFunc(server+id, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
			return // refused by the Client
		}
		upstream, err := base.Parse("./integration/customer/" + url.PathEscape(id))
		if err != nil {
			return
		}
		req, err := gen.NewUpdateCustomerRequestWithBody(server, id, "application/json", nil)
		require.NoError(t, err, "server %q, id %q", server, id)
		assert.Equal(t, upstream.String(), req.URL.String(), "server %q, id %q", server, id)
		assert.Equal(t, upstream.Host, req.Host, "server %q, id %q", server, id)
	})
}
