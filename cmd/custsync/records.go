package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/driver"
)

// The reserved keys of the failures file. A failed line is written back as
// its own JSON object plus errorKey; a line that is not a JSON object is
// written as {rawKey: "<the line>", errorKey: {...}}. Reading drops
// errorKey and unwraps rawKey, so a failures file is valid input to push.
const (
	errorKey = "_error"
	rawKey   = "_raw"
)

// payload is what a failed line is written back as, without its _error.
type payload struct {
	// object is the line's JSON object without any earlier _error, with
	// its members as written (values byte for byte, numbers exact, order
	// kept); nil when the line is not a JSON object.
	object []byte
	// raw is the line's text when it is not a JSON object.
	raw []byte
}

// decodeLine reads one input line: the update it holds, and its payload
// for the failures file should it fail. err is the InvalidArgument error
// of a line that is not a valid customer.
func decodeLine(text []byte) (*adapter.CustomerUpdate, payload, error) {
	members, ok := objectMembers(text)
	if !ok {
		_, err := adapter.ParseCustomerUpdate(text)
		if err == nil { // cannot happen: ParseCustomerUpdate wants an object too
			err = driver.InvalidField("", "want one JSON object")
		}
		return nil, payload{raw: bytes.Clone(text)}, err
	}
	if raw, ok := rawMember(members); ok {
		// A line the failures file kept as text: read the text again, so a
		// fixed _raw goes through and an unfixed one fails as before.
		return decodeLine(raw)
	}
	kept := members[:0]
	for _, m := range members {
		if m.key != errorKey {
			kept = append(kept, m)
		}
	}
	obj := encodeMembers(kept)
	u, err := adapter.ParseCustomerUpdate(obj)
	return u, payload{object: obj}, err
}

// tooLongPayload keeps the start of a line over maxLineBytes: enough for
// a person to find it in the input, which the error's line number also
// points to.
func tooLongPayload(text []byte) payload {
	const keep = 256
	if len(text) <= keep {
		return payload{raw: bytes.Clone(text)}
	}
	cut := keep
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return payload{raw: append(bytes.Clone(text[:cut]), "…"...)}
}

type member struct {
	key   string
	value json.RawMessage
}

// objectMembers splits a line holding exactly one JSON object into its
// members; ok is false for anything else.
func objectMembers(text []byte) (members []member, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(text))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		key, isKey := tok.(string)
		if !isKey {
			return nil, false
		}
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, false
		}
		members = append(members, member{key: key, value: value})
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return members, true
}

// rawMember returns the text of a {"_raw": "...", "_error": ...} line.
func rawMember(members []member) ([]byte, bool) {
	var raw []byte
	found := false
	for _, m := range members {
		switch m.key {
		case errorKey:
		case rawKey:
			var s string
			if json.Unmarshal(m.value, &s) != nil {
				return nil, false
			}
			raw, found = []byte(s), true
		default:
			return nil, false
		}
	}
	return raw, found
}

func encodeMembers(members []member) []byte {
	b := []byte{'{'}
	for i, m := range members {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, m.key)
		b = append(b, ':')
		b = append(b, m.value...)
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string without HTML escaping, so
// text comes back as it was written. Invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

// failureInfo is the _error object of the failures file.
type failureInfo struct {
	Line   int    `json:"line"` // the line's number in the input it was read from
	Vendor string `json:"vendor"`
	errorInfo
}

// appendFailure appends the failures-file line for a failed record.
func appendFailure(b []byte, p payload, info failureInfo) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(info); err != nil {
		panic(fmt.Sprintf("custsync: encoding a failure: %v", err)) // plain strings and ints always encode
	}
	errJSON := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	switch {
	case p.object == nil:
		b = append(b, `{"`+rawKey+`":`...)
		b = appendJSONString(b, string(p.raw))
		b = append(b, ',')
	case len(p.object) <= 2: // {}
		b = append(b, '{')
	default:
		b = append(b, p.object[:len(p.object)-1]...)
		b = append(b, ',')
	}
	b = append(b, `"`+errorKey+`":`...)
	b = append(b, errJSON...)
	return append(b, '}', '\n')
}

// customerNamed returns, for a line that is not a valid customer update
// but names one (a JSON object whose "id", and "sourceSystem" if given,
// are strings), an update that addresses that customer and sets nothing:
// a placeholder that every client refuses before sending anything.
func customerNamed(p payload) (*adapter.CustomerUpdate, bool) {
	if p.object == nil {
		return nil, false
	}
	var named struct {
		ID           *string `json:"id"`
		SourceSystem *string `json:"sourceSystem"`
	}
	// Only these two keys are read; the line's other faults do not matter.
	members, ok := objectMembers(p.object)
	if !ok {
		return nil, false
	}
	for _, m := range members {
		var dst **string
		switch m.key {
		case "id":
			dst = &named.ID
		case "sourceSystem":
			dst = &named.SourceSystem
		default:
			continue
		}
		var v string
		if json.Unmarshal(m.value, &v) != nil {
			return nil, false
		}
		*dst = &v
	}
	if named.ID == nil || *named.ID == "" {
		return nil, false
	}
	u := &adapter.CustomerUpdate{ID: *named.ID}
	if named.SourceSystem != nil {
		u.SourceSystem = *named.SourceSystem
	}
	return u, true
}
