package billbee_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/billbee"
	"github.com/custsync/custsync/internal/vendortest"
	"github.com/custsync/custsync/specs"
)

// storedAs answers the write with the record it was sent, changed by
// edit: what a Billbee that normalises or drops values would answer.
func storedAs(edit func(map[string]any)) func(vendortest.Request) vendortest.Response {
	return func(r vendortest.Request) vendortest.Response {
		var data map[string]any
		if err := json.Unmarshal(r.Body, &data); err != nil {
			panic(err)
		}
		edit(data)
		b, _ := json.Marshal(data)
		return vendortest.JSON(200, `{"ErrorMessage":null,"ErrorCode":0,"ErrorDescription":"NoError","Data":`+string(b)+`}`)
	}
}

func TestTheWriteIsComparedWithTheRecordAsStored(t *testing.T) {
	update := func() *adapter.CustomerUpdate {
		return &adapter.CustomerUpdate{
			ID:    customerID,
			Name:  adapter.Set("Maximilian"),
			Email: adapter.Set("Max@Mustermann.tld"),
			Phone: adapter.Set("+49 30 123456"),
			VATID: adapter.Set("de 123.456.789"),
			Billbee: &adapter.BillbeeFields{
				PriceGroupID: adapter.Set[int64](1818),
				Number:       adapter.Clear[int32](),
			},
		}
	}
	tests := []struct {
		name   string
		stored func(map[string]any)
		want   map[string][2]string // field -> sent, stored
	}{
		{"stored as sent: no mismatch", func(map[string]any) {}, map[string][2]string{}},
		{"normalised e-mail case, phone format and VAT id spacing do not count", func(d map[string]any) {
			d["Email"] = "max@mustermann.tld"
			d["Tel1"] = "004930123456"
			d["VatId"] = "DE123456789"
		}, map[string][2]string{}},
		{"another name, a dropped price group and a kept number count", func(d map[string]any) {
			d["Name"] = "Max"
			d["PriceGroupId"] = nil
			d["Number"] = 7
		}, map[string][2]string{
			"name":                 {`"Maximilian"`, `"Max"`},
			"billbee.priceGroupId": {`1818`, `null`},
			"billbee.number":       {`null`, `7`},
		}},
		{"a field the answer leaves out is not checked", func(d map[string]any) { delete(d, "Name") }, map[string][2]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vendortest.New(t, specs.Billbee, "", phpSdkCustomer(t)).Then(storedAs(tt.stored))
			res, err := newClient(t, srv.URL()).Update(context.Background(), update())
			require.NoError(t, err)
			got := map[string][2]string{}
			for _, m := range res.Mismatches {
				got[m.Field] = [2]string{string(m.Sent), string(m.Stored)}
			}
			assert.Equal(t, tt.want, got)
		})
	}
	t.Run("strict fails the update and says it was applied", func(t *testing.T) {
		srv := vendortest.New(t, specs.Billbee, "", phpSdkCustomer(t)).Then(storedAs(func(d map[string]any) { d["Name"] = "Max" }))
		_, err := newClient(t, srv.URL(), adapter.WithStrict(true)).Update(context.Background(), update())
		e := asError(t, err)
		assert.Equal(t, adapter.Internal, e.Code)
		assert.Equal(t, "name", e.Field)
		require.Len(t, e.Mismatches, 1)
		assert.Equal(t, `"Max"`, string(e.Mismatches[0].Stored))
		assert.Len(t, srv.Requests(), 2, "nothing is retried: the write was applied")
	})
}

func TestBothDocumentedHostsAreTheSpecsServers(t *testing.T) {
	doc, err := specs.Load(context.Background(), specs.Billbee)
	require.NoError(t, err)
	var urls []string
	for _, s := range doc.Servers {
		urls = append(urls, s.URL)
	}
	assert.Equal(t, []string{billbee.DefaultBaseURL, billbee.APIBaseURL}, urls)
	c, err := billbee.New(billbee.Config{APIKey: "k-123456", Username: "u", APIPassword: "p-123456"}, adapter.WithBaseURL(billbee.APIBaseURL))
	require.NoError(t, err)
	assert.Equal(t, billbee.APIBaseURL, c.BaseURL())
}
