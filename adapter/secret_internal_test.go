package adapter

import (
	"encoding/json"
	"html"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A vendor may echo a credential JSON-, HTML- or URL-escaped; every form
// is scrubbed, for every driver, without the driver listing them.
func TestTheScrubberKnowsTheEscapedFormsOfEverySecret(t *testing.T) {
	const secret = "sk_live<abc&def>1 23"
	quoted, _ := json.Marshal(secret)
	s := newScrubber([]string{secret})
	for _, form := range []string{secret, string(quoted), html.EscapeString(secret), url.QueryEscape(secret), url.PathEscape(secret)} {
		out := s.scrub("echo: " + form + " end")
		assert.NotContains(t, out, "abc", "form %q", form)
		assert.Contains(t, out, redacted)
	}
	assert.Equal(t, "ab", newScrubber([]string{"ab"}).scrub("ab"), "values too short to be credentials are left alone")
}
