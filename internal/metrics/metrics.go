// Package metrics exposes Hookline's Prometheus metrics: delivery outcomes
// (observed by the worker's activities), API requests (observed by the API)
// and the retry backlog (read from Postgres at scrape time).
package metrics

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hookline/hookline/internal/delivery"
)

// Metrics is one process's metric set, on its own registry.
type Metrics struct {
	Registry *prometheus.Registry

	finished        *prometheus.CounterVec
	attempts        *prometheus.CounterVec
	attemptDuration prometheus.Histogram
	successLatency  prometheus.Histogram
	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	gated           *prometheus.CounterVec
	breaker         *prometheus.CounterVec
	retrying        *prometheus.CounterVec
	autoDisabled    prometheus.Counter
	ingestRejected  *prometheus.CounterVec
}

// New registers Hookline's metrics and the Go/process collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookline_deliveries_finished_total",
			Help: "Deliveries that reached a final status.",
		}, []string{"status"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookline_delivery_attempts_total",
			Help: "Delivery attempts by outcome class (2xx, 3xx, 4xx, 5xx, acked: a broker's ack, timeout, network_error, blocked, auth_error).",
		}, []string{"outcome"}),
		attemptDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "hookline_delivery_attempt_duration_seconds",
			Help:    "Duration of one HTTP delivery attempt.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 15, 30},
		}),
		successLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "hookline_delivery_success_latency_seconds",
			Help:    "From publish (delivery created) to the successful attempt, retries included.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 12), // 10 ms … ~12 h
		}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookline_http_requests_total",
			Help: "API requests by operation id and status code.",
		}, []string{"operation", "status"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookline_http_request_duration_seconds",
			Help:    "API request latency by operation id.",
			Buckets: prometheus.DefBuckets,
		}, []string{"operation"}),
	}
	m.flowMetrics()
	reg.MustRegister(m.finished, m.attempts, m.attemptDuration, m.successLatency, m.requests, m.requestDuration,
		m.gated, m.breaker, m.retrying, m.autoDisabled, m.ingestRejected,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// flowMetrics are the flow-control and fault counters.
func (m *Metrics) flowMetrics() {
	m.gated = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hookline_delivery_gated_total",
		Help: "Attempts the flow gate made wait, by reason: breaker (open circuit) or queued (endpoint max_in_flight, tenant share, rate limit).",
	}, []string{"reason"})
	m.breaker = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hookline_breaker_transitions_total",
		Help: "Endpoint circuit breakers opening and closing.",
	}, []string{"to"})
	m.retrying = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hookline_infrastructure_retries_total",
		Help: "Infrastructure faults (database, Temporal) retried, by stage; rising while an outage lasts.",
	}, []string{"stage"})
	m.autoDisabled = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hookline_endpoints_auto_disabled_total",
		Help: "Endpoints switched off for failing without a success for HOOKLINE_DISABLE_AFTER.",
	})
	m.ingestRejected = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hookline_ingest_rejected_total",
		Help: "Events signalled to an ingest workflow and rejected, by reason.",
	}, []string{"reason"})
}

// WatchBacklog adds hookline_deliveries_waiting_retry, counted in Postgres
// every `every` until ctx ends (a partial index keeps the count cheap).
func (m *Metrics) WatchBacklog(ctx context.Context, pool *pgxpool.Pool, every time.Duration) {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "hookline_deliveries_waiting_retry",
		Help: "Deliveries in_flight: waiting on a retry timer or being attempted (counted every 15 s; -1 until counted or while Postgres is unreachable).",
	})
	g.Set(-1)
	m.Registry.MustRegister(g)
	count := func() {
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		var n int64
		if err := pool.QueryRow(qctx, "SELECT count(*) FROM deliveries WHERE status = $1", string(delivery.InFlight)).Scan(&n); err != nil {
			g.Set(-1)
			return
		}
		g.Set(float64(n))
	}
	// Owned by ctx: the process's life. A scrape reads the last count and
	// never queries, so concurrent scrapes cannot drain the pool.
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			count()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// Handler serves the registry at /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// ObserveRequest implements api.Observer.
func (m *Metrics) ObserveRequest(op string, status int, d time.Duration) {
	m.requests.WithLabelValues(op, strconv.Itoa(status)).Inc()
	m.requestDuration.WithLabelValues(op).Observe(d.Seconds())
}

// ObserveAttempt implements activities.Recorder.
func (m *Metrics) ObserveAttempt(outcome string, d time.Duration) {
	m.attempts.WithLabelValues(outcome).Inc()
	m.attemptDuration.Observe(d.Seconds())
}

// ObserveFinal implements activities.Recorder.
func (m *Metrics) ObserveFinal(status delivery.Status, sincePublish time.Duration) {
	m.finished.WithLabelValues(string(status)).Inc()
	if status == delivery.Succeeded {
		m.successLatency.Observe(sincePublish.Seconds())
	}
}

// ObserveGated implements activities.Recorder.
func (m *Metrics) ObserveGated(reason string) { m.gated.WithLabelValues(reason).Inc() }

// ObserveBreaker implements activities.Recorder.
func (m *Metrics) ObserveBreaker(opened bool) {
	to := "closed"
	if opened {
		to = "open"
	}
	m.breaker.WithLabelValues(to).Inc()
}

// ObserveRetrying implements activities.Recorder and publish's fault report.
func (m *Metrics) ObserveRetrying(stage string) { m.retrying.WithLabelValues(stage).Inc() }

// ObserveAutoDisabled implements activities.Recorder.
func (m *Metrics) ObserveAutoDisabled() { m.autoDisabled.Inc() }

// IngestRejected is the rejected-events counter of reason (tests read it).
func (m *Metrics) IngestRejected(reason string) prometheus.Counter {
	return m.ingestRejected.WithLabelValues(reason)
}

// ObserveIngestRejected implements activities.Recorder.
func (m *Metrics) ObserveIngestRejected(reason string) { m.IngestRejected(reason).Inc() }

// Guarded answers h only to requests bearing token (Authorization: Bearer
// <token>, compared in constant time); others get a 401. An empty token
// refuses everyone. The API port serves /metrics this way: it is public.
func Guarded(h http.Handler, token string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		// Hashes: equal lengths, so the comparison says nothing of the token's.
		got32, want32 := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(token))
		if token == "" || !ok || subtle.ConstantTimeCompare(got32[:], want32[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "unauthorized: /metrics needs HOOKLINE_METRICS_TOKEN as a bearer token (or scrape HOOKLINE_METRICS_ADDR)", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
