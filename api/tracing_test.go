package api_test

import (
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/hookline/hookline/hooklinetest"
	"github.com/hookline/hookline/internal/tracing"
)

// otlpReceiver is an OTLP/HTTP traces endpoint keeping every span.
type otlpReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	spans []*tracepb.Span
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	o := &otlpReceiver{}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		if r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		o.mu.Lock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				o.spans = append(o.spans, ss.Spans...)
			}
		}
		o.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		b, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		_, _ = w.Write(b)
	}))
	t.Cleanup(o.Close)
	return o
}

func (o *otlpReceiver) inTrace(traceID string) []*tracepb.Span {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []*tracepb.Span
	for _, s := range o.spans {
		if hex.EncodeToString(s.TraceId) == traceID {
			out = append(out, s)
		}
	}
	return out
}

func attr(s *tracepb.Span, key string) string {
	for _, a := range s.Attributes {
		if a.Key != key {
			continue
		}
		switch v := a.Value.GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			return v.StringValue
		case *commonpb.AnyValue_IntValue:
			return strconv.FormatInt(v.IntValue, 10)
		}
	}
	return ""
}

// One publish to two endpoints is one trace, continuing the producer's
// traceparent: the API span, the fan-out, both delivery workflows and every
// attempt (a retry included) as a client span with Hookline's attributes.
// With trace_propagation the receiver's traceparent names the attempt's
// span; without it there is no trace header at all; baggage never.
func TestOnePublishIsOneTrace(t *testing.T) {
	otlp := newOTLPReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	tr, err := tracing.FromEnv(context.Background(), "hookline-test")
	if err != nil || !tr.Enabled() {
		t.Fatalf("tracing from env: %v (enabled %v)", err, tr.Enabled())
	}
	t.Cleanup(func() { _ = tr.Shutdown(context.Background()) })
	env := hooklinetest.New(t, hooklinetest.Options{Tracing: tr})

	flaky := hooklinetest.NewReceiver(t)
	flaky.SetHandler(func(n int, w http.ResponseWriter, _ *http.Request, _ []byte) {
		if n == 0 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	plain := hooklinetest.NewReceiver(t)
	propagating := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": flaky.URL, "events": []string{"*"}, "trace_propagation": true})
	silent := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": plain.URL, "events": []string{"*"}})
	if !propagating.TracePropagation || silent.TracePropagation {
		t.Fatalf("trace_propagation shown as %v / %v", propagating.TracePropagation, silent.TracePropagation)
	}

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	r := env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": "comment.created", "payload": map[string]any{"n": 1}},
		"traceparent", "00-"+traceID+"-00f067aa0ba902b7-01", "baggage", "tenant=should-not-travel")
	if r.Status != http.StatusAccepted {
		t.Fatalf("publish: %d %s", r.Status, r.Body)
	}
	for _, id := range []string{propagating.ID.String(), silent.ID.String()} {
		env.WaitDelivery(deliveriesOf(t, env, env.A, id, "")[0].ID.String(), "succeeded", 30*time.Second)
	}
	var spans []*tracepb.Span
	env.Eventually(20*time.Second, "the trace's spans to be exported", func() bool {
		_ = tr.ForceFlush(context.Background())
		spans = otlp.inTrace(traceID)
		n := 0
		for _, s := range spans {
			if s.Name == "webhook attempt" {
				n++
			}
		}
		return n == 3
	})
	names := map[string]int{}
	attempts := map[string]*tracepb.Span{}
	for _, s := range spans {
		names[s.Name]++
		if s.Name == "webhook attempt" {
			if s.Kind != tracepb.Span_SPAN_KIND_CLIENT || attr(s, "hookline.tenant_id") != env.A.ID.String() ||
				attr(s, "hookline.delivery_id") == "" || attr(s, "hookline.attempt") == "" || attr(s, "http.response.status_code") == "" {
				t.Fatalf("attempt span %s: kind %v attributes %v", s.Name, s.Kind, s.Attributes)
			}
			attempts[hex.EncodeToString(s.SpanId)] = s
		}
	}
	for _, want := range []string{"publish-event", "publish", "StartWorkflow:DeliveryWorkflow", "RunWorkflow:DeliveryWorkflow"} {
		if names[want] == 0 {
			t.Fatalf("trace %s lacks a %q span; it has %v", traceID, want, names)
		}
	}
	t.Logf("trace %s: %v", traceID, names)
	if names["RunWorkflow:DeliveryWorkflow"] < 2 {
		t.Fatalf("want both delivery workflows in the trace: %v", names)
	}

	// The propagating receiver's traceparent names an attempt span of this
	// trace (the retry's, for the second request); the other receiver gets none.
	for i, req := range flaky.Requests() {
		tp := strings.Split(req.Header.Get("traceparent"), "-")
		if len(tp) != 4 || tp[1] != traceID || attempts[tp[2]] == nil || req.Header.Get("baggage") != "" {
			t.Fatalf("request %d to the propagating endpoint: traceparent %q baggage %q", i, req.Header.Get("traceparent"), req.Header.Get("baggage"))
		}
	}
	for _, h := range []string{"traceparent", "tracestate", "baggage"} {
		if v := plain.Requests()[0].Header.Get(h); v != "" {
			t.Fatalf("endpoint without trace_propagation got %s: %q", h, v)
		}
	}
}
