package drivertest

import "strings"

// StoredAt returns a Harness.Stored built from a table of portable field →
// path in the vendor's record ("customerRule.dueOption").
func StoredAt(paths map[string]string) func(record map[string]any, field string) any {
	return func(record map[string]any, field string) any {
		path, ok := paths[field]
		if !ok {
			return "drivertest: no stored path for " + field
		}
		var v any = record
		for _, key := range strings.Split(path, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[key]
		}
		return v
	}
}
