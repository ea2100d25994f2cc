package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/authn"
	"github.com/hookline/hookline/internal/tenancy"
)

const (
	schemeAPIKey = "apiKey"
	schemeAdmin  = "adminJWT"

	adminTenantPrefix = "/admin/v1/tenants/{tenant_id}"
)

// principal is the resolved caller of a request.
type principal struct {
	TenantID uuid.UUID // zero on admin routes without a tenant
	Actor    audit.Actor
	// Claims of an admin token (nil for API keys): which tenants it covers.
	Claims *authn.AdminClaims
}

type principalKey struct{}

func principalFrom(ctx context.Context) principal {
	p, _ := ctx.Value(principalKey{}).(principal)
	return p
}

// requireAllTenants refuses (403) an admin token scoped to some tenants for
// an action on what all tenants share: doing names the action.
func requireAllTenants(ctx context.Context, doing string) error {
	if !principalFrom(ctx).Claims.AllTenants() {
		return apperr.Forbidden(doing + " needs an admin token for all tenants (\"*\")")
	}
	return nil
}

// callerFrom is the request's caller as the services take it.
func callerFrom(ctx context.Context) audit.Caller {
	p := principalFrom(ctx)
	return audit.Caller{TenantID: p.TenantID, Actor: p.Actor, RequestID: requestID(ctx)}
}

// globalCaller is the caller of a change to what every tenant shares: its
// audit rows name no tenant (list-global-audit-log shows them).
func globalCaller(ctx context.Context) audit.Caller {
	return audit.Global(principalFrom(ctx).Actor, requestID(ctx))
}

// scope says which paths an operation is registered on.
type scope int

const (
	// scopeTenant: /v1 + path with an API key, and the admin mirror; with
	// manage_webhooks also /portal/api + path for the portal's cookie.
	scopeTenant scope = iota
	// scopeAdminTenant: only /admin/v1/tenants/{tenant_id} + path, admin JWT.
	scopeAdminTenant
	// scopeAdmin: only the given path, admin JWT, no tenant.
	scopeAdmin
)

var tenantParam = &huma.Param{
	Name: "tenant_id", In: "path", Required: true,
	Description: "Tenant the admin token acts on; the token's `tenants` claim must cover it.",
	Schema:      &huma.Schema{Type: "string", Format: "uuid"},
	Example:     "0192f0c4-6a2b-7cde-8f01-23456789abcd",
}

// register adds op on the paths its scope names, behind the matching auth
// middleware, with errors mapped to problem details in one place.
func register[I, O any](s *Server, sc scope, perm string, op huma.Operation, h func(context.Context, *I) (*O, error)) {
	handler := func(ctx context.Context, in *I) (*O, error) {
		out, err := h(ctx, in)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		return out, nil
	}
	baseErrors := op.Errors
	if sc == scopeTenant && perm == authn.PermManageWebhooks {
		baseErrors = append(slices.Clone(baseErrors), http.StatusTooManyRequests) // admitManage
	}
	withErrors := func(o *huma.Operation, extra ...int) {
		// 400: malformed JSON or a query string that is not UTF-8, on any operation.
		errs := append(slices.Clone(baseErrors), http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden)
		o.Errors = append(errs, extra...)
		o.Responses = maps.Clone(op.Responses) // Huma adds to the map: one per registration
	}
	if sc == scopeTenant {
		v1 := op
		v1.Path = "/v1" + op.Path
		v1.Security = []map[string][]string{{schemeAPIKey: {}}}
		v1.Middlewares = huma.Middlewares{s.apiKeyAuth(perm)}
		if perm == authn.PermManageWebhooks {
			v1.Middlewares = append(v1.Middlewares, s.admitManage())
		}
		withErrors(&v1)
		huma.Register(s.api, v1, handler)
		if perm == authn.PermManageWebhooks {
			pop := op
			withErrors(&pop, http.StatusNotFound, http.StatusUnprocessableEntity)
			registerPortalMirror(s, pop, handler)
		}
	}
	adm := op
	adm.Security = []map[string][]string{{schemeAdmin: {}}}
	if sc == scopeAdmin {
		adm.Middlewares = huma.Middlewares{s.adminAuth(perm, false)}
		withErrors(&adm)
	} else {
		if sc == scopeTenant {
			adm.OperationID = "admin-" + op.OperationID
		}
		adm.Path = adminTenantPrefix + op.Path
		adm.Parameters = append([]*huma.Param{tenantParam}, op.Parameters...)
		adm.Middlewares = huma.Middlewares{s.adminAuth(perm, true)}
		if sc == scopeTenant && perm == authn.PermManageWebhooks {
			adm.Middlewares = append(adm.Middlewares, s.admitManage())
		}
		withErrors(&adm, http.StatusNotFound, http.StatusUnprocessableEntity)
	}
	huma.Register(s.api, adm, handler)
}

func bearer(ctx huma.Context) (string, bool) {
	h := ctx.Header("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

// apiKeyAuth resolves the tenant from an API key: 401 for a missing, unknown,
// malformed or revoked key; 403 without the permission.
func (s *Server) apiKeyAuth(perm string) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		tok, ok := bearer(ctx)
		if !ok {
			s.deny(ctx, http.StatusUnauthorized, "missing bearer credentials")
			return
		}
		key, err := tenancy.Authenticate(ctx.Context(), s.Pool, tok)
		switch {
		case errors.Is(err, tenancy.ErrInvalidKey):
			s.auditKeyRefused(ctx.Context(), err)
			s.deny(ctx, http.StatusUnauthorized, "invalid API key")
			return
		case err != nil:
			s.writeProblem(ctx, s.problem(ctx.Context(), err))
			return
		}
		if !slices.Contains(key.Permissions, perm) {
			s.deny(ctx, http.StatusForbidden, "API key lacks the "+perm+" permission")
			return
		}
		p := principal{TenantID: key.TenantID, Actor: audit.Actor{Kind: audit.ActorAPIKey, ID: key.ID.String()}}
		setLogTenant(ctx.Context(), key.TenantID)
		next(huma.WithValue(ctx, principalKey{}, p))
	}
}

// adminAuth verifies an admin JWT; with tenantScoped it also resolves the path
// tenant, which the token's tenants claim must cover and which must exist
// (404 either way).
func (s *Server) adminAuth(perm string, tenantScoped bool) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		tok, ok := bearer(ctx)
		if !ok {
			s.deny(ctx, http.StatusUnauthorized, "missing bearer credentials")
			return
		}
		if s.JWT == nil {
			s.deny(ctx, http.StatusUnauthorized, "admin tokens are not configured")
			return
		}
		claims, err := s.JWT.Verify(tok)
		if err != nil {
			s.auditAdminRefused(ctx.Context(), tenancy.AdminTokenRefused{Reason: "invalid"}, tok)
			s.deny(ctx, http.StatusUnauthorized, "invalid admin token")
			return
		}
		if claims.ID != "" {
			revoked, err := tenancy.TokenRevoked(ctx.Context(), s.Pool, claims.ID)
			if err != nil {
				s.writeProblem(ctx, s.problem(ctx.Context(), err))
				return
			}
			if revoked {
				s.auditAdminRefused(ctx.Context(), tenancy.AdminTokenRefused{Reason: "revoked", Sub: claims.Subject, JTI: claims.ID}, tok)
				s.deny(ctx, http.StatusUnauthorized, "admin token revoked")
				return
			}
		}
		p := principal{Actor: audit.Actor{Kind: audit.ActorAdmin, ID: claims.Subject}, Claims: claims}
		if tenantScoped {
			raw := ctx.Param("tenant_id")
			id, err := uuid.Parse(raw)
			if err != nil {
				_ = huma.WriteErr(s.api, ctx, http.StatusUnprocessableEntity, "validation failed",
					&huma.ErrorDetail{Location: "path.tenant_id", Message: "expected a UUID", Value: raw})
				return
			}
			// A tenant the token does not cover is as absent as one that
			// does not exist: the answer must not tell them apart.
			if !claims.CoversTenant(id) {
				s.deny(ctx, http.StatusNotFound, "tenant not found")
				return
			}
		}
		if !claims.Has(perm) {
			s.deny(ctx, http.StatusForbidden, "admin token lacks the "+perm+" permission")
			return
		}
		if tenantScoped {
			id := uuid.MustParse(ctx.Param("tenant_id"))
			if err := tenancy.Exists(ctx.Context(), s.Pool, id); err != nil {
				s.writeProblem(ctx, s.problem(ctx.Context(), err))
				return
			}
			p.TenantID = id
			setLogTenant(ctx.Context(), id)
		}
		next(huma.WithValue(ctx, principalKey{}, p))
	}
}

func (s *Server) deny(ctx huma.Context, status int, msg string) {
	if status == http.StatusUnauthorized {
		ctx.SetHeader("WWW-Authenticate", `Bearer realm="hookline"`)
	}
	_ = huma.WriteErr(s.api, ctx, status, msg)
}

// auditAdminRefused writes a refused admin JWT to the global audit log, at
// most once a minute per reason (a flood of forged tokens writes a row a
// minute, whatever their contents).
func (s *Server) auditAdminRefused(ctx context.Context, e tenancy.AdminTokenRefused, tok string) {
	if !s.authFailures.Allow("admin-token:" + e.Reason).Allowed {
		return
	}
	sum := sha256.Sum256([]byte(tok))
	e.Fingerprint = hex.EncodeToString(sum[:8])
	if err := tenancy.RecordAdminTokenRefused(ctx, s.Pool, e, requestID(ctx)); err != nil {
		s.Logger.WarnContext(ctx, "auditing a refused admin token failed", "reason", e.Reason, "err", err)
	}
}

// auditKeyRefused records, at most once a minute per key, that an existing
// key was tried with a wrong secret or after its revocation: the tenant
// sees it in its audit log (a flood of failures writes one row a minute).
func (s *Server) auditKeyRefused(ctx context.Context, err error) {
	var kr *tenancy.KeyRefused
	if !errors.As(err, &kr) || !s.authFailures.Allow(kr.KeyID.String()).Allowed {
		return
	}
	if err := tenancy.RecordKeyRefused(ctx, s.Pool, kr, requestID(ctx)); err != nil {
		s.Logger.WarnContext(ctx, "auditing a refused API key failed", "key_id", kr.KeyID, "err", err)
	}
}
