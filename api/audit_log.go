package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/authn"
)

// AuditEntry is one audited change. Details never hold secrets.
type AuditEntry struct {
	ID         uuid.UUID       `json:"id"`
	ActorKind  string          `json:"actor_kind" enum:"api_key,admin,system,portal"`
	ActorID    string          `json:"actor_id" doc:"API key id, admin JWT sub, portal session id, or the system component"`
	Action     string          `json:"action" example:"webhook_endpoint.updated"`
	TargetType string          `json:"target_type" example:"webhook_endpoint"`
	TargetID   string          `json:"target_id"`
	Details    json.RawMessage `json:"details" doc:"non-secret fields of the change (for updates: from/to per field)"`
	RequestID  string          `json:"request_id"`
	CreatedAt  time.Time       `json:"created_at"`
}

type auditListOutput struct {
	Body struct {
		Data       []AuditEntry `json:"data"`
		NextCursor *string      `json:"next_cursor" doc:"pass as cursor for the next (older) page; null on the last page"`
	}
}

func (s *Server) registerAuditLog() {
	register(s, scopeAdminTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "list-audit-log", Method: http.MethodGet, Path: "/audit-log",
		Summary: "List the audit log", Tags: []string{tagTenants},
		Description: "The tenant's audit log, newest first, cursor-paginated. One row per create, update, delete, " +
			"rotate, replay, purge and verify, written in the same transaction as the change.",
		Errors: []int{http.StatusBadRequest},
	}, func(ctx context.Context, in *PageQuery) (*auditListOutput, error) {
		return s.auditPage(ctx, principalFrom(ctx).TenantID, in)
	})

	register(s, scopeAdmin, authn.PermManageTenants, huma.Operation{
		OperationID: "list-global-audit-log", Method: http.MethodGet, Path: "/admin/v1/audit-log",
		Summary: "List the global audit log", Tags: []string{tagTenants},
		Description: "Changes to what every tenant shares, newest first, cursor-paginated: event types put " +
			"(`event_type.put`) and admin tokens revoked (`admin_token.revoked`). Admin JWT with `manage_tenants` " +
			"covering every tenant only.",
		Errors: []int{http.StatusBadRequest},
	}, func(ctx context.Context, in *PageQuery) (*auditListOutput, error) {
		if err := requireAllTenants(ctx, "reading the global audit log"); err != nil {
			return nil, err
		}
		return s.auditPage(ctx, uuid.Nil, in)
	})
}

// auditPage is one page of a tenant's audit log, or of the global one
// (uuid.Nil).
func (s *Server) auditPage(ctx context.Context, tenantID uuid.UUID, in *PageQuery) (*auditListOutput, error) {
	rows, next, err := audit.List(ctx, db.Q(s.Pool), tenantID, in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	out := &auditListOutput{}
	out.Body.NextCursor = next
	out.Body.Data = make([]AuditEntry, len(rows))
	for i, r := range rows {
		out.Body.Data[i] = AuditEntry{
			ID: r.ID, ActorKind: r.ActorKind, ActorID: r.ActorID, Action: r.Action, TargetType: r.TargetType,
			TargetID: r.TargetID, Details: r.Details, RequestID: r.RequestID, CreatedAt: r.CreatedAt,
		}
	}
	return out, nil
}
