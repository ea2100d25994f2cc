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
	"github.com/hookline/hookline/internal/stats"
)

// attempt is one made attempt, to settle.
type attempt struct {
	n       int
	res     AttemptResult
	out     delivery.Outcome
	started time.Time
	dur     time.Duration
}

// settle records the attempt (releasing its lease), applies its outcome to
// the endpoint's health and breaker, switches off an endpoint failing for
// too long, and wakes deliveries waiting for the capacity it freed.
func (a *Activities) settle(ctx context.Context, q *dbq.Queries, d dbq.GetAttemptContextRow, at attempt) error {
	var next *time.Time
	if at.res.Status == delivery.InFlight {
		t := a.now().Add(at.res.NextDelay)
		next = &t
	}
	rec, err := q.RecordAttempt(ctx, dbq.RecordAttemptParams{
		Status: at.res.Status, AttemptCount: int32(at.n), LastStatusCode: nonZero(int32(at.out.Code)),
		LastError: nonEmpty(at.out.Reason), NextAttemptAt: next, ID: d.ID, StartedAt: at.started,
		DurationMs: int32(at.dur.Milliseconds()), ResponseBody: nonEmpty(at.out.Body), RequestHeaders: at.out.Headers,
		LatencyBucket: int32(stats.Bucket(at.dur)),
	})
	if db.IsNotFound(err) {
		// Recorded by an earlier try of this activity, which may have died
		// before telling the next of its key.
		if at.res.Status.Terminal() {
			a.proceed(ctx, q, d.ID, d.OrderingSeq != nil)
		}
		return nil
	}
	if err != nil {
		return err
	}
	wake := 1
	if reopened, err := a.endpointOutcome(ctx, q, d, at.out); err != nil {
		return err
	} else if reopened {
		wake = int(*d.MaxInFlight) // the breaker closed: the endpoint takes a full share again
	}
	if rec {
		a.wakeWaiters(ctx, q, d, wake)
	}
	if at.res.Status.Terminal() {
		a.proceed(ctx, q, d.ID, d.OrderingSeq != nil)
	}
	// Last: if it fails, the retried activity finds the attempt recorded
	// and emits again (AttemptDelivery), with the endpoint's health and the
	// waiters already seen to.
	if at.res.Status == delivery.DeadLetter {
		return a.deadLettered(ctx, d.ID, d.TenantID, d.EndpointID, d.EventType, at.n, nonZero(int32(at.out.Code)))
	}
	return nil
}

// endpointOutcome applies an attempt's outcome to the endpoint's health and
// breaker. It reports whether the attempt closed an open or half-open
// breaker. A healthy endpoint answering 2xx needs no write.
func (a *Activities) endpointOutcome(ctx context.Context, q *dbq.Queries, d dbq.GetAttemptContextRow, out delivery.Outcome) (closed bool, err error) {
	wasFailing := *d.ConsecutiveFailures > 0 || d.FailingSince != nil || d.BreakerOpenUntil != nil
	if out.OK() && !wasFailing {
		return false, nil
	}
	h, err := q.RecordEndpointOutcome(ctx, dbq.RecordEndpointOutcomeParams{
		ID: d.EndpointID, Success: out.OK(), BreakerFailure: out.BreakerFailure(), Threshold: int32(a.Flow.BreakerThreshold),
		MinCooldown: int32(a.Flow.BreakerCooldown / time.Second), MaxCooldown: int32(a.Flow.BreakerMaxCooldown / time.Second),
	})
	if db.IsNotFound(err) {
		return false, nil // deleted meanwhile
	}
	if err != nil {
		return false, fmt.Errorf("record endpoint health: %w", err)
	}
	wasOpen := *d.ConsecutiveFailures >= int32(a.Flow.BreakerThreshold)
	switch {
	case out.OK() && wasOpen:
		a.breakerChanged(ctx, d, false, nil)
		return true, nil
	case h.BreakerOpenUntil != nil && (d.BreakerOpenUntil == nil || h.BreakerOpenUntil.After(*d.BreakerOpenUntil)):
		a.breakerChanged(ctx, d, true, h.BreakerOpenUntil)
	}
	if h.IsActive && h.FailingSince != nil && a.now().Sub(*h.FailingSince) > a.Flow.DisableAfter && a.Endpoints != nil {
		if _, err := a.autoDisable(ctx, d.TenantID, d.EndpointID); err != nil {
			return false, err
		}
	}
	return false, nil
}

func (a *Activities) breakerChanged(ctx context.Context, d dbq.GetAttemptContextRow, opened bool, until *time.Time) {
	if opened {
		a.logger().WarnContext(ctx, "circuit breaker opened: no attempts to the endpoint until the cool-down ends",
			"endpoint_id", d.EndpointID, "tenant_id", d.TenantID, "until", until)
	} else {
		a.logger().InfoContext(ctx, "circuit breaker closed", "endpoint_id", d.EndpointID, "tenant_id", d.TenantID)
	}
	if a.Metrics != nil {
		a.Metrics.ObserveBreaker(opened)
	}
}

// autoDisable switches off an endpoint failing without a success for longer
// than Flow.DisableAfter (after an attempt, or found by the reconcile sweep).
func (a *Activities) autoDisable(ctx context.Context, tenantID, endpointID uuid.UUID) (bool, error) {
	disabled, err := a.Endpoints.DisableFailing(ctx, tenantID, endpointID, a.now().Add(-a.Flow.DisableAfter))
	if err != nil {
		return false, fmt.Errorf("auto-disable endpoint: %w", err)
	}
	if disabled {
		a.logger().WarnContext(ctx, "endpoint disabled: failing without a success", "endpoint_id", endpointID,
			"tenant_id", tenantID, "after", a.Flow.DisableAfter)
		if a.Metrics != nil {
			a.Metrics.ObserveAutoDisabled()
		}
	}
	return disabled, nil
}

// wakeWaiters wakes up to n deliveries of the tenant waiting for capacity
// (the endpoint's own first), best effort: a waiter that misses it wakes at
// its timer.
func (a *Activities) wakeWaiters(ctx context.Context, q *dbq.Queries, d dbq.GetAttemptContextRow, n int) {
	ids, err := q.WakeWaiters(ctx, dbq.WakeWaitersParams{TenantID: d.TenantID, EndpointID: d.EndpointID, MaxWoken: int32(n)})
	if err != nil || len(ids) == 0 || a.Workflows == nil {
		return
	}
	a.Workflows.Resume(ctx, ids)
}

func nonZero(v int32) *int32 {
	if v == 0 {
		return nil
	}
	return &v
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// deadLettered emits delivery.dead_lettered (idempotent on the delivery id:
// a retried activity emits it again harmlessly).
func (a *Activities) deadLettered(ctx context.Context, id, tenantID, endpointID uuid.UUID, eventType string, attempts int, lastCode *int32) error {
	d := publish.DeadLetteredData{DeliveryID: id, EndpointID: endpointID, EventType: eventType, Attempts: attempts}
	if lastCode != nil {
		c := int(*lastCode)
		d.LastStatusCode = &c
	}
	if err := a.Publisher.EmitDeadLettered(ctx, tenantID, d); err != nil {
		return fmt.Errorf("emit delivery.dead_lettered: %w", err)
	}
	return nil
}
