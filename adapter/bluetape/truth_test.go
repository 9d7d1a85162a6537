package bluetape_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/internal/vendortest"
	"github.com/custsync/custsync/specs"
)

// integration-doc.bluetape.com: sibling endpoints (link-company-to-a-customer,
// update-a-company) show "HTTP 200" where their tables say 201/202. Each
// success status the spec declares is a success, and validates against it.
func TestEverySuccessStatusTheDocsShowIsASuccess(t *testing.T) {
	for _, status := range []int{200, 201, 202} {
		t.Run(fmt.Sprintf("HTTP %d", status), func(t *testing.T) {
			srv := vendortest.New(t, specs.BlueTape, basePath, vendortest.JSON(status, `{"blueTapeId":"ab12cd34ef56"}`))
			res, err := newClient(t, srv).Update(context.Background(), contact(t, ""))
			require.NoError(t, err)
			assert.Equal(t, status, res.HTTPStatus)
			assert.Equal(t, "ab12cd34ef56", res.VendorID)
			assert.Empty(t, res.Mismatches, "BlueTape answers with a receipt, not the record: nothing to verify")
		})
	}
}
