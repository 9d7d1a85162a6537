package adapter

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
)

// DigestVersion prefixes every digest. It changes whenever the canonical
// form does, so a state store written by an older form never matches by
// accident: it only costs one re-send of each record.
const DigestVersion = "v1"

// Digest is a fingerprint of the update as the caller gave it, in its
// canonical form (see CanonicalJSON): "v1:" and the hex SHA-256 of it.
// Equal digests mean the same change to the same customer; a sync state
// store compares them to skip a record that was already confirmed.
//
// It is the digest of the update, not of the vendor's record: a Billbee
// read-modify-write also sends back fields it read, which change at the
// vendor's side without the update changing.
func (u *CustomerUpdate) Digest() (string, error) {
	canon, err := u.CanonicalJSON()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(canon)
	return DigestVersion + ":" + hex.EncodeToString(sum[:]), nil
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
	if u == nil {
		return nil, invalidArgument("", "no update given")
	}
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
	if err := canonicalNumbers(tree[FieldMetadata]); err != nil {
		return nil, invalidArgument(FieldMetadata, "%v", err)
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
				c, err := canonicalNumber(string(n))
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
				c, err := canonicalNumber(string(n))
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

// canonicalNumber writes the exact value of a JSON number one way: an
// optional minus, the significant digits without leading or trailing
// zeros, and "e" with the exponent when it is not 0 ("1.50" -> "15e-1",
// "1200" -> "12e2", "-0.0" -> "0"). It works on the digits, never
// through float64 (which would merge distinct large integers) nor through
// big.Rat (which 1e100000000 would make allocate without bound).
func canonicalNumber(s string) (string, error) {
	in := s
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	mant, exp, _ := strings.Cut(strings.ToLower(s), "e")
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return "", fmt.Errorf("%q is not a JSON number", in)
	}
	e := new(big.Int)
	if exp != "" {
		if _, ok := e.SetString(strings.TrimPrefix(exp, "+"), 10); !ok {
			return "", fmt.Errorf("%q is not a JSON number", in)
		}
	}
	e.Sub(e, big.NewInt(int64(len(frac))))
	digits = strings.TrimLeft(digits, "0")
	if digits == "" {
		return "0", nil
	}
	trimmed := strings.TrimRight(digits, "0")
	e.Add(e, big.NewInt(int64(len(digits)-len(trimmed))))
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteString(trimmed)
	if e.Sign() != 0 {
		b.WriteByte('e')
		b.WriteString(e.String())
	}
	return b.String(), nil
}
