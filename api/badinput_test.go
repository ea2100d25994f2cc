package api_test

import (
	"strings"
	"testing"

	"github.com/hookline/hookline/hooklinetest"
)

// Hostile or broken input gets a 4xx problem document naming the failing
// field, and changes nothing.
func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	ep := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": "https://example.com/h", "events": []string{"*"}})
	id := ep.ID.String()
	admin := "/admin/v1/tenants/" + env.A.ID.String()
	tests := []struct {
		method, path, token, body string
		status                    int
		location                  string
	}{
		{"POST", "/v1/webhooks", env.A.Key, `{"url":"https://x.example","events":["*"]`, 400, "body"},
		{"POST", "/v1/webhooks", env.A.Key, `[]`, 422, "body"},
		{"POST", "/v1/webhooks", env.A.Key, `{"url":42,"events":["*"]}`, 422, "body.url"},
		{"POST", "/v1/webhooks", env.A.Key, `{"url":"https://x.example","events":"*"}`, 422, "body.events"},
		{"POST", "/v1/webhooks", env.A.Key, `{"url":"https://x.example","events":["*"],"owner":"me"}`, 422, "body.owner"},
		{"POST", "/v1/webhooks", env.A.Key, `{"url":"https://x.example/` + strings.Repeat("a", 3000) + `","events":["*"]}`, 422, "body.url"},
		{"PATCH", "/v1/webhooks/" + id, env.A.Key, `{"is_active":"no"}`, 422, "body.is_active"},
		{"PATCH", "/v1/webhooks/" + id, env.A.Key, `{"events":[]}`, 422, "body.events"},
		{"PATCH", "/v1/webhooks/not-a-uuid", env.A.Key, `{"is_active":false}`, 422, "path.endpoint_id"},
		{"POST", "/v1/webhooks/" + id + "/rotate-secret", env.A.Key, `{"grace_period_seconds":-1}`, 422, "body.grace_period_seconds"},
		{"POST", "/v1/webhooks/" + id + "/rotate-secret", env.A.Key, `{"grace_period_seconds":"1h"}`, 422, "body.grace_period_seconds"},
		{"GET", "/v1/webhooks/" + id + "/deliveries?limit=99999999999999999999", env.A.Key, ``, 422, "query.limit"},
		{"GET", "/v1/webhooks/" + id + "/deliveries?after=2026-02-30T00:00:00Z", env.A.Key, ``, 422, "query.after"},
		{"GET", "/v1/webhooks/" + id + "/deliveries?cursor=%00%01", env.A.Key, ``, 400, "query.cursor"},
		{"GET", "/v1/webhooks/" + id + "/deliveries/42", env.A.Key, ``, 422, "path.delivery_id"},
		{"POST", "/v1/events", env.A.Key, `{"type":"comment.created","payload":{"x":"` + strings.Repeat("a", 300<<10) + `"}}`, 413, ""},
		{"POST", "/v1/events", env.A.Key, `{"type":"comment.created","payload":"nope"}`, 422, "body.payload"},
		{"POST", "/v1/events", env.A.Key, "{\"type\":\"comment.created\",\"payload\":{\"a\":\"\xff\"}}", 422, "body.payload"},
		{"POST", "/v1/events", env.A.Key, "{\"type\":\"comment.\xff\",\"payload\":{}}", 422, "body.type"},
		{"GET", "/v1/webhooks/" + id + "/deliveries?event_type=%FF", env.A.Key, ``, 400, "query.event_type"},
		{"POST", "/v1/events", env.A.Key, `{"type":"comment.created","payload":{},"occurred_at":"yesterday"}`, 422, "body.occurred_at"},
		{"POST", admin + "/api-keys", env.SuperToken, `{"name":"k","permissions":["root"]}`, 422, "body.permissions"},
		{"POST", admin + "/api-keys", env.SuperToken, `{"name":"","permissions":["manage_webhooks"]}`, 422, "body.name"},
		{"POST", "/admin/v1/tenants", env.SuperToken, `{"name":""}`, 422, "body.name"},
		{"GET", admin + "/audit-log?cursor=zz", env.SuperToken, ``, 400, "query.cursor"},
		// NUL never reaches Postgres text or jsonb (that was a 500).
		{"POST", "/v1/webhooks", env.A.Key, `{"url":"https://x.example","events":["*"],"description":"a\u0000b"}`, 422, "body.description"},
		{"PATCH", "/v1/webhooks/" + id, env.A.Key, `{"description":"a\u0000b"}`, 422, "body.description"},
		{"PATCH", "/v1/webhooks/" + id, env.A.Key, `{"filter":{"data":{"x":"a\u0000b"}}}`, 422, "body.filter"},
		{"POST", "/admin/v1/tenants", env.SuperToken, `{"name":"t\u0000"}`, 422, "body"},
	}
	before := tenantDigest(t, env, env.A.ID.String())
	for _, tc := range tests {
		var body any
		if tc.body != "" {
			body = tc.body
		}
		r := env.Do(tc.method, tc.path, tc.token, body)
		if r.Status != tc.status {
			t.Errorf("%s %.80s: %d, want %d: %.300s", tc.method, tc.path, r.Status, tc.status, r.Body)
			continue
		}
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s %.80s: content type %q", tc.method, tc.path, r.Header.Get("Content-Type"))
		}
		if tc.location != "" && !strings.Contains(string(r.Body), `"location":"`+tc.location) {
			t.Errorf("%s %.80s: problem does not name %s: %.300s", tc.method, tc.path, tc.location, r.Body)
		}
		if strings.Contains(string(r.Body), "pgx") || strings.Contains(string(r.Body), "SQLSTATE") {
			t.Errorf("%s %.80s: internal error text leaked: %s", tc.method, tc.path, r.Body)
		}
	}
	if after := tenantDigest(t, env, env.A.ID.String()); after != before {
		t.Fatal("refused requests changed the tenant's rows")
	}
}
