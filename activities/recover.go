package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/publish"
)

// RecoverBatchInput is one batch of a recovery: the window, and the cursor
// (the last delivery replayed so far, by created_at and id).
type RecoverBatchInput struct {
	RecoveryID     uuid.UUID `json:"recovery_id"`
	TenantID       uuid.UUID `json:"tenant_id"`
	EndpointID     uuid.UUID `json:"endpoint_id"`
	Since          time.Time `json:"since"`
	Until          time.Time `json:"until"`
	AfterCreatedAt time.Time `json:"after_created_at"`
	AfterID        uuid.UUID `json:"after_id"`
	BatchSize      int       `json:"batch_size"`
}

// RecoverBatchResult says how far the batch got.
type RecoverBatchResult struct {
	Replayed       int       `json:"replayed"`
	AfterCreatedAt time.Time `json:"after_created_at"`
	AfterID        uuid.UUID `json:"after_id"`
	Done           bool      `json:"done"`
}

// RecoverBatch replays the next batch of the endpoint's failed and
// dead-lettered deliveries in the window as new deliveries (replay_of) and
// starts them. A retried batch replays nothing twice; replays whose start was
// lost are reconcile's.
func (a *Activities) RecoverBatch(ctx context.Context, in RecoverBatchInput) (RecoverBatchResult, error) {
	var res RecoverBatchResult
	var refs []delivery.Ref
	err := db.Tx(ctx, a.Pool, func(q *dbq.Queries) error {
		rows, err := q.ListRecoverable(ctx, dbq.ListRecoverableParams{
			TenantID: in.TenantID, EndpointID: in.EndpointID, Since: in.Since, Until: in.Until,
			AfterCreatedAt: in.AfterCreatedAt, AfterID: in.AfterID, BatchSize: int32(in.BatchSize),
		})
		if err != nil {
			return err
		}
		res.Done = len(rows) < in.BatchSize
		if len(rows) == 0 {
			return nil
		}
		last := rows[len(rows)-1]
		res.AfterCreatedAt, res.AfterID = last.CreatedAt, last.ID
		ids := make([]uuid.UUID, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		replays, err := q.InsertRecoveryReplays(ctx, dbq.InsertRecoveryReplaysParams{Ids: ids, RecoveryID: &in.RecoveryID})
		if err != nil {
			return err
		}
		for _, r := range replays {
			refs = append(refs, delivery.Ref{ID: r.ID, TenantID: r.TenantID, EndpointID: r.EndpointID, EventType: r.EventType})
		}
		// On an ordered endpoint the replays join the end of their keys.
		return publish.AssignOrdering(ctx, q, refs)
	})
	if err != nil {
		return res, fmt.Errorf("recover batch: %w", err)
	}
	a.Publisher.StartAfterCommit(ctx, refs)
	res.Replayed = len(refs)
	return res, nil
}
