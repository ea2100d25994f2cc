package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hookline/hookline/hooklinetest"
)

// A tenant's endpoints stop at its quota: one more is a 422 (nothing
// written); another tenant is unaffected; deleting one makes room.
func TestEndpointQuota(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	env.App.Endpoints.MaxEndpoints = 3
	body := map[string]any{"url": "https://hooks.example.com/q", "events": []string{"*"}}
	var first string
	for i := range 3 {
		ep := createEndpoint(t, env, env.Paths(env.A)[0], body)
		if i == 0 {
			first = ep.ID.String()
		}
	}
	r := env.Do(http.MethodPost, "/v1/webhooks", env.A.Key, body)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "limit") {
		t.Fatalf("endpoint 4 of 3: %d %s", r.Status, r.Body)
	}
	if n := len(decode[struct{ Data []struct{} }](t, env.Do(http.MethodGet, "/v1/webhooks", env.A.Key, nil)).Data); n != 3 {
		t.Fatalf("%d endpoints after the refusal", n)
	}
	createEndpoint(t, env, env.Paths(env.B)[0], body) // B's quota is its own
	env.Do(http.MethodDelete, "/v1/webhooks/"+first, env.A.Key, nil)
	createEndpoint(t, env, env.Paths(env.A)[0], body)
}
