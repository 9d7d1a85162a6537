package adapter

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// For every base URL checkBaseURL accepts, the form the
// Client keeps (url.URL.String) parses back to the same host, which the
// transport's host check compares with, and the same path.
func FuzzTheKeptBaseURLParsesBackToTheSameHostAndPath(f *testing.F) {
	for _, s := range []string{"https://bücher.example/ü", "https://[fe80::1%25en0]:8443/a|b", "http://127.0.0.1:8080/a%2Fb", "https://H.example/%7e", "https://a_b.example/a;b,c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if !utf8.ValidString(raw) || checkBaseURL(raw) != nil {
			return
		}
		parsed, err := url.Parse(raw)
		require.NoError(t, err)
		kept := strings.TrimSuffix(parsed.String(), "/")
		again, err := url.Parse(kept + "/x")
		require.NoError(t, err, "%q kept as %q", raw, kept)
		assert.Equal(t, parsed.Host, again.Host, "%q kept as %q", raw, kept)
		assert.Equal(t, strings.TrimSuffix(parsed.Path, "/")+"/x", again.Path, "%q kept as %q", raw, kept)
		assert.Equal(t, parsed.Scheme, again.Scheme)
	})
}
