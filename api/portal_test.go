package api_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/hooklinetest"
	"github.com/hookline/hookline/internal/authn"
)

// Portal sessions over plain HTTP; the page itself is driven in Chromium by
// portal_ui_test.go.

type portalLink struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

func createPortalLink(t *testing.T, env *hooklinetest.Env, tenant hooklinetest.Tenant, body any) portalLink {
	t.Helper()
	r := env.Do(http.MethodPost, "/admin/v1/tenants/"+tenant.ID.String()+"/portal-sessions", tenant.AdminToken, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create portal session: %d %s", r.Status, r.Body)
	}
	return decode[portalLink](t, r)
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// openLink fetches the link page, then posts its token as the page's form does.
func openLink(t *testing.T, link string) (page, login *http.Response, pageBody string) {
	t.Helper()
	page, err := noRedirect.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(page.Body)
	page.Body.Close()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"t": {u.Query().Get("t")}}
	login, err = noRedirect.PostForm(u.Scheme+"://"+u.Host+"/portal/login", form)
	if err != nil {
		t.Fatal(err)
	}
	login.Body.Close()
	return page, login, string(b)
}

func sessionCookie(t *testing.T, resp *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == "hookline_portal" {
			return c
		}
	}
	t.Fatalf("no session cookie in %d answer: %v", resp.StatusCode, resp.Header)
	return nil
}

func TestPortalLinkIsSwappedOnceForAScopedCookie(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	link := createPortalLink(t, env, env.A, map[string]any{"ttl_seconds": 600})
	if !strings.HasPrefix(link.URL, env.URL+"/portal/login?t=") {
		t.Fatalf("url %q", link.URL)
	}
	if d := time.Until(link.ExpiresAt); d < 590*time.Second || d > 610*time.Second {
		t.Fatalf("expires_at %s is not ~10 minutes away", link.ExpiresAt)
	}
	token := strings.TrimPrefix(link.URL, env.URL+"/portal/login?t=")

	page, login, body := openLink(t, link.URL)
	if page.StatusCode != http.StatusOK || !strings.Contains(body, `value="`+token+`"`) || !strings.Contains(body, `action="/portal/login"`) {
		t.Fatalf("link page: %d %s", page.StatusCode, body)
	}
	for h, want := range map[string]string{"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
		if page.Header.Get(h) != want {
			t.Errorf("link page %s = %q, want %q", h, page.Header.Get(h), want)
		}
	}
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("link page CSP %q", csp)
	}
	if login.StatusCode != http.StatusSeeOther || login.Header.Get("Location") != "/portal/" {
		t.Fatalf("login: %d → %q", login.StatusCode, login.Header.Get("Location"))
	}
	c := sessionCookie(t, login)
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/portal" || c.Value == token {
		t.Fatalf("cookie %+v", c)
	}
	// The link never reaches the logs, even though it was in a URL.
	if strings.Contains(env.LogText(), token) || strings.Contains(env.LogText(), c.Value) {
		t.Fatal("a portal token reached the log")
	}

	cookie := "hookline_portal=" + c.Value
	r := env.Do(http.MethodGet, "/portal/api/session", "", nil, "Cookie", cookie)
	sess := decode[api.PortalSession](t, r)
	if r.Status != http.StatusOK || sess.TenantID != env.A.ID.String() || sess.TenantName != "tenant-a" || sess.CSRFToken == "" {
		t.Fatalf("session: %d %s", r.Status, r.Body)
	}

	// The same link, used again, is refused: by the page and by the login.
	page, login, body = openLink(t, link.URL)
	if page.StatusCode != http.StatusUnauthorized || login.StatusCode != http.StatusUnauthorized || strings.Contains(body, token) {
		t.Fatalf("reused link: page %d, login %d", page.StatusCode, login.StatusCode)
	}
	if len(login.Cookies()) != 0 {
		t.Fatal("a reused link set a cookie")
	}

	// Logging out ends the session.
	if r := env.Do(http.MethodDelete, "/portal/api/session", "", nil, "Cookie", cookie, "X-CSRF-Token", sess.CSRFToken); r.Status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", r.Status, r.Body)
	}
	if r := env.Do(http.MethodGet, "/portal/api/webhooks", "", nil, "Cookie", cookie); r.Status != http.StatusUnauthorized {
		t.Fatalf("after logout: %d %s", r.Status, r.Body)
	}
}

// portalLogin opens a fresh link for tenant and returns the cookie header and CSRF token.
func portalLogin(t *testing.T, env *hooklinetest.Env, tenant hooklinetest.Tenant) (cookie, csrf string) {
	t.Helper()
	_, login, _ := openLink(t, createPortalLink(t, env, tenant, nil).URL)
	cookie = "hookline_portal=" + sessionCookie(t, login).Value
	r := env.Do(http.MethodGet, "/portal/api/session", "", nil, "Cookie", cookie)
	return cookie, decode[api.PortalSession](t, r).CSRFToken
}

func TestPortalWritesNeedTheSessionsCSRFToken(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	cookie, csrf := portalLogin(t, env, env.A)
	_, otherCSRF := portalLogin(t, env, env.A)
	body := map[string]any{"url": "https://hooks.example.com/portal", "events": []string{"comment.created"}}

	for _, tc := range []struct {
		name, token string
		want        int
	}{
		{"no token", "", http.StatusForbidden},
		{"another session's token", otherCSRF, http.StatusForbidden},
		{"wrong token", csrf + "x", http.StatusForbidden},
		{"the session's token", csrf, http.StatusCreated},
	} {
		headers := []string{"Cookie", cookie}
		if tc.token != "" {
			headers = append(headers, "X-CSRF-Token", tc.token)
		}
		r := env.Do(http.MethodPost, "/portal/api/webhooks", "", body, headers...)
		if r.Status != tc.want {
			t.Fatalf("%s: %d %s", tc.name, r.Status, r.Body)
		}
	}
	// Only the accepted write happened, and the audit log names the portal.
	list := env.Do(http.MethodGet, "/v1/webhooks", env.A.Key, nil)
	if n := strings.Count(string(list.Body), "hooks.example.com/portal"); n != 1 {
		t.Fatalf("%d endpoints created, want 1", n)
	}
	audit := decode[auditPage](t, env.Do(http.MethodGet, "/admin/v1/tenants/"+env.A.ID.String()+"/audit-log", env.SuperToken, nil))
	var created *api.AuditEntry
	for i, e := range audit.Data {
		if e.Action == "webhook_endpoint.created" {
			created = &audit.Data[i]
		}
	}
	if created == nil || created.ActorKind != "portal" || created.ActorID == "" {
		t.Fatalf("audit rows: %s", show(audit))
	}
}

func TestPortalSessionIsScopedToItsTenantAndManageWebhooks(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	other := newEndpoint(t, env, env.B, []string{"comment.created"}, true)
	cookie, csrf := portalLogin(t, env, env.A)

	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/portal/api/webhooks/" + other.id, http.StatusNotFound},
		{http.MethodDelete, "/portal/api/webhooks/" + other.id, http.StatusNotFound},
		{http.MethodGet, "/portal/api/deliveries/" + other.id, http.StatusNotFound},
		// publish_events is not a portal permission: no such route.
		{http.MethodPost, "/portal/api/events", http.StatusNotFound},
		// Nor are the admin-only operations.
		{http.MethodGet, "/portal/api/api-keys", http.StatusNotFound},
		{http.MethodGet, "/portal/api/audit-log", http.StatusNotFound},
	} {
		r := env.Do(tc.method, tc.path, "", map[string]any{}, "Cookie", cookie, "X-CSRF-Token", csrf)
		if r.Status != tc.want && !(tc.want == http.StatusNotFound && r.Status == http.StatusMethodNotAllowed) {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, r.Status, r.Body)
		}
	}
	if r := env.Do(http.MethodGet, "/portal/api/webhooks", "", nil, "Cookie", "hookline_portal=forged"); r.Status != http.StatusUnauthorized {
		t.Fatalf("forged cookie: %d", r.Status)
	}
	if r := env.Do(http.MethodGet, "/portal/api/webhooks", env.A.Key, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("API key on a portal route: %d", r.Status)
	}
}

func TestPortalLinkAndSessionExpire(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	ctx := context.Background()

	link := createPortalLink(t, env, env.A, nil)
	if _, err := env.Pool.Exec(ctx, "UPDATE portal_sessions SET login_expires_at = now() - interval '1 second'"); err != nil {
		t.Fatal(err)
	}
	page, login, _ := openLink(t, link.URL)
	if page.StatusCode != http.StatusUnauthorized || login.StatusCode != http.StatusUnauthorized {
		t.Fatalf("expired link: page %d, login %d", page.StatusCode, login.StatusCode)
	}

	cookie, _ := portalLogin(t, env, env.A)
	if r := env.Do(http.MethodGet, "/portal/api/webhooks", "", nil, "Cookie", cookie); r.Status != http.StatusOK {
		t.Fatalf("live session: %d %s", r.Status, r.Body)
	}
	if _, err := env.Pool.Exec(ctx, "UPDATE portal_sessions SET login_expires_at = now() - interval '2 seconds', expires_at = now() - interval '1 second'"); err != nil {
		t.Fatal(err)
	}
	if r := env.Do(http.MethodGet, "/portal/api/webhooks", "", nil, "Cookie", cookie); r.Status != http.StatusUnauthorized {
		t.Fatalf("expired session: %d %s", r.Status, r.Body)
	}
}

func TestCreatePortalSessionInput(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t, hooklinetest.Options{PublicURL: "https://hooks.example.com"})
	path := "/admin/v1/tenants/" + env.A.ID.String() + "/portal-sessions"
	readOnly := env.Mint([]string{env.A.ID.String()}, []string{authn.PermPublishEvents}, time.Hour)

	link := createPortalLink(t, env, env.A, nil)
	if !strings.HasPrefix(link.URL, "https://hooks.example.com/portal/login?t=") {
		t.Fatalf("url %q does not use the public URL", link.URL)
	}
	if d := time.Until(link.ExpiresAt); d < 59*time.Minute || d > 61*time.Minute {
		t.Fatalf("default expires_at %s is not ~1 hour away", link.ExpiresAt)
	}
	for _, tc := range []struct {
		name, path, token string
		body              any
		want              int
		field             string
	}{
		{"ttl too short", path, env.A.AdminToken, map[string]any{"ttl_seconds": 30}, 422, "body.ttl_seconds"},
		{"ttl too long", path, env.A.AdminToken, map[string]any{"ttl_seconds": 86401}, 422, "body.ttl_seconds"},
		{"ttl not a number", path, env.A.AdminToken, `{"ttl_seconds":"1h"}`, 422, "body.ttl_seconds"},
		{"another tenant's admin", path, env.B.AdminToken, nil, 404, ""},
		{"without manage_webhooks", path, readOnly, nil, 403, ""},
		{"an API key", path, env.A.Key, nil, 401, ""},
		{"no /v1 route", "/v1/portal-sessions", env.A.Key, nil, 404, ""},
	} {
		r := env.Do(http.MethodPost, tc.path, tc.token, tc.body)
		if r.Status != tc.want || !strings.Contains(string(r.Body), tc.field) {
			t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
		}
	}
	var n int
	if err := env.Pool.QueryRow(context.Background(), "SELECT count(*) FROM portal_sessions").Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d sessions stored (%v), want 1", n, err)
	}
}

// Login CSRF: a portal link posted from another site is refused (403)
// without using the link, which then still opens the portal from ours.
func TestPortalLoginRefusesCrossSitePosts(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	link := createPortalLink(t, env, env.A, nil).URL
	u, _ := url.Parse(link)
	form := url.Values{"t": {u.Query().Get("t")}}.Encode()
	post := func(headers ...string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, u.Scheme+"://"+u.Host+"/portal/login", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, h := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "same-site"},
		{"Origin", "https://evil.example"},
	} {
		if r := post(h...); r.StatusCode != http.StatusForbidden || len(r.Cookies()) != 0 {
			t.Fatalf("%v: %d, cookies %v", h, r.StatusCode, r.Cookies())
		}
	}
	if r := post("Sec-Fetch-Site", "same-origin", "Origin", u.Scheme+"://"+u.Host); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("our own page's post after the refusals: %d (the link must not have been used)", r.StatusCode)
	}
}
