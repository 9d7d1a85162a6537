package billbee_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/internal/vendortest"
	"github.com/custsync/custsync/specs"
)

// A read that holds a field the update does not touch under two letter
// cases sends it once, as last read: Billbee (ASP.NET) matches names
// regardless of case and the last one wins, so sending both, sorted by
// name, would let the stale one overwrite the value the driver itself
// reads as current.
func TestAnUntouchedFieldReadUnderTwoLetterCasesIsSentOnce(t *testing.T) {
	read := vendortest.Response{Status: 200, Header: map[string]string{"Content-Type": "application/json"},
		Body: `{"ErrorMessage":null,"ErrorCode":0,"ErrorDescription":"NoError","Data":` +
			`{"Id":100000150176895,"Name":"Old","email":"stale@b.example","Email":"current@b.example"}}`, OffSpec: true}
	srv := vendortest.New(t, specs.Billbee, "", read).Then(saved)
	c := newClient(t, srv.URL())
	_, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: customerID, Name: adapter.Set("New")})
	require.NoError(t, err)
	reqs := srv.Requests()
	require.Len(t, reqs, 2)
	body := reqs[1].JSON(t)
	var spellings []string
	for k := range body {
		if strings.EqualFold(k, "Email") {
			spellings = append(spellings, k)
		}
	}
	assert.Len(t, spellings, 1, "Email sent once, not under two letter cases: %s", reqs[1].Body)
	// What Billbee would store: the last member folding to Email, in the
	// order sent.
	sent := string(reqs[1].Body)
	last := strings.LastIndex(strings.ToLower(sent), `"email":`)
	require.GreaterOrEqual(t, last, 0)
	assert.True(t, strings.HasPrefix(sent[last+len(`"email":`):], `"current@b.example"`),
		"the value a case-insensitive, last-wins binder stores is the one read as current: %s", sent)
}
