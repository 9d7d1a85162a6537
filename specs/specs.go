// Package specs embeds the handwritten OpenAPI documents that generate the
// clients in gen/, so that tests, the sandbox and runtime validation check
// traffic against exactly the files the clients were generated from.
package specs

import (
	"context"
	"embed"
	"fmt"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/custsync/custsync/wiretime"
)

//go:embed *.yaml
var files embed.FS

// Vendor names a spec file: specs/<vendor>.yaml.
type Vendor string

// The vendors custsync speaks to.
const (
	Upwell   Vendor = "upwell"
	BlueTape Vendor = "bluetape"
	Billbee  Vendor = "billbee"
)

// Vendors lists every vendor with a spec, in a stable order.
var Vendors = []Vendor{Upwell, BlueTape, Billbee}

// Raw returns the spec file's bytes.
func Raw(v Vendor) ([]byte, error) {
	b, err := files.ReadFile(string(v) + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("specs: no spec for vendor %q", v)
	}
	return b, nil
}

var registerFormats = sync.OnceFunc(func() {
	openapi3.DefineStringFormatValidator(wiretime.Format, openapi3.NewCallbackValidator(wiretime.Validate))
})

// Load parses and validates the vendor's spec and returns a fresh document
// each call, so callers may change it (tests often clear Servers). It also
// registers the custom string formats the specs use with kin-openapi.
func Load(ctx context.Context, v Vendor) (*openapi3.T, error) {
	registerFormats()
	raw, err := Raw(v)
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	loader.Context = ctx
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		return nil, fmt.Errorf("specs: load %s: %w", v, err)
	}
	if err := doc.Validate(ctx, openapi3.EnableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("specs: validate %s: %w", v, err)
	}
	return doc, nil
}
