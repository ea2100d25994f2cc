package api

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/hookline/hookline/internal/portal"
	"github.com/hookline/hookline/internal/portalui"
)

// Opening a portal link: GET /portal/login?t=… answers a page that posts the
// token back (by script at once, or by its button without script); the POST
// uses the link and answers the session cookie with a redirect to /portal/.
// The GET never uses the link, so a mail scanner or chat preview fetching
// it does not burn it, and the cookie is set by a same-site request, so the
// SameSite=Strict cookie is sent on the redirect that follows.

const (
	// The token leaves the address bar and this history entry at once.
	loginScript = `history.replaceState(null,"","/portal/login");document.getElementById("go").submit()`
	loginStyle  = `body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1f2328}` +
		`button{font:inherit;padding:.5rem 1rem}`
	maxLoginForm = 1 << 10
)

var (
	loginCSP = "default-src 'none'; script-src '" + cspHash(loginScript) + "'; style-src '" + cspHash(loginStyle) +
		"'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
	loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>Hookline portal</title><style>{{.Style}}</style></head>
<body>{{if .Token}}<form id="go" method="post" action="/portal/login">
<input type="hidden" name="t" value="{{.Token}}">
<p>Opening your webhook portal…</p><button type="submit">Continue to the portal</button></form>
<script>{{.Script}}</script>{{else}}<h1>This link cannot be used</h1>
<p>The portal link has expired or has already been used. Each link opens the portal once; ask for a new one.</p>{{end}}
</body></html>`))
)

func cspHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(h[:])
}

// mountPortal adds the login routes and the page's files to r.
func (s *Server) mountPortal(r chi.Router) {
	ui := portalui.Handler()
	r.Handle("/portal/", ui)
	r.Handle("/portal/index.html", ui)
	r.Handle("/portal/assets/*", ui)
	r.Get("/portal", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/portal/", http.StatusMovedPermanently)
	})
	r.Get("/portal/login", s.portalLoginPage)
	r.Post("/portal/login", s.portalLogin)
}

func (s *Server) portalLoginPage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("t")
	err := portal.ErrLinkUnusable
	if token != "" {
		err = s.Portal.Usable(r.Context(), token)
	}
	s.writeLoginPage(w, r, token, err)
}

func (s *Server) portalLogin(w http.ResponseWriter, r *http.Request) {
	// Login CSRF: another site must not post a link of its own choosing and
	// sign the visitor into that tenant. Checked before the link is used.
	if !s.sameOriginPost(r) {
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "cross-site portal login refused", http.StatusForbidden)
		return
	}
	// Read the form by hand: the router treats form bodies as JSON for curl's sake.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxLoginForm))
	if err != nil {
		s.writeLoginPage(w, r, "", portal.ErrLinkUnusable)
		return
	}
	form, _ := url.ParseQuery(string(body))
	token := form.Get("t")
	if token == "" {
		s.writeLoginPage(w, r, "", portal.ErrLinkUnusable)
		return
	}
	sess, cookieToken, err := s.Portal.Login(r.Context(), token, requestID(r.Context()))
	if err != nil {
		s.writeLoginPage(w, r, "", err)
		return
	}
	setLogTenant(r.Context(), sess.TenantID)
	c := s.portalCookie(cookieToken, sess.ExpiresAt)
	c.Secure = c.Secure || r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
	http.SetCookie(w, &c)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, "/portal/", http.StatusSeeOther)
}

// sameOriginPost accepts a post from our own login page: browsers say so in
// Sec-Fetch-Site; older ones send Origin (which must be ours unless "null",
// as the page's no-referrer policy may make it). Clients that send neither
// are not browsers, and cannot be made to post by another site.
func (s *Server) sameOriginPost(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin"
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		return true
	}
	if s.PublicURL != "" {
		if u, err := url.Parse(s.PublicURL); err == nil && strings.EqualFold(origin, u.Scheme+"://"+u.Host) {
			return true
		}
	}
	o, err := url.Parse(origin)
	return err == nil && strings.EqualFold(o.Host, r.Host)
}

// writeLoginPage answers the auto-posting form for a usable token, the
// refusal (401) for an unusable one, and an opaque 500 otherwise.
func (s *Server) writeLoginPage(w http.ResponseWriter, r *http.Request, token string, err error) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", loginCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	switch {
	case err == nil:
		w.WriteHeader(http.StatusOK)
	case errors.Is(err, portal.ErrLinkUnusable):
		token = ""
		w.WriteHeader(http.StatusUnauthorized)
	default:
		s.Logger.ErrorContext(r.Context(), "portal login", "err", err, "request_id", requestID(r.Context()))
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, "internal error (request id "+requestID(r.Context())+")\n")
		return
	}
	_ = loginPage.Execute(w, struct {
		Token  string
		Script template.JS
		Style  template.CSS
	}{token, template.JS(loginScript), template.CSS(loginStyle)})
}

// secureCookies: mark cookies Secure when the public URL is HTTPS.
func (s *Server) secureCookies() bool { return strings.HasPrefix(s.PublicURL, "https://") }
