package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestTemporalHandlerExportsSDKMetrics(t *testing.T) {
	t.Parallel()
	m := New()
	h := m.TemporalHandler().WithTags(map[string]string{"namespace": "default", "task-queue": "hookline"})
	h.Counter("temporal_request").Inc(3)
	h.WithTags(map[string]string{"extra": "dropped"}).Counter("temporal_request").Inc(1)
	h.Timer("temporal_activity_execution_latency").Record(20 * time.Millisecond)
	h.Gauge("temporal_worker_task_slots_available").Update(7)
	out := scrape(t, m)
	for _, want := range []string{
		`temporal_request{namespace="default",task_queue="hookline"} 4`,
		`temporal_activity_execution_latency_seconds_count{namespace="default",task_queue="hookline"} 1`,
		`temporal_worker_task_slots_available{namespace="default",task_queue="hookline"} 7`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}

func TestHooklineMetrics(t *testing.T) {
	t.Parallel()
	m := New()
	m.ObserveAttempt("2xx", 30*time.Millisecond)
	m.ObserveFinal("succeeded", 2*time.Second)
	m.ObserveRequest("publish-event", 202, 5*time.Millisecond)
	out := scrape(t, m)
	for _, want := range []string{
		`hookline_delivery_attempts_total{outcome="2xx"} 1`,
		`hookline_deliveries_finished_total{status="succeeded"} 1`,
		`hookline_delivery_success_latency_seconds_count 1`,
		`hookline_delivery_attempt_duration_seconds_count 1`,
		`hookline_http_requests_total{operation="publish-event",status="202"} 1`,
		`hookline_http_request_duration_seconds_count{operation="publish-event"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}
