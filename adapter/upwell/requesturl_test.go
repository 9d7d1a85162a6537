package upwell_test

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	gen "github.com/custsync/custsync/gen/upwell"
)

// TestTheGeneratedRequestURLCarriesItsQuery: gen/client.tmpl builds the
// URL with http.NewRequest and then adds the query parameters to it, as
// oapi-codegen's own template adds them to the URL it resolves.
func TestTheGeneratedRequestURLCarriesItsQuery(t *testing.T) {
	sourceSystem, id := "ACME ERP", "C-1001&x=1"
	for _, server := range []string{"https://api.upwell.example/", "https://api.upwell.example/base/"} {
		req, err := gen.NewUpdateCustomerBySourceSystemIdRequestWithBody(server,
			&gen.UpdateCustomerBySourceSystemIdParams{SourceSystem: &sourceSystem, SourceSystemId: &id}, "application/json", nil)
		require.NoError(t, err)
		base, err := url.Parse(server)
		require.NoError(t, err)
		path, err := base.Parse("./api/rest/customers")
		require.NoError(t, err)
		assert.Equal(t, path.String(), req.URL.Scheme+"://"+req.URL.Host+req.URL.Path)
		assert.Equal(t, url.Values{"sourceSystem": {sourceSystem}, "sourceSystemId": {id}}, req.URL.Query())

		req, err = gen.NewUpdateCustomerBySourceSystemIdRequestWithBody(server, nil, "application/json", nil)
		require.NoError(t, err)
		assert.Equal(t, path.String(), req.URL.String(), "no parameters, no query")
	}
}
