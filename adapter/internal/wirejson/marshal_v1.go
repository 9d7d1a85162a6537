//go:build !go1.27 || !goexperiment.jsonv2

package wirejson

import "encoding/json"

// Marshal is json.Marshal(v).
func Marshal(v any) ([]byte, error) { return json.Marshal(v) }
