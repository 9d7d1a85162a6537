//go:build go1.27 && goexperiment.jsonv2

package wirejson

import (
	jsonv1 "encoding/json"
	"encoding/json/jsontext"
	json "encoding/json/v2"

	"github.com/oapi-codegen/nullable"
)

// options are encoding/json's (v1) with marshalers for the Nullable types
// of the generated code; a Nullable of another type keeps its MarshalJSON.
var options = json.JoinOptions(jsonv1.DefaultOptionsV1(), json.WithMarshalers(json.JoinMarshalers(
	json.MarshalToFunc(func(enc *jsontext.Encoder, n nullable.Nullable[string]) error {
		if v, ok := value(n); ok {
			return enc.WriteToken(jsontext.String(v))
		}
		return enc.WriteToken(jsontext.Null)
	}),
	json.MarshalToFunc(func(enc *jsontext.Encoder, n nullable.Nullable[int32]) error {
		if v, ok := value(n); ok {
			return enc.WriteToken(jsontext.Int(int64(v)))
		}
		return enc.WriteToken(jsontext.Null)
	}),
	json.MarshalToFunc(func(enc *jsontext.Encoder, n nullable.Nullable[int64]) error {
		if v, ok := value(n); ok {
			return enc.WriteToken(jsontext.Int(v))
		}
		return enc.WriteToken(jsontext.Null)
	}),
	marshalNullable[[]string](),
	marshalNullable[any](),
)))

// Marshal is json.Marshal(v).
func Marshal(v any) ([]byte, error) { return json.Marshal(v, options) }

// value is what Nullable.MarshalJSON encodes: nothing (null) when n holds
// null, else its value, the zero value when it holds none.
func value[T any](n nullable.Nullable[T]) (T, bool) {
	if _, null := n[false]; null {
		var zero T
		return zero, false
	}
	return n[true], true
}

// marshalNullable encodes the value of a Nullable[T] as encoding/json
// encodes a T, with the options in force.
func marshalNullable[T any]() *json.Marshalers {
	return json.MarshalToFunc(func(enc *jsontext.Encoder, n nullable.Nullable[T]) error {
		if v, ok := value(n); ok {
			return json.MarshalEncode(enc, v)
		}
		return enc.WriteToken(jsontext.Null)
	})
}
