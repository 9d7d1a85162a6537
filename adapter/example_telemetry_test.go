package adapter_test

import (
	"context"
	"fmt"
	"net/http"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/sandbox"
)

// A program that installs its providers globally (otel.SetTracerProvider)
// needs no option; this one gives the Client its own.
func ExampleWithTracerProvider() {
	srv := sandbox.NewServer()
	defer srv.Close()
	spans := tracetest.NewInMemoryExporter() // in production: an OTLP exporter in a batch span processor
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	client := sandboxUpwell(srv, adapter.WithTracerProvider(tp))

	if _, err := client.Update(context.Background(), &adapter.CustomerUpdate{ID: "C-1001", Name: adapter.Set("Acme Corp")}); err != nil {
		panic(err)
	}
	for _, s := range spans.GetSpans() { // in the order they ended
		fmt.Println(s.Name, s.SpanKind)
	}
	// Output:
	// PUT client
	// custsync.update internal
}

// otelhttp.NewTransport, or any RoundTripper of your own, wraps the
// Client's transport without declaring adapter.SingleRoundTripper.
func ExampleWithTransportWrapper() {
	srv := sandbox.NewServer()
	defer srv.Close()
	countRequests := func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			fmt.Println("sending", r.Method)
			return next.RoundTrip(r)
		})
	}
	client := sandboxUpwell(srv, adapter.WithTransportWrapper(countRequests))
	if _, err := client.Update(context.Background(), &adapter.CustomerUpdate{ID: "C-1001", Name: adapter.Set("Acme Corp")}); err != nil {
		panic(err)
	}
	// Output:
	// sending PUT
}
