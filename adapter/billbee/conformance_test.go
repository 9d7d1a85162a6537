package billbee_test

import (
	"testing"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/billbee"
	"github.com/custsync/custsync/adapter/driver"
	"github.com/custsync/custsync/adapter/drivertest"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

var harness = drivertest.Harness{
	Vendor: specs.Billbee,
	NewClient: func(baseURL string, creds sandbox.Credentials, opts ...adapter.Option) (*adapter.Client, error) {
		cfg := billbee.Config{APIKey: adapter.Secret(creds.BillbeeAPIKey), Username: creds.BillbeeUsername, APIPassword: adapter.Secret(creds.BillbeeAPIPassword)}
		return billbee.New(cfg, append([]adapter.Option{adapter.WithBaseURL(baseURL)}, opts...)...)
	},
	FullUpdate: func(id string) *adapter.CustomerUpdate {
		return &adapter.CustomerUpdate{
			ID: id, Name: adapter.Set("Conformance " + id), Email: adapter.Set("c-" + id + "@example.com"),
			Phone: adapter.Set("+49301234567"), VATID: adapter.Set("DE123456789"),
			Billbee: &adapter.BillbeeFields{
				PriceGroupID: adapter.Set[int64](1818), LanguageID: adapter.Set[int32](3),
				Type: adapter.Set[int32](1), Number: adapter.Set[int32](4711),
			},
		}
	},
	PartialUpdate: func(id string) *adapter.CustomerUpdate {
		return &adapter.CustomerUpdate{ID: id, Name: adapter.Set("Partial")}
	},
	ClearUpdate: func(id string) *adapter.CustomerUpdate {
		return &adapter.CustomerUpdate{ID: id, VATID: adapter.Clear[string](), Billbee: &adapter.BillbeeFields{Number: adapter.Clear[int32]()}}
	},
	MissingRequired: func(string) *adapter.CustomerUpdate {
		return &adapter.CustomerUpdate{ID: "not-a-number", Name: adapter.Set("x")}
	},
	Stored: drivertest.StoredAt(map[string]string{
		driver.FieldName: "Name", driver.FieldEmail: "Email", driver.FieldPhone: "Tel1", driver.FieldVATID: "VatId",
		driver.FieldBillbeePriceGroupID: "PriceGroupId", driver.FieldBillbeeLanguageID: "LanguageId",
		driver.FieldBillbeeType: "Type", driver.FieldBillbeeNumber: "Number",
	}),
	Unchanged: []string{"Email", "Tel1", "Tel2", "Number", "PriceGroupId", "LanguageId", "Type", "VatId",
		"DefaultMailAddress", "DefaultCommercialMailAddress", "DefaultStatusUpdatesMailAddress",
		"DefaultPhone1", "DefaultPhone2", "DefaultFax", "MetaData"},
	MissingID: "999999999999999",
	BulkSize:  8, // Billbee allows 2 updates/s per credential
}

func TestConformance(t *testing.T) { drivertest.RunConformanceTests(t, harness) }
