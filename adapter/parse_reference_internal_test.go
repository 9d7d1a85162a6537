package adapter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/custsync/custsync/adapter/internal/fieldname"
)

// unmarshalReference is (*CustomerUpdate).UnmarshalJSON as it was first
// written, through encoding/json's decoder: decode into raw members, walk
// the text a second time with Decoder.Token for duplicate keys, decode each
// field on its own. It defines what the canonical form accepts and every
// error it gives; the single-pass parser must match it. Keep it frozen: it
// is the contract, not code to improve.
func unmarshalReference(u *CustomerUpdate, data []byte) error {
	var top map[string]json.RawMessage
	if err := strictUnmarshal(data, &top); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field == "" {
			return invalidArgument("", "want one JSON object (one customer update), got a JSON %s", te.Value)
		}
		return invalidArgument("", "want one JSON object: %s", jsonErrorMessage(err))
	}
	if top == nil {
		return invalidArgument("", "want one JSON object (one customer update), got null")
	}
	if key, dup := duplicateKeyReference(data); dup {
		return invalidArgument(key, "is given more than once; each key may appear once")
	}
	if !validText(data) {
		return invalidUTF8Reference(top)
	}
	if err := checkKeysReference("", top, topLevelKeys); err != nil {
		return err
	}
	values := map[string]json.RawMessage{}
	for key, raw := range top {
		if vendorKeys[key] == nil {
			values[key] = raw
			continue
		}
		if string(raw) == "null" {
			continue
		}
		var section map[string]json.RawMessage
		if err := json.Unmarshal(raw, &section); err != nil {
			return invalidArgument(key, "want a JSON object")
		}
		if err := checkKeysReference(key+".", section, vendorKeys[key]); err != nil {
			return err
		}
		for name, v := range section {
			values[key+"."+name] = v
		}
	}
	var out CustomerUpdate
	if raw, ok := values[fieldname.ID]; ok {
		if err := json.Unmarshal(raw, &out.ID); err != nil {
			return invalidArgument(fieldname.ID, "want a string (write a Billbee id as \"100000150176895\"), got %s", excerpt(raw, 40))
		}
	}
	for _, f := range updateFields {
		raw, ok := values[f.name]
		if !ok {
			continue
		}
		if err := f.decode(&out, raw); err != nil {
			var e *Error
			if errors.As(err, &e) {
				return e
			}
			return invalidArgument(f.name, "%s", jsonErrorMessage(err))
		}
	}
	*u = out
	return nil
}

// referenceUpdate is a CustomerUpdate that encoding/json decodes with
// unmarshalReference.
type referenceUpdate CustomerUpdate

func (r *referenceUpdate) UnmarshalJSON(data []byte) error {
	return unmarshalReference((*CustomerUpdate)(r), data)
}

// parseReference is ParseCustomerUpdate as it was first written, over
// unmarshalReference.
func parseReference(data []byte) (*CustomerUpdate, error) {
	var u CustomerUpdate
	if err := json.Unmarshal(data, (*referenceUpdate)(&u)); err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, e
		}
		return nil, invalidArgument("", "%s", jsonErrorMessage(err))
	}
	return &u, nil
}

func duplicateKeyReference(data []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var walk func(path string) (string, bool, error)
	walk = func(path string) (string, bool, error) {
		tok, err := dec.Token()
		if err != nil {
			return "", false, err
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return "", false, err
				}
				key, _ := k.(string)
				name := key
				if path != "" {
					name = path + "." + key
				}
				if seen[key] {
					return name, true, nil
				}
				seen[key] = true
				if name, dup, err := walk(name); dup || err != nil {
					return name, dup, err
				}
			}
			_, err = dec.Token()
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if name, dup, err := walk(fmt.Sprintf("%s[%d]", path, i)); dup || err != nil {
					return name, dup, err
				}
			}
			_, err = dec.Token()
		}
		return "", false, err
	}
	name, dup, _ := walk("")
	return name, dup
}

func invalidUTF8Reference(top map[string]json.RawMessage) error {
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		raw := top[k]
		if validText(raw) {
			continue
		}
		if vendorKeys[k] != nil {
			var section map[string]json.RawMessage
			if json.Unmarshal(raw, &section) == nil {
				names := make([]string, 0, len(section))
				for n := range section {
					names = append(names, n)
				}
				sort.Strings(names)
				for _, n := range names {
					if !validText(section[n]) {
						return invalidArgument(k+"."+n, "is not valid UTF-8; fix the file's encoding (nothing was sent)")
					}
				}
			}
		}
		return invalidArgument(k, "is not valid UTF-8; fix the file's encoding (nothing was sent)")
	}
	return invalidArgument("", "a key is not valid UTF-8; fix the file's encoding (nothing was sent)")
}

func checkKeysReference(prefix string, got map[string]json.RawMessage, allowed map[string]bool) error {
	var unknown []string
	for k := range got {
		if !allowed[k] {
			unknown = append(unknown, prefix+k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return invalidArgument(unknown[0], "unknown field (known: %s)", strings.Join(knownKeys(prefix, allowed), ", "))
}
