package api_test

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/hooklinetest"
	"github.com/hookline/hookline/internal/delivery"
)

// concurrency counts the requests a receiver is answering at once and the
// most it ever answered at once; each request takes hold.
type concurrency struct {
	cur, peak atomic.Int32
}

func (c *concurrency) handler(hold time.Duration, status int) hooklinetest.Handler {
	return func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) {
		n := c.cur.Add(1)
		for p := c.peak.Load(); n > p && !c.peak.CompareAndSwap(p, n); p = c.peak.Load() {
		}
		time.Sleep(hold) // a slow receiver: the time it takes to answer
		c.cur.Add(-1)
		w.WriteHeader(status)
	}
}

func publishN(t *testing.T, env *hooklinetest.Env, tenant hooklinetest.Tenant, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if r := env.Do(http.MethodPost, "/v1/events", tenant.Key, map[string]any{"type": "comment.created", "payload": map[string]any{"n": i}}); r.Status != http.StatusAccepted {
			t.Fatalf("publish: %d %s", r.Status, r.Body)
		}
	}
}

func endpointOf(t *testing.T, env *hooklinetest.Env, tenant hooklinetest.Tenant, id string) api.Endpoint {
	t.Helper()
	r := env.Do(http.MethodGet, "/v1/webhooks/"+id, tenant.Key, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("get endpoint: %d %s", r.Status, r.Body)
	}
	return decode[api.Endpoint](t, r)
}

func waitAll(t *testing.T, env *hooklinetest.Env, tenant hooklinetest.Tenant, endpointID string, n int, status delivery.Status, timeout time.Duration) []api.Delivery {
	t.Helper()
	var ds []api.Delivery
	env.Eventually(timeout, "every delivery to be "+string(status), func() bool {
		ds = deliveriesOf(t, env, tenant, endpointID, "?limit=100&status="+string(status))
		return len(ds) == n
	})
	return ds
}

// A receiver counting concurrent requests never sees more than the
// endpoint's max_in_flight, and waiting for capacity burns no attempt.
func TestMaxInFlightBoundsConcurrentAttempts(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	rc := hooklinetest.NewReceiver(t)
	var c concurrency
	rc.SetHandler(c.handler(300*time.Millisecond, http.StatusNoContent))
	ep := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": rc.URL, "events": []string{"*"}, "max_in_flight": 2})
	if ep.MaxInFlight != 2 || ep.RateLimit != nil || ep.Health != "healthy" {
		t.Fatalf("created: %s", show(ep))
	}
	publishN(t, env, env.A, 12)
	ds := waitAll(t, env, env.A, ep.ID.String(), 12, delivery.Succeeded, time.Minute)
	if p := c.peak.Load(); p != 2 {
		t.Fatalf("the receiver saw %d requests at once; max_in_flight is 2", p)
	}
	for _, d := range ds {
		if d.AttemptCount != 1 {
			t.Fatalf("waiting for capacity counted as an attempt: %s", show(d))
		}
	}
	if rc.Count() != 12 {
		t.Fatalf("%d requests for 12 deliveries", rc.Count())
	}
}

// A tenant's attempts across all its endpoints stay within its share, and
// another tenant's deliveries go out meanwhile.
func TestTenantShareBoundsAttemptsAcrossEndpoints(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t, hooklinetest.Options{Flow: delivery.FlowPolicy{TenantMaxInFlight: 3}})
	var c concurrency
	var ids []string
	for range 2 {
		rc := hooklinetest.NewReceiver(t)
		rc.SetHandler(c.handler(400*time.Millisecond, http.StatusNoContent))
		ids = append(ids, createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": rc.URL, "events": []string{"*"}}).ID.String())
	}
	other := newEndpoint(t, env, env.B, []string{"*"}, true)
	publishN(t, env, env.A, 8) // 16 deliveries, each holding the receiver 400 ms
	publishN(t, env, env.B, 1)
	start := time.Now()
	env.Eventually(20*time.Second, "tenant B's delivery", func() bool { return other.rc.Count() == 1 })
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("tenant B waited %s behind tenant A's backlog", took)
	}
	for _, id := range ids {
		waitAll(t, env, env.A, id, 8, delivery.Succeeded, time.Minute)
	}
	if p := c.peak.Load(); p > 3 || p < 2 {
		t.Fatalf("tenant A had %d attempts at once; its share is 3", p)
	}
}

// The rate limit is a token bucket: a second's worth at once, then
// rate_limit per second, so never more than twice rate_limit in a second
// and the whole takes at least (n - rate_limit) / rate_limit seconds.
func TestRateLimitSpacesDeliveries(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	f := newEndpoint(t, env, env.A, []string{"*"}, true)
	if r := env.Do(http.MethodPatch, "/v1/webhooks/"+f.id, env.A.Key, map[string]any{"rate_limit": 4}); r.Status != http.StatusOK || !intIs(decode[api.Endpoint](t, r).RateLimit, 4) {
		t.Fatalf("set rate_limit: %d %s", r.Status, r.Body)
	}
	publishN(t, env, env.A, 10)
	waitAll(t, env, env.A, f.id, 10, delivery.Succeeded, time.Minute)
	var at []time.Time
	for _, r := range f.rc.Requests() {
		at = append(at, r.At)
	}
	sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
	for i := 8; i < len(at); i++ {
		if gap := at[i].Sub(at[i-8]); gap < 950*time.Millisecond {
			t.Fatalf("deliveries %d and %d %s apart: more than twice the rate in a second", i-8, i, gap)
		}
	}
	if took := at[len(at)-1].Sub(at[0]); took < 1400*time.Millisecond {
		t.Fatalf("10 deliveries at 4/s (burst 4) took %s; at least 1.5 s expected", took)
	}
	// null removes the limit.
	if r := env.Do(http.MethodPatch, "/v1/webhooks/"+f.id, env.A.Key, map[string]any{"rate_limit": nil}); r.Status != http.StatusOK || decode[api.Endpoint](t, r).RateLimit != nil {
		t.Fatalf("clear rate_limit: %d %s", r.Status, r.Body)
	}
}

// After five consecutive failures (the default threshold) the breaker
// opens: no attempt reaches the endpoint until the cool-down ends, then one
// probe; a 2xx closes it and the waiting deliveries flow again.
func TestCircuitBreakerOpensProbesAndCloses(t *testing.T) {
	t.Parallel()
	cooldown := 2 * time.Second
	env := hooklinetest.New(t, hooklinetest.Options{
		Flow:     delivery.FlowPolicy{BreakerCooldown: cooldown}, // threshold: the default, 5
		Schedule: []time.Duration{200 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond},
	})
	rc := hooklinetest.NewReceiver(t)
	rc.SetHandler(func(n int, w http.ResponseWriter, _ *http.Request, _ []byte) {
		if n < 6 { // five failures open it; the first probe fails too
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	ep := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": rc.URL, "events": []string{"*"}, "max_in_flight": 1})
	publishN(t, env, env.A, 5)
	env.Eventually(20*time.Second, "the breaker to open", func() bool { return rc.Count() >= 5 })
	if e := endpointOf(t, env, env.A, ep.ID.String()); e.Health != "failing" || e.FailingSince == nil {
		t.Fatalf("endpoint with an open breaker: %s", show(e))
	}
	ds := waitAll(t, env, env.A, ep.ID.String(), 5, delivery.Succeeded, time.Minute)
	reqs := rc.Requests()
	gap := func(i int) time.Duration { return reqs[i].At.Sub(reqs[i-1].At) }
	for i := 1; i < 5; i++ {
		if gap(i) >= cooldown-100*time.Millisecond {
			t.Fatalf("request %d waited %s: the breaker opened before five failures", i+1, gap(i))
		}
	}
	if gap(5) < cooldown-100*time.Millisecond {
		t.Fatalf("a request %s after the breaker opened; the cool-down is %s", gap(5), cooldown)
	}
	if gap(6) < 2*cooldown-100*time.Millisecond {
		t.Fatalf("the second probe came %s after the first failed; the cool-down doubles to %s", gap(6), 2*cooldown)
	}
	attempts := 0
	for _, d := range ds {
		attempts += d.AttemptCount
	}
	if attempts != len(reqs) {
		t.Fatalf("%d attempts counted for %d requests: waiting on the breaker must not count", attempts, len(reqs))
	}
	if e := endpointOf(t, env, env.A, ep.ID.String()); e.Health != "healthy" || e.FailingSince != nil {
		t.Fatalf("endpoint after the probe succeeded: %s", show(e))
	}
}

// A delivery whose secret cannot be decrypted (sealed with another key) ends
// failed at once, naming why, while healthy deliveries flow.
func TestPoisonDeliveryFailsFastAndOthersFlow(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	poison := newEndpoint(t, env, env.A, []string{"*"}, true)
	healthy := newEndpoint(t, env, env.A, []string{"*"}, true)
	if _, err := env.Pool.Exec(context.Background(), "UPDATE webhook_endpoints SET secret_ciphertext = $1 WHERE id = $2",
		[]byte("\x01sealed-with-another-key-sealed-with-another-key"), poison.id); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	publishN(t, env, env.A, 3)
	failed := waitAll(t, env, env.A, poison.id, 3, delivery.Failed, time.Minute)
	waitAll(t, env, env.A, healthy.id, 3, delivery.Succeeded, time.Minute)
	if took := time.Since(start); took > time.Minute {
		t.Fatalf("poison deliveries took %s to fail", took)
	}
	for _, d := range failed {
		if d.LastError == nil || !strings.Contains(*d.LastError, "cannot be decrypted") || d.AttemptCount != 0 {
			t.Fatalf("poison delivery: %s", show(d))
		}
	}
	if poison.rc.Count() != 0 || healthy.rc.Count() != 3 {
		t.Fatalf("requests: poison %d, healthy %d", poison.rc.Count(), healthy.rc.Count())
	}
}

// An endpoint failing without a success for longer than DisableAfter is
// switched off by the system (audited, its open deliveries failed);
// enabling it again resets its health.
func TestFailingEndpointIsDisabledAndReenabled(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t, hooklinetest.Options{
		Flow:     delivery.FlowPolicy{DisableAfter: time.Second, BreakerThreshold: 1000},
		Schedule: []time.Duration{400 * time.Millisecond, 400 * time.Millisecond, 400 * time.Millisecond, 400 * time.Millisecond, 400 * time.Millisecond, 400 * time.Millisecond},
	})
	f := newEndpoint(t, env, env.A, []string{"*", "endpoint.disabled"}, true)
	f.rc.SetHandler(func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.WriteHeader(http.StatusInternalServerError)
	})
	ops := newEndpoint(t, env, env.A, []string{"endpoint.disabled"}, true)
	publishN(t, env, env.A, 1)
	var e api.Endpoint
	env.Eventually(30*time.Second, "the endpoint to be disabled", func() bool {
		e = endpointOf(t, env, env.A, f.id)
		return !e.IsActive
	})
	if e.Health != "disabled" || e.DisabledReason == nil || *e.DisabledReason != "failing" || e.FailingSince == nil {
		t.Fatalf("disabled endpoint: %s", show(e))
	}
	d := waitAll(t, env, env.A, f.id, 1, delivery.Failed, 20*time.Second)[0]
	if d.LastError == nil || *d.LastError != "endpoint disabled" {
		t.Fatalf("its open delivery: %s", show(d))
	}
	var audits int
	if err := env.Pool.QueryRow(context.Background(), "SELECT count(*) FROM audit_log WHERE action = 'webhook_endpoint.disabled' AND actor_kind = 'system' AND target_id = $1", f.id).Scan(&audits); err != nil || audits != 1 {
		t.Fatalf("%d system audit rows (%v)", audits, err)
	}
	// The endpoint.disabled operational event reaches the endpoint that
	// subscribes to it, not the one it is about.
	env.Eventually(20*time.Second, "endpoint.disabled", func() bool { return ops.rc.Count() == 1 })
	if b := string(ops.rc.Requests()[0].Body); !strings.Contains(b, `"type":"endpoint.disabled"`) || !strings.Contains(b, `"endpoint_id":"`+f.id+`"`) ||
		!strings.Contains(b, `"reason":"failing"`) {
		t.Fatalf("endpoint.disabled event: %s", b)
	}
	r := env.Do(http.MethodPatch, "/v1/webhooks/"+f.id, env.A.Key, map[string]any{"is_active": true})
	if e = decode[api.Endpoint](t, r); r.Status != http.StatusOK || e.Health != "healthy" || e.FailingSince != nil || e.DisabledReason != nil {
		t.Fatalf("re-enabled: %d %s", r.Status, show(e))
	}
}
