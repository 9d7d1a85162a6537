package adapter_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/billbee"
	"github.com/custsync/custsync/adapter/bluetape"
	"github.com/custsync/custsync/adapter/internal/metrictest"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// sentinelEmail is the e-mail address every update of the telemetry
// tests sets: it must appear in no span, event or metric.
const sentinelEmail = "sentinel.person-4e1b@example.com"

// observed is what a client's telemetry recorded.
type observed struct {
	spans  *tracetest.InMemoryExporter
	reader *sdkmetric.ManualReader
}

func newObserved() (observed, []adapter.Option) {
	o := observed{spans: tracetest.NewInMemoryExporter(), reader: sdkmetric.NewManualReader()}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(o.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(o.reader))
	return o, []adapter.Option{adapter.WithTracerProvider(tp), adapter.WithMeterProvider(mp)}
}

func (o observed) metrics(t *testing.T) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, o.reader.Collect(context.Background(), &rm))
	return rm
}

// telemetryVendor is one vendor of the telemetry tests: a client on the
// sandbox, and an update of customer id carrying the sentinel e-mail.
type telemetryVendor struct {
	vendor specs.Vendor
	client func(t *testing.T, baseURL string, opts ...adapter.Option) *adapter.Client
	update func(id, name string) *adapter.CustomerUpdate
	// perUpdate is how many HTTP attempts a successful update makes.
	perUpdate int
	secrets   []string
}

var telemetryVendors = func() []telemetryVendor {
	creds := sandbox.DefaultCredentials()
	return []telemetryVendor{
		{
			vendor: specs.Upwell,
			client: func(t *testing.T, baseURL string, opts ...adapter.Option) *adapter.Client {
				c, err := upwell.New(upwell.Config{APIKey: sandbox.UpwellAPIKey, SourceSystem: sandbox.UpwellSourceSystem},
					append([]adapter.Option{adapter.WithBaseURL(baseURL)}, opts...)...)
				require.NoError(t, err)
				return c
			},
			update: func(id, name string) *adapter.CustomerUpdate {
				return &adapter.CustomerUpdate{ID: id, Name: adapter.Set(name), Email: adapter.Set(sentinelEmail)}
			},
			perUpdate: 1,
			secrets:   []string{sandbox.UpwellAPIKey},
		},
		{
			vendor: specs.BlueTape,
			client: func(t *testing.T, baseURL string, opts ...adapter.Option) *adapter.Client {
				c, err := bluetape.New(bluetape.Config{APIKey: adapter.Secret(creds.BlueTapeAPIKey), AccountID: adapter.Secret(creds.BlueTapeAccountID)},
					append([]adapter.Option{adapter.WithBaseURL(baseURL)}, opts...)...)
				require.NoError(t, err)
				return c
			},
			update: func(id, name string) *adapter.CustomerUpdate {
				return &adapter.CustomerUpdate{ID: id, FirstName: adapter.Set(name), LastName: adapter.Set("Last"),
					Email: adapter.Set(sentinelEmail), Phone: adapter.Set("+15551234567"),
					ModifiedAt: adapter.Set(time.Date(2025, 6, 1, 9, 30, 0, 0, time.UTC))}
			},
			perUpdate: 1,
			secrets:   []string{creds.BlueTapeAPIKey, creds.BlueTapeAccountID},
		},
		{
			vendor: specs.Billbee,
			client: func(t *testing.T, baseURL string, opts ...adapter.Option) *adapter.Client {
				c, err := billbee.New(billbee.Config{APIKey: adapter.Secret(creds.BillbeeAPIKey), Username: creds.BillbeeUsername, APIPassword: adapter.Secret(creds.BillbeeAPIPassword)},
					append([]adapter.Option{adapter.WithBaseURL(baseURL)}, opts...)...)
				require.NoError(t, err)
				return c
			},
			update: func(id, name string) *adapter.CustomerUpdate {
				return &adapter.CustomerUpdate{ID: id, Name: adapter.Set(name), Email: adapter.Set(sentinelEmail)}
			},
			perUpdate: 2, // the read, then the write
			secrets:   []string{creds.BillbeeAPIKey, creds.BillbeeAPIPassword, creds.BillbeeUsername},
		},
	}
}()

// telemetrySandbox starts a sandbox for v and returns it and the base URL.
func telemetrySandbox(t *testing.T, v specs.Vendor) (*sandbox.Sandbox, string) {
	t.Helper()
	sb := sandbox.New(sandbox.WithSyntheticCustomers(3))
	ts := httptest.NewServer(sb)
	t.Cleanup(func() {
		ts.Close()
		assert.Empty(t, sb.Violations(), "the sandbox answered off its spec")
	})
	return sb, ts.URL + sandbox.BasePath(v)
}

// calls returns the call spans (custsync.update, custsync.check) in the
// order they ended, and the attempt spans of each.
func calls(spans tracetest.SpanStubs) (call []tracetest.SpanStub, attempts map[int][]tracetest.SpanStub) {
	attempts = map[int][]tracetest.SpanStub{}
	index := map[string]int{}
	for _, s := range spans {
		if strings.HasPrefix(s.Name, "custsync.") {
			index[s.SpanContext.SpanID().String()] = len(call)
			call = append(call, s)
		}
	}
	for _, s := range spans {
		if i, ok := index[s.Parent.SpanID().String()]; ok && !strings.HasPrefix(s.Name, "custsync.") {
			attempts[i] = append(attempts[i], s)
		}
	}
	return call, attempts
}

func attr(s tracetest.SpanStub, key string) attribute.Value {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value
		}
	}
	return attribute.Value{}
}

func TestAnUpdateIsASpanWithAChildPerAttemptAtEveryVendor(t *testing.T) {
	for _, tv := range telemetryVendors {
		t.Run(string(tv.vendor)+": sent, retried after a 429, failed after 503s, and not found", func(t *testing.T) {
			t.Parallel()
			sb, base := telemetrySandbox(t, tv.vendor)
			o, opts := newObserved()
			c := tv.client(t, base, append(opts, adapter.WithRateLimiter(nil), adapter.WithRetryBackoff(time.Millisecond, time.Millisecond))...)
			ctx := context.Background()
			id := sandbox.SyntheticID(tv.vendor, 1)

			_, err := c.Update(ctx, tv.update(id, "First"), adapter.WithLenient(true))
			require.NoError(t, err)
			sb.FailNext(tv.vendor, 1, sandbox.FaultTooManyRequests)
			_, err = c.Update(ctx, tv.update(id, "Second"), adapter.WithLenient(true))
			require.NoError(t, err)
			sb.FailNext(tv.vendor, 3, sandbox.FaultUnavailable)
			_, err = c.Update(ctx, tv.update(id, "Third"), adapter.WithLenient(true))
			require.ErrorIs(t, err, adapter.Unavailable)
			_, err = c.Update(ctx, tv.update(sandbox.SyntheticID(tv.vendor, 99), "Nobody"), adapter.WithLenient(true))
			require.ErrorIs(t, err, adapter.NotFound)

			call, attempts := calls(o.spans.GetSpans())
			require.Len(t, call, 4)
			for i, s := range call {
				assert.Equal(t, "custsync.update", s.Name)
				assert.Equal(t, string(tv.vendor), attr(s, "custsync.vendor").AsString(), "call %d", i)
				assert.False(t, s.Parent.IsValid(), "call %d is a root span: nothing was its parent", i)
				assert.Equal(t, int64(len(attempts[i])), attr(s, "custsync.attempts").AsInt64(), "call %d: one child span per attempt", i)
			}
			assert.Equal(t, "sent", attr(call[0], "custsync.outcome").AsString())
			assert.Len(t, attempts[0], tv.perUpdate)

			assert.Equal(t, "sent", attr(call[1], "custsync.outcome").AsString())
			require.Len(t, attempts[1], tv.perUpdate+1, "the 429 and its retry")
			assert.Equal(t, int64(429), attr(attempts[1][0], "http.response.status_code").AsInt64())
			assert.Equal(t, int64(1), attr(attempts[1][1], "http.request.resend_count").AsInt64())

			assert.Equal(t, "failed", attr(call[2], "custsync.outcome").AsString())
			assert.Equal(t, "Unavailable", attr(call[2], "error.type").AsString())
			require.Len(t, attempts[2], 3, "the first try and both retries")
			for _, a := range attempts[2] {
				assert.Equal(t, int64(503), attr(a, "http.response.status_code").AsInt64())
				assert.Equal(t, "503", attr(a, "error.type").AsString())
			}
			assert.Equal(t, "NotFound", attr(call[3], "error.type").AsString())

			for _, a := range attempts[0] {
				assert.Equal(t, "127.0.0.1", attr(a, "server.address").AsString())
				assert.Contains(t, []string{"GET", "PUT", "PATCH", "POST"}, attr(a, "http.request.method").AsString())
				assert.Equal(t, a.Name, attr(a, "http.request.method").AsString())
			}

			rm := o.metrics(t)
			vendor := attribute.String("custsync.vendor", string(tv.vendor))
			assert.Equal(t, int64(2), metrictest.Count(rm, "custsync.updates", vendor, attribute.String("custsync.outcome", "sent")))
			assert.Equal(t, int64(1), metrictest.Count(rm, "custsync.updates", vendor, attribute.String("error.type", "Unavailable")))
			assert.Equal(t, int64(1), metrictest.Count(rm, "custsync.updates", vendor, attribute.String("error.type", "NotFound")))
			assert.Equal(t, int64(1), metrictest.Count(rm, "custsync.throttled", vendor))
			assert.Equal(t, int64(3), metrictest.Count(rm, "custsync.retries", vendor), "one after the 429, two after the 503s")
			total := int64(len(attempts[0]) + len(attempts[1]) + len(attempts[2]) + len(attempts[3]))
			assert.Equal(t, total, metrictest.Count(rm, "http.client.request.duration", vendor))
			assert.Equal(t, int64(3), metrictest.Count(rm, "http.client.request.duration", vendor, attribute.Int("http.response.status_code", 503)))

			assertNothingPersonal(t, o, tv.secrets, id)
		})
	}
}

func TestAnUpdateBillbeeHoldsAlreadyIsCountedUnchanged(t *testing.T) {
	tv := telemetryVendors[2]
	_, base := telemetrySandbox(t, tv.vendor)
	o, opts := newObserved()
	c := tv.client(t, base, append(opts, adapter.WithRateLimiter(nil))...)
	id := sandbox.SyntheticID(tv.vendor, 1)
	for range 2 {
		_, err := c.Update(context.Background(), tv.update(id, "Same"))
		require.NoError(t, err)
	}
	call, attempts := calls(o.spans.GetSpans())
	require.Len(t, call, 2)
	assert.Equal(t, "unchanged", attr(call[1], "custsync.outcome").AsString())
	assert.Len(t, attempts[1], 1, "only the read")
	rm := o.metrics(t)
	assert.Equal(t, int64(1), metrictest.Count(rm, "custsync.updates", attribute.String("custsync.outcome", "unchanged")))
	assertNothingPersonal(t, o, tv.secrets, id)
}

func TestTheRateLimitersWaitIsAnEventOfTheUpdate(t *testing.T) {
	tv := telemetryVendors[0]
	_, base := telemetrySandbox(t, tv.vendor)
	o, opts := newObserved()
	c := tv.client(t, base, opts...) // the vendor's own limits
	_, err := c.Update(context.Background(), tv.update(sandbox.SyntheticID(tv.vendor, 1), "Waited"), adapter.WithLenient(true))
	require.NoError(t, err)
	call, _ := calls(o.spans.GetSpans())
	require.Len(t, call, 1)
	require.Len(t, call[0].Events, 1)
	assert.Equal(t, "custsync.rate_limit.wait", call[0].Events[0].Name)
	assert.Equal(t, int64(1), metrictest.Count(o.metrics(t), "custsync.rate_limit.wait.duration", attribute.String("custsync.vendor", "upwell")))
}

func TestACheckIsASpan(t *testing.T) {
	for _, tv := range telemetryVendors {
		t.Run(string(tv.vendor), func(t *testing.T) {
			t.Parallel()
			_, base := telemetrySandbox(t, tv.vendor)
			o, opts := newObserved()
			c := tv.client(t, base, append(opts, adapter.WithRateLimiter(nil))...)
			require.NoError(t, c.Check(context.Background()))
			call, attempts := calls(o.spans.GetSpans())
			require.Len(t, call, 1)
			assert.Equal(t, "custsync.check", call[0].Name)
			assert.Len(t, attempts[0], 1)
			assert.Equal(t, int64(1), metrictest.Count(o.metrics(t), "custsync.updates", attribute.String("custsync.operation", "check"), attribute.String("custsync.outcome", "sent")))
			assertNothingPersonal(t, o, tv.secrets, "")
		})
	}
}

// assertNothingPersonal fails t if any span name, attribute, event,
// status or metric attribute holds a credential, the sentinel e-mail
// address or the record's key.
func assertNothingPersonal(t *testing.T, o observed, secrets []string, key string) {
	t.Helper()
	forbidden := append([]string{sentinelEmail, strings.SplitN(sentinelEmail, "@", 2)[0]}, secrets...)
	if key != "" {
		forbidden = append(forbidden, key)
	}
	var texts []string
	addAttrs := func(where string, kvs []attribute.KeyValue) {
		for _, kv := range kvs {
			texts = append(texts, fmt.Sprintf("%s %s=%s", where, kv.Key, kv.Value.String()))
		}
	}
	for _, s := range o.spans.GetSpans() {
		texts = append(texts, "span "+s.Name, "status "+s.Status.Description)
		addAttrs("span "+s.Name, s.Attributes)
		for _, e := range s.Events {
			texts = append(texts, "event "+e.Name)
			addAttrs("event "+e.Name, e.Attributes)
		}
	}
	rm := o.metrics(t)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			texts = append(texts, "metric "+m.Name+" "+m.Description)
			var sets []attribute.Set
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					sets = append(sets, p.Attributes)
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					sets = append(sets, p.Attributes)
				}
			}
			for _, s := range sets {
				addAttrs("metric "+m.Name, s.ToSlice())
			}
		}
	}
	require.NotEmpty(t, texts)
	for _, text := range texts {
		for _, f := range forbidden {
			assert.NotContains(t, text, f)
		}
	}
}

func TestATransportWrapperSeesEveryAttemptAndCannotSendElsewhere(t *testing.T) {
	tv := telemetryVendors[0]
	_, base := telemetrySandbox(t, tv.vendor)
	elsewhere := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		t.Errorf("a request reached another host, with headers %v", r.Header)
	}))
	defer elsewhere.Close()
	var seen []string
	var redirectErr error
	wrap := func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			seen = append(seen, r.Method)
			// A wrapper that sends the request on to another host, as one
			// following a redirect would, is refused.
			other := r.Clone(r.Context())
			other.URL.Host = strings.TrimPrefix(elsewhere.URL, "http://")
			_, redirectErr = next.RoundTrip(other)
			return next.RoundTrip(r)
		})
	}
	c := tv.client(t, base, adapter.WithRateLimiter(nil), adapter.WithTransportWrapper(wrap))
	_, err := c.Update(context.Background(), tv.update(sandbox.SyntheticID(tv.vendor, 1), "Wrapped"), adapter.WithLenient(true))
	require.NoError(t, err)
	assert.Equal(t, []string{"PUT"}, seen)
	require.Error(t, redirectErr)
	assert.Contains(t, redirectErr.Error(), "refusing to send credentials")
}

func TestTelemetryAndWrapperOptionsRefuseNil(t *testing.T) {
	_, err := upwell.New(upwell.Config{APIKey: sandbox.UpwellAPIKey, SourceSystem: sandbox.UpwellSourceSystem},
		adapter.WithTransportWrapper(func(http.RoundTripper) http.RoundTripper { return nil }))
	require.ErrorIs(t, err, adapter.InvalidArgument)
	_, err = upwell.New(upwell.Config{APIKey: sandbox.UpwellAPIKey, SourceSystem: sandbox.UpwellSourceSystem}, adapter.WithTransportWrapper(nil))
	require.ErrorIs(t, err, adapter.InvalidArgument)
	_, err = upwell.New(upwell.Config{APIKey: sandbox.UpwellAPIKey, SourceSystem: sandbox.UpwellSourceSystem}, adapter.WithTracerProvider(nil))
	require.ErrorIs(t, err, adapter.InvalidArgument)
	_, err = upwell.New(upwell.Config{APIKey: sandbox.UpwellAPIKey, SourceSystem: sandbox.UpwellSourceSystem}, adapter.WithMeterProvider(nil))
	require.ErrorIs(t, err, adapter.InvalidArgument)
}

// Not parallel: it installs a global provider.
func TestAClientOfTheGlobalProvidersRecordsOnceTheyAreInstalled(t *testing.T) {
	tv := telemetryVendors[0]
	_, base := telemetrySandbox(t, tv.vendor)
	c := tv.client(t, base, adapter.WithRateLimiter(nil)) // built before any provider is installed
	update := tv.update(sandbox.SyntheticID(tv.vendor, 1), "Global")
	_, err := c.Update(context.Background(), update, adapter.WithLenient(true))
	require.NoError(t, err)

	o := observed{spans: tracetest.NewInMemoryExporter(), reader: sdkmetric.NewManualReader()}
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(o.spans)))
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(o.reader)))
	t.Cleanup(func() {
		otel.SetTracerProvider(tracenoop.NewTracerProvider())
		otel.SetMeterProvider(metricnoop.NewMeterProvider())
	})
	_, err = c.Update(context.Background(), update, adapter.WithLenient(true))
	require.NoError(t, err)
	call, attempts := calls(o.spans.GetSpans())
	require.Len(t, call, 1, "the update after the providers were installed, not the one before")
	assert.Len(t, attempts[0], 1)
	rm := o.metrics(t)
	assert.Equal(t, int64(1), metrictest.Count(rm, "custsync.updates", attribute.String("custsync.outcome", "sent")))
	assert.Equal(t, int64(1), metrictest.Count(rm, "http.client.request.duration"))
}
