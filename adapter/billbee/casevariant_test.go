package billbee_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/internal/vendortest"
	"github.com/custsync/custsync/specs"
)

// A write answer whose ErrorCode is not a number says nothing portable:
// the write Billbee confirmed stays a success, whatever the Go version's
// encoding/json makes of it.
func TestAWriteAnswerWithAnErrorCodeThatIsNoNumberIsASuccess(t *testing.T) {
	for _, code := range []string{`true`, `"NoError"`, `{}`, `"0"`, `[]`} {
		t.Run(code, func(t *testing.T) {
			answer := vendortest.Response{Status: 200, Header: map[string]string{"Content-Type": "application/json"},
				Body: `{"ErrorMessage":null,"ErrorCode":` + code + `,"ErrorDescription":"NoError","Data":{"Id":100000150176895,"Name":"Moritz"}}`, OffSpec: true}
			srv := vendortest.New(t, specs.Billbee, "", phpSdkCustomer(t), answer)
			c := newClient(t, srv.URL())
			_, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("Moritz")})
			assert.NoError(t, err, "the write was confirmed (no error message); code %s", code)
			assert.Len(t, srv.Requests(), 2)
		})
	}
}

// A read whose keys differ in letter case from the spec's, with and
// without an unknown field: the update's value is the only one sent for
// its field (Billbee matches names regardless of case, the last wins), and
// never-sent fields stay unsent in any case.
func TestAReadInAnotherLetterCaseNeverSendsAStaleValueBesideTheUpdate(t *testing.T) {
	for _, tc := range []struct{ name, data string }{
		{"camelCase and an unknown field", `{"id":100000150176895,"name":"Old","email":"a@b.example","archivedAt":null,"defaultMailAddress":{"id":1,"typeId":1,"typeName":"EMail","value":"a@b.example"},"loyalty":3}`},
		{"camelCase only", `{"id":100000150176895,"name":"Old","email":"a@b.example","archivedAt":null,"defaultMailAddress":{"id":1,"typeId":1,"typeName":"EMail","value":"a@b.example"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			read := vendortest.Response{Status: 200, Header: map[string]string{"Content-Type": "application/json"},
				Body: `{"ErrorMessage":null,"ErrorCode":0,"ErrorDescription":"NoError","Data":` + tc.data + `}`, OffSpec: true}
			srv := vendortest.New(t, specs.Billbee, "", read).Then(saved)
			c := newClient(t, srv.URL())
			_, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("New")})
			require.NoError(t, err)
			reqs := srv.Requests()
			require.Len(t, reqs, 2)
			body := reqs[1].JSON(t)
			assert.Equal(t, "New", body["Name"])
			assert.NotContains(t, body, "name", "no stale case variant beside the update")
			assert.NotContains(t, body, "archivedAt", "ArchivedAt is never sent, in any letter case")
		})
	}
}
