// Package fieldname holds the portable field names, shared by package
// adapter (validation, the support check) and the driver SPI, which
// exports them to drivers as driver.Field*.
package fieldname

// Portable field names: the canonical JSON names, with vendor-only fields
// written "<vendor>.<field>". Errors, results and the support matrix use them.
const (
	ID                     = "id"
	SourceSystem           = "sourceSystem"
	Name                   = "name"
	FirstName              = "firstName"
	LastName               = "lastName"
	Email                  = "email"
	CCEmails               = "ccEmails"
	Phone                  = "phone"
	VATID                  = "vatId"
	Metadata               = "metadata"
	ModifiedAt             = "modifiedAt"
	UpwellBillToCustomerID = "upwell.billToCustomerId"
	UpwellDueOption        = "upwell.dueOption"
	BillbeePriceGroupID    = "billbee.priceGroupId"
	BillbeeLanguageID      = "billbee.languageId"
	BillbeeType            = "billbee.type"
	BillbeeNumber          = "billbee.number"
)
