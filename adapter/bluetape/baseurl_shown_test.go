package bluetape_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bluetape"
)

// The Client shows the base URL the user configured, as
// written (less a trailing slash), in BaseURL and String, as it did before
// 05f8a88: keeping it "as url.URL.String writes it" is for the generated
// builders, not for the user, who wrote no %C3%BC and no %7C.
func TestTheBaseURLIsShownAsTheUserWroteIt(t *testing.T) {
	for _, base := range []string{
		"https://example.com/büro/genericBthubService",
		"https://example.com/a|b/genericBthubService",
		"https://bücher.example/genericBthubService",
	} {
		t.Run(base, func(t *testing.T) {
			c, err := bluetape.New(bluetape.Config{APIKey: apiKey, AccountID: accountID}, adapter.WithBaseURL(base+"/"))
			require.NoError(t, err)
			assert.Equal(t, base, c.BaseURL())
			assert.Equal(t, "custsync bluetape client ("+base+")", c.String())
		})
	}
}
