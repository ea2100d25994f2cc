package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2/humatest"

	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/db/dbtest"
	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/authn"
	"github.com/hookline/hookline/internal/tenancy"
)

// handlerEnv is the API on a fresh database with no Temporal behind it: the
// services are nil, so only routes that never reach them are tested here.
type handlerEnv struct {
	srv        *api.Server
	a, b       string // tenant ids
	manageKey  string // tenant A, manage_webhooks
	publishKey string // tenant A, publish_events only
	super      string // admin token: every tenant, every permission
	scopedA    string // admin token: tenant A only, every permission
}

func newHandlerEnv(t *testing.T) handlerEnv {
	t.Helper()
	ctx, pool := context.Background(), dbtest.New(t)
	cfg := authn.JWTConfig{HMACSecret: []byte("handler-test-secret-handler-test-secret"), Issuer: "hookline", Audience: "hookline-admin"}
	verifier, err := authn.NewJWTVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	actor := audit.Actor{Kind: audit.ActorSystem, ID: "test"}
	a, errA := tenancy.CreateTenant(ctx, pool, actor, "req-a", "tenant-a")
	b, errB := tenancy.CreateTenant(ctx, pool, actor, "req-b", "tenant-b")
	manage, errM := tenancy.CreateAPIKey(ctx, pool, actor, "req-k1", a.ID, "manage", []string{authn.PermManageWebhooks})
	pub, errP := tenancy.CreateAPIKey(ctx, pool, actor, "req-k2", a.ID, "publish", []string{authn.PermPublishEvents})
	super, errS := authn.MintHS256(cfg, "admin@test", []string{"*"}, authn.AllPermissions, time.Hour, time.Now())
	scoped, errT := authn.MintHS256(cfg, "ops@test", []string{a.ID.String()}, authn.AllPermissions, time.Hour, time.Now())
	for _, err := range []error{errA, errB, errM, errP, errS, errT} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return handlerEnv{
		srv: api.New(api.Deps{Pool: pool, JWT: verifier, Version: "test"}), a: a.ID.String(), b: b.ID.String(),
		manageKey: manage.Token, publishKey: pub.Token, super: super, scopedA: scoped,
	}
}

// Authentication, tenancy checks and query validation answer before any
// service is called.
func TestHandlerRefusals(t *testing.T) {
	t.Parallel()
	h := newHandlerEnv(t)
	unknownKey := "hk_00000000000000000000000000000000_" + strings.Repeat("A", 43)
	tests := []struct {
		name, method, path, token string
		status                    int
		location                  string
	}{
		{"no credentials", http.MethodGet, "/v1/webhooks", "", http.StatusUnauthorized, ""},
		{"unknown api key", http.MethodGet, "/v1/webhooks", unknownKey, http.StatusUnauthorized, ""},
		{"api key without manage_webhooks", http.MethodGet, "/v1/webhooks/event-types", h.publishKey, http.StatusForbidden, ""},
		{"api key on an admin route", http.MethodGet, "/admin/v1/tenants", h.manageKey, http.StatusUnauthorized, ""},
		{"admin token on the api-key path", http.MethodGet, "/v1/webhooks", h.super, http.StatusUnauthorized, ""},
		{"scoped token on another tenant", http.MethodGet, "/admin/v1/tenants/" + h.b + "/api-keys", h.scopedA, http.StatusNotFound, ""},
		{"unknown tenant", http.MethodGet, "/admin/v1/tenants/00000000-0000-0000-0000-000000000001/audit-log", h.super, http.StatusNotFound, ""},
		{"scoped token creating a tenant", http.MethodPost, "/admin/v1/tenants", h.scopedA, http.StatusForbidden, ""},
		{"query not UTF-8", http.MethodGet, "/v1/webhooks/00000000-0000-0000-0000-000000000001/deliveries?event_type=%FF", h.manageKey, http.StatusBadRequest, "query.event_type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := []any{}
			if tc.token != "" {
				args = append(args, "Authorization: Bearer "+tc.token)
			}
			if tc.method == http.MethodPost {
				args = append(args, map[string]any{"name": "sneaky"})
			}
			r := humatest.Wrap(t, h.srv.API()).Do(tc.method, tc.path, args...)
			if r.Code != tc.status || !strings.HasPrefix(r.Header().Get("Content-Type"), "application/problem+json") {
				t.Fatalf("%d %q, want %d problem: %s", r.Code, r.Header().Get("Content-Type"), tc.status, r.Body)
			}
			if tc.status == http.StatusUnauthorized && r.Header().Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
			if tc.location != "" && !strings.Contains(r.Body.String(), `"location":"`+tc.location+`"`) {
				t.Fatalf("problem does not name %s: %s", tc.location, r.Body)
			}
		})
	}
}

// Routes that read only Postgres, decoded into the API's own types.
func TestHandlerReads(t *testing.T) {
	t.Parallel()
	h := newHandlerEnv(t)
	tests := []struct {
		name, path, token string
		check             func(t *testing.T, body []byte)
	}{
		{"event types", "/v1/webhooks/event-types", h.manageKey, func(t *testing.T, body []byte) {
			var names []string
			if err := json.Unmarshal(body, &names); err != nil || len(names) != 8 || slices.Contains(names, "webhook.test") {
				t.Fatalf("event types %v (%v)", names, err)
			}
		}},
		{"tenants for *", "/admin/v1/tenants", h.super, func(t *testing.T, body []byte) {
			var l tenantList
			if err := json.Unmarshal(body, &l); err != nil || len(l.Data) != 2 || l.Data[0].ID.String() != h.a || l.Data[1].Name != "tenant-b" {
				t.Fatalf("tenants %s (%v)", body, err)
			}
		}},
		{"tenants for a scoped token", "/admin/v1/tenants", h.scopedA, func(t *testing.T, body []byte) {
			var l tenantList
			if err := json.Unmarshal(body, &l); err != nil || len(l.Data) != 1 || l.Data[0].ID.String() != h.a {
				t.Fatalf("tenants %s (%v)", body, err)
			}
		}},
		{"api keys", "/admin/v1/tenants/" + h.a + "/api-keys", h.scopedA, func(t *testing.T, body []byte) {
			var l apiKeyList
			if err := json.Unmarshal(body, &l); err != nil || len(l.Data) != 2 || l.Data[0].Name != "publish" ||
				!slices.Equal(l.Data[1].Permissions, []string{authn.PermManageWebhooks}) || l.Data[1].RevokedAt != nil {
				t.Fatalf("api keys %s (%v)", body, err)
			}
			if strings.Contains(string(body), h.manageKey) || strings.Contains(string(body), h.publishKey) {
				t.Fatal("a key is shown again")
			}
		}},
		{"audit log", "/admin/v1/tenants/" + h.a + "/audit-log", h.super, func(t *testing.T, body []byte) {
			var p auditPage
			if err := json.Unmarshal(body, &p); err != nil || len(p.Data) != 3 || p.NextCursor != nil {
				t.Fatalf("audit log %s (%v)", body, err)
			}
			for i, want := range []string{"api_key.created", "api_key.created", "tenant.created"} {
				if e := p.Data[i]; e.Action != want || e.ActorKind != audit.ActorSystem || e.ActorID != "test" || e.RequestID == "" {
					t.Fatalf("audit row %d: %s", i, show(e))
				}
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := humatest.Wrap(t, h.srv.API()).Get(tc.path, "Authorization: Bearer "+tc.token)
			if r.Code != http.StatusOK {
				t.Fatalf("%d %s", r.Code, r.Body)
			}
			tc.check(t, r.Body.Bytes())
		})
	}
}

// Creating a tenant needs an admin token for "*"; a taken name is 409.
func TestHandlerCreateTenant(t *testing.T) {
	t.Parallel()
	h := newHandlerEnv(t)
	tapi := humatest.Wrap(t, h.srv.API())
	r := tapi.Post("/admin/v1/tenants", "Authorization: Bearer "+h.super, map[string]any{"name": "acme"})
	var created api.Tenant
	if err := json.Unmarshal(r.Body.Bytes(), &created); r.Code != http.StatusCreated || err != nil || created.Name != "acme" || created.CreatedAt.IsZero() {
		t.Fatalf("create: %d %s", r.Code, r.Body)
	}
	if r := tapi.Post("/admin/v1/tenants", "Authorization: Bearer "+h.super, map[string]any{"name": "acme"}); r.Code != http.StatusConflict {
		t.Fatalf("taken name: %d %s", r.Code, r.Body)
	}
	var l tenantList
	r = tapi.Get("/admin/v1/tenants", "Authorization: Bearer "+h.super)
	if err := json.Unmarshal(r.Body.Bytes(), &l); err != nil || len(l.Data) != 3 || l.Data[2].ID != created.ID {
		t.Fatalf("tenants after create: %s", r.Body)
	}
}
