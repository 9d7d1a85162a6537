package specs_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/specs"
)

func load(t *testing.T, v specs.Vendor) *openapi3.T {
	t.Helper()
	doc, err := specs.Load(context.Background(), v)
	require.NoError(t, err)
	return doc
}

func TestEverySpecLoadsAndValidates(t *testing.T) {
	for _, v := range specs.Vendors {
		t.Run(string(v), func(t *testing.T) {
			doc := load(t, v)
			assert.Equal(t, "3.0.3", doc.OpenAPI)
			assert.NotEmpty(t, doc.Info.Version, "info.version")
			require.NotNil(t, doc.ExternalDocs, "externalDocs names the vendor doc the spec follows")
			assert.True(t, strings.HasPrefix(doc.ExternalDocs.URL, "https://"))
			assert.NotEmpty(t, doc.Info.Extensions["x-vendor-doc"], "info.x-vendor-doc")
			assert.Regexp(t, `^\d{4}-\d{2}-\d{2}$`, doc.Info.Extensions["x-vendor-doc-checked"], "info.x-vendor-doc-checked is a date")
			require.NotEmpty(t, doc.Servers)
			for _, item := range doc.Paths.Map() {
				for _, op := range item.Operations() {
					assert.Empty(t, op.Servers, "servers live at the top level only")
				}
			}
		})
	}
}

// example is one example found in a spec, with the schema it must satisfy
// and whether it travels in a request (readOnly fields forbidden) or a
// response (writeOnly fields forbidden). obj is the Example Object it came
// from, which carries its marks; nil for a bare `example:`, which cannot
// carry any.
type example struct {
	where   string
	value   any
	schema  *openapi3.Schema
	request bool
	obj     *openapi3.Example
}

// examplesOf walks every media-type and parameter example of a document.
func examplesOf(doc *openapi3.T) []example {
	var out []example
	media := func(where string, mt *openapi3.MediaType, request bool) {
		if mt == nil || mt.Schema == nil {
			return
		}
		if mt.Example != nil {
			out = append(out, example{where + " example", mt.Example, mt.Schema.Value, request, nil})
		}
		for name, ex := range mt.Examples {
			out = append(out, example{where + " examples." + name, ex.Value.Value, mt.Schema.Value, request, ex.Value})
		}
	}
	for path, item := range doc.Paths.Map() {
		params := append(openapi3.Parameters{}, item.Parameters...)
		for method, op := range item.Operations() {
			at := method + " " + path
			for _, p := range append(params, op.Parameters...) {
				if p.Value.Example != nil {
					out = append(out, example{at + " parameter " + p.Value.Name, p.Value.Example, p.Value.Schema.Value, true, nil})
				}
				for name, ex := range p.Value.Examples {
					out = append(out, example{at + " parameter " + p.Value.Name + " examples." + name, ex.Value.Value, p.Value.Schema.Value, true, ex.Value})
				}
			}
			if op.RequestBody != nil {
				for ct, mt := range op.RequestBody.Value.Content {
					media(at+" request "+ct, mt, true)
				}
			}
			for status, resp := range op.Responses.Map() {
				for ct, mt := range resp.Value.Content {
					media(at+" response "+status+" "+ct, mt, false)
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].where < out[j].where })
	return out
}

func validateExample(ex example) error {
	opts := []openapi3.SchemaValidationOption{openapi3.MultiErrors()}
	if ex.request {
		opts = append(opts, openapi3.VisitAsRequest())
	} else {
		opts = append(opts, openapi3.VisitAsResponse())
	}
	return ex.schema.VisitJSON(ex.value, opts...)
}

func TestEveryExampleValidatesAgainstItsSchema(t *testing.T) {
	for _, v := range specs.Vendors {
		doc := load(t, v)
		exs := examplesOf(doc)
		require.NotEmpty(t, exs, "%s has examples", v)
		for _, ex := range exs {
			t.Run(fmt.Sprintf("%s/%s", v, ex.where), func(t *testing.T) {
				assert.NoError(t, validateExample(ex))
			})
		}
	}
}

// The check above must be able to fail: a broken example is caught.
func TestABrokenExampleIsCaught(t *testing.T) {
	tests := []struct {
		vendor specs.Vendor
		where  string
		spoil  func(map[string]any)
	}{
		{specs.BlueTape, "request", func(m map[string]any) { delete(m, "lastName") }},
		{specs.BlueTape, "request", func(m map[string]any) { m["nickname"] = "Jo" }},
		{specs.Upwell, "request", func(m map[string]any) { m["where"] = map[string]any{} }},
		{specs.Upwell, "response 200", func(m map[string]any) { m["updateCustomer"] = map[string]any{"affectedRows": "one"} }},
		{specs.Billbee, "request", func(m map[string]any) { m["Id"] = "100000150176895" }},
		{specs.Billbee, "request", func(m map[string]any) {
			m["DefaultMailAddress"] = map[string]any{"Id": "208297764"} // an id is an integer
		}},
		{specs.Billbee, "response 200", func(m map[string]any) {
			m["Data"].(map[string]any)["ArchivedAt"] = "21.08.2021 13:00"
		}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s", tt.vendor, tt.where), func(t *testing.T) {
			var target *example
			for _, ex := range examplesOf(load(t, tt.vendor)) {
				if strings.Contains(ex.where, " "+tt.where+" ") {
					if _, ok := ex.value.(map[string]any); ok && (tt.where != "response 200" || hasKey(ex.value, "Data") || hasKey(ex.value, "updateCustomer")) {
						ex := ex
						target = &ex
						break
					}
				}
			}
			require.NotNil(t, target, "found an example to break")
			require.NoError(t, validateExample(*target))
			broken := deepCopy(target.value).(map[string]any)
			tt.spoil(broken)
			target.value = broken
			assert.Error(t, validateExample(*target))
		})
	}
}

func hasKey(v any, k string) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	_, ok = m[k]
	return ok
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = deepCopy(e)
		}
		return out
	default:
		return v
	}
}
