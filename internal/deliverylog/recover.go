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
		if err := s.oneAtATime(ctx, q, c.TenantID, endpointID, r.ID); err != nil {
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

// oneAtATime refuses a recovery while the endpoint's previous one runs
// (each would replay the same dead letters), and records this one. The
// row's lock serialises concurrent requests for one endpoint.
func (s *Service) oneAtATime(ctx context.Context, q *dbq.Queries, tenantID, endpointID, id uuid.UUID) error {
	last, err := q.LastRecoveryForUpdate(ctx, dbq.LastRecoveryForUpdateParams{TenantID: tenantID, EndpointID: endpointID})
	switch {
	case db.IsNotFound(err):
	case err != nil:
		return err
	default:
		running, err := s.Workflows.RecoveryRunning(ctx, last)
		if err != nil {
			return apperr.Unavailable("could not check the endpoint's previous recovery; try again")
		}
		if running {
			return apperr.Conflict("recovery %s of this endpoint is still running; wait for it to finish", last)
		}
	}
	return q.SetLastRecovery(ctx, dbq.SetLastRecoveryParams{EndpointID: endpointID, TenantID: tenantID, RecoveryID: id})
}
