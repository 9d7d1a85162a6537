package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/custsync/custsync/internal/buildinfo"
)

// telemetryFlushTimeout bounds how long the command waits, before it
// exits, for the last spans and metrics to reach the collector.
const telemetryFlushTimeout = 10 * time.Second

// telemetryWanted reports whether the environment asks for OTLP export:
// an OTLP endpoint is set for traces or metrics, and the SDK is not
// disabled.
func telemetryWanted(getenv func(string) string) (traces, metrics bool) {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return false, false
	}
	all := getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != ""
	traces = (all || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "") && getenv("OTEL_TRACES_EXPORTER") != "none"
	metrics = (all || getenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT") != "") && getenv("OTEL_METRICS_EXPORTER") != "none"
	return traces, metrics
}

// startTelemetry installs global tracer and meter providers that export
// with OTLP over HTTP when the standard OTEL_* variables ask for it (the
// SDK reads them itself: endpoint, headers, sampler, intervals), and
// nothing otherwise. flush exports what is left and shuts them down; the
// command calls it before it exits, however the command ended.
func startTelemetry(getenv func(string) string, stderr io.Writer) (flush func()) {
	traces, metrics := telemetryWanted(getenv)
	if !traces && !metrics {
		return func() {}
	}
	// Export failures are reported, once each kind, but never fail the
	// command: the night's work is what counts.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(onceEach(func(err error) {
		fmt.Fprintf(stderr, "custsync: telemetry: %v\n", err)
	})))
	for _, name := range []string{"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"} {
		if p := getenv(name); p != "" && p != "http/protobuf" {
			fmt.Fprintf(stderr, "custsync: telemetry: %s=%s is not supported; exporting OTLP over HTTP (http/protobuf)\n", name, p)
		}
	}
	ctx := context.Background()
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "custsync"), attribute.String("service.version", buildinfo.Read().Version)),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
		resource.WithTelemetrySDK())
	if err != nil {
		fmt.Fprintf(stderr, "custsync: telemetry: %v\n", err)
	}
	var shutdowns []func(context.Context) error
	if traces {
		exp, err := otlptracehttp.New(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "custsync: telemetry: traces: %v\n", err)
		} else {
			tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
			otel.SetTracerProvider(tp)
			shutdowns = append(shutdowns, tp.Shutdown)
		}
	}
	if metrics {
		exp, err := otlpmetrichttp.New(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "custsync: telemetry: metrics: %v\n", err)
		} else {
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp)), sdkmetric.WithResource(res))
			otel.SetMeterProvider(mp)
			shutdowns = append(shutdowns, mp.Shutdown)
		}
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), telemetryFlushTimeout)
		defer cancel()
		var errs []error
		for _, shutdown := range shutdowns {
			errs = append(errs, shutdown(ctx))
		}
		if err := errors.Join(errs...); err != nil {
			fmt.Fprintf(stderr, "custsync: telemetry: flushing: %v\n", err)
		}
	}
}

// onceEach calls report for the first error of each message only: an
// unreachable collector would otherwise repeat itself every few seconds.
// The exporters report from their own goroutines, hence the lock.
func onceEach(report func(error)) func(error) {
	var mu sync.Mutex
	seen := map[string]bool{}
	return func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if msg := err.Error(); !seen[msg] {
			seen[msg] = true
			report(err)
		}
	}
}
