package deliverylog

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/endpoint"
)

// MaxRecoverWindow bounds a recovery's window.
const MaxRecoverWindow = 90 * 24 * time.Hour

// Recovery is a bulk replay: every failed or dead-lettered delivery of an
// endpoint created in [Since, Until), run as workflow recover/<ID>.
type Recovery struct {
	ID         uuid.UUID
	TenantID   uuid.UUID
	EndpointID uuid.UUID
	Since      time.Time
	Until      time.Time
	Deliveries int // counted when it was requested
}

// Recover replays the endpoint's failed and dead-lettered deliveries created
// in [since, until) (until: now, and never later than now) as new
// deliveries, in batches, as a workflow. One audit row carries the count.
func (s *Service) Recover(ctx context.Context, c audit.Caller, endpointID uuid.UUID, since time.Time, until *time.Time) (Recovery, error) {
	now := s.now().UTC()
	r := Recovery{TenantID: c.TenantID, EndpointID: endpointID, Since: since.UTC(), Until: now}
	if until != nil && until.Before(now) {
		r.Until = until.UTC()
	}
	switch {
	case !r.Since.Before(r.Until):
		return r, apperr.Invalid("body.since", since, "since must be before until (and before now)")
	case r.Until.Sub(r.Since) > MaxRecoverWindow:
		return r, apperr.Invalid("body.until", r.Until, "the window may span at most 90 days")
	}
	var err error
	if r.ID, err = uuid.NewV7(); err != nil {
		return r, err
	}
	err = db.Tx(ctx, s.Pool, func(q *dbq.Queries) error {
		if _, err := endpoint.Load(ctx, q, c.TenantID, endpointID); err != nil {
			return err
		}
		n, err := q.CountRecoverable(ctx, dbq.CountRecoverableParams{TenantID: c.TenantID, EndpointID: endpointID, Since: r.Since, Until: r.Until})
		if err != nil {
			return err
		}
		r.Deliveries = int(n)
		return c.Record(ctx, q, "webhook_endpoint.recovered", "webhook_endpoint", endpointID.String(), map[string]any{
			"recovery_id": r.ID, "since": r.Since, "until": r.Until, "deliveries": r.Deliveries,
		})
	})
	if err != nil {
		return r, err
	}
	if err := s.Workflows.Recover(ctx, r); err != nil {
		return r, apperr.Unavailable("the recovery could not be started; try again")
	}
	return r, nil
}
