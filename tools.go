//go:build tools

// This file pins the code generator's version in go.mod, so that
// `go generate ./...` runs exactly the oapi-codegen the committed gen/
// packages came from. It is never compiled into the library.
package custsync

import (
	_ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
)
