package adapter

import (
	"bytes"
	"encoding/json"

	"github.com/custsync/custsync/adapter/internal/canonical"
	"github.com/custsync/custsync/adapter/internal/fieldname"
)

// canonicalJSONReference is CanonicalJSON as it was first written, through
// encoding/json: marshal, decode into a map, rewrite metadata numbers,
// encode with sorted keys. It defines the canonical form that stored
// digests were computed from; the direct writer must match it byte for
// byte. Keep it frozen: it is the contract, not code to improve.
func canonicalJSONReference(u *CustomerUpdate) ([]byte, error) {
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
	if err := canonicalNumbersReference(tree[fieldname.Metadata]); err != nil {
		return nil, invalidArgument(fieldname.Metadata, "%v", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(tree); err != nil {
		return nil, invalidArgument("", "cannot write the canonical form: %v", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func canonicalNumbersReference(v any) error {
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
			if err := canonicalNumbersReference(x); err != nil {
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
			if err := canonicalNumbersReference(x); err != nil {
				return err
			}
		}
	}
	return nil
}
