package api_test

import (
	"net/http"
	"strconv"
	"testing"

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
