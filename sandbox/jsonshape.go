package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// decodeJSON decodes data with json.Number for numbers: ids are int64 and
// cents may exceed 2^53, which float64 would silently round.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the JSON value")
	}
	return nil
}

// jsonShape converts v (a struct or map built by the sandbox) into the
// JSON-shaped copy Customer returns.
func jsonShape(v any) map[string]any {
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("sandbox: marshal %T: %v", v, err))
	}
	var out map[string]any
	if err := decodeJSON(data, &out); err != nil {
		panic(fmt.Sprintf("sandbox: re-decode %T: %v", v, err))
	}
	return out
}

// cloneJSON deep-copies a JSON-shaped value, so stored records never alias
// request bodies or answers.
func cloneJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = cloneJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneJSON(e)
		}
		return out
	default:
		return v // strings, numbers, bools and nil are immutable
	}
}
