package adapter_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/driver"
	"github.com/custsync/custsync/adapter/upwell"
)

const sentinelSecret = "sentinel-secret-7f3a9c"

// fakeDriver is the smallest driver: it PUTs the update's name to
// <base>/customers/<id> through the portable transport (operation
// "fakeUpdate") and reports the status. It stores name and email only.
type fakeDriver struct {
	method   string // default PUT
	base     string
	doer     driver.HTTPDoer
	validate func(*adapter.CustomerUpdate) error
	updates  atomic.Int32
}

func (d *fakeDriver) Key(u *adapter.CustomerUpdate) string {
	return "fake:" + u.ID
}

// newFakeClient builds the Client around a fake driver (*fakeDriver, or
// one embedding it), with the limits of one that has a Limits method.
func newFakeClient(d interface {
	driver.Driver
	fake() *fakeDriver
}, opts ...adapter.Option) (*adapter.Client, error) {
	v := driver.Vendor{
		Name:           "fake",
		DefaultBaseURL: "https://fake.example",
		Fields:         []adapter.FieldMapping{{Field: driver.FieldName, VendorField: "Name"}, {Field: driver.FieldEmail, VendorField: "Mail"}},
		Secrets:        []string{sentinelSecret},
		Account:        driver.CredentialID(sentinelSecret),
	}
	if l, ok := d.(interface{ Limits(string) []adapter.Limit }); ok {
		v.Limits = l.Limits
	}
	return driver.NewClient(v, func(conn driver.Conn) (driver.Driver, error) {
		d.fake().base, d.fake().doer = conn.BaseURL, conn.Doer("fakeUpdate")
		return d, nil
	}, opts...)
}

func (d *fakeDriver) fake() *fakeDriver { return d }
func (d *fakeDriver) Validate(u *adapter.CustomerUpdate) error {
	if d.validate != nil {
		return d.validate(u)
	}
	return nil
}

func (d *fakeDriver) Update(ctx context.Context, u *adapter.CustomerUpdate, _ driver.Call) (*adapter.Result, error) {
	d.updates.Add(1)
	name, _ := u.Name.Value()
	method := d.method
	if method == "" {
		method = http.MethodPut
	}
	req, err := http.NewRequestWithContext(ctx, method, d.base+"/customers/"+u.ID, strings.NewReader(name))
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Key", sentinelSecret)
	resp, err := d.doer.Do(req) //nolint:bodyclose // the transport read the body whole and closed it; ReadBody hands back the bytes it read
	if err != nil {
		return nil, err
	}
	body := driver.ReadBody(resp)
	if resp.StatusCode != http.StatusOK {
		return nil, driver.ResponseError(resp, body, "E"+fmt.Sprint(resp.StatusCode), strings.TrimSpace(string(body)))
	}
	return &adapter.Result{VendorID: "v-" + u.ID, HTTPStatus: resp.StatusCode}, nil
}

func newFake(t *testing.T, handler http.HandlerFunc, opts ...adapter.Option) (*adapter.Client, *fakeDriver) {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	d := &fakeDriver{}
	c, err := newFakeClient(d, append([]adapter.Option{adapter.WithBaseURL(srv.URL), adapter.WithMaxRetries(0)}, opts...)...)
	require.NoError(t, err)
	return c, d
}

func ok(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }

func update(name string) *adapter.CustomerUpdate {
	return &adapter.CustomerUpdate{ID: "C-1", Name: adapter.Set(name)}
}

func TestUpdateReportsWhatItDid(t *testing.T) {
	c, _ := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req-42")
		ok(w, r)
	})
	res, err := c.Update(context.Background(), &adapter.CustomerUpdate{ID: "C-1", Name: adapter.Set("Acme"), Email: adapter.Clear[string]()})
	require.NoError(t, err)
	assert.Equal(t, &adapter.Result{
		Vendor: "fake", ID: "C-1", VendorID: "v-C-1", HTTPStatus: 200, RequestID: "req-42",
		Attempts: 1, Sent: []string{"name", "email"}, Dropped: []string{}, Mismatches: []adapter.Mismatch{},
	}, res)
}

func TestUnsupportedFieldsFailBeforeAnyRequestUnlessLenient(t *testing.T) {
	var requests atomic.Int32
	c, d := newFake(t, func(w http.ResponseWriter, r *http.Request) { requests.Add(1); ok(w, r) })
	u := &adapter.CustomerUpdate{ID: "C-1", Name: adapter.Set("Acme"), VATID: adapter.Set("DE1"), Phone: adapter.Clear[string]()}

	_, err := c.Update(context.Background(), u)
	require.Error(t, err)
	assert.ErrorIs(t, err, adapter.InvalidArgument)
	var e *adapter.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "phone", e.Field, "the first unsupported field in documentation order")
	assert.Contains(t, e.Message, "phone, vatId")
	assert.Equal(t, "fake", e.Vendor)
	assert.Zero(t, requests.Load())
	assert.Zero(t, d.updates.Load(), "the driver is never called")

	res, err := c.Update(context.Background(), u, adapter.WithLenient(true))
	require.NoError(t, err)
	assert.Equal(t, []string{"phone", "vatId"}, res.Dropped)
	assert.Equal(t, []string{"name"}, res.Sent)
	assert.False(t, u.VATID.IsAbsent(), "the caller's update is not modified")
}

func TestAnUpdateThatSetsNothingIsRefused(t *testing.T) {
	c, d := newFake(t, ok)
	tests := []struct {
		name string
		u    *adapter.CustomerUpdate
		opts []adapter.CallOption
	}{
		{"no fields", &adapter.CustomerUpdate{ID: "C-1"}, nil},
		{"only fields lenient mode drops", &adapter.CustomerUpdate{ID: "C-1", VATID: adapter.Set("DE1")}, []adapter.CallOption{adapter.WithLenient(true)}},
		{"only a key", &adapter.CustomerUpdate{ID: "C-1", SourceSystem: "ACME"}, []adapter.CallOption{adapter.WithLenient(true)}},
		{"nil", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Update(context.Background(), tt.u, tt.opts...)
			assert.ErrorIs(t, err, adapter.InvalidArgument)
		})
	}
	assert.Zero(t, d.updates.Load())
}

func TestBadInputIsRefusedNamingTheField(t *testing.T) {
	c, d := newFake(t, ok)
	tests := []struct {
		name  string
		u     adapter.CustomerUpdate
		field string
	}{
		{"an empty id", adapter.CustomerUpdate{ID: "  ", Name: adapter.Set("x")}, "id"},
		{"an id with surrounding spaces", adapter.CustomerUpdate{ID: " C-1 ", Name: adapter.Set("x")}, "id"},
		{"a dot-segment id", adapter.CustomerUpdate{ID: "..", Name: adapter.Set("x")}, "id"},
		{"a nil cc list", adapter.CustomerUpdate{ID: "1", CCEmails: adapter.Set[[]string](nil)}, "ccEmails"},
		{"a malformed email", adapter.CustomerUpdate{ID: "1", Email: adapter.Set("not-an-address")}, "email"},
		{"an email with a display name", adapter.CustomerUpdate{ID: "1", Email: adapter.Set("Max <max@x.example>")}, "email"},
		{"a malformed cc email", adapter.CustomerUpdate{ID: "1", CCEmails: adapter.Set([]string{"a@b.example", "nope"})}, "ccEmails[1]"},
		{"an empty string instead of null", adapter.CustomerUpdate{ID: "1", Name: adapter.Set("")}, "name"},
		{"a control character", adapter.CustomerUpdate{ID: "1", Name: adapter.Set("Ac\x00me")}, "name"},
		{"a zero modifiedAt", adapter.CustomerUpdate{ID: "1", ModifiedAt: adapter.Set(time.Time{})}, "modifiedAt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Update(context.Background(), &tt.u, adapter.WithLenient(true))
			var e *adapter.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, adapter.InvalidArgument, e.Code)
			assert.Equal(t, tt.field, e.Field)
			assert.Contains(t, e.Error(), tt.field)
		})
	}
	assert.Zero(t, d.updates.Load())
}

func TestDriverValidationIsStampedWithTheVendor(t *testing.T) {
	c, d := newFake(t, ok)
	d.validate = func(*adapter.CustomerUpdate) error { return driver.InvalidField("name", "too long") }
	_, err := c.Update(context.Background(), update("Acme"))
	var e *adapter.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "fake", e.Vendor)
	assert.Equal(t, "fake: InvalidArgument: name: too long", e.Error())
	assert.Zero(t, d.updates.Load())
}

func TestStatusesMapToPortableCodes(t *testing.T) {
	tests := []struct {
		status    int
		code      adapter.Code
		sentinel  error
		retryable bool
	}{
		{400, adapter.InvalidArgument, adapter.InvalidArgument, false},
		{401, adapter.PermissionDenied, adapter.PermissionDenied, false},
		{403, adapter.PermissionDenied, adapter.PermissionDenied, false},
		{404, adapter.NotFound, adapter.NotFound, false},
		{408, adapter.Unavailable, adapter.Unavailable, true},
		{409, adapter.FailedPrecondition, adapter.FailedPrecondition, false},
		{422, adapter.InvalidArgument, adapter.InvalidArgument, false},
		{429, adapter.ResourceExhausted, adapter.ResourceExhausted, true},
		{500, adapter.Internal, adapter.Internal, true}, // PUT is idempotent
		{502, adapter.Unavailable, adapter.Unavailable, true},
		{503, adapter.Unavailable, adapter.Unavailable, true},
		{504, adapter.Unavailable, adapter.Unavailable, true},
		{418, adapter.InvalidArgument, adapter.InvalidArgument, false},
		{599, adapter.Unknown, adapter.Unknown, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("HTTP %d is %s", tt.status, tt.code), func(t *testing.T) {
			c, _ := newFake(t, func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, "vendor says no")
			})
			_, err := c.Update(context.Background(), update("Acme"))
			var e *adapter.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.code, e.Code)
			assert.Equal(t, tt.code, adapter.CodeOf(err))
			assert.ErrorIs(t, err, tt.sentinel)
			assert.Equal(t, tt.status, e.HTTPStatus)
			assert.Equal(t, tt.retryable, e.Retryable)
			assert.Equal(t, "fakeUpdate", e.Operation)
			assert.Equal(t, "vendor says no", e.Message)
			assert.Equal(t, 1, e.Attempts)
		})
	}
}

func TestContextErrorsPassThroughUnwrapped(t *testing.T) {
	release := make(chan struct{})
	c, _ := newFake(t, func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err := c.Update(ctx, update("Acme"))
	assert.Equal(t, context.Canceled, err)
	assert.Equal(t, adapter.Canceled, adapter.CodeOf(err))

	ctx, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	_, err = c.Update(ctx, update("Acme"))
	assert.Equal(t, context.DeadlineExceeded, err)
}

func TestEachAttemptIsBoundedByTheAttemptTimeout(t *testing.T) {
	release := make(chan struct{})
	c, _ := newFake(t, func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}, adapter.WithAttemptTimeout(30*time.Millisecond))
	defer close(release)
	_, err := c.Update(context.Background(), update("Acme"))
	var e *adapter.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, adapter.DeadlineExceeded, e.Code)
	assert.True(t, e.Retryable)
}

func TestResponsesLargerThanTheCapAreRefused(t *testing.T) {
	c, _ := newFake(t, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(bytes.Repeat([]byte("x"), 4<<20+10))
	})
	_, err := c.Update(context.Background(), update("Acme"))
	assert.ErrorIs(t, err, adapter.Internal)
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	var followed atomic.Bool
	elsewhere := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { followed.Store(true) }))
	defer elsewhere.Close()
	for _, client := range []*http.Client{nil, {}} {
		opts := []adapter.Option{}
		if client != nil {
			opts = append(opts, adapter.WithHTTPClient(client))
		}
		c, _ := newFake(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere.URL+"/steal", http.StatusTemporaryRedirect)
		}, opts...)
		_, err := c.Update(context.Background(), update("Acme"))
		var e *adapter.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, adapter.FailedPrecondition, e.Code)
		assert.Contains(t, e.Message, "redirect")
	}
	assert.False(t, followed.Load(), "no request reached the other host")
}

func TestBaseURLsMustBeHTTPSExceptOnLoopback(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://api.example.com", true},
		{"http://127.0.0.1:8080", true},
		{"http://localhost:8080/x", true},
		{"http://[::1]:8080", true},
		{"http://api.example.com", false},
		{"http://10.0.0.5", false},
		{"ftp://api.example.com", false},
		{"https://user:pw@api.example.com", false},
		{"api.example.com", false},
		{"https://api.example.com?x=1", false},
		{"https://api.example.com/?", false},
		{"https://api.example.com/#", false},
		{"https://api.example.com:99999", false},
		{"https://api.example.com:0", false},
		{"https://api.example.com:443/base", true},
		{"http://127.0.0.1:18901/base/ ", false},
		{"https://api.example.com/a/../b", false},
		{"https://api.example.com/a/./b", false},
		{"https://api.example.com/v1.0/b", true},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := newFakeClient(&fakeDriver{}, adapter.WithBaseURL(tt.url))
			if tt.ok {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, adapter.InvalidArgument)
			assert.NotContains(t, fmt.Sprint(err), "pw")
		})
	}
}

func TestSecretsNeverAppearInErrorsOrLogs(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, _ := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		// A vendor that echoes the credential back in its error body.
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, "bad key "+r.Header.Get("X-Key"))
	}, adapter.WithLogger(logger))

	_, err := c.Update(context.Background(), update("Acme"))
	require.Error(t, err)
	for _, s := range []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), logs.String()} {
		assert.NotContains(t, s, sentinelSecret)
	}
	assert.Contains(t, err.Error(), "[REDACTED]", "the echo is visible, the secret is not")

	type config struct{ Key adapter.Secret }
	cfg := config{Key: sentinelSecret}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		assert.NotContains(t, fmt.Sprintf(verb, cfg), sentinelSecret, verb)
		assert.NotContains(t, fmt.Sprintf(verb, cfg.Key), sentinelSecret, verb)
	}
	assert.Equal(t, sentinelSecret, cfg.Key.Reveal())
}

func TestCodesHaveStableNames(t *testing.T) {
	names := map[adapter.Code]string{
		adapter.OK: "OK", adapter.Unknown: "Unknown", adapter.NotFound: "NotFound", adapter.InvalidArgument: "InvalidArgument",
		adapter.PermissionDenied: "PermissionDenied", adapter.FailedPrecondition: "FailedPrecondition",
		adapter.ResourceExhausted: "ResourceExhausted", adapter.Unavailable: "Unavailable",
		adapter.DeadlineExceeded: "DeadlineExceeded", adapter.Canceled: "Canceled", adapter.Internal: "Internal",
	}
	for code, name := range names {
		assert.Equal(t, name, code.String())
		text, _ := code.MarshalText()
		assert.Equal(t, name, string(text))
	}
	assert.Equal(t, "Code(42)", adapter.Code(42).String())
	assert.Equal(t, adapter.Unknown, adapter.CodeOf(errors.New("plain")))
	assert.False(t, errors.Is(&adapter.Error{Code: adapter.NotFound}, adapter.Internal))
	for code, name := range names {
		assert.Equal(t, name, code.Error(), "a Code reads as its name, as an error too")
		wrapped := fmt.Errorf("push: %w", &adapter.Error{Code: code})
		assert.True(t, errors.Is(wrapped, code), "errors.Is finds the code %s through wrapping", name)
		assert.Equal(t, code, adapter.CodeOf(wrapped))
	}
}

func TestCodeOfNilIsOK(t *testing.T) {
	assert.Equal(t, adapter.OK, adapter.CodeOf(nil))
	assert.False(t, errors.Is(nil, adapter.OK), "no error is no error, not an OK error")
}

func TestEnvNamesEveryMissingVariable(t *testing.T) {
	t.Setenv("CUSTSYNC_TEST_A", "a")
	t.Setenv("CUSTSYNC_TEST_B", " ")
	_, err := driver.Env(nil, "CUSTSYNC_TEST_A", "CUSTSYNC_TEST_B", "CUSTSYNC_TEST_C")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "environment variables CUSTSYNC_TEST_B, CUSTSYNC_TEST_C are not set")
	v, err := driver.Env(nil, "CUSTSYNC_TEST_A")
	require.NoError(t, err)
	assert.Equal(t, "a", v["CUSTSYNC_TEST_A"])
}

// A credential that straddles the point where a long message or body is
// cut must still be scrubbed: scrub first, cut second.
func TestSecretsAreScrubbedBeforeLongTextIsCut(t *testing.T) {
	for _, pad := range []int{1000, 1005, 1010, 1018, 498, 502, 506} {
		c, _ := newFake(t, func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, strings.Repeat("x", pad)+sentinelSecret+strings.Repeat("y", 2000))
		})
		_, err := c.Update(context.Background(), update("Acme"))
		var e *adapter.Error
		require.ErrorAs(t, err, &e)
		assert.LessOrEqual(t, len(e.Message), 1024+len("…"))
		for _, s := range []string{e.Message, e.Body, e.Error()} {
			assert.NotContains(t, s, sentinelSecret[:5], "pad %d: no fragment of the secret", pad)
		}
	}
}

func TestKeyComesFromTheDriverForValidAndInvalidUpdates(t *testing.T) {
	c, _ := newFake(t, ok)
	assert.Equal(t, "fake:C-1", c.Key(&adapter.CustomerUpdate{ID: "C-1", Name: adapter.Set("x")}))
	assert.Equal(t, "fake:C-1", c.Key(&adapter.CustomerUpdate{ID: "C-1", Email: adapter.Set("not an e-mail")}), "an invalid update addresses the same record")
	assert.Equal(t, "", c.Key(nil))
	assert.True(t, strings.HasPrefix(c.Account(), driver.CredentialID(sentinelSecret)+"@"), "the fake's account is its credential's at a server of its own: %s", c.Account())
}

func TestTheAccountTellsServersApartButNeverHoldsTheCredential(t *testing.T) {
	open := func(t *testing.T, opts ...adapter.Option) string {
		t.Helper()
		c, err := upwell.New(upwell.Config{APIKey: sentinelSecret}, opts...)
		require.NoError(t, err)
		assert.NotContains(t, c.Account(), sentinelSecret[:8])
		return c.Account()
	}
	vendors := open(t)
	assert.Equal(t, vendors, open(t, adapter.WithBaseURL(upwell.DefaultBaseURL)), "the vendor's own server, named or not, is one account")
	assert.Equal(t, vendors, open(t, adapter.WithBaseURL(upwell.DefaultBaseURL+"/")))
	staging := open(t, adapter.WithBaseURL("https://staging.upwell.example"))
	assert.NotEqual(t, vendors, staging, "a staging tenant with the same key holds other records")
	assert.NotEqual(t, staging, open(t, adapter.WithBaseURL("https://other.upwell.example")))
	assert.Equal(t, staging, open(t, adapter.WithBaseURL("https://staging.upwell.example")))
}

func TestAZeroClientRefusesToSend(t *testing.T) {
	var zero adapter.Client
	_, err := zero.Update(context.Background(), update("Acme"))
	assert.ErrorIs(t, err, adapter.InvalidArgument)
	assert.Contains(t, err.Error(), "not built by a vendor package")
	assert.Empty(t, zero.Key(update("Acme")))
	outcomes, err := bulk.Updates(context.Background(), &zero, slices.Values([]*adapter.CustomerUpdate{update("A"), update("B")}))
	require.NoError(t, err)
	var outs []bulk.Outcome
	for out := range outcomes {
		outs = append(outs, out)
	}
	require.Len(t, outs, 2, "a bulk run through a zero Client reports every update")
	assert.ErrorIs(t, outs[0].Err, adapter.InvalidArgument)
	assert.Error(t, outs[1].Err, "nothing is sent through a zero Client")
}

func TestCodeOfAgreesWithErrorsIs(t *testing.T) {
	bare := fmt.Errorf("fake: %w", adapter.NotFound)
	assert.True(t, errors.Is(bare, adapter.NotFound))
	assert.Equal(t, adapter.NotFound, adapter.CodeOf(bare), "a bare Code, as a fake returns it")
	var typedNil *adapter.Error
	assert.Equal(t, adapter.Unknown, adapter.CodeOf(fmt.Errorf("w: %w", typedNil)), "a typed nil does not panic")
}

func TestCheckOfADriverWithoutACheckSaysSoAndSendsNothing(t *testing.T) {
	var requests atomic.Int32
	c, _ := newFake(t, func(http.ResponseWriter, *http.Request) { requests.Add(1) })
	err := c.Check(context.Background())
	var e *adapter.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, adapter.FailedPrecondition, e.Code)
	assert.Equal(t, "fake", e.Vendor)
	assert.Contains(t, e.Message, "no request that writes nothing")
	assert.False(t, e.Config, "the configuration may be right; nothing says otherwise")
	assert.Zero(t, requests.Load())
}
