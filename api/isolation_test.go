package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/hooklinetest"
	"github.com/hookline/hookline/internal/authn"
)

// routeClass says how a route is scoped; every route of the OpenAPI document
// must have one, so a new route cannot skip this walk.
var routeClass = map[string]string{
	"get-health":     "public",
	"get-readiness":  "public",
	"create-tenant":  "admin",
	"list-tenants":   "admin",
	"create-api-key": "admin-tenant", "list-api-keys": "admin-tenant", "revoke-api-key": "admin-tenant",
	"list-audit-log":         "admin-tenant",
	"list-webhook-endpoints": "tenant", "create-webhook-endpoint": "tenant", "list-webhook-event-types": "tenant",
	"get-webhook-endpoint": "tenant", "update-webhook-endpoint": "tenant", "delete-webhook-endpoint": "tenant",
	"list-webhook-deliveries": "tenant", "get-webhook-delivery": "tenant", "replay-webhook-delivery": "tenant",
	"purge-webhook-deliveries": "tenant", "rotate-webhook-secret": "tenant", "test-webhook-endpoint": "tenant",
	"verify-webhook-endpoint": "tenant", "publish-event": "tenant", "recover-webhook-endpoint": "tenant",
	// The event-type catalogue is shared: no tenant's ids in it.
	"list-event-types": "tenant", "get-event-type": "tenant", "put-event-type": "admin",
	"create-portal-session": "admin-tenant",
	"test-filter":           "tenant", "get-event-routing": "tenant", "get-webhook-stats": "tenant",
	"revoke-admin-token": "admin",
	"list-blocked-keys":  "tenant", "unblock-key": "tenant",
	"list-portal-sessions": "admin-tenant", "revoke-portal-session": "admin-tenant",
	"list-global-audit-log": "admin",
	"put-source":            "admin", "get-source": "admin", "list-sources": "admin", "delete-source": "admin",
}

// bodies for operations that need one to get past validation.
var opBodies = map[string]any{
	"update-webhook-endpoint":  map[string]any{"is_active": false},
	"create-webhook-endpoint":  map[string]any{"url": "https://example.com/b", "events": []string{"*"}},
	"publish-event":            map[string]any{"type": "comment.created", "payload": map[string]any{}},
	"create-api-key":           map[string]any{"name": "b", "permissions": []string{"manage_webhooks"}},
	"create-tenant":            map[string]any{"name": "walk-" + time.Now().Format("150405.000000")},
	"recover-webhook-endpoint": map[string]any{"since": time.Now().Add(-time.Hour)},
	"test-filter":              map[string]any{"filter": map[string]any{}, "event": map[string]any{"type": "t", "data": map[string]any{}}},
	"unblock-key":              map[string]any{"ordering_key": "k", "action": "skip"},
}

// tenantDigest fingerprints every row tenant A owns.
func tenantDigest(t *testing.T, env *hooklinetest.Env, tenant string) string {
	t.Helper()
	h := sha256.New()
	for _, q := range []string{
		"SELECT coalesce(string_agg(row_to_json(x)::text, '|' ORDER BY x.id), '') FROM webhook_endpoints x WHERE tenant_id = $1",
		"SELECT coalesce(string_agg(row_to_json(x)::text, '|' ORDER BY x.id), '') FROM deliveries x WHERE tenant_id = $1",
		"SELECT coalesce(string_agg(row_to_json(x)::text, '|' ORDER BY x.delivery_id, x.number), '') FROM delivery_attempts x WHERE tenant_id = $1",
		"SELECT coalesce(string_agg(row_to_json(x)::text, '|' ORDER BY x.id), '') FROM events x WHERE tenant_id = $1",
		"SELECT coalesce(string_agg(row_to_json(x)::text, '|' ORDER BY x.id), '') FROM api_keys x WHERE tenant_id = $1",
		"SELECT coalesce(string_agg(row_to_json(x)::text, '|' ORDER BY x.id), '') FROM audit_log x WHERE tenant_id = $1",
		"SELECT coalesce(string_agg(row_to_json(x)::text, '|' ORDER BY x.key), '') FROM idempotency_keys x WHERE tenant_id = $1",
		"SELECT coalesce(string_agg(row_to_json(x)::text, '|' ORDER BY x.id), '') FROM portal_sessions x WHERE tenant_id = $1",
		"SELECT coalesce(string_agg(row_to_json(x)::text, '|' ORDER BY x.endpoint_id, x.ordering_key), '') FROM ordering_keys x WHERE tenant_id = $1",
		"SELECT coalesce(string_agg(row_to_json(x)::text, '|'), '') FROM tenants x WHERE id = $1",
	} {
		var s string
		if err := env.Pool.QueryRow(context.Background(), q, tenant).Scan(&s); err != nil {
			t.Fatal(err)
		}
		h.Write([]byte(s))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Walks every route of the OpenAPI document with tenant B's credentials and
// tenant A's ids: 404, never A's data, and A's rows unchanged. Admin routes
// refuse API keys. The portal's mirror of each tenant operation is walked
// too, with tenant B's portal session.
func TestTenantIsolationWalk(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	a := newEndpoint(t, env, env.A, []string{"*"}, true)
	a.rc.SetHandler(func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) { w.WriteHeader(http.StatusGone) })
	eventID := env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": "comment.created", "payload": map[string]any{"secret": "a-only"}}).Map(t)["id"].(string)
	var deliveryID string
	env.Eventually(20*time.Second, "A's delivery to fail", func() bool {
		ds := deliveriesOf(t, env, env.A, a.id, "?status=failed")
		if len(ds) == 1 {
			deliveryID = ds[0].ID.String()
		}
		return deliveryID != ""
	})
	keyID, _, _ := authn.ParseAPIKey(env.A.Key)
	keyA := keyID.String()
	createPortalLink(t, env, env.A, nil)
	var sessionA string
	if err := env.Pool.QueryRow(context.Background(), "SELECT id::text FROM portal_sessions WHERE tenant_id = $1", env.A.ID).Scan(&sessionA); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{"{endpoint_id}": a.id, "{delivery_id}": deliveryID, "{key_id}": keyA, "{name}": "comment.created", "{event_id}": eventID,
		"{session_id}": sessionA}
	bTenantAdmin := env.Mint([]string{env.B.ID.String()}, authn.AllPermissions, time.Hour)
	aIDs := []string{a.id, deliveryID, keyA, eventID, sessionA}
	bCookie, bCSRF := portalLogin(t, env, env.B)

	doc := api.New(api.Deps{Version: "walk"}).OpenAPI()
	before := tenantDigest(t, env, env.A.ID.String())
	walked, portalWalked := 0, 0
	for path, item := range doc.Paths {
		for method, op := range map[string]*struct{ id string }{
			http.MethodGet: opID(item.Get), http.MethodPost: opID(item.Post), http.MethodPatch: opID(item.Patch),
			http.MethodDelete: opID(item.Delete), http.MethodPut: opID(item.Put),
		} {
			if op == nil {
				continue
			}
			id := strings.TrimPrefix(op.id, "admin-")
			class, ok := routeClass[id]
			if !ok {
				t.Errorf("route %s %s (%s) is not classified for the isolation walk", method, path, op.id)
				continue
			}
			walked++
			concrete := path
			for k, v := range ids {
				concrete = strings.ReplaceAll(concrete, k, v)
			}
			hasForeignID := concrete != strings.ReplaceAll(path, "{name}", "comment.created")
			// API keys never open admin routes.
			if strings.HasPrefix(path, "/admin/") {
				r := env.Do(method, strings.ReplaceAll(concrete, "{tenant_id}", env.A.ID.String()), env.A.Key, opBodies[id])
				if r.Status != http.StatusUnauthorized {
					t.Errorf("%s %s with an API key: %d, want 401", method, path, r.Status)
				}
			}
			var token string
			switch {
			case class == "public" || class == "admin":
				continue // not tenant-scoped
			case strings.HasPrefix(path, "/admin/"):
				token, concrete = bTenantAdmin, strings.ReplaceAll(concrete, "{tenant_id}", env.B.ID.String())
			default:
				token = env.B.Key
			}
			check := func(label string, r hooklinetest.Response) {
				if hasForeignID && r.Status != http.StatusNotFound {
					t.Errorf("%s %s as tenant B%s on A's ids: %d, want 404: %s", method, path, label, r.Status, r.Body)
				}
				for _, foreign := range aIDs {
					if strings.Contains(string(r.Body), foreign) {
						t.Errorf("%s %s as tenant B%s returned A's id %s", method, path, label, foreign)
					}
				}
				if strings.Contains(string(r.Body), "a-only") {
					t.Errorf("%s %s as tenant B%s returned A's payload", method, path, label)
				}
			}
			check("", env.Do(method, concrete, token, opBodies[id]))
			if v1, ok := strings.CutPrefix(concrete, "/v1/"); ok && id != "publish-event" {
				check(" (portal)", env.Do(method, "/portal/api/"+v1, "", opBodies[id], "Cookie", bCookie, "X-CSRF-Token", bCSRF))
				portalWalked++
			}
		}
	}
	if walked < 30 || portalWalked < 15 {
		t.Fatalf("walked only %d routes (%d portal routes)", walked, portalWalked)
	}
	t.Logf("isolation walk: %d operations of the OpenAPI document (and %d portal mirrors), all classified; tenant B on tenant A's ids: no access, no foreign ids, no row changed", walked, portalWalked)
	if after := tenantDigest(t, env, env.A.ID.String()); after != before {
		t.Fatal("tenant B's calls changed tenant A's rows")
	}
	if a.rc.Count() != 1 {
		t.Fatalf("A's endpoint got %d requests; B's publish or test reached it", a.rc.Count())
	}
}

func opID(op *huma.Operation) *struct{ id string } {
	if op == nil {
		return nil
	}
	return &struct{ id string }{op.OperationID}
}
