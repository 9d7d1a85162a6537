package adapter

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"
)

// CustomerUpdate is a change to one customer, in the portable model every
// driver accepts. ID says which customer; every other field is a [Field]:
// absent fields are left alone, cleared fields are emptied, set fields are
// written. A field a vendor cannot store fails the update with
// InvalidArgument naming it, unless the call is lenient (see [WithLenient]).
//
// Its JSON form (the canonical form the CLI reads) uses the json names
// below; vendor-only fields sit in an object named after the vendor:
//
//	{"id": "C-1001", "name": "Acme Corp", "vatId": null, "upwell": {"dueOption": 30}}
type CustomerUpdate struct {
	// ID is the key the vendor addresses the customer by: Upwell's
	// sourceSystemId, BlueTape's integrator id, Billbee's numeric id written
	// as a string ("100000150176895").
	ID string `json:"id"`
	// SourceSystem completes Upwell's key; when empty the client's default
	// (upwell.Config.SourceSystem, UPWELL_SOURCE_SYSTEM) is used.
	SourceSystem string `json:"sourceSystem,omitempty"`

	Name       Field[string]     `json:"name,omitzero"`
	FirstName  Field[string]     `json:"firstName,omitzero"`
	LastName   Field[string]     `json:"lastName,omitzero"`
	Email      Field[string]     `json:"email,omitzero"`
	CCEmails   Field[[]string]   `json:"ccEmails,omitzero"`
	Phone      Field[string]     `json:"phone,omitzero"`
	VATID      Field[string]     `json:"vatId,omitzero"`
	Metadata   Field[JSONObject] `json:"metadata,omitzero"`
	ModifiedAt Field[time.Time]  `json:"modifiedAt,omitzero"` // RFC 3339 in JSON

	Upwell  *UpwellFields  `json:"upwell,omitempty"`
	Billbee *BillbeeFields `json:"billbee,omitempty"`
}

// UpwellFields are fields only Upwell stores.
type UpwellFields struct {
	BillToCustomerID Field[string] `json:"billToCustomerId,omitzero"`
	DueOption        Field[int32]  `json:"dueOption,omitzero"` // customerRulesInput.dueOption
}

// BillbeeFields are fields only Billbee stores.
type BillbeeFields struct {
	PriceGroupID Field[int64] `json:"priceGroupId,omitzero"`
	LanguageID   Field[int32] `json:"languageId,omitzero"`
	Type         Field[int32] `json:"type,omitzero"` // 0 = end customer, 1 = business customer
	Number       Field[int32] `json:"number,omitzero"`
}

// JSONObject is a JSON object whose numbers keep every digit (they decode
// as json.Number, not float64), so metadata passes through unchanged.
type JSONObject map[string]any

// UnmarshalJSON decodes an object, keeping numbers exact.
func (o *JSONObject) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return err
	}
	if m == nil {
		return errors.New("want a JSON object")
	}
	if hasLoneSurrogate(b) {
		return errors.New(`holds an unpaired surrogate escape (\uD800 to \uDFFF), which is no character and would be stored as U+FFFD`)
	}
	*o = m
	return nil
}
