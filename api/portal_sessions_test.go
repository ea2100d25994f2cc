package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/hooklinetest"
)

type portalSessionList struct {
	Data []api.PortalSessionInfo `json:"data"`
}

// An admin lists a tenant's live portal sessions (never their tokens) and
// revokes one: its cookie stops working at once, an unused link can no
// longer be opened, the revocation is audited, and another tenant's admin
// sees none of it.
func TestPortalSessionsListAndRevoke(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	base := "/admin/v1/tenants/" + env.A.ID.String() + "/portal-sessions"
	cookie, _ := portalLogin(t, env, env.A)
	unused := createPortalLink(t, env, env.A, nil)

	r := env.Do(http.MethodGet, base, env.A.AdminToken, nil)
	list := decode[portalSessionList](t, r).Data
	if r.Status != http.StatusOK || len(list) != 2 {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	if strings.Contains(string(r.Body), strings.SplitN(unused.URL, "t=", 2)[1]) || strings.Contains(string(r.Body), strings.TrimPrefix(cookie, "hookline_portal=")) {
		t.Fatalf("the list shows a token: %s", r.Body)
	}
	var opened, link api.PortalSessionInfo
	for _, s := range list {
		if s.OpenedAt != nil {
			opened = s
		} else {
			link = s
		}
	}
	if opened.ID == link.ID || opened.RevokedAt != nil {
		t.Fatalf("want one opened and one unused session: %+v", list)
	}

	// Another tenant's admin: 404, and nothing revoked.
	if r := env.Do(http.MethodDelete, "/admin/v1/tenants/"+env.B.ID.String()+"/portal-sessions/"+opened.ID.String(), env.B.AdminToken, nil); r.Status != http.StatusNotFound {
		t.Fatalf("revoke as B: %d %s", r.Status, r.Body)
	}
	if r := env.Do(http.MethodGet, "/portal/api/session", "", nil, "Cookie", cookie); r.Status != http.StatusOK {
		t.Fatalf("session after B's attempt: %d", r.Status)
	}

	for _, s := range []api.PortalSessionInfo{opened, link} {
		r := env.Do(http.MethodDelete, base+"/"+s.ID.String(), env.A.AdminToken, nil)
		if got := decode[api.PortalSessionInfo](t, r); r.Status != http.StatusOK || got.RevokedAt == nil {
			t.Fatalf("revoke: %d %s", r.Status, r.Body)
		}
	}
	if r := env.Do(http.MethodDelete, base+"/"+opened.ID.String(), env.A.AdminToken, nil); r.Status != http.StatusOK { // again: no-op
		t.Fatalf("revoking again: %d %s", r.Status, r.Body)
	}
	if r := env.Do(http.MethodGet, "/portal/api/session", "", nil, "Cookie", cookie); r.Status != http.StatusUnauthorized {
		t.Fatalf("revoked session's cookie: %d", r.Status)
	}
	if _, login, _ := openLink(t, unused.URL); login.StatusCode < 400 && login.Header.Get("Set-Cookie") != "" {
		t.Fatalf("a revoked link logged in: %d", login.StatusCode)
	}
	if r := env.Do(http.MethodGet, base, env.A.AdminToken, nil); len(decode[portalSessionList](t, r).Data) != 0 {
		t.Fatalf("revoked sessions still listed: %s", r.Body)
	}
	if r := env.Do(http.MethodDelete, base+"/"+env.A.ID.String(), env.A.AdminToken, nil); r.Status != http.StatusNotFound {
		t.Fatalf("unknown session: %d", r.Status)
	}
	var audited int
	if err := env.Pool.QueryRow(t.Context(), "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'portal_session.revoked'", env.A.ID).Scan(&audited); err != nil || audited != 2 {
		t.Fatalf("%d revocations audited, %v", audited, err)
	}
}
