package adapter

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/custsync/custsync/adapter/internal/canonical"
	"github.com/custsync/custsync/adapter/internal/fieldname"
)

// digestVersion prefixes every digest. It changes whenever the canonical
// form does, so a state store written by an older form never matches by
// accident: it only costs one re-send of each record.
const digestVersion = "v1"

// Digest is a fingerprint of the update as the caller gave it, in its
// canonical form (see CanonicalJSON): "v1:" and the hex SHA-256 of it.
// Equal digests mean the same change to the same customer; a sync state
// store compares them to skip a record that was already confirmed.
//
// It is the digest of the update, not of the vendor's record: a Billbee
// read-modify-write also sends back fields it read, which change at the
// vendor's side without the update changing.
func (u *CustomerUpdate) Digest() (string, error) {
	w := newCanonicalWriter()
	defer w.release()
	canon, err := w.canonicalJSON(u)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(canon)
	var d [len(digestVersion) + 1 + 2*sha256.Size]byte
	n := copy(d[:], digestVersion+":")
	hex.Encode(d[n:], sum[:])
	return string(d[:]), nil
}

// CanonicalJSON is the update's JSON form written one way only, so two
// updates that mean the same change give the same bytes:
//
//   - object keys sorted (also inside metadata);
//   - numbers in metadata written as the exact decimal value they spell
//     (1, 1.0, 1e0 and 10e-1 are one number, "1"; no precision is lost);
//   - modifiedAt as an RFC 3339 instant in UTC;
//   - a vendor section that sets nothing ("upwell": {}) left out.
//
// Absent, null and a value stay distinct: an absent field has no key,
// a cleared one is null.
func (u *CustomerUpdate) CanonicalJSON() ([]byte, error) {
	w := newCanonicalWriter()
	defer w.release()
	canon, err := w.canonicalJSON(u)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(canon), nil
}

// canonicalJSON writes u's canonical form with w, or through encoding/json
// where w gives up. The result may be w's buffer, valid until w's release.
func (w *canonicalWriter) canonicalJSON(u *CustomerUpdate) ([]byte, error) {
	if u == nil {
		return nil, invalidArgument("", "no update given")
	}
	if canon := w.update(u); canon != nil {
		return canon, nil
	}
	return canonicalJSONByEncodingJSON(u)
}

// canonicalJSONByEncodingJSON writes the canonical form the way it was
// first defined: marshal, decode into a map, rewrite metadata numbers,
// encode with sorted keys. It is many times slower than the direct writer
// (canonical.go) and takes what that one leaves to it: metadata of Go
// types it does not know or nested very deep, and values encoding/json
// refuses, whose errors it reports.
func canonicalJSONByEncodingJSON(u *CustomerUpdate) ([]byte, error) {
	c := *u
	if c.Upwell != nil && *c.Upwell == (UpwellFields{}) {
		c.Upwell = nil
	}
	if c.Billbee != nil && *c.Billbee == (BillbeeFields{}) {
		c.Billbee = nil
	}
	if t, ok := c.ModifiedAt.Value(); ok {
		c.ModifiedAt = Set(t.UTC())
	}
	raw, err := json.Marshal(&c)
	if err != nil {
		return nil, invalidArgument("", "cannot write the update as JSON: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tree map[string]any
	if err := dec.Decode(&tree); err != nil {
		return nil, invalidArgument("", "cannot read the update's JSON back: %v", err)
	}
	// Only metadata holds numbers as the caller spelled them; the typed
	// fields are Go integers, which encoding/json writes one way already
	// (and the canonical form must still parse into them).
	if err := canonicalNumbers(tree[fieldname.Metadata]); err != nil {
		return nil, invalidArgument(fieldname.Metadata, "%v", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(tree); err != nil { // maps are written with sorted keys
		return nil, invalidArgument("", "cannot write the canonical form: %v", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// canonicalNumbers rewrites, in place, every json.Number in v to its
// canonical spelling.
func canonicalNumbers(v any) error {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if n, ok := x.(json.Number); ok {
				c, err := canonical.Number(string(n))
				if err != nil {
					return err
				}
				v[k] = json.Number(c)
				continue
			}
			if err := canonicalNumbers(x); err != nil {
				return err
			}
		}
	case []any:
		for i, x := range v {
			if n, ok := x.(json.Number); ok {
				c, err := canonical.Number(string(n))
				if err != nil {
					return err
				}
				v[i] = json.Number(c)
				continue
			}
			if err := canonicalNumbers(x); err != nil {
				return err
			}
		}
	}
	return nil
}
