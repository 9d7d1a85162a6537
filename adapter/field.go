package adapter

import (
	"bytes"
	"encoding/json"
)

// Field is one field of an update, in one of three states:
//
//   - absent (the zero value): leave the vendor's value unchanged;
//   - null ([Clear]): clear the vendor's value;
//   - a value ([Set]): set it.
//
// A plain pointer cannot say "clear", which is why updates use Field. In
// JSON, absent is a missing key, null is null, and a value is the value;
// mark struct fields `json:",omitzero"` so absent fields are left out.
type Field[T any] struct {
	value T
	state fieldState
}

type fieldState uint8

const (
	absent fieldState = iota
	null
	present
)

// Set returns a Field that sets v.
func Set[T any](v T) Field[T] { return Field[T]{value: v, state: present} }

// Clear returns a Field that clears the vendor's value.
func Clear[T any]() Field[T] { return Field[T]{state: null} }

// IsZero reports whether f is absent; encoding/json's omitzero uses it.
func (f Field[T]) IsZero() bool { return f.state == absent }

// IsAbsent reports whether f leaves the vendor's value unchanged.
func (f Field[T]) IsAbsent() bool { return f.state == absent }

// IsNull reports whether f clears the vendor's value.
func (f Field[T]) IsNull() bool { return f.state == null }

// Value returns the value f sets, and whether it sets one.
func (f Field[T]) Value() (T, bool) { return f.value, f.state == present }

// MarshalJSON writes null for a cleared field and the value otherwise.
// Absent fields should be left out with omitzero; alone, they write null.
func (f Field[T]) MarshalJSON() ([]byte, error) {
	if f.state != present {
		return []byte("null"), nil
	}
	return json.Marshal(f.value)
}

// UnmarshalJSON reads null as Clear and anything else as Set. encoding/json
// does not call it for a missing key, which therefore stays absent.
func (f *Field[T]) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*f = Clear[T]()
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = Set(v)
	return nil
}
