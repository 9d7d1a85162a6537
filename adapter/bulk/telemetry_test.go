package bulk_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/custsync/custsync/adapter"
	"github.com/custsync/custsync/adapter/bulk"
	"github.com/custsync/custsync/adapter/internal/metrictest"
	"github.com/custsync/custsync/sandbox"
)

func spanAttr(s tracetest.SpanStub, key string) attribute.Value {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value
		}
	}
	return attribute.Value{}
}

func TestARunIsTheParentSpanOfItsUpdatesAtEveryVendor(t *testing.T) {
	for _, vc := range vendorCases {
		t.Run(string(vc.vendor)+": a 429 and 503s, a failure, a missing customer, then a night with nothing to send", func(t *testing.T) {
			t.Parallel()
			sb := sandbox.New(sandbox.WithSyntheticCustomers(5))
			ts := httptest.NewServer(sb)
			defer ts.Close()
			spans := tracetest.NewInMemoryExporter()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
			reader := sdkmetric.NewManualReader()
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
			client := vc.client(t, ts.URL+sandbox.BasePath(vc.vendor), ts.Client(),
				adapter.WithTracerProvider(tp), adapter.WithMeterProvider(mp), adapter.WithRetryBackoff(time.Millisecond, time.Millisecond))
			store := newStore(t)
			ids := []string{sandbox.SyntheticID(vc.vendor, 1), sandbox.SyntheticID(vc.vendor, 2), sandbox.SyntheticID(vc.vendor, 3), sandbox.SyntheticID(vc.vendor, 99)}
			updates := make([]*adapter.CustomerUpdate, len(ids))
			for i, id := range ids {
				updates[i] = vc.update(id, 1)
			}
			opts := []bulk.Option{bulk.WithTracerProvider(tp), bulk.WithMeterProvider(mp), bulk.WithConcurrency(1), bulk.WithRecordAttempts(1)}

			// One of the first two records meets the 429 and 503s until
			// its retries run out, the other gets through after one.
			sb.FailNext(vc.vendor, 1, sandbox.FaultTooManyRequests)
			sb.FailNext(vc.vendor, 3, sandbox.FaultUnavailable)
			outs := pushWithState(t, client, store, updates, opts...)
			statuses := map[bulk.Status]int{}
			var again []*adapter.CustomerUpdate
			for i, out := range outs {
				statuses[out.Status]++
				if out.Status == bulk.Succeeded {
					again = append(again, updates[i])
				}
			}
			require.Equal(t, map[bulk.Status]int{bulk.Succeeded: 2, bulk.Failed: 2}, statuses)
			require.ErrorIs(t, outs[3].Err, adapter.NotFound)
			outs = pushWithState(t, client, store, again, opts...)
			require.Equal(t, []bulk.Status{bulk.Unchanged, bulk.Unchanged}, []bulk.Status{outs[0].Status, outs[1].Status})

			all := spans.GetSpans()
			var runs []tracetest.SpanStub
			byParent := map[string][]tracetest.SpanStub{}
			for _, s := range all {
				if s.Name == "custsync.run" {
					runs = append(runs, s)
					assert.False(t, s.Parent.IsValid(), "a run is a root span")
				}
				byParent[s.Parent.SpanID().String()] = append(byParent[s.Parent.SpanID().String()], s)
			}
			require.Len(t, runs, 2)
			first, second := runs[0], runs[1]
			assert.Equal(t, int64(2), spanAttr(first, "custsync.records.succeeded").AsInt64())
			assert.Equal(t, int64(2), spanAttr(first, "custsync.records.failed").AsInt64())
			assert.Equal(t, int64(2), spanAttr(second, "custsync.records.unchanged").AsInt64())
			assert.Empty(t, byParent[second.SpanContext.SpanID().String()], "a night with nothing to send sends nothing")

			updateSpans := byParent[first.SpanContext.SpanID().String()]
			require.Len(t, updateSpans, 4, "one update span per record, each a child of the run")
			codes := map[int64]int{}
			attempts := 0
			for _, u := range updateSpans {
				assert.Equal(t, "custsync.update", u.Name)
				assert.Equal(t, first.SpanContext.TraceID(), u.SpanContext.TraceID())
				children := byParent[u.SpanContext.SpanID().String()]
				assert.Equal(t, int64(len(children)), spanAttr(u, "custsync.attempts").AsInt64())
				for _, a := range children {
					codes[spanAttr(a, "http.response.status_code").AsInt64()]++
				}
				attempts += len(children)
			}
			assert.Equal(t, 1, codes[429])
			assert.Equal(t, 3, codes[503])
			notFound := 0
			for _, u := range updateSpans {
				if spanAttr(u, "error.type").AsString() == "NotFound" {
					notFound++
				}
			}
			assert.Equal(t, 1, notFound)

			var rm metricdata.ResourceMetrics
			require.NoError(t, reader.Collect(context.Background(), &rm))
			vendor := attribute.String("custsync.vendor", string(vc.vendor))
			assert.Equal(t, int64(2), metrictest.Count(rm, "custsync.records", vendor, attribute.String("custsync.outcome", "succeeded")))
			assert.Equal(t, int64(2), metrictest.Count(rm, "custsync.records", vendor, attribute.String("custsync.outcome", "unchanged")))
			assert.Equal(t, int64(1), metrictest.Count(rm, "custsync.records", vendor, attribute.String("custsync.outcome", "failed"), attribute.String("error.type", "Unavailable")))
			assert.Equal(t, int64(1), metrictest.Count(rm, "custsync.records", vendor, attribute.String("custsync.outcome", "failed"), attribute.String("error.type", "NotFound")))
			assert.Equal(t, int64(0), metrictest.Count(rm, "custsync.records.in_flight", vendor), "none left in flight")
			assert.Positive(t, metrictest.Count(rm, "custsync.state.duration", vendor, attribute.String("custsync.state.operation", "put")))
			assert.Equal(t, int64(attempts), metrictest.Count(rm, "http.client.request.duration", vendor))
			assert.Equal(t, int64(1), metrictest.Count(rm, "custsync.throttled", vendor))

			var texts []string
			for _, s := range all {
				texts = append(texts, s.Name, s.Status.Description)
				for _, kv := range s.Attributes {
					texts = append(texts, fmt.Sprintf("%s=%s", kv.Key, kv.Value.String()))
				}
			}
			for _, sm := range rm.ScopeMetrics {
				for _, m := range sm.Metrics {
					if d, ok := m.Data.(metricdata.Sum[int64]); ok {
						for _, p := range d.DataPoints {
							texts = append(texts, p.Attributes.Encoded(attribute.DefaultEncoder()))
						}
					}
				}
			}
			forbidden := slices.Clone(ids)
			if email, ok := updates[0].Email.Value(); ok {
				forbidden = append(forbidden, email)
			}
			for _, text := range texts {
				for _, f := range forbidden {
					assert.False(t, strings.Contains(text, f), "%q holds %q", text, f)
				}
			}
		})
	}
}
