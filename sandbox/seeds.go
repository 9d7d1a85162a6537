package sandbox

import (
	"fmt"
	"strconv"

	"github.com/custsync/custsync/specs"
)

// Seed customers every new Sandbox holds. The package documentation has a
// table of what each one is for.
const (
	// UpwellSourceSystem is the source system of every Upwell seed and
	// synthetic customer.
	UpwellSourceSystem = "ACME"
	// UpwellCustomerAcme is a fully populated customer: e-mail, cc list,
	// bill-to, metadata, balances, a customer rule (dueOption 30) and an
	// address.
	UpwellCustomerAcme = "C-1001"
	// UpwellCustomerAcmeWest is a subsidiary billed to UpwellCustomerAcme,
	// with a customer rule (dueOption 45) and two addresses.
	UpwellCustomerAcmeWest = "C-1002"
	// UpwellCustomerInitech is sparse: null e-mail, cc list, bill-to and
	// metadata, no addresses and no customer rule, so a customerRulesInput
	// affects 0 rows.
	UpwellCustomerInitech = "C-1003"

	// BlueTapeCustomerJohn is the customer of BlueTape's own docs.
	BlueTapeCustomerJohn = "dc506b22c7fa"
	// BlueTapeCustomerJohnBlueTapeID is BlueTape's id for BlueTapeCustomerJohn.
	BlueTapeCustomerJohnBlueTapeID = "fb5637b2e5f3"
	// BlueTapeCustomerJane has an id in the style of BlueTape's credit-info
	// example.
	BlueTapeCustomerJane = "generic_customer_id_individual_22"
	// BlueTapeCustomerJaneBlueTapeID is BlueTape's id for BlueTapeCustomerJane.
	BlueTapeCustomerJaneBlueTapeID = "6d1e8a4c2b90"

	// BillbeeCustomerMax is the official PHP SDK's fixture customer: every
	// field set, all six Default* objects and two MetaData entries.
	BillbeeCustomerMax int64 = 100000150176895
	// BillbeeCustomerSparse is the customer of a real 2021 order answer:
	// Tel1, Tel2, PriceGroupId, LanguageId, VatId, Type, every Default*
	// and MetaData are null.
	BillbeeCustomerSparse int64 = 7674534536
	// BillbeeCustomerArchived is archived (ArchivedAt
	// "2021-08-21T13:00:33.23", no offset): GET works, PUT is refused.
	BillbeeCustomerArchived int64 = 100000150176896
)

// Synthetic customers (WithSyntheticCustomers) are numbered from 1.
const (
	// syntheticBillbeeBase + i is the Billbee Id of synthetic customer i.
	syntheticBillbeeBase int64 = 200_000_000_000_000
	// syntheticBillbeeMetaBase + i is the Id of its e-mail meta data entry,
	// clear of seeded Ids and of firstAssignedMetaID.
	syntheticBillbeeMetaBase int64 = 250_000_000_000
	syntheticTimestamp             = "2024-01-01T00:00:00+00:00"
)

// SyntheticID returns the id of synthetic customer i (1-based) of vendor v,
// as a client addresses it and as Customer accepts it:
//
//	Upwell    sourceSystemId "S-00001", "S-00002", ... (sourceSystem UpwellSourceSystem)
//	BlueTape  "synthetic-00001", "synthetic-00002", ...
//	Billbee   "200000000000001", "200000000000002", ...
//
// It panics for an unknown vendor.
func SyntheticID(v specs.Vendor, i int) string {
	switch v {
	case specs.Upwell:
		return fmt.Sprintf("S-%05d", i)
	case specs.BlueTape:
		return fmt.Sprintf("synthetic-%05d", i)
	case specs.Billbee:
		return strconv.FormatInt(syntheticBillbeeBase+int64(i), 10)
	}
	panic(fmt.Sprintf("sandbox: unknown vendor %q", v))
}

// upwellSeeds returns fresh records, so sandboxes never share state.
func upwellSeeds() []map[string]any {
	const acmeID = "6f1c2a9e-3b7d-4e0a-9c55-8d2f0b1a1001"
	return []map[string]any{
		{
			"id":                     acmeID,
			"name":                   "Acme Corp",
			"emailAddress":           "ap@acme.example",
			"ccEmailAddresses":       []any{"controller@acme.example", "billing@acme.example"},
			"billToCustomerId":       acmeID,
			"collectorId":            "usr_4k2m9q",
			"sourceSystem":           UpwellSourceSystem,
			"sourceSystemId":         UpwellCustomerAcme,
			"metadata":               map[string]any{"segment": "enterprise", "erpVendorNo": "V-88231", "tags": []any{"net30", "priority"}},
			"balance":                1250075,
			"overdueBalance":         310000,
			"overdueInvoiceCount":    2,
			"createdAt":              "2024-03-01T09:15:00+00:00",
			"updatedAt":              "2025-06-12T14:02:11.482913+00:00",
			"deletedAt":              nil,
			"addressesLastUpdatedAt": "2024-03-01T09:15:00+00:00",
			"contactsLastUpdatedAt":  nil,
			"customerRule":           map[string]any{"id": "b3e4c1d2-7a8f-4b6e-a1c0-5d9e2f3a1001", "dueOption": 30},
			"addresses": []any{
				map[string]any{
					"id": "a7d0e1f2-1111-4c3b-8e2a-0c1d2e3f1001", "type": "ADDRESS_BOOK",
					"streetLine1": "100 Main Street", "streetLine2": "Suite 400", "city": "Springfield",
					"stateOrProvince": "IL", "zipOrPostalCode": "62701", "country": "US",
				},
			},
		},
		{
			"id":                     "6f1c2a9e-3b7d-4e0a-9c55-8d2f0b1a1002",
			"name":                   "Acme Logistics West",
			"emailAddress":           "payables@west.acme.example",
			"ccEmailAddresses":       []any{},
			"billToCustomerId":       acmeID,
			"collectorId":            nil,
			"sourceSystem":           UpwellSourceSystem,
			"sourceSystemId":         UpwellCustomerAcmeWest,
			"metadata":               map[string]any{"segment": "subsidiary", "region": "west"},
			"balance":                48000,
			"overdueBalance":         0,
			"overdueInvoiceCount":    0,
			"createdAt":              "2024-04-18T16:40:27.5+00:00",
			"updatedAt":              "2025-01-09T08:00:00+00:00",
			"deletedAt":              nil,
			"addressesLastUpdatedAt": "2024-04-18T16:40:27.5+00:00",
			"contactsLastUpdatedAt":  "2024-04-18T16:40:27.5+00:00",
			"customerRule":           map[string]any{"id": "b3e4c1d2-7a8f-4b6e-a1c0-5d9e2f3a1002", "dueOption": 45},
			"addresses": []any{
				map[string]any{
					"id": "a7d0e1f2-2222-4c3b-8e2a-0c1d2e3f1002", "type": "ADDRESS_BOOK",
					"streetLine1": "2500 Harbor Blvd", "streetLine2": nil, "city": "Reno",
					"stateOrProvince": "NV", "zipOrPostalCode": "89501", "country": "US",
				},
				map[string]any{
					"id": "a7d0e1f2-3333-4c3b-8e2a-0c1d2e3f1002", "type": "ADDRESS_BOOK",
					"streetLine1": "40 Bay Street", "streetLine2": "Floor 12", "city": "Toronto",
					"stateOrProvince": "ON", "zipOrPostalCode": "M5J 2X2", "country": "CA",
				},
			},
		},
		{
			"id":                     "6f1c2a9e-3b7d-4e0a-9c55-8d2f0b1a1003",
			"name":                   "Initech LLC",
			"emailAddress":           nil,
			"ccEmailAddresses":       nil,
			"billToCustomerId":       nil,
			"collectorId":            nil,
			"sourceSystem":           UpwellSourceSystem,
			"sourceSystemId":         UpwellCustomerInitech,
			"metadata":               nil,
			"balance":                0,
			"overdueBalance":         0,
			"overdueInvoiceCount":    0,
			"createdAt":              "2025-02-03T11:22:33+00:00",
			"updatedAt":              "2025-02-03T11:22:33+00:00",
			"deletedAt":              nil,
			"addressesLastUpdatedAt": nil,
			"contactsLastUpdatedAt":  nil,
			"customerRule":           nil,
			"addresses":              []any{},
		},
	}
}

func upwellSynthetic(i int) map[string]any {
	return map[string]any{
		"id":                     fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
		"name":                   fmt.Sprintf("Synthetic Customer %05d", i),
		"emailAddress":           fmt.Sprintf("s-%05d@synthetic.example", i),
		"ccEmailAddresses":       []any{},
		"billToCustomerId":       nil,
		"collectorId":            nil,
		"sourceSystem":           UpwellSourceSystem,
		"sourceSystemId":         SyntheticID(specs.Upwell, i),
		"metadata":               map[string]any{"synthetic": true, "index": i},
		"balance":                int64(i) * 100,
		"overdueBalance":         0,
		"overdueInvoiceCount":    0,
		"createdAt":              syntheticTimestamp,
		"updatedAt":              syntheticTimestamp,
		"deletedAt":              nil,
		"addressesLastUpdatedAt": nil,
		"contactsLastUpdatedAt":  nil,
		"customerRule":           map[string]any{"id": fmt.Sprintf("00000000-0000-4000-9000-%012d", i), "dueOption": 30},
		"addresses":              []any{},
	}
}

func blueTapeSeeds() []*blueTapeCustomer {
	return []*blueTapeCustomer{
		{
			ID: BlueTapeCustomerJohn, BlueTapeID: BlueTapeCustomerJohnBlueTapeID,
			FirstName: "John", LastName: "Doe", EmailAddress: "john@example.com",
			CellPhoneNumber: "+11234567890", SourceModifiedDate: "2023-01-04T09:47:57.477Z",
		},
		{
			ID: BlueTapeCustomerJane, BlueTapeID: BlueTapeCustomerJaneBlueTapeID,
			FirstName: "Jane", LastName: "Roe", EmailAddress: "jane.roe@example.com",
			CellPhoneNumber: "+11678902345", SourceModifiedDate: "2023-02-14T16:20:05.120Z",
		},
	}
}

func blueTapeSynthetic(i int) *blueTapeCustomer {
	return &blueTapeCustomer{
		ID:                 SyntheticID(specs.BlueTape, i),
		BlueTapeID:         fmt.Sprintf("bt-synthetic-%05d", i),
		FirstName:          "Synthetic",
		LastName:           fmt.Sprintf("Customer %05d", i),
		EmailAddress:       fmt.Sprintf("synthetic-%05d@example.com", i),
		CellPhoneNumber:    fmt.Sprintf("+1555%07d", i),
		SourceModifiedDate: "2024-01-01T00:00:00.000Z",
	}
}

func billbeeSeeds() []*billbeeCustomer {
	str := func(s string) *string { return &s }
	i32 := func(n int32) *int32 { return &n }
	i64 := func(n int64) *int64 { return &n }
	meta := func(id, typeID int64, value string) *billbeeMeta {
		return &billbeeMeta{ID: i64(id), TypeID: i64(typeID), SubType: str(""), Value: str(value)}
	}
	const maxMail, maxPhone = 208297764, 208297765
	return []*billbeeCustomer{
		{ID: BillbeeCustomerMax, billbeeFields: billbeeFields{
			Name: str("Max"), Email: str("max@mustermann.tld"), Tel1: str("12345"), Tel2: str("12345"),
			Number: i32(1), PriceGroupID: i64(1818), LanguageID: i32(3),
			DefaultMailAddress:              meta(maxMail, 1, "max@mustermann.tld"),
			DefaultCommercialMailAddress:    meta(maxMail, 1, "max@mustermann.tld"),
			DefaultStatusUpdatesMailAddress: meta(maxMail, 1, "max@mustermann.tld"),
			DefaultPhone1:                   meta(maxPhone, 2, "12345"),
			DefaultPhone2:                   meta(maxPhone, 2, "12345"),
			DefaultFax:                      meta(maxPhone, 2, "12345"),
			VatID:                           str("1234"),
			Type:                            i32(0),
			MetaData:                        []billbeeMeta{*meta(maxMail, 1, "max@mustermann.tld"), *meta(maxPhone, 2, "12345")},
		}},
		{ID: BillbeeCustomerSparse, billbeeFields: billbeeFields{
			Name: str("tgytyty ytewytewyte"), Email: str("teyrtweyrtewuyetwtuy@web.de"), Number: i32(676746376),
		}},
		{ID: BillbeeCustomerArchived, billbeeFields: billbeeFields{
			Name: str("Erika"), Email: str("erika@musterfrau.tld"), Number: i32(2), Type: i32(0),
			DefaultMailAddress: meta(208297766, 1, "erika@musterfrau.tld"),
			MetaData:           []billbeeMeta{*meta(208297766, 1, "erika@musterfrau.tld")},
			ArchivedAt:         str("2021-08-21T13:00:33.23"),
		}},
	}
}

func billbeeSynthetic(i int) *billbeeCustomer {
	email := fmt.Sprintf("synthetic-%05d@example.com", i)
	name := fmt.Sprintf("Synthetic Customer %05d", i)
	metaID, typeID, subType := syntheticBillbeeMetaBase+int64(i), int64(1), ""
	number, customerType := int32(i), int32(0)
	m := billbeeMeta{ID: &metaID, TypeID: &typeID, SubType: &subType, Value: &email}
	mailCopy := m
	return &billbeeCustomer{ID: syntheticBillbeeBase + int64(i), billbeeFields: billbeeFields{
		Name: &name, Email: &email, Number: &number, Type: &customerType,
		DefaultMailAddress: &mailCopy,
		MetaData:           []billbeeMeta{m},
	}}
}
