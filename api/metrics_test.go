package api_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/hooklinetest"
)

// After a short publish run a scrape shows non-zero delivery counters and
// histograms under their documented names.
func TestMetricsAfterPublishing(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	env.Metrics.WatchBacklog(t.Context(), env.Pool, 100*time.Millisecond)
	ok := newEndpoint(t, env, env.A, []string{"comment.created"}, true)
	bad := newEndpoint(t, env, env.A, []string{"comment.created"}, true)
	bad.rc.SetHandler(func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) { w.WriteHeader(http.StatusGone) })
	for i := 0; i < 3; i++ {
		env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": "comment.created", "payload": map[string]any{"i": i}})
	}
	env.Eventually(20*time.Second, "deliveries", func() bool { return ok.rc.Count() == 3 && bad.rc.Count() == 3 })
	var out string
	env.Eventually(10*time.Second, "final statuses in metrics", func() bool {
		rec := httptest.NewRecorder()
		env.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		b, _ := io.ReadAll(rec.Body)
		out = string(b)
		return strings.Contains(out, `hookline_deliveries_finished_total{status="succeeded"} 3`) &&
			strings.Contains(out, `hookline_deliveries_finished_total{status="failed"} 3`)
	})
	for _, want := range []string{
		`hookline_delivery_attempts_total{outcome="2xx"} 3`,
		`hookline_delivery_attempts_total{outcome="4xx"} 3`,
		`hookline_delivery_attempt_duration_seconds_count 6`,
		`hookline_delivery_success_latency_seconds_count 3`,
		`hookline_http_requests_total{operation="publish-event",status="202"} 3`,
		`hookline_http_request_duration_seconds_bucket{operation="publish-event"`,
		`hookline_deliveries_waiting_retry 0`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}
