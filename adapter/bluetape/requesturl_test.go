package bluetape_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bluetape"
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

// The Client shows the base URL the user configured, as
// written (less a trailing slash), in BaseURL and String, as it did before
// 05f8a88: keeping it "as url.URL.String writes it" is for the generated
// builders, not for the user, who wrote no %C3%BC and no %7C.
func TestTheBaseURLIsShownAsTheUserWroteIt(t *testing.T) {
	for _, base := range []string{
		"https://example.com/büro/genericBthubService",
		"https://example.com/a|b/genericBthubService",
		"https://bücher.example/genericBthubService",
	} {
		t.Run(base, func(t *testing.T) {
			c, err := bluetape.New(bluetape.Config{APIKey: apiKey, AccountID: accountID}, adapter.WithBaseURL(base+"/"))
			require.NoError(t, err)
			assert.Equal(t, base, c.BaseURL())
			assert.Equal(t, "custsync bluetape client ("+base+")", c.String())
		})
	}
}
