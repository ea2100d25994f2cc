package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/publish"
)

// reconcileBatch bounds how many stale deliveries one reconcile run restarts.
const reconcileBatch = 1000

// ReconcilePending starts workflows for deliveries still pending after
// ReconcileAfter: their publisher committed but crashed before starting them.
// Starting a running workflow again is a no-op.
func (a *Activities) ReconcilePending(ctx context.Context) (int, error) {
	rows, err := dbq.New(a.Pool).ListStalePendingDeliveries(ctx, dbq.ListStalePendingDeliveriesParams{
		OlderThan: a.now().Add(-a.ReconcileAfter), RowLimit: reconcileBatch,
	})
	if err != nil {
		return 0, fmt.Errorf("list pending deliveries: %w", err)
	}
	ds := make([]publish.Delivery, len(rows))
	for i, r := range rows {
		ds[i] = publish.Delivery{ID: r.ID, TenantID: r.TenantID, EndpointID: r.EndpointID, EventType: r.EventType}
	}
	if len(ds) > 0 {
		if err := a.Publisher.Starter.Start(ctx, ds); err != nil {
			return 0, err
		}
	}
	return len(ds), nil
}

// RetentionResult counts what a retention run deleted.
type RetentionResult struct {
	Deliveries      int64     `json:"deliveries"`
	Events          int64     `json:"events"`
	IdempotencyKeys int64     `json:"idempotency_keys"`
	Cutoff          time.Time `json:"cutoff"`
}

const (
	retentionBatch      = 1000
	retentionMaxBatches = 500 // per table per run; the next run continues
)

// ApplyRetention deletes finished deliveries (with their attempts) older than
// RetentionDays, then events no delivery refers to, then expired idempotency
// keys — in bounded batches so no statement holds locks for long.
func (a *Activities) ApplyRetention(ctx context.Context) (RetentionResult, error) {
	now := a.now()
	res := RetentionResult{Cutoff: now.Add(-time.Duration(a.RetentionDays) * 24 * time.Hour)}
	q := dbq.New(a.Pool)
	steps := []struct {
		name  string
		count *int64
		run   func() (int64, error)
	}{
		{"deliveries", &res.Deliveries, func() (int64, error) {
			return q.DeleteOldDeliveries(ctx, dbq.DeleteOldDeliveriesParams{Cutoff: res.Cutoff, BatchSize: retentionBatch})
		}},
		{"events", &res.Events, func() (int64, error) {
			return q.DeleteOrphanEvents(ctx, dbq.DeleteOrphanEventsParams{Cutoff: res.Cutoff, BatchSize: retentionBatch})
		}},
		{"idempotency keys", &res.IdempotencyKeys, func() (int64, error) {
			return q.DeleteExpiredIdempotencyKeys(ctx, dbq.DeleteExpiredIdempotencyKeysParams{Cutoff: now, BatchSize: retentionBatch})
		}},
	}
	for _, s := range steps {
		for i := 0; i < retentionMaxBatches; i++ {
			n, err := s.run()
			if err != nil {
				return res, fmt.Errorf("retention: delete %s: %w", s.name, err)
			}
			*s.count += n
			if activity.IsActivity(ctx) {
				activity.RecordHeartbeat(ctx, res)
			}
			if n < retentionBatch {
				break
			}
		}
	}
	return res, nil
}
