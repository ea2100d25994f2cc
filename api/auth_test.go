package api_test

import (
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/hooklinetest"
	"github.com/hookline/hookline/internal/authn"
)

func TestAPIKeyAuth(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	publishOnly := env.NewKey(env.A.ID, authn.PermPublishEvents)
	revoked := env.NewKey(env.A.ID, authn.PermManageWebhooks)
	keyID, _, _ := authn.ParseAPIKey(revoked)
	if r := env.Do(http.MethodDelete, "/admin/v1/tenants/"+env.A.ID.String()+"/api-keys/"+keyID.String(), env.SuperToken, nil); r.Status != http.StatusOK {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}

	tests := []struct {
		name   string
		header string
		status int
	}{
		{"no credentials", "", http.StatusUnauthorized},
		{"not bearer", "Basic " + env.A.Key, http.StatusUnauthorized},
		{"unknown key", "Bearer hk_00000000000000000000000000000000_" + strings.Repeat("A", 43), http.StatusUnauthorized},
		{"truncated key", "Bearer " + env.A.Key[:len(env.A.Key)-2], http.StatusUnauthorized},
		{"wrong secret", "Bearer " + env.A.Key[:len(env.A.Key)-4] + "AAAA", http.StatusUnauthorized},
		{"revoked key", "Bearer " + revoked, http.StatusUnauthorized},
		{"admin jwt on api-key path", "Bearer " + env.SuperToken, http.StatusUnauthorized},
		{"missing manage_webhooks", "Bearer " + publishOnly, http.StatusForbidden},
		{"valid", "Bearer " + env.A.Key, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r hooklinetest.Response
			if tc.header == "" {
				r = env.Do(http.MethodGet, "/v1/webhooks", "", nil)
			} else {
				r = env.Do(http.MethodGet, "/v1/webhooks", "", nil, "Authorization", tc.header)
			}
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if r.Status >= 400 && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
				t.Fatalf("error content type %q", r.Header.Get("Content-Type"))
			}
		})
	}
}

func TestAdminJWTAuth(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	now := time.Now()
	claims := func(mut func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{
			"sub": "ops", "iss": "hookline", "aud": "hookline-admin", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
			"permissions": []string{authn.PermManageWebhooks}, "tenants": []string{"*"},
		}
		if mut != nil {
			mut(c)
		}
		return c
	}
	hs := func(c jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(env.JWT.HMACSecret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims(nil)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	hs512, _ := jwt.NewWithClaims(jwt.SigningMethodHS512, claims(nil)).SignedString(env.JWT.HMACSecret)
	path := "/admin/v1/tenants/" + env.A.ID.String() + "/webhooks"

	tests := []struct {
		name   string
		token  string
		path   string
		status int
	}{
		{"valid", hs(claims(nil)), path, http.StatusOK},
		{"alg none", none, path, http.StatusUnauthorized},
		{"unpinned HS512", hs512, path, http.StatusUnauthorized},
		{"expired", hs(claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Hour).Unix() })), path, http.StatusUnauthorized},
		{"missing exp", hs(claims(func(c jwt.MapClaims) { delete(c, "exp") })), path, http.StatusUnauthorized},
		{"not yet valid", hs(claims(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() })), path, http.StatusUnauthorized},
		{"wrong audience", hs(claims(func(c jwt.MapClaims) { c["aud"] = "someone-else" })), path, http.StatusUnauthorized},
		{"wrong issuer", hs(claims(func(c jwt.MapClaims) { c["iss"] = "evil" })), path, http.StatusUnauthorized},
		{"api key on admin path", env.A.Key, path, http.StatusUnauthorized},
		// Another tenant's path is 404, as for every resource of another tenant.
		{"tenants claim excludes path tenant", hs(claims(func(c jwt.MapClaims) { c["tenants"] = []string{env.B.ID.String()} })), path, http.StatusNotFound},
		{"no tenants claim", hs(claims(func(c jwt.MapClaims) { delete(c, "tenants") })), path, http.StatusNotFound},
		{"uncovered tenant without permission", hs(claims(func(c jwt.MapClaims) {
			c["tenants"], c["permissions"] = []string{env.B.ID.String()}, []string{authn.PermPublishEvents}
		})), path, http.StatusNotFound},
		{"missing permission", hs(claims(func(c jwt.MapClaims) { c["permissions"] = []string{authn.PermPublishEvents} })), path, http.StatusForbidden},
		{"unknown tenant", hs(claims(nil)), "/admin/v1/tenants/00000000-0000-0000-0000-000000000001/webhooks", http.StatusNotFound},
		{"malformed tenant id", hs(claims(nil)), "/admin/v1/tenants/nope/webhooks", http.StatusUnprocessableEntity},
		{"tenants route needs manage_tenants", hs(claims(nil)), "/admin/v1/tenants", http.StatusForbidden},
		{"tenants route with manage_tenants", env.SuperToken, "/admin/v1/tenants", http.StatusOK},
		{"tenants route refuses api keys", env.A.Key, "/admin/v1/tenants", http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Do(http.MethodGet, tc.path, tc.token, nil)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
		})
	}
}

// A token scoped to some tenants administers only those: the tenant list is
// filtered, and creating a tenant needs "*".
func TestScopedAdminTokenStaysInItsTenants(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	scoped := env.Mint([]string{env.A.ID.String()}, authn.AllPermissions, time.Hour)

	var list tenantList
	r := env.Do(http.MethodGet, "/admin/v1/tenants", scoped, nil)
	r.JSON(t, &list)
	if r.Status != http.StatusOK || len(list.Data) != 1 || list.Data[0].ID != env.A.ID {
		t.Fatalf("scoped list: %d %s", r.Status, r.Body)
	}
	r = env.Do(http.MethodGet, "/admin/v1/tenants", env.SuperToken, nil)
	r.JSON(t, &list)
	if r.Status != http.StatusOK || len(list.Data) != 2 {
		t.Fatalf("list for *: %d %s", r.Status, r.Body)
	}
	if r := env.Do(http.MethodPost, "/admin/v1/tenants", scoped, map[string]string{"name": "sneaky"}); r.Status != http.StatusForbidden {
		t.Fatalf("scoped create-tenant: %d %s", r.Status, r.Body)
	}
	if r := env.Do(http.MethodPost, "/admin/v1/tenants", env.SuperToken, map[string]string{"name": "fine"}); r.Status != http.StatusCreated {
		t.Fatalf("create-tenant with *: %d %s", r.Status, r.Body)
	}
	for _, path := range []string{"/api-keys", "/audit-log", "/webhooks"} {
		if r := env.Do(http.MethodGet, "/admin/v1/tenants/"+env.B.ID.String()+path, scoped, nil); r.Status != http.StatusNotFound {
			t.Fatalf("scoped token on B%s: %d %s", path, r.Status, r.Body)
		}
	}
}

// An existing key tried with a wrong secret is a 401 like any bad key, and
// its tenant's audit log says so (once a minute per key, however many
// tries); an unknown key leaves no row anywhere.
func TestRefusedKeysAreAudited(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	id, secret, _ := authn.ParseAPIKey(env.A.Key)
	wrong := strings.Replace(env.A.Key, secret, strings.Repeat("x", len(secret)), 1)
	for range 5 {
		if r := env.Do(http.MethodGet, "/v1/webhooks", wrong, nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("wrong secret: %d", r.Status)
		}
	}
	other := uuid.New()
	unknown := strings.Replace(env.A.Key, hex.EncodeToString(id[:]), hex.EncodeToString(other[:]), 1)
	if r := env.Do(http.MethodGet, "/v1/webhooks", unknown, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("unknown key: %d", r.Status)
	}
	var rows int
	var reason string
	if err := env.Pool.QueryRow(t.Context(), `SELECT count(*), max(details->>'reason') FROM audit_log
		WHERE action = 'api_key.authentication_failed' AND tenant_id = $1 AND target_id = $2`, env.A.ID, id.String()).Scan(&rows, &reason); err != nil ||
		rows != 1 || reason != "wrong secret" {
		t.Fatalf("%d audit rows (reason %q), want 1: %v", rows, reason, err)
	}
	var all int
	_ = env.Pool.QueryRow(t.Context(), `SELECT count(*) FROM audit_log WHERE action = 'api_key.authentication_failed'`).Scan(&all)
	if all != 1 {
		t.Fatalf("%d refused-key rows in all, want 1", all)
	}
}

// A revoked jti answers 401 from then on; other tokens are unaffected;
// revoking needs an all-tenants manage_tenants token.
func TestRevokedAdminTokens(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	tok := env.Mint([]string{"*"}, authn.AllPermissions, time.Hour)
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok, claims); err != nil {
		t.Fatal(err)
	}
	jti := claims["jti"].(string)
	list := "/admin/v1/tenants/" + env.A.ID.String() + "/webhooks"
	if r := env.Do(http.MethodGet, list, tok, nil); r.Status != http.StatusOK {
		t.Fatalf("before: %d", r.Status)
	}
	scoped := env.Mint([]string{env.A.ID.String()}, authn.AllPermissions, time.Hour)
	if r := env.Do(http.MethodPost, "/admin/v1/tokens/"+jti+"/revoke", scoped, nil); r.Status != http.StatusForbidden {
		t.Fatalf("a scoped token revoking: %d %s", r.Status, r.Body)
	}
	if r := env.Do(http.MethodPost, "/admin/v1/tokens/"+jti+"/revoke", env.SuperToken, nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), jti) {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	if r := env.Do(http.MethodGet, list, tok, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("after revocation: %d", r.Status)
	}
	if r := env.Do(http.MethodGet, list, env.SuperToken, nil); r.Status != http.StatusOK {
		t.Fatalf("another token after the revocation: %d", r.Status)
	}
	// Refused admin tokens are audited in the global log, at most once a
	// minute per reason: the revoked one with its subject and jti, a flood
	// of forged ones as one row naming no one.
	for range 5 {
		if r := env.Do(http.MethodGet, list, tok+"x", nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("a forged token: %d", r.Status)
		}
	}
	refused := map[string]api.AuditEntry{}
	for _, e := range decode[auditPage](t, env.Do(http.MethodGet, "/admin/v1/audit-log", env.SuperToken, nil)).Data {
		if e.Action == "admin_token.authentication_failed" {
			var d map[string]any
			_ = json.Unmarshal(e.Details, &d)
			if _, dup := refused[d["reason"].(string)]; dup {
				t.Fatalf("two rows for reason %v within a minute", d["reason"])
			}
			refused[d["reason"].(string)] = e
		}
	}
	if r, ok := refused["revoked"]; !ok || r.ActorID != claims["sub"] || !strings.Contains(string(r.Details), jti) {
		t.Fatalf("the revoked token's row: %+v", r)
	}
	if r, ok := refused["invalid"]; !ok || r.ActorID != "unverified" || strings.Contains(string(r.Details), tok) {
		t.Fatalf("the forged tokens' row: %+v", r)
	}
}
