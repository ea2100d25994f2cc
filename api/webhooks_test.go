package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/hooklinetest"
)

func createEndpoint(t *testing.T, env *hooklinetest.Env, p hooklinetest.Path, body map[string]any) api.EndpointWithSecret {
	t.Helper()
	r := env.Do(http.MethodPost, p.Prefix+"/webhooks", p.Token, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	return decode[api.EndpointWithSecret](t, r)
}

func TestEndpointCRUDBothPaths(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	for _, p := range env.Paths(env.A) {
		t.Run(p.Name, func(t *testing.T) {
			ep := createEndpoint(t, env, p, map[string]any{
				"url": "https://hooks.example.com/in", "events": []string{"comment.created", "comment.created", "member.joined"},
				"description": "prod",
			})
			id := ep.ID.String()
			secret := ep.Secret
			if !strings.HasPrefix(secret, "whsec_") || len(secret) != len("whsec_")+44 {
				t.Fatalf("secret %q is not whsec_ + base64(32 bytes)", secret)
			}
			if got := fmt.Sprint(ep.Events); got != "[comment.created member.joined]" {
				t.Fatalf("events not deduplicated: %s", got)
			}
			if !ep.IsActive || ep.VerifiedAt != nil {
				t.Fatalf("defaults: %s", show(ep))
			}

			list := env.Do(http.MethodGet, p.Prefix+"/webhooks", p.Token, nil)
			if list.Status != http.StatusOK || strings.Contains(string(list.Body), "secret") || strings.Contains(string(list.Body), secret) {
				t.Fatalf("list: %d %s", list.Status, list.Body)
			}
			get := env.Do(http.MethodGet, p.Prefix+"/webhooks/"+id, p.Token, nil)
			if get.Status != http.StatusOK || strings.Contains(string(get.Body), secret) || decode[api.Endpoint](t, get).URL != "https://hooks.example.com/in" {
				t.Fatalf("get: %d %s", get.Status, get.Body)
			}

			upd := env.Do(http.MethodPatch, p.Prefix+"/webhooks/"+id, p.Token, map[string]any{"is_active": false, "description": "paused"})
			m := decode[api.Endpoint](t, upd)
			if upd.Status != http.StatusOK || m.IsActive || m.Description != "paused" || m.URL != "https://hooks.example.com/in" {
				t.Fatalf("update: %d %s", upd.Status, upd.Body)
			}
			if r := env.Do(http.MethodPatch, p.Prefix+"/webhooks/"+id, p.Token, map[string]any{}); r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("empty patch: %d %s", r.Status, r.Body)
			}

			rot := env.Do(http.MethodPost, p.Prefix+"/webhooks/"+id+"/rotate-secret", p.Token, map[string]any{"grace_period_seconds": 3600})
			rm := decode[rotatedSecret](t, rot)
			if rot.Status != http.StatusOK || rm.Secret == secret || !strings.HasPrefix(rm.Secret, "whsec_") || rm.PreviousSecretExpiresAt == nil {
				t.Fatalf("rotate: %d %s", rot.Status, rot.Body)
			}
			if r := env.Do(http.MethodPost, p.Prefix+"/webhooks/"+id+"/rotate-secret", p.Token, map[string]any{"grace_period_seconds": 604801}); r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("grace out of range: %d %s", r.Status, r.Body)
			}

			del := env.Do(http.MethodDelete, p.Prefix+"/webhooks/"+id, p.Token, nil)
			dm := decode[deletedEndpoint](t, del)
			if del.Status != http.StatusOK || dm.ID != ep.ID || dm.DeletedAt == nil {
				t.Fatalf("delete: %d %s", del.Status, del.Body)
			}
			if r := env.Do(http.MethodGet, p.Prefix+"/webhooks/"+id, p.Token, nil); r.Status != http.StatusNotFound {
				t.Fatalf("get after delete: %d", r.Status)
			}
			if r := env.Do(http.MethodDelete, p.Prefix+"/webhooks/"+id, p.Token, nil); r.Status != http.StatusNotFound {
				t.Fatalf("second delete: %d", r.Status)
			}
		})
	}
}

func TestEventTypes(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	for _, p := range env.Paths(env.A) {
		r := env.Do(http.MethodGet, p.Prefix+"/webhooks/event-types", p.Token, nil)
		var names []string
		r.JSON(t, &names)
		// The producer types and the operational ones (subscribed by name).
		if r.Status != http.StatusOK || len(names) != 8 || strings.Contains(string(r.Body), "webhook.test") || !slices.Contains(names, "endpoint.disabled") || !slices.Contains(names, "endpoint.tls_expiring") {
			t.Fatalf("%s: %d %s", p.Name, r.Status, r.Body)
		}
	}
}

func TestEndpointValidation(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	valid := func(mut func(map[string]any)) map[string]any {
		b := map[string]any{"url": "https://example.com/h", "events": []string{"comment.created"}}
		mut(b)
		return b
	}
	tests := []struct {
		name  string
		body  any
		field string
	}{
		{"unknown event type", valid(func(b map[string]any) { b["events"] = []string{"comment.created", "nope.nope"} }), "body.events[1]"},
		{"reserved event type", valid(func(b map[string]any) { b["events"] = []string{"webhook.test"} }), "body.events[0]"},
		{"no events", valid(func(b map[string]any) { b["events"] = []string{} }), "body.events"},
		{"missing url", map[string]any{"events": []string{"*"}}, "body"}, // "expected required property url to be present"
		{"relative url", valid(func(b map[string]any) { b["url"] = "/hooks" }), "body.url"},
		{"ftp url", valid(func(b map[string]any) { b["url"] = "ftp://example.com/" }), "body.url"},
		{"userinfo", valid(func(b map[string]any) { b["url"] = "https://user:pw@example.com/" }), "body.url"},
		{"fragment", valid(func(b map[string]any) { b["url"] = "https://example.com/#x" }), "body.url"},
		{"metadata ip", valid(func(b map[string]any) { b["url"] = "https://169.254.169.254/latest" }), "body.url"},
		{"private ip", valid(func(b map[string]any) { b["url"] = "https://10.0.0.8/h" }), "body.url"},
		{"bad port", valid(func(b map[string]any) { b["url"] = "https://example.com:99999/" }), "body.url"},
		{"description too long", valid(func(b map[string]any) { b["description"] = strings.Repeat("x", 1025) }), "body.description"},
		{"wrong type", valid(func(b map[string]any) { b["is_active"] = "yes" }), "body.is_active"},
		{"unknown field", valid(func(b map[string]any) { b["secret"] = "whsec_mine" }), "body.secret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Do(http.MethodPost, "/v1/webhooks", env.A.Key, tc.body)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"location":"`+tc.field+`"`) {
				t.Fatalf("status %d, want 422 naming %s: %s", r.Status, tc.field, r.Body)
			}
		})
	}
	if r := env.Do(http.MethodPost, "/v1/webhooks", env.A.Key, `{"url":`); r.Status != http.StatusBadRequest && r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("malformed JSON: %d %s", r.Status, r.Body)
	}
	var n int
	if err := env.Pool.QueryRow(context.Background(), "SELECT count(*) FROM webhook_endpoints").Scan(&n); err != nil || n != 0 {
		t.Fatalf("rejected creates wrote %d rows (err %v)", n, err)
	}
}

func TestCreateIdempotency(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	body := map[string]any{"url": "https://example.com/h", "events": []string{"*"}}
	first := env.Do(http.MethodPost, "/v1/webhooks", env.A.Key, body, "Idempotency-Key", "k-1")
	again := env.Do(http.MethodPost, "/v1/webhooks", env.A.Key, body, "Idempotency-Key", "k-1")
	if first.Status != http.StatusCreated || again.Status != http.StatusCreated || string(first.Body) != string(again.Body) {
		t.Fatalf("replay differs:\n%d %s\n%d %s", first.Status, first.Body, again.Status, again.Body)
	}
	if again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay not marked")
	}
	other := env.Do(http.MethodPost, "/v1/webhooks", env.A.Key, map[string]any{"url": "https://example.com/other", "events": []string{"*"}}, "Idempotency-Key", "k-1")
	if other.Status != http.StatusUnprocessableEntity {
		t.Fatalf("different body: %d %s", other.Status, other.Body)
	}
	// Keys are per tenant: B may use the same key for its own create.
	if r := env.Do(http.MethodPost, "/v1/webhooks", env.B.Key, body, "Idempotency-Key", "k-1"); r.Status != http.StatusCreated || string(r.Body) == string(first.Body) {
		t.Fatalf("tenant B with A's key: %d %s", r.Status, r.Body)
	}

	// Concurrent duplicates create exactly one endpoint.
	var wg sync.WaitGroup
	statuses := make([]int, 10)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = env.Do(http.MethodPost, "/v1/webhooks", env.A.Key, body, "Idempotency-Key", "k-2").Status
		}()
	}
	wg.Wait()
	for _, s := range statuses {
		if s != http.StatusCreated && s != http.StatusConflict {
			t.Fatalf("concurrent statuses %v", statuses)
		}
	}
	var n int
	if err := env.Pool.QueryRow(context.Background(), "SELECT count(*) FROM webhook_endpoints WHERE tenant_id = $1", env.A.ID).Scan(&n); err != nil || n != 2 {
		t.Fatalf("tenant A has %d endpoints, want 2 (one per key); err %v; statuses %v", n, err, statuses)
	}
}

// Every mutating call leaves one audit row; no audit row, log line or
// response other than create and rotate carries a secret.
func TestAuditLogAndSecretHygiene(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	var secrets []string
	var bodies []string
	p := env.Paths(env.A)[0]
	ep := createEndpoint(t, env, p, map[string]any{"url": "https://example.com/h", "events": []string{"*"}})
	id := ep.ID.String()
	secrets = append(secrets, ep.Secret)
	record := func(r hooklinetest.Response) {
		if r.Status >= 300 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		bodies = append(bodies, string(r.Body))
	}
	record(env.Do(http.MethodPatch, p.Prefix+"/webhooks/"+id, p.Token, map[string]any{"url": "https://example.com/new", "events": []string{"comment.created"}}))
	rot := env.Do(http.MethodPost, "/admin/v1/tenants/"+env.A.ID.String()+"/webhooks/"+id+"/rotate-secret", env.A.AdminToken, nil)
	secrets = append(secrets, decode[rotatedSecret](t, rot).Secret)
	record(env.Do(http.MethodGet, p.Prefix+"/webhooks", p.Token, nil))
	record(env.Do(http.MethodGet, p.Prefix+"/webhooks/"+id, p.Token, nil))
	record(env.Do(http.MethodDelete, p.Prefix+"/webhooks/"+id, p.Token, nil))

	audit := env.Do(http.MethodGet, "/admin/v1/tenants/"+env.A.ID.String()+"/audit-log?limit=100", env.SuperToken, nil)
	record(audit)
	rows := decode[auditPage](t, audit).Data
	actions := map[string]api.AuditEntry{}
	for _, r := range rows {
		actions[r.Action] = r
	}
	for _, a := range []string{"webhook_endpoint.created", "webhook_endpoint.updated", "webhook_endpoint.secret_rotated", "webhook_endpoint.deleted"} {
		row, ok := actions[a]
		if !ok {
			t.Fatalf("no audit row %s in %s", a, show(rows))
		}
		if row.TargetID != id || row.RequestID == "" {
			t.Fatalf("audit row %s: %s", a, show(row))
		}
	}
	if actions["webhook_endpoint.created"].ActorKind != "api_key" || actions["webhook_endpoint.secret_rotated"].ActorKind != "admin" ||
		actions["webhook_endpoint.secret_rotated"].ActorID != "admin@test" {
		t.Fatalf("actors: %s", show(actions))
	}
	// The url change is exactly {from, to}.
	diff := actions["webhook_endpoint.updated"].Details
	var details struct {
		Changes struct {
			URL json.RawMessage `json:"url"`
		} `json:"changes"`
	}
	var urlChange struct {
		From string `json:"from"`
		To   string `json:"to"`
	}
	if err := json.Unmarshal(diff, &details); err != nil || decodeStrict(details.Changes.URL, &urlChange) != nil ||
		urlChange.From != "https://example.com/h" || urlChange.To != "https://example.com/new" {
		t.Fatalf("update diff: %s", diff)
	}

	var dbAudit string
	if err := env.Pool.QueryRow(context.Background(), "SELECT coalesce(string_agg(details::text, ' '), '') FROM audit_log").Scan(&dbAudit); err != nil {
		t.Fatal(err)
	}
	haystacks := map[string]string{"audit rows": dbAudit, "logs": env.LogText(), "responses": strings.Join(bodies, "\n")}
	for _, s := range secrets {
		for where, text := range haystacks {
			if strings.Contains(text, s) || strings.Contains(text, strings.TrimPrefix(s, "whsec_")) {
				t.Errorf("secret found in %s", where)
			}
		}
	}
}

// Tenant B gets 404 for tenant A's endpoint on every operation, and nothing changes.
func TestEndpointTenantIsolation(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	ep := createEndpoint(t, env, env.Paths(env.A)[0], map[string]any{"url": "https://example.com/h", "events": []string{"*"}})
	id := ep.ID.String()
	snapshot := func() string {
		var s string
		if err := env.Pool.QueryRow(context.Background(), "SELECT row_to_json(e)::text FROM webhook_endpoints e WHERE id = $1", id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := snapshot()
	did := "00000000-0000-0000-0000-000000000001"
	for _, p := range env.Paths(env.B) {
		for _, op := range []struct{ method, path string }{
			{http.MethodGet, "/webhooks/" + id},
			{http.MethodPatch, "/webhooks/" + id},
			{http.MethodDelete, "/webhooks/" + id},
			{http.MethodPost, "/webhooks/" + id + "/rotate-secret"},
			{http.MethodPost, "/webhooks/" + id + "/test"},
			{http.MethodPost, "/webhooks/" + id + "/verify"},
			{http.MethodGet, "/webhooks/" + id + "/deliveries"},
			{http.MethodDelete, "/webhooks/" + id + "/deliveries"},
			{http.MethodGet, "/webhooks/" + id + "/deliveries/" + did},
			{http.MethodPost, "/webhooks/" + id + "/deliveries/" + did + "/replay"},
		} {
			var body any
			if op.method == http.MethodPatch {
				body = map[string]any{"is_active": false}
			}
			if r := env.Do(op.method, p.Prefix+op.path, p.Token, body); r.Status != http.StatusNotFound {
				t.Errorf("%s %s %s: %d, want 404: %s", p.Name, op.method, op.path, r.Status, r.Body)
			}
		}
		if r := env.Do(http.MethodGet, p.Prefix+"/webhooks", p.Token, nil); strings.Contains(string(r.Body), id) {
			t.Errorf("%s: B's list shows A's endpoint", p.Name)
		}
	}
	if after := snapshot(); after != before {
		t.Fatalf("endpoint changed:\n%s\n%s", before, after)
	}
}
