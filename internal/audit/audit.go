// Package audit writes the audit log: one row per mutating call, written with
// the caller's query handle so it commits (or not) with the change itself.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/cursor"
)

// Actor kinds stored in audit rows.
const (
	ActorAPIKey = "api_key"
	ActorAdmin  = "admin"
	ActorSystem = "system"
	ActorPortal = "portal" // a tenant-portal session (id: the session)
)

// Actor is who made a change: an API key (id), an admin (JWT sub), a portal
// session (id) or the system.
type Actor struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// Caller is who makes a tenant-scoped call: the tenant acted on, the actor
// and the request id. Every service method takes one; it scopes the queries
// and signs the audit rows.
type Caller struct {
	TenantID  uuid.UUID
	Actor     Actor
	RequestID string
}

// Record writes one audit row for c's change with q, so it commits with it.
func (c Caller) Record(ctx context.Context, q *dbq.Queries, action, targetType, targetID string, details any) error {
	return Write(ctx, q, Entry{
		TenantID: c.TenantID, Actor: c.Actor, Action: action, TargetType: targetType, TargetID: targetID,
		Details: details, RequestID: c.RequestID,
	})
}

// Global is the caller of a change to what every tenant shares (the
// event-type catalogue, admin-token revocations): its rows name no tenant.
func Global(actor Actor, requestID string) Caller { return Caller{Actor: actor, RequestID: requestID} }

// tenantOf is the row's tenant: none (NULL) for a Global caller.
func tenantOf(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

// System is the caller for changes Hookline makes on its own (auto-disable).
func System(tenantID uuid.UUID, component string) Caller {
	return Caller{TenantID: tenantID, Actor: Actor{Kind: ActorSystem, ID: component}}
}

// Entry is one audited change. Details must hold non-secret fields only.
type Entry struct {
	TenantID   uuid.UUID
	Actor      Actor
	Action     string
	TargetType string
	TargetID   string
	Details    any
	RequestID  string
}

// Write stores e using q (a transaction handle, so the row commits with the change).
func Write(ctx context.Context, q *dbq.Queries, e Entry) error {
	details := []byte("{}")
	if e.Details != nil {
		b, err := json.Marshal(e.Details)
		if err != nil {
			return fmt.Errorf("audit details: %w", err)
		}
		details = b
	}
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	return q.InsertAuditEntry(ctx, dbq.InsertAuditEntryParams{
		ID: id, TenantID: tenantOf(e.TenantID), ActorKind: e.Actor.Kind, ActorID: e.Actor.ID,
		Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID,
		Details: details, RequestID: e.RequestID,
	})
}

// Change is one field's before and after, for update diffs.
type Change struct {
	From any `json:"from"`
	To   any `json:"to"`
}

// List returns a keyset page of the tenant's audit log, newest first, and
// the cursor of the next page (nil on the last).
func List(ctx context.Context, q *dbq.Queries, tenantID uuid.UUID, limit int, after string) ([]dbq.AuditLog, *string, error) {
	cur, err := cursor.Parse(after)
	if err != nil {
		return nil, nil, err
	}
	var rows []dbq.AuditLog
	var at *time.Time
	var afterID *uuid.UUID
	if cur != nil {
		at, afterID = &cur.CreatedAt, &cur.ID
	}
	if tenantID == uuid.Nil { // the global log
		rows, err = q.ListGlobalAuditEntries(ctx, dbq.ListGlobalAuditEntriesParams{CursorCreatedAt: at, CursorID: afterID, RowLimit: int32(limit) + 1})
	} else {
		rows, err = q.ListAuditEntries(ctx, dbq.ListAuditEntriesParams{TenantID: &tenantID, CursorCreatedAt: at, CursorID: afterID, RowLimit: int32(limit) + 1})
	}
	if err != nil {
		return nil, nil, err
	}
	rows, next := cursor.Page(rows, limit, func(r dbq.AuditLog) cursor.Cursor { return cursor.Cursor{CreatedAt: r.CreatedAt, ID: r.ID} })
	return rows, next, nil
}
