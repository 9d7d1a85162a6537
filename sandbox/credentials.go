package sandbox

import (
	"crypto/subtle"
	"strings"
)

// Demo credentials the sandbox accepts unless WithCredentials replaces them.
// They are not secrets: they exist so that drivers, the CLI and users' tests
// can run the full authentication path against the sandbox. Clients scrub
// any 8 characters of a credential from error texts, so none holds a word
// their messages use ("bluetape", "password").
const (
	// UpwellAPIKey goes in the Authorization header as is, with no
	// "Bearer " prefix, as Upwell requires.
	UpwellAPIKey = "sandbox-upwell-key"

	// BlueTapeAPIKey goes in the X-BlueTape-Key header.
	BlueTapeAPIKey = "sandbox-bt-key"
	// BlueTapeAccountID goes in the X-Integration-AccountId header.
	BlueTapeAccountID = "sandbox-bt-account"

	// BillbeeAPIKey goes in the X-Billbee-Api-Key header.
	BillbeeAPIKey = "sandbox-billbee-key"
	// BillbeeUsername is the HTTP Basic user name (a Billbee login e-mail).
	BillbeeUsername = "sandbox@billbee.example"
	// BillbeeAPIPassword is the HTTP Basic password (Billbee's "API
	// password", not the login password).
	BillbeeAPIPassword = "sandbox-bb-api-pw"
)

// Credentials are the credentials the sandbox accepts, per vendor. A wrong
// or missing credential gets the vendor's 401 answer.
type Credentials struct {
	UpwellAPIKey string

	BlueTapeAPIKey    string
	BlueTapeAccountID string

	BillbeeAPIKey      string
	BillbeeUsername    string
	BillbeeAPIPassword string
}

// DefaultCredentials returns the demo credentials (UpwellAPIKey and the
// other constants).
func DefaultCredentials() Credentials {
	return Credentials{
		UpwellAPIKey:       UpwellAPIKey,
		BlueTapeAPIKey:     BlueTapeAPIKey,
		BlueTapeAccountID:  BlueTapeAccountID,
		BillbeeAPIKey:      BillbeeAPIKey,
		BillbeeUsername:    BillbeeUsername,
		BillbeeAPIPassword: BillbeeAPIPassword,
	}
}

// withDefaults fills empty fields from the demo credentials. An empty
// credential could never be presented anyway: the spec check rejects a
// blank header before the values are compared.
func (c Credentials) withDefaults() Credentials {
	d := DefaultCredentials()
	fill := func(dst *string, def string) {
		if *dst == "" {
			*dst = def
		}
	}
	fill(&c.UpwellAPIKey, d.UpwellAPIKey)
	fill(&c.BlueTapeAPIKey, d.BlueTapeAPIKey)
	fill(&c.BlueTapeAccountID, d.BlueTapeAccountID)
	fill(&c.BillbeeAPIKey, d.BillbeeAPIKey)
	fill(&c.BillbeeUsername, d.BillbeeUsername)
	fill(&c.BillbeeAPIPassword, d.BillbeeAPIPassword)
	return c
}

// secretEqual compares a presented secret with the expected one in
// constant time, so the sandbox does not teach callers a timing habit the
// real vendors would punish.
func secretEqual(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// usernameEqual compares Billbee user names, which are e-mail addresses and
// therefore case-insensitive.
func usernameEqual(got, want string) bool {
	return strings.EqualFold(got, want)
}
