package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/hookline/hookline/internal/authn"
	"github.com/hookline/hookline/internal/portal"
)

// PortalSessionInfo is an issued portal session as an admin sees it: never
// its link or cookie.
type PortalSessionInfo struct {
	ID             uuid.UUID  `json:"id"`
	CreatedBy      string     `json:"created_by" doc:"the admin JWT subject that issued the link"`
	CreatedAt      time.Time  `json:"created_at"`
	LoginExpiresAt time.Time  `json:"login_expires_at" doc:"the link must be opened before this"`
	OpenedAt       *time.Time `json:"opened_at" doc:"when the link was swapped for a session cookie; null while unused"`
	ExpiresAt      time.Time  `json:"expires_at" doc:"when the session ends"`
	RevokedAt      *time.Time `json:"revoked_at" doc:"when it was revoked (or logged out); null while live"`
}

type portalSessionListOutput struct {
	Body struct {
		Data []PortalSessionInfo `json:"data"`
	}
}

type portalSessionPath struct {
	SessionID uuid.UUID `path:"session_id" doc:"portal session id"`
}

type portalSessionRevokeOutput struct {
	Body PortalSessionInfo
}

func (s *Server) registerPortalSessions() {
	register(s, scopeAdminTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "list-portal-sessions", Method: http.MethodGet, Path: "/portal-sessions",
		Summary: "List live tenant-portal sessions", Tags: []string{tagPortal},
		Description: "The tenant's portal sessions that are not over: a link not yet opened and still valid, or an " +
			"open session; newest first (at most 500). Never their link or cookie.",
	}, s.listPortalSessions)

	register(s, scopeAdminTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "revoke-portal-session", Method: http.MethodDelete, Path: "/portal-sessions/{session_id}",
		Summary: "Revoke a tenant-portal session", Tags: []string{tagPortal},
		Description: "Ends the session at once: its cookie stops working, and an unused link can no longer be opened. " +
			"Audited. Revoking a session already over changes nothing.",
		Errors: []int{http.StatusNotFound},
	}, s.revokePortalSession)
}

func toPortalSessionInfo(i portal.Issued) PortalSessionInfo { return PortalSessionInfo(i) }

func (s *Server) listPortalSessions(ctx context.Context, _ *struct{}) (*portalSessionListOutput, error) {
	list, err := s.Portal.List(ctx, callerFrom(ctx))
	if err != nil {
		return nil, err
	}
	out := &portalSessionListOutput{}
	out.Body.Data = make([]PortalSessionInfo, len(list))
	for i, p := range list {
		out.Body.Data[i] = toPortalSessionInfo(p)
	}
	return out, nil
}

func (s *Server) revokePortalSession(ctx context.Context, in *portalSessionPath) (*portalSessionRevokeOutput, error) {
	p, err := s.Portal.Revoke(ctx, callerFrom(ctx), in.SessionID)
	if err != nil {
		return nil, err
	}
	return &portalSessionRevokeOutput{Body: toPortalSessionInfo(p)}, nil
}
