package billbee_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/internal/vendortest"
	"github.com/custsync/custsync/specs"
)

func offSpecJSON(body string) vendortest.Response {
	return vendortest.Response{Status: 200, Header: map[string]string{"Content-Type": "application/json"}, Body: body, OffSpec: true}
}

// The read's checks hold whatever letter case Billbee writes the names
// in, and whatever value they hold: nothing is written after any of them.
func TestTheReadsChecksHoldInAnyLetterCase(t *testing.T) {
	tests := []struct {
		name, body string
		code       adapter.Code
		message    string
	}{
		{"an archived customer in camelCase", `{"errorCode":0,"data":{"id":100000150176895,"archivedAt":"2021-08-21T13:00:33.23"}}`,
			adapter.FailedPrecondition, "customer 100000150176895 is archived (since 2021-08-21T13:00:33.23) and cannot be modified"},
		{"an ArchivedAt that is no date is still set", `{"ErrorCode":0,"Data":{"Id":100000150176895,"ArchivedAt":"garbage"}}`,
			adapter.FailedPrecondition, "customer 100000150176895 is archived (since garbage) and cannot be modified"},
		{"an ArchivedAt that is no string is still set", `{"ErrorCode":0,"Data":{"Id":100000150176895,"ARCHIVEDAT":1}}`,
			adapter.FailedPrecondition, "customer 100000150176895 is archived (since 1) and cannot be modified"},
		{"another customer's id in lower case", `{"ErrorCode":0,"Data":{"id":42,"Name":"Max"}}`,
			adapter.Internal, "asked for customer 100000150176895, Billbee answered with customer 42; nothing was written"},
		{"an id under two spellings, one of them another", `{"ErrorCode":0,"Data":{"Id":100000150176895,"ID":42}}`,
			adapter.Internal, "asked for customer 100000150176895, Billbee answered with customer 42; nothing was written"},
		{"an id that is no number", `{"ErrorCode":0,"Data":{"Id":"abc"}}`,
			adapter.Internal, `asked for customer 100000150176895, Billbee answered with customer "abc"; nothing was written`},
		{"another customer's id beside an ArchivedAt", `{"ErrorCode":0,"Data":{"ArchivedAt":"2021-08-21T13:00:33.23","Id":42}}`,
			adapter.Internal, "asked for customer 100000150176895, Billbee answered with customer 42; nothing was written"},
		{"Data null in camelCase", `{"errorCode":0,"data":null}`,
			adapter.NotFound, "Billbee has no customer with id 100000150176895 (HTTP 200, Data is null)"},
		{"an error beside a Data the spec would not decode", `{"ErrorCode":11,"ErrorMessage":"Ungültige Daten","Data":{"Id":100000150176895,"Name":5}}`,
			adapter.InvalidArgument, "Ungültige Daten"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vendortest.New(t, specs.Billbee, "", offSpecJSON(tt.body))
			_, err := newClient(t, srv.URL()).Update(context.Background(), &adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("Moritz")})
			e := asError(t, err)
			assert.Equal(t, tt.code, e.Code, "%v", err)
			assert.Equal(t, tt.message, e.Message)
			assert.Equal(t, "Customer_GetOne", e.Operation)
			assert.Len(t, srv.Requests(), 1, "no PUT")
		})
	}
}

// A read that plainly reports no error but is written unusually (a blank
// message spelled with an escape, an escaped member name) still updates.
func TestUnusuallyWrittenReadsStillUpdate(t *testing.T) {
	for _, body := range []string{
		`{"ErrorMessage":"\u0020","ErrorCode":0,"Data":{"Id":100000150176895,"Name":"Max"}}`,
		`{"ErrorCode":0,"D\u0061ta":{"Id":100000150176895,"Name":"Max"}}`,
		`{"ErrorCode":0,"Data":{"Id":100000150176895,"Name":"Max"},"Extra":[1,{"a":"}"}]}`,
	} {
		t.Run(body, func(t *testing.T) {
			srv := vendortest.New(t, specs.Billbee, "", offSpecJSON(body)).Then(saved)
			_, err := newClient(t, srv.URL()).Update(context.Background(), &adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("Moritz")})
			require.NoError(t, err)
			got := putBody(t, srv)
			assert.Equal(t, "Moritz", got["Name"])
			assert.NotContains(t, got, "Extra", "what the envelope carries beside Data is not the customer")
		})
	}
}

// What a dry run reports as current is the value as read; a value that
// does not decode as the field's type, or a field read under two
// spellings that disagree, is a change.
func TestADryRunReportsTheValueAsRead(t *testing.T) {
	tests := []struct {
		name, data string
		update     adapter.CustomerUpdate
		want       []adapter.Change
	}{
		{"a number written as a string is a change", `{"Id":100000150176895,"Number":"12"}`,
			adapter.CustomerUpdate{Billbee: &adapter.BillbeeFields{Number: adapter.Set[int32](12)}},
			[]adapter.Change{{Field: "billbee.number", VendorField: "Number", Current: json.RawMessage(`"12"`), New: json.RawMessage(`12`)}}},
		{"a name with escapes that decodes to the update is no change", `{"Id":100000150176895,"Name":"M\u00fcller"}`,
			adapter.CustomerUpdate{Name: adapter.Set("Müller")}, nil},
		{"a name read in another letter case is compared", `{"Id":100000150176895,"name":"Max"}`,
			adapter.CustomerUpdate{Name: adapter.Set("Max")}, nil},
		{"of two spellings the last is the value read, as Billbee's binder takes it", `{"Id":100000150176895,"Name":"Max","NAME":"Moritz"}`,
			adapter.CustomerUpdate{Name: adapter.Set("Max")},
			[]adapter.Change{{Field: "name", VendorField: "Name", Current: json.RawMessage(`"Moritz"`), New: json.RawMessage(`"Max"`)}}},
		{"of two spellings the last is the value read, also when it is the update's", `{"Id":100000150176895,"NAME":"Moritz","Name":"Max"}`,
			adapter.CustomerUpdate{Name: adapter.Set("Max")}, nil},
		{"a field Billbee did not send is a change from null", `{"Id":100000150176895}`,
			adapter.CustomerUpdate{VATID: adapter.Clear[string]()},
			[]adapter.Change{{Field: "vatId", VendorField: "VatId", Current: json.RawMessage(`null`), New: json.RawMessage(`null`)}}},
		{"an int64 beyond float64's precision is compared exactly", `{"Id":100000150176895,"PriceGroupId":9007199254740993}`,
			adapter.CustomerUpdate{Billbee: &adapter.BillbeeFields{PriceGroupID: adapter.Set[int64](9007199254740992)}},
			[]adapter.Change{{Field: "billbee.priceGroupId", VendorField: "PriceGroupId", Current: json.RawMessage(`9007199254740993`), New: json.RawMessage(`9007199254740992`)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := vendortest.New(t, specs.Billbee, "", offSpecJSON(`{"ErrorCode":0,"Data":`+tt.data+`}`))
			u := tt.update
			u.ID = customerID
			res, err := newClient(t, srv.URL()).Update(context.Background(), &u, adapter.WithDryRun(true))
			require.NoError(t, err)
			require.NotNil(t, res.DryRun)
			assert.Equal(t, tt.want, res.DryRun.Changes)
			assert.Equal(t, len(tt.want) == 0, res.Unchanged)
		})
	}
}

// The write's answer is read in any letter case: what it shows stored is
// still compared with what was sent.
func TestTheWritesAnswerIsVerifiedInAnyLetterCase(t *testing.T) {
	answer := offSpecJSON(`{"errorMessage":null,"errorCode":0,"data":{"id":100000150176895,"name":"Moritz M."}}`)
	srv := vendortest.New(t, specs.Billbee, "", phpSdkCustomer(t), answer)
	res, err := newClient(t, srv.URL()).Update(context.Background(), &adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("Moritz")})
	require.NoError(t, err)
	require.Len(t, res.Mismatches, 1)
	assert.Equal(t, "name", res.Mismatches[0].Field)
	assert.Equal(t, `"Moritz M."`, string(res.Mismatches[0].Stored))
}
