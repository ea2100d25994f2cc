package metrics

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
)

// TemporalHandler exports the Temporal SDK's metrics (worker poll, task and
// activity latencies, …) into this registry. Each metric's label names are
// fixed by its first use; later tags outside that set are dropped and
// missing ones left empty, as Prometheus needs one label set per name.
func (m *Metrics) TemporalHandler() client.MetricsHandler {
	return &sdkHandler{reg: &sdkRegistry{reg: m.Registry, vecs: map[string]any{}, keys: map[string][]string{}}}
}

type sdkRegistry struct {
	reg  *prometheus.Registry
	mu   sync.Mutex
	vecs map[string]any
	keys map[string][]string
}

type sdkHandler struct {
	reg  *sdkRegistry
	tags map[string]string
}

// sanitize replaces each character Prometheus does not allow in a name with
// '_'. The SDK asks for handlers and metrics on every task, so the common
// case (nothing to replace) returns s without allocating.
func sanitize(s string) string {
	valid := func(r rune) bool {
		return r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9')
	}
	for _, r := range s {
		if !valid(r) {
			return strings.Map(func(r rune) rune {
				if valid(r) {
					return r
				}
				return '_'
			}, s)
		}
	}
	return s
}

func promName(name string) string {
	name = sanitize(name)
	if !strings.HasPrefix(name, "temporal_") {
		name = "temporal_" + name
	}
	return name
}

func (h *sdkHandler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := make(map[string]string, len(h.tags)+len(tags))
	for k, v := range h.tags {
		merged[k] = v
	}
	for k, v := range tags {
		merged[sanitize(k)] = v
	}
	return &sdkHandler{reg: h.reg, tags: merged}
}

// vec returns the collector for name, creating it with the current tag keys.
func (h *sdkHandler) vec(name string, mk func(labels []string) prometheus.Collector) (any, []string) {
	r := h.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.vecs[name]; ok {
		return v, r.keys[name]
	}
	labels := make([]string, 0, len(h.tags))
	for k := range h.tags {
		labels = append(labels, k)
	}
	slices.Sort(labels)
	c := mk(labels)
	if err := r.reg.Register(c); err != nil {
		if are, ok := err.(prometheus.AlreadyRegisteredError); ok {
			c = are.ExistingCollector
		}
	}
	r.vecs[name], r.keys[name] = c, labels
	return c, labels
}

func (h *sdkHandler) values(labels []string) []string {
	out := make([]string, len(labels))
	for i, l := range labels {
		out[i] = h.tags[l]
	}
	return out
}

func (h *sdkHandler) Counter(name string) client.MetricsCounter {
	n := promName(name)
	v, labels := h.vec(n, func(l []string) prometheus.Collector {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: n, Help: "Temporal SDK counter " + name + "."}, l)
	})
	c := v.(*prometheus.CounterVec).WithLabelValues(h.values(labels)...)
	return counterFunc(func(d int64) { c.Add(float64(d)) })
}

func (h *sdkHandler) Gauge(name string) client.MetricsGauge {
	n := promName(name)
	v, labels := h.vec(n, func(l []string) prometheus.Collector {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: n, Help: "Temporal SDK gauge " + name + "."}, l)
	})
	g := v.(*prometheus.GaugeVec).WithLabelValues(h.values(labels)...)
	return gaugeFunc(g.Set)
}

func (h *sdkHandler) Timer(name string) client.MetricsTimer {
	n := promName(name) + "_seconds"
	v, labels := h.vec(n, func(l []string) prometheus.Collector {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: n, Help: "Temporal SDK timer " + name + ".",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, l)
	})
	o := v.(*prometheus.HistogramVec).WithLabelValues(h.values(labels)...)
	return timerFunc(func(d time.Duration) { o.Observe(d.Seconds()) })
}

type counterFunc func(int64)

func (f counterFunc) Inc(d int64) { f(d) }

type gaugeFunc func(float64)

func (f gaugeFunc) Update(v float64) { f(v) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }
