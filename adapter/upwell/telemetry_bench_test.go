package upwell_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/upwell"
	"github.com/custsync/custsync/internal/vendortest"
)

// discardSpans is an exporter that drops what it is given: the cost
// measured is the SDK's in the process, not a collector's.
type discardSpans struct{}

func (discardSpans) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardSpans) Shutdown(context.Context) error                             { return nil }

// BenchmarkUpdateTelemetry measures an update with no provider installed
// (telemetry=none), and with the SDK's providers sampling 1% and 100% of
// updates, a batch span processor and a metric reader:
//
//	go test ./adapter/upwell -run '^$' -bench UpdateTelemetry -benchmem -count 8 | benchstat -col /telemetry -
func BenchmarkUpdateTelemetry(b *testing.B) {
	vendor := &vendortest.Canned{Status: 200, Body: []byte(benchAnswer)}
	u, _ := benchUpdate()
	for _, tc := range []struct {
		name    string
		sampled float64 // -1: no provider at all
	}{{"none", -1}, {"sdk-1%", 0.01}, {"sdk-100%", 1}} {
		b.Run("telemetry="+tc.name, func(b *testing.B) {
			opts := []adapter.Option{adapter.WithTransport(vendor), adapter.WithRateLimiter(nil)}
			if tc.sampled >= 0 {
				tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(tc.sampled))),
					sdktrace.WithBatcher(discardSpans{}))
				mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
				b.Cleanup(func() {
					_ = tp.Shutdown(context.Background())
					_ = mp.Shutdown(context.Background())
				})
				opts = append(opts, adapter.WithTracerProvider(tp), adapter.WithMeterProvider(mp))
			}
			c, err := upwell.New(upwell.Config{APIKey: apiKey, SourceSystem: "ACME"}, opts...)
			require.NoError(b, err)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Update(ctx, u); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
