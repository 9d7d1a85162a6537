// Package redact hides the passwords in connection strings, so that a
// PostgreSQL or Redis URL, a vendor's base URL or a libpq key=value
// string can be shown in a message or a suggested command line. It is the
// one place that knows where such strings carry passwords; everything
// that prints one goes through ConnString.
package redact

import (
	"net/url"
	"strings"
)

// Mask stands in for a password, as in url.URL.Redacted.
const Mask = "xxxxx"

// ConnString returns s with every password it may hold replaced by Mask,
// and everything else kept, so the result still names the server and
// database. Passwords are:
//
//   - in a URL (scheme://...): the password of the user info, and for
//     redis, rediss and unix URLs a lone user name too (Redis takes
//     redis://secret@host as a password); the value of every query
//     parameter whose name holds "password" in any letter case, also
//     percent-encoded (password=, PASSWORD=, sslpassword=, pass%77ord=);
//   - in a libpq key=value string ("host=db password='a b'"): the value
//     of every keyword that holds "password", quoted or not.
//
// Where s cannot be read as either, what may be a password is hidden all
// the same: the rest of the string after a "password=", or what stands
// between a "user:" and an "@". A string that holds none of these (a
// file path) is returned as it is.
func ConnString(s string) string {
	if scheme, rest, ok := cutScheme(s); ok {
		return scheme + "://" + redactURLRest(scheme, rest)
	}
	if out, ok := redactKeywordValue(s); ok {
		return out
	}
	return redactUnreadable(s)
}

// cutScheme splits "scheme://rest"; a scheme is a letter followed by
// letters, digits, '+', '-' or '.' (RFC 3986).
func cutScheme(s string) (scheme, rest string, ok bool) {
	scheme, rest, ok = strings.Cut(s, "://")
	if !ok || scheme == "" {
		return "", "", false
	}
	for i, r := range scheme {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !letter && (i == 0 || !(r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return "", "", false
		}
	}
	return scheme, rest, true
}

// redactURLRest redacts what follows "scheme://".
func redactURLRest(scheme, rest string) string {
	rest = redactUserinfo(scheme, rest)
	base, query, hasQuery := strings.Cut(rest, "?")
	if !hasQuery {
		return rest
	}
	// The fragment stays in query: a password holding an unescaped '#'
	// would otherwise keep its tail.
	params := strings.Split(query, "&")
	for i, p := range params {
		name, _, _ := strings.Cut(p, "=")
		if decoded, err := url.QueryUnescape(name); err == nil {
			name = decoded
		}
		if isPasswordName(name) {
			params[i] = strings.SplitN(p, "=", 2)[0] + "=" + Mask
		}
	}
	return base + "?" + strings.Join(params, "&")
}

// redactUserinfo masks the password in the user info of rest (the URL
// after "scheme://"). The user info ends at the last '@' of the authority,
// which ends at the first '/', '?' or '#', as net/url reads it. When the
// authority holds no '@' but one comes later, the password may hold one
// of those characters unescaped: everything from the first ':' to that
// '@' is masked, which may hide more than the password but never less.
func redactUserinfo(scheme, rest string) string {
	authority := rest
	if end := strings.IndexAny(rest, "/?#"); end >= 0 {
		authority = rest[:end]
	}
	at := strings.LastIndexByte(authority, '@')
	if at < 0 {
		at = strings.LastIndexByte(rest, '@')
		if at < 0 {
			return rest
		}
		colon := strings.IndexByte(rest[:at], ':')
		if colon < 0 {
			return rest
		}
		return rest[:colon+1] + Mask + rest[at:]
	}
	user, _, hasPassword := strings.Cut(rest[:at], ":")
	switch {
	case hasPassword:
		return user + ":" + Mask + rest[at:]
	case redisScheme(scheme) && user != "":
		return Mask + rest[at:]
	}
	return rest
}

func redisScheme(scheme string) bool {
	switch strings.ToLower(scheme) {
	case "redis", "rediss", "unix":
		return true
	}
	return false
}

// isPasswordName reports whether a parameter or keyword names a password:
// libpq's password and sslpassword, and any spelling of them.
func isPasswordName(name string) bool {
	return strings.Contains(strings.ToLower(name), "password")
}

// redactKeywordValue masks the password values of a libpq key=value
// string, read as libpq (and pgx) read it: keywords and values separated
// by '=' with optional spaces around it, values either single-quoted or
// running to the next space, a backslash escaping the next character in
// both. ok is false when s is not such a string.
func redactKeywordValue(s string) (string, bool) {
	var b strings.Builder
	i := 0
	for {
		start := i
		i = skipSpace(s, i)
		if i == len(s) {
			b.WriteString(s[start:])
			return b.String(), true
		}
		keyStart := i
		for i < len(s) && s[i] != '=' && !isSpace(s[i]) {
			i++
		}
		key := s[keyStart:i]
		i = skipSpace(s, i)
		if key == "" || i == len(s) || s[i] != '=' {
			return "", false
		}
		i = skipSpace(s, i+1)
		valueStart := i
		quoted := i < len(s) && s[i] == '\''
		if quoted {
			i++
		}
		for i < len(s) {
			c := s[i]
			if c == '\\' {
				i += 2
				continue
			}
			if quoted && c == '\'' || !quoted && isSpace(c) {
				break
			}
			i++
		}
		if quoted {
			if i >= len(s) {
				return "", false // unterminated quote
			}
			i++ // the closing quote
		}
		i = min(i, len(s))
		b.WriteString(s[start:valueStart])
		switch {
		case !isPasswordName(key):
			b.WriteString(s[valueStart:i])
		case quoted:
			b.WriteString("'" + Mask + "'")
		default:
			b.WriteString(Mask)
		}
	}
}

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// redactUnreadable hides what may be a password in a string that is
// neither a URL nor a key=value string: a mistyped one is still likely to
// hold a secret where the intended form would.
func redactUnreadable(s string) string {
	if i := passwordAssignment(s); i >= 0 {
		return s[:i] + Mask
	}
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		if colon := strings.IndexByte(s[:at], ':'); colon >= 0 {
			return s[:colon+1] + Mask + s[at:]
		}
	}
	return s
}

// passwordAssignment is the index just past the first "password=" (any
// letter case, spaces allowed before the '='), or -1.
func passwordAssignment(s string) int {
	lower := strings.ToLower(s)
	for from := 0; ; {
		i := strings.Index(lower[from:], "password")
		if i < 0 {
			return -1
		}
		j := skipSpace(s, from+i+len("password"))
		if j < len(s) && s[j] == '=' {
			return j + 1
		}
		from += i + len("password")
	}
}
