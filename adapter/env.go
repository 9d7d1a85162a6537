package adapter

import (
	"errors"
	"os"
	"strings"
	"unicode"
)

// ErrEnvNotSet is wrapped by the error Env returns, so a command can tell
// a missing environment variable (a usage error) from other failures.
var ErrEnvNotSet = errors.New("environment variable not set")

// Env reads the named environment variables for a FromEnv constructor.
// Every name must be set and non-blank, and hold no control character
// once surrounding whitespace (a trailing newline) is trimmed; the error (an InvalidArgument
// *Error wrapping ErrEnvNotSet, Field the first missing name) names each
// missing one, never a value.
func Env(names ...string) (map[string]string, error) {
	values := make(map[string]string, len(names))
	var missing []string
	for _, name := range names {
		v := strings.TrimSpace(os.Getenv(name))
		if v == "" {
			missing = append(missing, name)
			continue
		}
		if strings.IndexFunc(v, unicode.IsControl) >= 0 {
			// Named here, by the variable the user set, rather than later
			// by a config field the user never saw.
			return nil, &Error{Code: InvalidArgument, Field: name,
				Message: "environment variable " + name + " contains a control character (a CR or LF, say); it cannot be sent in a header"}
		}
		values[name] = v
	}
	if len(missing) > 0 {
		return nil, &Error{Code: InvalidArgument, Field: missing[0], Err: ErrEnvNotSet,
			Message: plural(missing, "environment variable ", "environment variables ") + strings.Join(missing, ", ") + " " + plural(missing, "is", "are") + " not set"}
	}
	return values, nil
}
