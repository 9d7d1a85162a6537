// Package custsync updates customer records at Upwell, BlueTape and Billbee
// through one interface. The library lives in adapter/ (the portable API)
// and adapter/<vendor> (one driver per vendor); the clients the drivers use
// are generated from specs/ into gen/ by the directives below.
//
// Regenerate with `go generate ./...` (or `make generate`) after editing a
// spec; never edit gen/ by hand.
package custsync

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config gen/upwell/oapi-codegen.yaml specs/upwell.yaml
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config gen/bluetape/oapi-codegen.yaml specs/bluetape.yaml
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config gen/billbee/oapi-codegen.yaml specs/billbee.yaml
