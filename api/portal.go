package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/hookline/hookline/internal/authn"
	"github.com/hookline/hookline/internal/portal"
)

// The tenant portal: an admin creates a session link; the browser swaps it
// for a cookie (portal_login.go) and the page (internal/portalui) calls the
// tenant operations mirrored under /portal/api with that cookie.

const portalAPIPrefix = "/portal/api"

type portalSessionCreateInput struct {
	Body *struct {
		TTLSeconds int `json:"ttl_seconds,omitempty" minimum:"60" maximum:"86400" default:"3600" doc:"how long the session lasts once opened, counted from now"`
	} `required:"false"`
	base string
}

// Resolve records the request's own origin, the link's base when no public
// URL is configured.
func (in *portalSessionCreateInput) Resolve(ctx huma.Context) []error {
	scheme := "http"
	if ctx.TLS() != nil {
		scheme = "https"
	}
	in.base = scheme + "://" + ctx.Host()
	return nil
}

type portalSessionCreateOutput struct {
	Body struct {
		URL       string    `json:"url" example:"https://hooks.example.com/portal/login?t=…" doc:"single-use link to the tenant portal"`
		ExpiresAt time.Time `json:"expires_at" doc:"when the session ends"`
	}
}

// PortalSession is the open session, as the portal page reads it.
type PortalSession struct {
	TenantID   string    `json:"tenant_id"`
	TenantName string    `json:"tenant_name"`
	ExpiresAt  time.Time `json:"expires_at"`
	CSRFToken  string    `json:"csrf_token" doc:"send as X-CSRF-Token on every write"`
}

type portalSessionOutput struct {
	Body PortalSession
}

type portalLogoutOutput struct {
	SetCookie http.Cookie `header:"Set-Cookie"`
}

type portalSessionKey struct{}

func (s *Server) registerPortal() {
	register(s, scopeAdminTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "create-portal-session", Method: http.MethodPost, Path: "/portal-sessions",
		Summary: "Create a tenant-portal link", Tags: []string{tagPortal}, DefaultStatus: http.StatusCreated,
		Description: "Returns a single-use link to the tenant portal, the web page where the tenant manages its " +
			"endpoints and deliveries. Opening the link swaps it for an HttpOnly, SameSite=Strict cookie scoped to " +
			"this tenant and `manage_webhooks`. The link must be opened within 15 minutes (or the TTL, if shorter); " +
			"the session ends at `expires_at`. Set HOOKLINE_PUBLIC_URL so the link names the public host.",
	}, func(ctx context.Context, in *portalSessionCreateInput) (*portalSessionCreateOutput, error) {
		var ttl time.Duration // 0: the service's default
		if in.Body != nil {
			ttl = time.Duration(in.Body.TTLSeconds) * time.Second
		}
		link, err := s.Portal.Create(ctx, callerFrom(ctx), ttl)
		if err != nil {
			return nil, err
		}
		base := s.PublicURL
		if base == "" {
			base = in.base
		}
		out := &portalSessionCreateOutput{}
		out.Body.URL = base + "/portal/login?t=" + link.Token
		out.Body.ExpiresAt = link.ExpiresAt
		return out, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "get-portal-session", Method: http.MethodGet, Path: portalAPIPrefix + "/session", Hidden: true,
		Middlewares: huma.Middlewares{s.portalAuth()}, Errors: []int{http.StatusUnauthorized},
	}, func(ctx context.Context, _ *struct{}) (*portalSessionOutput, error) {
		sess := ctx.Value(portalSessionKey{}).(portal.Session)
		return &portalSessionOutput{Body: PortalSession{
			TenantID: sess.TenantID.String(), TenantName: sess.TenantName, ExpiresAt: sess.ExpiresAt, CSRFToken: sess.CSRF,
		}}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "delete-portal-session", Method: http.MethodDelete, Path: portalAPIPrefix + "/session", Hidden: true,
		Middlewares: huma.Middlewares{s.portalAuth()}, DefaultStatus: http.StatusNoContent,
		Errors: []int{http.StatusUnauthorized, http.StatusForbidden},
	}, func(ctx context.Context, _ *struct{}) (*portalLogoutOutput, error) {
		sess := ctx.Value(portalSessionKey{}).(portal.Session)
		if err := s.Portal.Logout(ctx, sess, requestID(ctx)); err != nil {
			return nil, s.problem(ctx, err)
		}
		c := s.portalCookie("", time.Unix(0, 0))
		c.MaxAge = -1
		return &portalLogoutOutput{SetCookie: c}, nil
	})
}

// registerPortalMirror adds op (a tenant operation) under /portal/api, with
// cookie authentication; it is not part of the public API document.
func registerPortalMirror[I, O any](s *Server, op huma.Operation, handler func(context.Context, *I) (*O, error)) {
	op.OperationID = "portal-" + op.OperationID
	op.Path = portalAPIPrefix + op.Path
	op.Hidden = true
	op.Security = nil
	op.Middlewares = huma.Middlewares{s.portalAuth(), s.admitManage()}
	huma.Register(s.api, op, handler)
}

// portalAuth resolves the tenant from the session cookie: 401 without a live
// session, 403 for a write without the session's CSRF token.
func (s *Server) portalAuth() func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		// Portal answers hold secrets (a new endpoint's) and are per user.
		ctx.SetHeader("Cache-Control", "no-store")
		var token string
		if c, err := huma.ReadCookie(ctx, portal.CookieName); err == nil {
			token = c.Value
		}
		sess, err := s.Portal.Authenticate(ctx.Context(), token)
		switch {
		case errors.Is(err, portal.ErrNoSession):
			_ = huma.WriteErr(s.api, ctx, http.StatusUnauthorized, "no portal session: open a new portal link")
			return
		case err != nil:
			s.writeProblem(ctx, s.problem(ctx.Context(), err))
			return
		}
		switch ctx.Method() {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			if !sess.CheckCSRF(ctx.Header("X-CSRF-Token")) {
				s.deny(ctx, http.StatusForbidden, "missing or wrong X-CSRF-Token header")
				return
			}
		}
		setLogTenant(ctx.Context(), sess.TenantID)
		p := principal{TenantID: sess.TenantID, Actor: sess.Actor()}
		next(huma.WithValue(huma.WithValue(ctx, principalKey{}, p), portalSessionKey{}, sess))
	}
}

// portalCookie is the session cookie: script cannot read it, other sites'
// requests do not carry it, and it is sent only to the portal's paths.
func (s *Server) portalCookie(value string, expires time.Time) http.Cookie {
	return http.Cookie{
		Name: portal.CookieName, Value: value, Path: "/portal", Expires: expires,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secureCookies(),
	}
}
