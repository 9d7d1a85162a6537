package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/custsync/custsync/sandbox"
	"github.com/custsync/custsync/specs"
)

// otlpReceiver is a loopback OTLP/HTTP collector: it decodes the
// protobuf export requests custsync sends and keeps them.
type otlpReceiver struct {
	mu      sync.Mutex
	spans   []string // span names, in the order received
	metrics []string // metric names
	raw     bytes.Buffer
}

func newOTLPReceiver(t *testing.T) (*otlpReceiver, string) {
	t.Helper()
	r := &otlpReceiver{}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, srv.URL
}

func (r *otlpReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil || req.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "want a protobuf body", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.raw.Write(body)
	var answer proto.Message
	switch req.URL.Path {
	case "/v1/traces":
		var in coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, rs := range in.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				for _, s := range ss.GetSpans() {
					r.spans = append(r.spans, s.GetName())
				}
			}
		}
		answer = &coltracepb.ExportTraceServiceResponse{}
	case "/v1/metrics":
		var in colmetricpb.ExportMetricsServiceRequest
		if err := proto.Unmarshal(body, &in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, rm := range in.GetResourceMetrics() {
			for _, sm := range rm.GetScopeMetrics() {
				for _, m := range sm.GetMetrics() {
					r.metrics = append(r.metrics, m.GetName())
				}
			}
		}
		answer = &colmetricpb.ExportMetricsServiceResponse{}
	default:
		http.NotFound(w, req)
		return
	}
	out, _ := proto.Marshal(answer)
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// received returns the span names, metric names and raw bytes received.
func (r *otlpReceiver) received() (spans, metrics []string, raw string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.spans...), append([]string(nil), r.metrics...), r.raw.String()
}

func countOf(names []string, name string) int {
	n := 0
	for _, s := range names {
		if s == name {
			n++
		}
	}
	return n
}

func TestPushExportsItsSpansAndMetricsToTheOTLPEndpointBeforeItExits(t *testing.T) {
	t.Parallel()
	for _, v := range []specs.Vendor{specs.Upwell, specs.BlueTape, specs.Billbee} {
		t.Run(string(v), func(t *testing.T) {
			t.Parallel()
			srv := newSandbox(t, sandbox.WithSyntheticCustomers(3))
			receiver, endpoint := newOTLPReceiver(t)
			dir := t.TempDir()
			var lines []string
			const email = "night.owl-5c2d@example.com"
			for i := 1; i <= 3; i++ {
				lines = append(lines, fmt.Sprintf(`{"id": %q, "name": "Customer %d", "firstName": "F", "lastName": "L", "email": %q, "phone": "+15551234567", "modifiedAt": "2025-06-01T09:30:00Z"}`,
					sandbox.SyntheticID(v, i), i, email))
			}
			env := demoEnv(v)
			env["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint
			out := runBinary(t, invocation{
				args: []string{"push", "--vendor", string(v), "--base-url", srv.URL(v), "--file", writeFile(t, dir, "in.jsonl", strings.Join(lines, "\n")+"\n"), "--lenient", "--json"},
				env:  env,
				dir:  dir,
			})
			require.Equal(t, exitOK, out.code)
			assert.NotContains(t, out.stderr, "telemetry")

			spans, metrics, raw := receiver.received()
			assert.Equal(t, 1, countOf(spans, "custsync.run"))
			assert.Equal(t, 3, countOf(spans, "custsync.update"))
			for _, name := range []string{"custsync.records", "custsync.updates", "http.client.request.duration"} {
				assert.Contains(t, metrics, name)
			}
			for _, secret := range demoEnv(v) {
				assert.NotContains(t, raw, secret)
			}
			assert.NotContains(t, raw, email)
			assert.NotContains(t, raw, sandbox.SyntheticID(v, 1))
		})
	}
}

func TestPushExportsNothingWithoutAnOTLPEndpoint(t *testing.T) {
	t.Parallel()
	flush := startTelemetry(func(string) string { return "" }, io.Discard)
	flush() // nothing was installed, and nothing waits
	traces, metrics := telemetryWanted(envMap{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_SDK_DISABLED": "true"}.get)
	assert.False(t, traces || metrics, "OTEL_SDK_DISABLED wins")
	traces, metrics = telemetryWanted(envMap{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://127.0.0.1:1"}.get)
	assert.Equal(t, []bool{false, true}, []bool{traces, metrics})
}

type envMap map[string]string

func (m envMap) get(k string) string { return m[k] }

func TestAPushStoppedBySIGTERMStillExportsItsRun(t *testing.T) {
	t.Parallel()
	gate := &gatedUpwell{free: 2, release: make(chan struct{}), updated: map[string]bool{}}
	srv := httptest.NewServer(gate)
	t.Cleanup(srv.Close)
	var once sync.Once
	releaseGate := func() { once.Do(func() { close(gate.release) }) }
	t.Cleanup(releaseGate)
	receiver, endpoint := newOTLPReceiver(t)

	dir := t.TempDir()
	var lines []string
	for i := 1; i <= 50; i++ {
		lines = append(lines, fmt.Sprintf(`{"id": "R-%03d", "name": "Customer %d"}`, i, i))
	}
	cmd := childCommand(t, t.Context(), invocation{
		args: []string{"push", "--vendor", "upwell", "--base-url", srv.URL, "--file", writeFile(t, dir, "in.jsonl", strings.Join(lines, "\n")+"\n"), "--concurrency", "1"},
		env:  map[string]string{"UPWELL_API_KEY": "k-1234", "UPWELL_SOURCE_SYSTEM": "ERP", "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint},
		dir:  dir,
	})
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	require.NoError(t, cmd.Start())
	require.Eventually(t, func() bool { return gate.seen.Load() >= gate.free+1 }, 20*time.Second, 10*time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), "interrupted") }, 10*time.Second, 10*time.Millisecond)
	releaseGate()
	_ = cmd.Wait()
	t.Logf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	assert.Equal(t, exitIncomplete, cmd.ProcessState.ExitCode())

	spans, metrics, raw := receiver.received()
	assert.Equal(t, 1, countOf(spans, "custsync.run"), "the run's span was exported before the process exited")
	assert.Equal(t, int(gate.free)+1, countOf(spans, "custsync.update"), "the updates sent, and no other")
	assert.Contains(t, metrics, "custsync.records")
	assert.NotContains(t, raw, "k-1234")
}
