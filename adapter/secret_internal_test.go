package adapter

import (
	"encoding/base64"
	"encoding/hex"
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
	t.Run("text sharing at most 7 characters in a row with the secret is left alone", func(t *testing.T) {
		const text = `{"Message":"sk_LiveX9f3Ab7Q3 is another key; &#115;k is two letters"}`
		assert.Equal(t, text, s.scrub(text))
	})
}

// A vendor may echo only part of a credential, or turn it around: every
// run of 8 or more of its characters is hidden, in every form an echo
// takes.
func TestTheScrubberHidesEveryRunOf8CharactersOfASecret(t *testing.T) {
	const secret = "bb_7Kq2Xz9Lm4Np8Rs1Tv6Wy3Ab5Cd0EfG" // 34 characters
	part := secret[3:31]                                // 28 of them
	jsonEscaped := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		return b.String()
	}
	forms := map[string]string{
		"28 of its 34 characters":              part,
		"a prefix of 10":                       secret[:10],
		"a suffix of 10":                       secret[len(secret)-10:],
		"exactly 8 from the middle":            secret[13:21],
		"its hex encoding":                     hex.EncodeToString([]byte(secret)),
		"the hex of 10 of its characters":      strings.ToUpper(hex.EncodeToString([]byte(secret[5:15]))),
		"reversed":                             reverse(secret),
		"12 characters reversed":               reverse(secret[20:32]),
		"the hex of it reversed":               hex.EncodeToString([]byte(reverse(secret))),
		"28 characters in upper case":          strings.ToUpper(part),
		"28 characters JSON-escaped":           jsonEscaped(part),
		"28 characters percent-encoded":        url.PathEscape(part[:10]) + "%" + fmt.Sprintf("%02X", part[10]) + part[11:],
		"the base64 of 12 characters in text":  base64.StdEncoding.EncodeToString([]byte("key " + secret[4:16] + " is invalid")),
		"the base64 of 9 characters, offset 2": base64.RawURLEncoding.EncodeToString([]byte("k=" + secret[9:18])),
		"two parts, cut where an echo cuts":    secret[:12] + "..." + secret[len(secret)-12:],
	}
	s := newScrubber([]string{secret})
	for name, form := range forms {
		t.Run(name+" is hidden", func(t *testing.T) {
			out := s.scrub(`{"Message":"invalid key ` + form + `"}`)
			assert.Contains(t, out, redacted)
			assert.NotContains(t, out, form)
			assertNoRunOf(t, out, secret)
			assert.True(t, strings.HasPrefix(out, `{"Message":"invalid key `) && strings.HasSuffix(out, `"}`), "only the echo is cut: %s", out)
		})
	}
	t.Run("7 characters of it are left alone", func(t *testing.T) {
		for _, text := range []string{secret[:7], secret[27:], reverse(secret[10:17]), hex.EncodeToString([]byte(secret[10:17]))} {
			assert.Equal(t, "a "+text+" b", s.scrub("a "+text+" b"))
		}
	})
}

// assertNoRunOf fails when text holds, in any letter case, 8 consecutive
// characters of secret, as they are, reversed or in hex.
func assertNoRunOf(t *testing.T, text, secret string) {
	t.Helper()
	lower := strings.ToLower(html.UnescapeString(text))
	for _, form := range []string{secret, reverse(secret)} {
		form = strings.ToLower(form)
		for i := 0; i+minRun <= len(form); i++ {
			if !assert.NotContains(t, lower, form[i:i+minRun]) {
				return
			}
			if !assert.NotContains(t, lower, hex.EncodeToString([]byte(form[i:i+minRun]))) {
				return
			}
		}
	}
}

// benchSecrets are credentials of the lengths Billbee's are: an API key,
// an API password, and the Basic token of user and password.
var benchSecrets = []string{
	"7c1f0a2e-93b4-4d5e-8f61-2a3b4c5d6e7f",
	"Xq9!vR2#pL7$wK4m",
	base64.StdEncoding.EncodeToString([]byte("ops@shop.example:Xq9!vR2#pL7$wK4m")),
}

// BenchmarkScrub measures the scrubber on what it is given: a vendor's
// 4 KiB error body (an HTML page, no secret in it, and the same with a
// partial echo of the key), and a request id, the one text a success
// carries.
func BenchmarkScrub(b *testing.B) {
	page := strings.Repeat("<p>Der Server hat die Anfrage abgelehnt &amp; 503 – try again in 30 seconds (ref 9f3a).</p>\n", 46)[:4096]
	echo := page[:2048] + "key=" + benchSecrets[0][3:31] + page[2048+32:]
	s := newScrubber(benchSecrets)
	for _, bc := range []struct{ name, text string }{
		{"a 4 KiB body without a secret", page},
		{"a 4 KiB body echoing 28 characters of the key", echo},
		{"a request id", "0HN7M2K4Q9B1C:00000004"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.text)))
			for b.Loop() {
				_ = s.scrub(bc.text)
			}
		})
	}
}
