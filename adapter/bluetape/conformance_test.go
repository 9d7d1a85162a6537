package bluetape_test

import (
	"testing"
	"time"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bluetape"
	"github.com/custsync/custsync/adapter/driver"
	"github.com/custsync/custsync/adapter/drivertest"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

func conformanceContact(id, first, email string) *adapter.CustomerUpdate {
	return &adapter.CustomerUpdate{
		ID: id, FirstName: adapter.Set(first), LastName: adapter.Set("Conformance"),
		Email: adapter.Set(email), Phone: adapter.Set("+15550109999"),
		ModifiedAt: adapter.Set(time.Date(2024, 5, 6, 7, 8, 9, 123_000_000, time.UTC)),
	}
}

var harness = drivertest.Harness{
	Vendor: specs.BlueTape,
	NewClient: func(baseURL string, creds sandbox.Credentials, opts ...adapter.Option) (*adapter.Client, error) {
		cfg := bluetape.Config{APIKey: adapter.Secret(creds.BlueTapeAPIKey), AccountID: adapter.Secret(creds.BlueTapeAccountID)}
		return bluetape.New(cfg, append([]adapter.Option{adapter.WithBaseURL(baseURL)}, opts...)...)
	},
	FullUpdate: func(id string) *adapter.CustomerUpdate {
		return conformanceContact(id, "Full", "full-"+id+"@example.com")
	},
	// BlueTape replaces the contact: a "partial" change still sends all five.
	PartialUpdate: func(id string) *adapter.CustomerUpdate {
		return conformanceContact(id, "Partial", "partial@example.com")
	},
	ClearUpdate: func(id string) *adapter.CustomerUpdate {
		u := conformanceContact(id, "Clear", "clear@example.com")
		u.Phone = adapter.Clear[string]()
		return u
	},
	ClearRefused: true,
	MissingRequired: func(id string) *adapter.CustomerUpdate {
		u := conformanceContact(id, "Missing", "missing@example.com")
		u.LastName = adapter.Field[string]{}
		return u
	},
	Stored: drivertest.StoredAt(map[string]string{
		driver.FieldFirstName: "firstName", driver.FieldLastName: "lastName", driver.FieldEmail: "emailAddress",
		driver.FieldPhone: "cellPhoneNumber", driver.FieldModifiedAt: "sourceModifiedDate",
	}),
	Unchanged: []string{"blueTapeId", "id"},
	MissingID: "no-such-customer",
	BulkSize:  500,
}

func TestConformance(t *testing.T) { drivertest.RunConformanceTests(t, harness) }
