package adapter

import (
	"encoding/json"
	"fmt"
)

// FieldMapping says where a vendor stores one portable field.
type FieldMapping struct {
	Field       string // portable name, e.g. "email"
	VendorField string // e.g. "input.emailAddress"
	Note        string // what the vendor does with it, when not obvious
}

// Result says what an update did.
type Result struct {
	Vendor     string   `json:"vendor"`
	ID         string   `json:"id"`        // the portable id the update addressed
	VendorID   string   `json:"vendorId"`  // the vendor's own id for the record
	HTTPStatus int      `json:"status"`    // status of the final request
	RequestID  string   `json:"requestId"` // vendor request id of the final request, if any
	Attempts   int      `json:"attempts"`  // HTTP attempts, retries included (Billbee: GET + PUT)
	Sent       []string `json:"sent"`      // portable fields sent
	Dropped    []string `json:"dropped"`   // fields dropped in lenient mode
	// Mismatches are the fields the vendor's answer shows stored otherwise
	// than sent (see Mismatch for which differences count); empty when
	// everything matched or the vendor does not answer with the record.
	Mismatches []Mismatch `json:"mismatches"`
	// Unchanged is true when the vendor already held every value the
	// update sets, so no write was sent (Billbee, after its read: one
	// request instead of two).
	Unchanged bool `json:"unchanged"`
	// Skipped is true when a bulk run's state store holds this very update
	// as confirmed, so no request was sent at all (Unchanged is true too).
	Skipped bool `json:"skipped"`
	// DryRun is set by a dry run (WithDryRun): what the write would have
	// been. Nothing was written.
	DryRun *DryRunReport `json:"dryRun,omitempty"`
}

// DryRunReport is what a dry run found.
type DryRunReport struct {
	// Method and Path are the write that would have been sent
	// ("PUT", "/api/v1/customers/42").
	Method string `json:"method"`
	Path   string `json:"path"`
	// Body is the request body that would have been sent, as JSON.
	Body json.RawMessage `json:"body"`
	// Changes is the field-level difference between the record as read
	// and what the write would store, for vendors that can be read
	// (Billbee); nil where there is no read (Upwell, BlueTape). Empty when
	// nothing would change (Result.Unchanged is then true too).
	Changes []Change `json:"changes,omitempty"`
}

// Change is one field a write would change.
type Change struct {
	Field       string          `json:"field"`       // portable name, "name"
	VendorField string          `json:"vendorField"` // the vendor's, "Name"
	Current     json.RawMessage `json:"current"`     // as read; null when null or not sent
	New         json.RawMessage `json:"new"`         // as it would be written
}

// Mismatch is a field the vendor confirmed but did not store as sent: what
// the update sent and what the vendor's answer says it stored, both as
// JSON. Drivers whose vendor answers with the stored record (Upwell's
// returning, Billbee's PUT answer) compare every field they sent with it;
// BlueTape answers with an id only, so its updates carry no mismatches.
//
// Vendors normalise some values, and those differences do not count:
//
//   - email and ccEmails: letter case and surrounding spaces
//     ("Ap@Acme.example" stored as "ap@acme.example");
//   - phone: everything but the digits, and "+" written as "00"
//     ("+49 30 1234-56" stored as "0049301234 56");
//   - vatId: spaces, dots and dashes, and letter case ("de 123.456.789"
//     stored as "DE123456789");
//   - a cleared field stored as "" or [] instead of null.
//
// Every other difference counts: another text, another number (compared
// exactly, 1e400 included), a field set but stored empty, a field cleared
// but still stored. A field the answer does not show is not checked. With
// WithStrict a mismatch fails the update (it was applied all the same).
type Mismatch struct {
	Field  string          `json:"field"`  // portable field name
	Sent   json.RawMessage `json:"sent"`   // the value sent; null for a clear
	Stored json.RawMessage `json:"stored"` // the value the vendor says it stored
}

func (m Mismatch) String() string {
	return fmt.Sprintf("%s: sent %s, stored %s", m.Field, m.Sent, m.Stored)
}
