package bluetape_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bluetape"
	gen "github.com/custsync/custsync/gen/bluetape"
)

// More base paths than TestTheGeneratedRequestURLIsTheOneUpstreamResolves
// tries, given to the generated builder as they are (not as the Client
// normalises them): it resolves them as upstream's template does.
func TestOddBasePathsResolveAsUpstream(t *testing.T) {
	servers := []string{"https://h.example/a%41/", "https://h.example/a%2Fb/", "https://h.example/ü/", "https://h.example/a;b/",
		"https://h.example/%7Euser/", "https://h.example/a:b/", "https://H.EXAMPLE/", "https://h.example:443/", "https://h.example/a//b/",
		"https://h.example//", "https://h.example/a%20b/", "https://h.example/a%25b/", "https://h.example/a+b/", "https://h.example/%e2%82%ac/", "https://h.example"}
	for _, server := range servers {
		for _, id := range []string{"C-1", "a/b", "%41", "ü"} {
			req, err := gen.NewUpdateCustomerRequestWithBody(server, id, "application/json", nil)
			require.NoError(t, err)
			base, err := url.Parse(server)
			require.NoError(t, err)
			upstream, err := base.Parse("./integration/customer/" + url.PathEscape(id))
			require.NoError(t, err)
			assert.Equal(t, upstream.String(), req.URL.String(), "server %q, id %q", server, id)
		}
	}
}

// End to end, an id holding a slash stays one path segment
// (%2F) under a base path that url.Parse cannot keep as written (a
// non-ASCII letter, a '|'), as oapi-codegen's resolving template sends it.
func TestAnIDWithASlashStaysOneSegmentUnderANonASCIIBasePath(t *testing.T) {
	for _, base := range []string{"/ü", "/a|b"} {
		t.Run(base, func(t *testing.T) {
			var got string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r.RequestURI
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(202)
				_, _ = w.Write([]byte(okBody))
			}))
			defer srv.Close()
			c, err := bluetape.New(bluetape.Config{APIKey: apiKey, AccountID: accountID}, adapter.WithBaseURL(srv.URL+base), noRetries)
			require.NoError(t, err)
			u := contact(t, "")
			u.ID = "a/b"
			_, err = c.Update(context.Background(), u)
			require.NoError(t, err)
			assert.True(t, strings.HasSuffix(got, "/integration/customer/a%2Fb"), "the id is one segment: %s", got)
		})
	}
}
