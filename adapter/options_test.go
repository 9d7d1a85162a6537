package adapter_test

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/billbee"
	"github.com/custsync/custsync/adapter/bluetape"
	"github.com/custsync/custsync/adapter/driver"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/sandbox"
)

// optionCase is one value given to an option: refused when want names
// the option and the value as the error must, accepted when want is "".
type optionCase[O any] struct {
	name string
	opt  O
	want string
}

// requireInvalidOption checks that err is the InvalidArgument *Error of a
// refused option, its message starting with want.
func requireInvalidOption(t *testing.T, err error, want string) {
	t.Helper()
	_ = invalidOptionError(t, err, want)
}

// invalidOptionError is requireInvalidOption that also returns the *Error.
func invalidOptionError(t *testing.T, err error, want string) *adapter.Error {
	t.Helper()
	var e *adapter.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, adapter.InvalidArgument, e.Code)
	assert.ErrorIs(t, err, adapter.InvalidArgument)
	assert.Contains(t, e.Message, want)
	return e
}

// nilLimiter is a RateLimiter whose nil pointer would panic on first use.
type nilLimiter struct{ calls int }

func (l *nilLimiter) Wait(context.Context, []adapter.Limit) error { l.calls++; return nil }
func (l *nilLimiter) Throttled([]adapter.Limit, time.Duration)    { l.calls++ }

// clientOptionCases lists every Option and CallOption with a value that
// is refused (where one exists) and one at the edge of the valid range.
func clientOptionCases() []optionCase[adapter.Option] {
	return []optionCase[adapter.Option]{
		{"WithBaseURL refuses the empty string", adapter.WithBaseURL(""), `WithBaseURL(""): no URL given`},
		{"WithBaseURL refuses a scheme that is not https", adapter.WithBaseURL("ftp://fake.example"), `WithBaseURL("ftp://fake.example"): scheme "ftp" is not https`},
		{"WithBaseURL refuses plain http to a remote host", adapter.WithBaseURL("http://fake.example"), `WithBaseURL("http://fake.example"): plain http is refused`},
		{"WithBaseURL refuses a URL with a query", adapter.WithBaseURL("https://fake.example/?a=1"), `WithBaseURL("https://fake.example/?a=1"): must not have a query`},
		{"WithBaseURL refuses a relative URL", adapter.WithBaseURL("fake.example/api"), `WithBaseURL("fake.example/api"): "fake.example/api" is not an absolute URL`},
		{"WithBaseURL accepts plain http to loopback", adapter.WithBaseURL("http://127.0.0.1:1"), ""},
		{"WithBaseURL accepts https", adapter.WithBaseURL("https://fake.example/api"), ""},
		{"WithHTTPClient refuses nil", adapter.WithHTTPClient(nil), "WithHTTPClient(nil): no client given"},
		{"WithHTTPClient accepts a client over an *http.Transport", adapter.WithHTTPClient(&http.Client{Transport: &http.Transport{}}), ""},
		{"WithTransport refuses nil", adapter.WithTransport(nil), "WithTransport(nil): no RoundTripper given"},
		{"WithTransport refuses a nil *http.Transport", adapter.WithTransport((*http.Transport)(nil)), "WithTransport((*http.Transport)(nil)): no RoundTripper given"},
		{"WithTransport accepts an *http.Transport", adapter.WithTransport(&http.Transport{}), ""},
		{"WithLogger refuses nil", adapter.WithLogger(nil), "WithLogger(nil): no logger given"},
		{"WithLogger accepts a logger", adapter.WithLogger(slog.New(slog.DiscardHandler)), ""},
		{"WithRateLimiter refuses a nil pointer in the interface", adapter.WithRateLimiter((*nilLimiter)(nil)), "WithRateLimiter((*adapter_test.nilLimiter)(nil)): a nil *adapter_test.nilLimiter cannot pace"},
		{"WithRateLimiter accepts nil, which turns pacing off", adapter.WithRateLimiter(nil), ""},
		{"WithRateLimiter accepts a limiter", adapter.WithRateLimiter(adapter.NewRateLimiter()), ""},
		{"WithAttemptTimeout refuses 0", adapter.WithAttemptTimeout(0), "WithAttemptTimeout(0s): must be positive"},
		{"WithAttemptTimeout refuses a negative timeout", adapter.WithAttemptTimeout(-time.Second), "WithAttemptTimeout(-1s): must be positive"},
		{"WithAttemptTimeout accepts a nanosecond", adapter.WithAttemptTimeout(time.Nanosecond), ""},
		{"WithMaxRetries refuses a negative count", adapter.WithMaxRetries(-1), "WithMaxRetries(-1): must be 0 (no retries) or more"},
		{"WithMaxRetries accepts 0", adapter.WithMaxRetries(0), ""},
		{"WithRetryBackoff refuses a zero min", adapter.WithRetryBackoff(0, time.Second), "WithRetryBackoff(0s, 1s): min must be positive"},
		{"WithRetryBackoff refuses a max below min", adapter.WithRetryBackoff(2*time.Second, time.Second), "WithRetryBackoff(2s, 1s): max must be at least min"},
		{"WithRetryBackoff accepts max equal to min", adapter.WithRetryBackoff(time.Nanosecond, time.Nanosecond), ""},
		// The booleans have no invalid value: both are accepted.
		{"WithLenient accepts true", adapter.WithLenient(true), ""},
		{"WithLenient accepts false", adapter.WithLenient(false), ""},
		{"WithStrict accepts true", adapter.WithStrict(true), ""},
		{"WithStrict accepts false", adapter.WithStrict(false), ""},
		{"WithDryRun accepts true", adapter.WithDryRun(true), ""},
		{"WithDryRun accepts false", adapter.WithDryRun(false), ""},
		{"WithAttemptObserver refuses nil", adapter.WithAttemptObserver(nil), "WithAttemptObserver(nil): no observer given"},
		{"WithAttemptObserver accepts a function", adapter.WithAttemptObserver(func(adapter.Attempt) {}), ""},
		{"a nil option is refused", nil, "NewClient: option 1 of the list is nil"},
	}
}

func TestEveryClientOptionRefusesAnInvalidValueFromTheConstructor(t *testing.T) {
	for _, tt := range clientOptionCases() {
		t.Run(tt.name, func(t *testing.T) {
			c, err := newFakeClient(&fakeDriver{}, tt.opt)
			if tt.want == "" {
				require.NoError(t, err)
				assert.NotNil(t, c)
				return
			}
			e := invalidOptionError(t, err, tt.want)
			assert.Nil(t, c)
			assert.Equal(t, "fake", e.Vendor, "the vendor constructor's error names the vendor")
		})
	}
}

func TestABaseURLWithCredentialsIsRefusedWithoutShowingThem(t *testing.T) {
	for _, raw := range []string{"https://user:hunter2@fake.example", "user:hunter2@fake.example", "https://us er:hunter2@fake.example"} {
		t.Run(raw, func(t *testing.T) {
			_, err := newFakeClient(&fakeDriver{}, adapter.WithBaseURL(raw))
			e := invalidOptionError(t, err, "WithBaseURL(")
			assert.NotContains(t, err.Error(), "hunter2")
			assert.Equal(t, "baseURL", e.Field)
		})
	}
}

// callOptionCases lists every CallOption with a refused value (where one
// exists) and one at the edge of the valid range.
func callOptionCases() []optionCase[adapter.CallOption] {
	return []optionCase[adapter.CallOption]{
		{"WithAttemptTimeout refuses 0", adapter.WithAttemptTimeout(0), "WithAttemptTimeout(0s): must be positive"},
		{"WithAttemptTimeout refuses a negative timeout", adapter.WithAttemptTimeout(-1), "WithAttemptTimeout(-1ns): must be positive"},
		{"WithAttemptTimeout accepts a second", adapter.WithAttemptTimeout(time.Second), ""},
		{"WithMaxRetries refuses a negative count", adapter.WithMaxRetries(-3), "WithMaxRetries(-3): must be 0 (no retries) or more"},
		{"WithMaxRetries accepts 0", adapter.WithMaxRetries(0), ""},
		{"WithRetryBackoff refuses a negative min", adapter.WithRetryBackoff(-time.Millisecond, time.Second), "WithRetryBackoff(-1ms, 1s): min must be positive"},
		{"WithRetryBackoff refuses a max below min", adapter.WithRetryBackoff(time.Second, time.Millisecond), "WithRetryBackoff(1s, 1ms): max must be at least min"},
		{"WithRetryBackoff accepts max equal to min", adapter.WithRetryBackoff(time.Millisecond, time.Millisecond), ""},
		{"WithLenient accepts true", adapter.WithLenient(true), ""},
		{"WithStrict accepts true", adapter.WithStrict(true), ""},
		{"WithDryRun accepts false", adapter.WithDryRun(false), ""},
		{"WithAttemptObserver refuses nil", adapter.WithAttemptObserver(nil), "WithAttemptObserver(nil): no observer given"},
		{"WithAttemptObserver accepts a function", adapter.WithAttemptObserver(func(adapter.Attempt) {}), ""},
		{"a nil call option is refused", nil, "Update: option 1 of the list is nil"},
	}
}

func TestAnInvalidCallOptionFailsTheCallAndSendsNothing(t *testing.T) {
	for _, tt := range callOptionCases() {
		t.Run(tt.name, func(t *testing.T) {
			var requests atomic.Int32
			c, d := newFake(t, func(w http.ResponseWriter, r *http.Request) { requests.Add(1); ok(w, r) })
			res, err := c.Update(context.Background(), update("Acme"), tt.opt)
			if tt.want == "" {
				require.NoError(t, err)
				assert.Equal(t, []string{driver.FieldName}, res.Sent)
				return
			}
			e := invalidOptionError(t, err, tt.want)
			assert.Nil(t, res)
			assert.Equal(t, "fake", e.Vendor)
			assert.Zero(t, e.Attempts)
			assert.Zero(t, d.updates.Load(), "the driver was not called")
			assert.Zero(t, requests.Load(), "nothing was sent")
		})
	}
}

func TestAnInvalidCallOptionAsAClientDefaultFailsTheConstructor(t *testing.T) {
	for _, tt := range callOptionCases() {
		if tt.opt == nil {
			continue // a nil CallOption is a nil Option: the client case covers it
		}
		t.Run(tt.name, func(t *testing.T) {
			_, err := newFakeClient(&fakeDriver{}, tt.opt)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			requireInvalidOption(t, err, tt.want)
		})
	}
}

func TestEveryVendorConstructorRefusesAnInvalidOption(t *testing.T) {
	creds := sandbox.DefaultCredentials()
	constructors := map[string]func(...adapter.Option) (*adapter.Client, error){
		"upwell": func(opts ...adapter.Option) (*adapter.Client, error) {
			return upwell.New(upwell.Config{APIKey: sandbox.UpwellAPIKey, SourceSystem: sandbox.UpwellSourceSystem}, opts...)
		},
		"bluetape": func(opts ...adapter.Option) (*adapter.Client, error) {
			return bluetape.New(bluetape.Config{APIKey: adapter.Secret(creds.BlueTapeAPIKey), AccountID: adapter.Secret(creds.BlueTapeAccountID)}, opts...)
		},
		"billbee": func(opts ...adapter.Option) (*adapter.Client, error) {
			return billbee.New(billbee.Config{APIKey: adapter.Secret(creds.BillbeeAPIKey), Username: creds.BillbeeUsername, APIPassword: adapter.Secret(creds.BillbeeAPIPassword)}, opts...)
		},
	}
	for vendor, newClient := range constructors {
		t.Run(vendor+" fails naming the option, the value and itself", func(t *testing.T) {
			_, err := newClient(adapter.WithMaxRetries(1), adapter.WithAttemptTimeout(-time.Second))
			e := invalidOptionError(t, err, "WithAttemptTimeout(-1s): must be positive")
			assert.Equal(t, vendor, e.Vendor)

			c, err := newClient(adapter.WithAttemptTimeout(time.Nanosecond))
			require.NoError(t, err, "the edge of the range is accepted")
			assert.Equal(t, vendor, c.Vendor())
		})
	}
}
