package driver

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"unicode"

	"github.com/custsync/custsync/adapter"
)

// CredentialID returns a short stable hash of credential parts, for
// Vendor.Account and Limit keys: equal credentials share limits, and no
// credential is exposed.
func CredentialID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:6])
}

// BasicAuthSecret returns the form in which HTTP Basic credentials travel
// (the base64 "user:password" token), for Vendor.Secrets.
func BasicAuthSecret(user string, password adapter.Secret) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password.Reveal()))
}

// BasicAuth returns the Authorization header value of HTTP Basic
// credentials, for Vendor.Header.
func BasicAuth(user string, password adapter.Secret) string {
	return "Basic " + BasicAuthSecret(user, password)
}

// CheckCredential refuses a credential that is empty, or that net/http
// would refuse to send as a header (a trailing newline read from a file,
// say), so the mistake surfaces at construction and not as a "network
// error" on every call. field names the config field; the error never
// holds the value.
func CheckCredential(vendor, field, value string) error {
	switch {
	case strings.TrimSpace(value) == "":
		return &adapter.Error{Vendor: vendor, Code: adapter.InvalidArgument, Field: field, Message: field + " is empty"}
	case value != strings.TrimSpace(value) || strings.IndexFunc(value, unicode.IsControl) >= 0:
		return &adapter.Error{Vendor: vendor, Code: adapter.InvalidArgument, Field: field,
			Message: field + " has surrounding whitespace or a control character; it cannot be sent in a header"}
	}
	return nil
}

// ErrEnvNotSet is wrapped by the error Env returns, so a command can tell
// a missing environment variable (a usage error) from other failures.
var ErrEnvNotSet = errors.New("environment variable not set")

// Env reads the named variables for a FromEnv constructor through lookup
// (os.LookupEnv when nil). Every name must be set and non-blank, and hold
// no control character once surrounding whitespace (a trailing newline)
// is trimmed; the error (an InvalidArgument *adapter.Error wrapping
// ErrEnvNotSet, Field the first missing name) names each missing one,
// never a value.
func Env(lookup func(string) (string, bool), names ...string) (map[string]string, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	values := make(map[string]string, len(names))
	var missing []string
	for _, name := range names {
		v, _ := lookup(name)
		v = strings.TrimSpace(v)
		if v == "" {
			missing = append(missing, name)
			continue
		}
		if strings.IndexFunc(v, unicode.IsControl) >= 0 {
			// Named here, by the variable the user set, rather than later
			// by a config field the user never saw.
			return nil, &adapter.Error{Code: adapter.InvalidArgument, Field: name,
				Message: "environment variable " + name + " contains a control character (a CR or LF, say); it cannot be sent in a header"}
		}
		values[name] = v
	}
	if len(missing) > 0 {
		noun, verb := "environment variable ", "is"
		if len(missing) > 1 {
			noun, verb = "environment variables ", "are"
		}
		return nil, &adapter.Error{Code: adapter.InvalidArgument, Field: missing[0], Err: ErrEnvNotSet,
			Message: noun + strings.Join(missing, ", ") + " " + verb + " not set"}
	}
	return values, nil
}
