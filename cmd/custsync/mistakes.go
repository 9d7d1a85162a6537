package main

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/custsync/custsync/internal/spelling"
)

// Mistakes in how custsync was called get one line saying what was wrong
// (with a "did you mean" when a name is close to a known one) and one
// pointing at --help: the usage itself is a hundred lines that bury the
// error.

// suggestion is ` (did you mean X?)` for the candidate closest to typed,
// written with quote, or "".
func suggestion(typed string, candidates []string, quote func(string) string) string {
	if c := spelling.Closest(typed, candidates); c != "" {
		return fmt.Sprintf("; did you mean %s?", quote(c))
	}
	return ""
}

// flagMistake rewrites an error of fs.Parse as one line users can act
// on: the flag as they type it (--name), a suggestion for an unknown
// one, and the kind of value a bad value should have been.
func flagMistake(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		name = strings.TrimLeft(name, "-")
		var known []string
		fs.VisitAll(func(f *flag.Flag) { known = append(known, f.Name) })
		return fmt.Sprintf("unknown flag --%s%s", name, suggestion(name, known, func(s string) string { return "--" + s }))
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		name = strings.TrimLeft(name, "-")
		return fmt.Sprintf("--%s needs a value%s", name, valueKind(fs.Lookup(name)))
	}
	// invalid value "2" for flag -deadline: parse error
	// invalid boolean value "x" for -json: parse error
	if rest, ok := strings.CutPrefix(msg, "invalid "); ok {
		if q := strings.Index(rest, `"`); q >= 0 {
			if value, after, ok := cutQuoted(rest[q:]); ok {
				after = strings.TrimPrefix(strings.TrimPrefix(after, " for flag "), " for ")
				name, reason, _ := strings.Cut(after, ": ")
				name = strings.TrimLeft(name, "-")
				if f := fs.Lookup(name); f != nil {
					if kind := valueKind(f); kind != "" {
						return fmt.Sprintf("--%s %q: not a valid value%s", name, value, kind)
					}
					return fmt.Sprintf("--%s %q: %s", name, value, reason)
				}
			}
		}
	}
	return msg
}

// cutQuoted splits s, which starts with a Go-quoted string, into that
// string and what follows it.
func cutQuoted(s string) (value, rest string, ok bool) {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return strings.Trim(s[:i+1], `"`), s[i+1:], true
		}
	}
	return "", "", false
}

// valueKind says what a value of f looks like, as "; want ..." or "".
func valueKind(f *flag.Flag) string {
	if f == nil {
		return ""
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return ""
	}
	switch g.Get().(type) {
	case time.Duration:
		return "; want a duration such as 90m, 1h30m or 45s"
	case int, int64, uint, uint64:
		return "; want a whole number"
	case bool:
		return "; want true or false (or the flag alone)"
	}
	return ""
}
