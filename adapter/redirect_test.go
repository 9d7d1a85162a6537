package adapter_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/billbee"
	"github.com/custsync/custsync/adapter/bluetape"
	"github.com/custsync/custsync/adapter/upwell"
)

// Whatever client or transport a user passes, a redirect never carries a
// vendor's credentials to another host. Go's http.Client strips
// Authorization across hosts, but not X-Billbee-Api-Key, X-BlueTape-Key or
// X-Integration-AccountId, so a client that follows redirects would hand
// them to whoever the vendor's host (or a proxy in front of it) points at.
func TestNoCredentialReachesAnotherHostWhateverClientIsPassed(t *testing.T) {
	const (
		upwellKey   = "upwell-key-7c1d9e2f"
		blueKey     = "bluetape-key-3a8b5c0d"
		blueAccount = "bluetape-account-6e4f2a1b"
		billbeeKey  = "billbee-key-9d2c7e5a"
		billbeePass = "billbee-pass-1f8e3b6c"
	)
	secrets := []string{upwellKey, blueKey, blueAccount, billbeeKey, billbeePass}

	vendors := []struct {
		name   string
		client func(base string, opt adapter.Option) (*adapter.Client, error)
		update *adapter.CustomerUpdate
	}{
		{"upwell", func(base string, opt adapter.Option) (*adapter.Client, error) {
			return upwell.New(upwell.Config{APIKey: upwellKey, SourceSystem: "ACME"}, adapter.WithBaseURL(base), opt, adapter.WithMaxRetries(0))
		}, &adapter.CustomerUpdate{ID: "C-1", Name: adapter.Set("x")}},
		{"bluetape", func(base string, opt adapter.Option) (*adapter.Client, error) {
			return bluetape.New(bluetape.Config{APIKey: blueKey, AccountID: blueAccount}, adapter.WithBaseURL(base), opt, adapter.WithMaxRetries(0))
		}, &adapter.CustomerUpdate{ID: "C-1", FirstName: adapter.Set("A"), LastName: adapter.Set("B"),
			Email: adapter.Set("a@b.example"), Phone: adapter.Set("+15550100"), ModifiedAt: adapter.Set(mustTime(t, "2025-01-02T03:04:05Z"))}},
		{"billbee", func(base string, opt adapter.Option) (*adapter.Client, error) {
			return billbee.New(billbee.Config{APIKey: billbeeKey, Username: "me@shop.example", APIPassword: billbeePass}, adapter.WithBaseURL(base), opt, adapter.WithMaxRetries(0))
		}, &adapter.CustomerUpdate{ID: "42", Name: adapter.Set("x")}},
	}
	followAlways := func(*http.Request, []*http.Request) error { return nil }
	clients := []struct {
		name string
		opt  func() adapter.Option
	}{
		{"a default http.Client, which follows redirects", func() adapter.Option { return adapter.WithHTTPClient(&http.Client{}) }},
		{"a client told to follow every redirect", func() adapter.Option {
			return adapter.WithHTTPClient(&http.Client{CheckRedirect: followAlways})
		}},
		{"a client with its own transport", func() adapter.Option {
			return adapter.WithHTTPClient(&http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone(), CheckRedirect: followAlways})
		}},
		{"a bare transport", func() adapter.Option { return adapter.WithTransport(http.DefaultTransport) }},
	}
	for _, v := range vendors {
		for _, cl := range clients {
			for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
				t.Run(v.name+" with "+cl.name+" and HTTP "+http.StatusText(status), func(t *testing.T) {
					var mu sync.Mutex
					var leaked []string
					elsewhere := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
						mu.Lock()
						defer mu.Unlock()
						leaked = append(leaked, r.Method+" "+r.URL.Path)
						for _, vals := range r.Header {
							for _, val := range vals {
								for _, s := range secrets {
									if strings.Contains(val, s) {
										leaked = append(leaked, "credential "+s)
									}
								}
							}
						}
					}))
					defer elsewhere.Close()
					vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						http.Redirect(w, r, elsewhere.URL+"/steal", status)
					}))
					defer vendor.Close()

					c, err := v.client(vendor.URL, cl.opt())
					require.NoError(t, err)
					_, err = c.Update(context.Background(), v.update)
					assert.Equal(t, adapter.FailedPrecondition, adapter.CodeOf(err), "%v", err)
					assert.Contains(t, err.Error(), "redirect")
					var e *adapter.Error
					require.ErrorAs(t, err, &e)
					assert.True(t, e.Config, "a redirected base URL is the configuration's fault")
					mu.Lock()
					defer mu.Unlock()
					assert.Empty(t, leaked, "nothing reached the other host")
				})
			}
		}
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	return v
}

// clientInside is a RoundTripper with an http.Client inside, as
// go-retryablehttp's RoundTripper is: it follows redirects, headers and
// all, which net/http's contract for a RoundTripper forbids.
type clientInside struct{ c *http.Client }

func (r clientInside) RoundTrip(req *http.Request) (*http.Response, error) {
	return r.c.Do(req.Clone(req.Context()))
}

func TestARoundTripperThatMayFollowRedirectsIsRefused(t *testing.T) {
	// Through WithTransport such a RoundTripper would carry
	// X-Billbee-Api-Key to the host a 307 names.
	for _, opt := range []struct {
		name, option string
		opt          adapter.Option
	}{
		{"WithTransport", "WithTransport", adapter.WithTransport(clientInside{&http.Client{}})},
		{"WithHTTPClient with it as Transport", "WithHTTPClient", adapter.WithHTTPClient(&http.Client{Transport: clientInside{&http.Client{}}})},
	} {
		t.Run(opt.name, func(t *testing.T) {
			_, err := billbee.New(billbee.Config{APIKey: "k", Username: "u", APIPassword: "p"}, opt.opt)
			require.Error(t, err)
			assert.Equal(t, adapter.InvalidArgument, adapter.CodeOf(err))
			var e *adapter.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, opt.option, e.Field)
			assert.Contains(t, e.Message, "may follow redirects")
		})
	}
	t.Run("an *http.Transport is taken", func(t *testing.T) {
		_, err := billbee.New(billbee.Config{APIKey: "k", Username: "u", APIPassword: "p"}, adapter.WithTransport(adapter.NewHTTPTransport()))
		assert.NoError(t, err)
	})
}
