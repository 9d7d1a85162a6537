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

// upstreamRequest is the request oapi-codegen's own template builds for
// server and id: the escaped path resolved against the parsed server URL,
// then http.NewRequest on the result.
func upstreamRequest(server, id string) (*http.Request, error) {
	base, err := url.Parse(server)
	if err != nil {
		return nil, err
	}
	resolved, err := base.Parse("./integration/customer/" + url.PathEscape(id))
	if err != nil {
		return nil, err
	}
	return http.NewRequest(http.MethodPut, resolved.String(), nil)
}

// TestTheGeneratedRequestIsTheOneUpstreamBuilds holds gen/client.tmpl's
// change to what oapi-codegen's own template builds (URL and Host), for
// base URLs as driver.Conn.Server gives them and as written by hand (odd
// escapes, raw 'ü', an empty port: the fallback), and for every kind of id.
func TestTheGeneratedRequestIsTheOneUpstreamBuilds(t *testing.T) {
	servers := []string{"https://api.bluetape.example/", "https://api.bluetape.example/base/path/", "http://127.0.0.1:8080/", "https://[::1]:8443/v1/",
		"https://h.example/a%41/", "https://h.example/a%2Fb/", "https://h.example/ü/", "https://h.example/a;b/",
		"https://h.example/%7Euser/", "https://h.example/a:b/", "https://H.EXAMPLE/", "https://h.example:443/", "https://h.example/a//b/",
		"https://h.example//", "https://h.example/a%20b/", "https://h.example/a%25b/", "https://h.example/a+b/", "https://h.example/%e2%82%ac/", "https://h.example",
		"https://h.example:/v1/", "https://h.example:/ü/"}
	ids := []string{"C-1001", "with space", "a/b", "ünï", "%41", "a?b#c", "x;y,z"}
	for _, server := range servers {
		for _, id := range ids {
			checkBuilder(t, server, id)
		}
	}
}

// checkBuilder compares the generated builder's request with upstream's.
func checkBuilder(t *testing.T, server, id string) {
	t.Helper()
	want, err := upstreamRequest(server, id)
	require.NoError(t, err, "server %q, id %q", server, id)
	got, err := gen.NewUpdateCustomerRequestWithBody(server, id, "application/json", nil)
	require.NoError(t, err, "server %q, id %q", server, id)
	assert.Equal(t, want.URL.String(), got.URL.String(), "server %q, id %q", server, id)
	assert.Equal(t, want.Host, got.Host, "server %q, id %q", server, id)
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
		if _, err := upstreamRequest(server, id); err != nil {
			return
		}
		checkBuilder(t, server, id)
	})
}

// A server URL without its trailing slash is the same base as with it
// ("https://h/v1" and "https://h/v1/" build one URL), on the fast way and
// on the fallback alike, for every id.
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

// The Client shows the base URL the user configured, as written (less a
// trailing slash), in BaseURL and String: the form url.URL.String writes
// is for the generated builders, not for the user, who wrote no %C3%BC
// and no %7C.
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
