package api_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/hooklinetest"
)

// Past its publish rate a tenant gets 429 with Retry-After and the
// RateLimit headers (a problem detail, nothing published); every accepted
// publish says how much is left; another tenant is unaffected.
func TestPublishRateLimit(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t, hooklinetest.Options{PublishRate: 3})
	ev := map[string]any{"type": "comment.created", "payload": map[string]any{}}
	last := 3
	for i := range 3 {
		r := env.Do(http.MethodPost, "/v1/events", env.A.Key, ev)
		rem, _ := strconv.Atoi(r.Header.Get("RateLimit-Remaining"))
		if r.Status != http.StatusAccepted || r.Header.Get("RateLimit-Limit") != "3" || rem >= last || r.Header.Get("RateLimit-Reset") == "" {
			t.Fatalf("publish %d: %d, headers %v", i, r.Status, r.Header)
		}
		last = rem
	}
	r := env.Do(http.MethodPost, "/v1/events", env.A.Key, ev)
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || r.Header.Get("RateLimit-Remaining") != "0" ||
		r.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("over the rate: %d %v %s", r.Status, r.Header, r.Body)
	}
	var events int
	if err := env.Pool.QueryRow(t.Context(), "SELECT count(*) FROM events WHERE tenant_id = $1", env.A.ID).Scan(&events); err != nil || events != 3 {
		t.Fatalf("%d events stored, want 3 (%v)", events, err)
	}
	if r := env.Do(http.MethodPost, "/v1/events", env.B.Key, ev); r.Status != http.StatusAccepted {
		t.Fatalf("tenant B while A is limited: %d", r.Status)
	}
}

// Management calls (every webhook operation but publish) share one bucket
// per tenant across the API-key, admin and portal paths: past it, 429 with
// Retry-After and the RateLimit headers and nothing written; another
// tenant, and publishing, are unaffected.
func TestManagementRateLimit(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t, hooklinetest.Options{ManageRate: 2}) // bursts of 4
	cookie, csrf := portalLogin(t, env, env.A)
	calls := []func() hooklinetest.Response{
		func() hooklinetest.Response { return env.Do(http.MethodGet, "/v1/webhooks", env.A.Key, nil) },
		func() hooklinetest.Response {
			return env.Do(http.MethodGet, "/admin/v1/tenants/"+env.A.ID.String()+"/webhooks", env.A.AdminToken, nil)
		},
		func() hooklinetest.Response {
			return env.Do(http.MethodGet, "/portal/api/webhooks", "", nil, "Cookie", cookie)
		},
		func() hooklinetest.Response {
			return env.Do(http.MethodGet, "/v1/webhooks/event-types", env.A.Key, nil)
		},
	}
	last := 5
	for i, call := range calls {
		r := call()
		rem, _ := strconv.Atoi(r.Header.Get("RateLimit-Remaining"))
		if r.Status != http.StatusOK || r.Header.Get("RateLimit-Limit") != "4" || rem >= last {
			t.Fatalf("call %d: %d, headers %v", i, r.Status, r.Header)
		}
		last = rem
	}
	r := env.Do(http.MethodPost, "/portal/api/webhooks", "", map[string]any{"url": "https://hooks.example.com/x", "events": []string{"*"}},
		"Cookie", cookie, "X-CSRF-Token", csrf)
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || r.Header.Get("RateLimit-Remaining") != "0" ||
		r.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("over the rate: %d %v %s", r.Status, r.Header, r.Body)
	}
	var endpoints int
	if err := env.Pool.QueryRow(t.Context(), "SELECT count(*) FROM webhook_endpoints WHERE tenant_id = $1", env.A.ID).Scan(&endpoints); err != nil || endpoints != 0 {
		t.Fatalf("%d endpoints written past the limit (%v)", endpoints, err)
	}
	if r := env.Do(http.MethodGet, "/v1/webhooks", env.B.Key, nil); r.Status != http.StatusOK {
		t.Fatalf("tenant B while A is limited: %d", r.Status)
	}
	if r := env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": "comment.created", "payload": map[string]any{}}); r.Status != http.StatusAccepted {
		t.Fatalf("publish while management is limited: %d", r.Status)
	}
}

// A tenant at its cap of open deliveries gets 429 on publish (with
// Retry-After, nothing written) until they drain; another tenant does not.
func TestPendingDeliveriesCap(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t, hooklinetest.Options{MaxPending: 3})
	rc := hooklinetest.NewReceiver(t)
	var mu sync.Mutex
	failing := true
	rc.SetHandler(func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) {
		mu.Lock()
		defer mu.Unlock()
		if failing {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": rc.URL, "events": []string{"*"}, "retry_schedule": []string{"5s", "5s", "5s"}})
	ev := func(id string) map[string]any {
		return map[string]any{"id": id, "type": "comment.created", "payload": map[string]any{}}
	}
	for i := range 3 {
		if r := env.Do(http.MethodPost, "/v1/events", env.A.Key, ev(fmt.Sprintf("e%d", i))); r.Status != http.StatusAccepted {
			t.Fatalf("publish %d: %d %s", i, r.Status, r.Body)
		}
	}
	// Until the count catches up (100 ms here) a publish may still pass.
	var refused hooklinetest.Response
	var refusedID string
	tries := 0
	env.Eventually(10*time.Second, "publishes refused at the cap", func() bool {
		tries++
		refusedID = fmt.Sprintf("over-%d", tries)
		refused = env.Do(http.MethodPost, "/v1/events", env.A.Key, ev(refusedID))
		return refused.Status == http.StatusTooManyRequests
	})
	if refused.Header.Get("Retry-After") == "" || !strings.Contains(string(refused.Body), "limit of 3") {
		t.Fatalf("refusal: %v %s", refused.Header, refused.Body)
	}
	var events int
	if err := env.Pool.QueryRow(t.Context(), "SELECT count(*) FROM events WHERE tenant_id = $1 AND id = $2", env.A.ID, refusedID).Scan(&events); err != nil || events != 0 {
		t.Fatalf("the refused event was stored (%d, %v)", events, err)
	}
	if r := env.Do(http.MethodPost, "/v1/events", env.B.Key, ev("b")); r.Status != http.StatusAccepted {
		t.Fatalf("tenant B: %d", r.Status)
	}
	// A producer's retry of an event it published answers the original.
	if r := env.Do(http.MethodPost, "/v1/events", env.A.Key, ev("e0")); r.Status != http.StatusOK {
		t.Fatalf("re-publishing e0 at the cap: %d %s", r.Status, r.Body)
	}
	mu.Lock()
	failing = false
	mu.Unlock()
	env.Eventually(30*time.Second, "publishes accepted once the deliveries drained", func() bool {
		return env.Do(http.MethodPost, "/v1/events", env.A.Key, ev("later")).Status == http.StatusAccepted
	})
}
