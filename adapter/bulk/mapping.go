package bulk

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/custsync/custsync/adapter"
)

// errorColumn is the column a CSV failures file adds to the input's
// columns: the Failure, as JSON. Read as an input, it is ignored.
const errorColumn = "_error"

// defaultSeparator separates the items of a list field (ccEmails) in a
// cell, unless a Column says otherwise.
const defaultSeparator = ","

// Mapping says which field of an update each column of a CSV input sets,
// for an export whose header names its columns in its own words
// ("Kundennummer", "E-Mail"). Every column of the header must be mapped
// or ignored: a column nobody said what to do with is refused, not
// dropped. A Mapping must not be changed once a reader uses it.
type Mapping struct {
	// Columns maps a column's name, as the header writes it (spaces
	// around it aside), to what it sets.
	Columns map[string]Column
	// Ignore lists columns that are read and not used.
	Ignore []string
	// NullMarker is the cell text that clears a field, for every column
	// whose Column.NullMarker is "" (see [CSVConfig]); "" for none.
	NullMarker string
}

// Column is what one column sets.
type Column struct {
	// Field is the field's path, as [adapter.FieldNames] lists them:
	// "email", "upwell.dueOption".
	Field string
	// NullMarker is the cell text that clears the field; "" leaves it to
	// CSVConfig.NullMarker and then Mapping.NullMarker.
	NullMarker string
	// Separator separates the items of a list field (ccEmails) in a cell;
	// "" is ",". Items are trimmed of spaces.
	Separator string
}

// ParseMapping reads a mapping file, in YAML or JSON (JSON is YAML too):
//
//	columns:
//	  Kundennummer: id
//	  Firma: name
//	  E-Mail: email
//	  Weitere E-Mails: {field: ccEmails, separator: ";"}
//	  USt-IdNr.: {field: vatId, nullMarker: "-"}
//	  Zahlungsziel: upwell.dueOption
//	ignore: [Anlagedatum, Bemerkung]
//	nullMarker: '\N'
//
// A column is its field's path, or an object with the keys field,
// nullMarker and separator; column names are taken as written, whatever
// YAML would read them as (a column named 2024 or null is that text).
// Unknown keys, a column given twice, a field that does not exist, a
// field two columns set, and a column both mapped and ignored are
// errors naming them.
func ParseMapping(data []byte) (*Mapping, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil, errors.New("mapping: the file is empty; want columns: {COLUMN: FIELD, ...}")
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("mapping: line %d: want an object with the keys columns, ignore and nullMarker", top.Line)
	}
	m := &Mapping{Columns: map[string]Column{}}
	for i := 0; i+1 < len(top.Content); i += 2 {
		key, value := top.Content[i], top.Content[i+1]
		var err error
		switch key.Value {
		case "columns":
			err = m.readColumns(value)
		case "ignore":
			err = yamlStrings(value, &m.Ignore)
		case "nullMarker":
			err = yamlString(value, &m.NullMarker)
		default:
			err = fmt.Errorf("line %d: unknown key %q; want columns, ignore or nullMarker", key.Line, key.Value)
		}
		if err != nil {
			return nil, fmt.Errorf("mapping: %w", err)
		}
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Mapping) readColumns(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: columns: want an object, COLUMN: FIELD", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], n.Content[i+1]
		if key.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: columns: a column's name must be text", key.Line)
		}
		name := strings.TrimSpace(key.Value)
		if _, dup := m.Columns[name]; dup {
			return fmt.Errorf("line %d: columns: %q is given twice", key.Line, name)
		}
		var c Column
		switch value.Kind {
		case yaml.ScalarNode:
			c.Field = value.Value
		case yaml.MappingNode:
			for j := 0; j+1 < len(value.Content); j += 2 {
				k, v := value.Content[j], value.Content[j+1]
				var err error
				switch k.Value {
				case "field":
					err = yamlString(v, &c.Field)
				case "nullMarker":
					err = yamlString(v, &c.NullMarker)
				case "separator":
					err = yamlString(v, &c.Separator)
				default:
					err = fmt.Errorf("line %d: column %q: unknown key %q; want field, nullMarker or separator", k.Line, name, k.Value)
				}
				if err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("line %d: column %q: want a field's path or {field: ..., nullMarker: ..., separator: ...}", value.Line, name)
		}
		m.Columns[name] = c
	}
	return nil
}

func yamlString(n *yaml.Node, dst *string) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want text", n.Line)
	}
	*dst = n.Value
	return nil
}

func yamlStrings(n *yaml.Node, dst *[]string) error {
	if n.Kind != yaml.SequenceNode {
		return fmt.Errorf("line %d: ignore: want a list of column names", n.Line)
	}
	for _, item := range n.Content {
		var s string
		if err := yamlString(item, &s); err != nil {
			return err
		}
		*dst = append(*dst, strings.TrimSpace(s))
	}
	return nil
}

// check refuses a mapping that cannot be right whatever the header: a
// field that does not exist, one that two columns set, a separator on a
// field that is no list, a column both mapped and ignored.
func (m *Mapping) check() error {
	setBy := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(m.Columns)) {
		c := m.Columns[name]
		if name == errorColumn {
			return fmt.Errorf("mapping: column %q is the failures file's own, read as nothing; map another", name)
		}
		kind := adapter.FieldKindOf(c.Field)
		if kind == 0 {
			return fmt.Errorf("mapping: column %q: %s", name, noSuchField(c.Field))
		}
		if other, ok := setBy[c.Field]; ok {
			return fmt.Errorf("mapping: columns %q and %q both set %s; map one of them, ignore the other", other, name, c.Field)
		}
		setBy[c.Field] = name
		if c.Separator != "" && kind != adapter.KindTextList {
			return fmt.Errorf("mapping: column %q: a separator is for a list field (ccEmails), not %s", name, c.Field)
		}
		if slices.Contains(m.Ignore, name) {
			return fmt.Errorf("mapping: column %q is both mapped and ignored", name)
		}
	}
	return nil
}

// noSuchField says that name is no field, and which field it may have
// meant.
func noSuchField(name string) string {
	if name == "" {
		return "no field given; want one of " + strings.Join(adapter.FieldNames(), ", ")
	}
	for _, f := range adapter.FieldNames() {
		if strings.EqualFold(f, name) {
			return fmt.Sprintf("%q is no field; did you mean %s?", name, f)
		}
	}
	return fmt.Sprintf("%q is no field; want one of %s", name, strings.Join(adapter.FieldNames(), ", "))
}
