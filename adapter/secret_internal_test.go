package adapter

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"strings"
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

// The forms an echo takes beyond plain escaping: another letter case,
// character-by-character entities and \u escapes (mixed, too), and base64,
// also inside a longer base64 text at every alignment.
func TestTheScrubberCatchesEncodedAndRecasedEchoes(t *testing.T) {
	const secret = "sk_Live_9f3Ab7Q2"
	entities := func(s string, format string) string {
		var b strings.Builder
		for _, r := range s {
			fmt.Fprintf(&b, format, r)
		}
		return b.String()
	}
	mixed := ""
	for i, r := range secret {
		switch i % 4 {
		case 0:
			mixed += string(r)
		case 1:
			mixed += fmt.Sprintf("&#%d;", r)
		case 2:
			mixed += fmt.Sprintf(`\u%04X`, r)
		default:
			mixed += fmt.Sprintf("%%%02x", r)
		}
	}
	forms := map[string]string{
		"upper case":                            strings.ToUpper(secret),
		"lower case":                            strings.ToLower(secret),
		"HTML decimal entities":                 entities(secret, "&#%d;"),
		"HTML hex entities":                     entities(secret, "&#x%x;"),
		"HTML hex entities, padded":             entities(secret, "&#x00%X;"),
		"JSON \\u escapes":                      entities(secret, `\u%04x`),
		"JSON \\u escapes, upper":               entities(secret, `\u%04X`),
		"percent-encoded characters":            entities(secret, "%%%02X"),
		"a mix of all of them":                  mixed,
		"base64":                                base64.StdEncoding.EncodeToString([]byte(secret)),
		"base64 without padding":                base64.RawStdEncoding.EncodeToString([]byte(secret)),
		"URL-safe base64":                       base64.URLEncoding.EncodeToString([]byte(secret)),
		"base64 of a text holding it, offset 0": base64.StdEncoding.EncodeToString([]byte(secret + " was rejected")),
		"base64 of a text holding it, offset 1": base64.StdEncoding.EncodeToString([]byte("k" + secret + " was rejected")),
		"base64 of a text holding it, offset 2": base64.StdEncoding.EncodeToString([]byte("ke" + secret + " was rejected")),
	}
	s := newScrubber([]string{secret})
	for name, form := range forms {
		t.Run(name, func(t *testing.T) {
			out := s.scrub(`{"Message":"bad key ` + form + `"}`)
			assert.Contains(t, out, redacted, "%s -> %s", form, out)
			assert.NotContains(t, out, form)
			assert.NotContains(t, strings.ToLower(html.UnescapeString(out)), strings.ToLower(secret))
		})
	}
	t.Run("text without the secret is left alone", func(t *testing.T) {
		const text = `{"Message":"sk_Live_9f3Ab7Q3 is another key; &#115;k is two letters"}`
		assert.Equal(t, text, s.scrub(text))
	})
}
