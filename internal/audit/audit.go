// Package audit writes the audit log: one row per mutating call, written with
// the caller's query handle so it commits (or not) with the change itself.
package audit

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/hookline/hookline/db/dbq"
)

// Actor kinds stored in audit rows.
const (
	ActorAPIKey = "api_key"
	ActorAdmin  = "admin"
	ActorSystem = "system"
)

// Actor is who made a change: an API key (id), an admin (JWT sub) or the system.
type Actor struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
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
		ID: id, TenantID: e.TenantID, ActorKind: e.Actor.Kind, ActorID: e.Actor.ID,
		Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID,
		Details: details, RequestID: e.RequestID,
	})
}

// Change is one field's before and after, for update diffs.
type Change struct {
	From any `json:"from"`
	To   any `json:"to"`
}
