package upwell_test

import (
	"testing"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/driver"
	"github.com/custsync/custsync/adapter/drivertest"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

var harness = drivertest.Harness{
	Vendor: specs.Upwell,
	NewClient: func(baseURL string, creds sandbox.Credentials, opts ...adapter.Option) (*adapter.Client, error) {
		cfg := upwell.Config{APIKey: adapter.Secret(creds.UpwellAPIKey), SourceSystem: sandbox.UpwellSourceSystem}
		return upwell.New(cfg, append([]adapter.Option{adapter.WithBaseURL(baseURL)}, opts...)...)
	},
	FullUpdate: func(id string) *adapter.CustomerUpdate {
		return &adapter.CustomerUpdate{
			ID: id, Name: adapter.Set("Conformance " + id), Email: adapter.Set("ap-" + id + "@example.com"),
			CCEmails: adapter.Set([]string{"cfo@example.com", "ar@example.com"}),
			Metadata: adapter.Set(adapter.JSONObject{"tier": "gold"}),
			Upwell:   &adapter.UpwellFields{BillToCustomerID: adapter.Set("C-1001"), DueOption: adapter.Set[int32](60)},
		}
	},
	PartialUpdate: func(id string) *adapter.CustomerUpdate {
		return &adapter.CustomerUpdate{ID: id, Email: adapter.Set("partial@example.com")}
	},
	ClearUpdate: func(id string) *adapter.CustomerUpdate {
		return &adapter.CustomerUpdate{ID: id, Email: adapter.Clear[string](), Metadata: adapter.Clear[adapter.JSONObject]()}
	},
	MissingRequired: func(id string) *adapter.CustomerUpdate {
		return &adapter.CustomerUpdate{ID: id, Name: adapter.Clear[string]()} // a name cannot be cleared
	},
	Stored: drivertest.StoredAt(map[string]string{
		driver.FieldName: "name", driver.FieldEmail: "emailAddress", driver.FieldCCEmails: "ccEmailAddresses",
		driver.FieldMetadata: "metadata", driver.FieldUpwellBillToCustomerID: "billToCustomerId",
		driver.FieldUpwellDueOption: "customerRule.dueOption",
	}),
	Unchanged: []string{"name", "ccEmailAddresses", "metadata", "billToCustomerId", "customerRule", "addresses", "balance", "id"},
	MissingID: "NO-SUCH-CUSTOMER",
	BulkSize:  500,
}

func TestConformance(t *testing.T) { drivertest.RunConformanceTests(t, harness) }
