package driver

import "github.com/custsync/custsync/adapter/internal/fieldname"

// Portable field names, for Vendor.Fields and InvalidField: the canonical
// JSON names of adapter.CustomerUpdate, with vendor-only fields written
// "<vendor>.<field>" (adapter.FieldNames lists them all).
const (
	FieldID                     = fieldname.ID
	FieldSourceSystem           = fieldname.SourceSystem
	FieldName                   = fieldname.Name
	FieldFirstName              = fieldname.FirstName
	FieldLastName               = fieldname.LastName
	FieldEmail                  = fieldname.Email
	FieldCCEmails               = fieldname.CCEmails
	FieldPhone                  = fieldname.Phone
	FieldVATID                  = fieldname.VATID
	FieldMetadata               = fieldname.Metadata
	FieldModifiedAt             = fieldname.ModifiedAt
	FieldUpwellBillToCustomerID = fieldname.UpwellBillToCustomerID
	FieldUpwellDueOption        = fieldname.UpwellDueOption
	FieldBillbeePriceGroupID    = fieldname.BillbeePriceGroupID
	FieldBillbeeLanguageID      = fieldname.BillbeeLanguageID
	FieldBillbeeType            = fieldname.BillbeeType
	FieldBillbeeNumber          = fieldname.BillbeeNumber
)
