// Package wirejson encodes the request bodies the drivers build from the
// generated types, byte for byte as encoding/json's Marshal does, at less
// cost.
//
// The generated types hold nullable.Nullable fields (absent, null or a
// value), whose MarshalJSON encodes each value with a nested json.Marshal
// that encoding/json then checks and copies again: three such fields were
// most of the cost of encoding an Upwell update. From Go 1.27 on, where
// encoding/json/v2 exists (GOEXPERIMENT=jsonv2, the default), Marshal
// encodes through it with v1's options and marshalers for the Nullable
// types the generated code uses, which write the value straight to the
// encoder; elsewhere it is json.Marshal.
// TestMarshalIsEncodingJSON and the drivers' tests hold the two to the same
// bytes.
package wirejson
