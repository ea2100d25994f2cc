package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/delivery"
)

// reconcileBatch bounds how many overdue deliveries one reconcile run checks.
const reconcileBatch = 1000

// closedLookback is how far back reconcile asks visibility for delivery
// workflows that closed without a final status.
const closedLookback = 24 * time.Hour

// Workflows is what reconcile needs from Temporal (workflows.Dispatcher).
type Workflows interface {
	delivery.Starter
	RunState(ctx context.Context, deliveryID uuid.UUID) (delivery.RunState, error)
	ClosedOpen(ctx context.Context, since time.Time) ([]uuid.UUID, error)
	// Resume wakes deliveries waiting for capacity.
	Resume(ctx context.Context, deliveryIDs []uuid.UUID)
	// Proceed tells the next delivery of an ordered key that its turn came
	// (starting its workflow if it never started).
	Proceed(ctx context.Context, next delivery.Ref)
}

// ReconcileResult counts what a reconcile run did.
type ReconcileResult struct {
	Started  int `json:"started"`
	Settled  int `json:"settled"`
	Disabled int `json:"disabled,omitempty"`
	// TLSExpiring counts client certificates announced as expiring.
	TLSExpiring int `json:"tls_expiring,omitempty"`
}

// ReconcileDeliveries finds open deliveries whose workflow is not running
// and heals them: pending rows whose publisher crashed between commit and
// start, rows whose workflow failed or timed out, are started (again); rows
// whose workflow an operator terminated, or that ended without recording a
// final status, are settled as failed with the reason in last_error.
func (a *Activities) ReconcileDeliveries(ctx context.Context) (ReconcileResult, error) {
	candidates, err := a.reconcileCandidates(ctx)
	if err != nil {
		return ReconcileResult{}, err
	}
	var res ReconcileResult
	var start []delivery.Ref
	for _, d := range candidates {
		state, err := a.Workflows.RunState(ctx, d.ID)
		if err != nil {
			return res, fmt.Errorf("describe delivery workflow: %w", err)
		}
		reason := ""
		switch state {
		case delivery.RunMissing, delivery.RunFailed:
			start = append(start, d)
		case delivery.RunTerminated:
			reason = "delivery workflow was terminated in Temporal"
		case delivery.RunEnded:
			reason = "delivery workflow ended without recording a final status"
		}
		if reason == "" {
			continue
		}
		n, err := db.Q(a.Pool).SetDeliveryStatus(ctx, dbq.SetDeliveryStatusParams{Status: delivery.Failed, LastError: &reason, ID: d.ID})
		if err != nil {
			return res, fmt.Errorf("settle delivery: %w", err)
		}
		if n > 0 {
			a.proceed(ctx, db.Q(a.Pool), d.ID, true)
		}
		res.Settled += int(n)
	}
	if len(start) > 0 {
		if err := a.Workflows.Start(ctx, start); err != nil {
			return res, err
		}
	}
	res.Started = len(start)
	if res.Disabled, err = a.disableFailing(ctx); err != nil {
		return res, err
	}
	if a.Endpoints != nil {
		if res.TLSExpiring, err = a.Endpoints.AnnounceExpiringTLS(ctx); err != nil {
			return res, fmt.Errorf("announce expiring certificates: %w", err)
		}
	}
	return res, nil
}

// disableFailing switches off endpoints failing past Flow.DisableAfter that
// no attempt has checked (e.g. while their breaker stays open).
func (a *Activities) disableFailing(ctx context.Context) (int, error) {
	if a.Endpoints == nil {
		return 0, nil
	}
	cutoff := a.now().Add(-a.Flow.DisableAfter)
	eps, err := db.Q(a.Pool).ListFailingEndpoints(ctx, cutoff)
	if err != nil {
		return 0, fmt.Errorf("list failing endpoints: %w", err)
	}
	n := 0
	for _, e := range eps {
		ok, err := a.autoDisable(ctx, e.TenantID, e.ID)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// reconcileCandidates are the open deliveries that may lack a running
// workflow: overdue ones, and those whose workflow visibility shows closed.
func (a *Activities) reconcileCandidates(ctx context.Context) ([]delivery.Ref, error) {
	q := db.Q(a.Pool)
	overdue, err := q.ListOverdueDeliveries(ctx, dbq.ListOverdueDeliveriesParams{
		OlderThan: a.now().Add(-a.ReconcileAfter), RowLimit: reconcileBatch,
	})
	if err != nil {
		return nil, fmt.Errorf("list overdue deliveries: %w", err)
	}
	seen := map[uuid.UUID]bool{}
	var out []delivery.Ref
	add := func(id, tenantID, endpointID uuid.UUID, eventType string) {
		if !seen[id] {
			seen[id] = true
			out = append(out, delivery.Ref{ID: id, TenantID: tenantID, EndpointID: endpointID, EventType: eventType})
		}
	}
	for _, r := range overdue {
		add(r.ID, r.TenantID, r.EndpointID, r.EventType)
	}
	ids, err := a.Workflows.ClosedOpen(ctx, a.now().Add(-closedLookback))
	if err != nil {
		a.logger().WarnContext(ctx, "reconcile: visibility query failed; checking overdue rows only", "err", err)
		return out, nil
	}
	if len(ids) == 0 {
		return out, nil
	}
	closed, err := q.ListOpenDeliveriesByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load closed deliveries: %w", err)
	}
	for _, r := range closed {
		add(r.ID, r.TenantID, r.EndpointID, r.EventType)
	}
	return out, nil
}

// RetentionResult counts what a retention run deleted.
type RetentionResult struct {
	Deliveries      int64 `json:"deliveries"`
	Events          int64 `json:"events"`
	IdempotencyKeys int64 `json:"idempotency_keys"`
	PortalSessions  int64 `json:"portal_sessions"`
	MinuteStats     int64 `json:"minute_stats,omitempty"`
	RevokedTokens   int64 `json:"revoked_tokens,omitempty"`
	// VerificationRequests left unused (their caller joined another run).
	VerificationRequests int64     `json:"verification_requests,omitempty"`
	Cutoff               time.Time `json:"cutoff"`
}

const (
	retentionBatch      = 1000
	retentionMaxBatches = 500 // per table per run; the next run continues
)

// ApplyRetention deletes finished deliveries (with their attempts) older than
// Retention, then events no delivery refers to, then expired idempotency
// keys and portal sessions — in bounded batches so no statement holds locks for long.
func (a *Activities) ApplyRetention(ctx context.Context) (RetentionResult, error) {
	now := a.now()
	res := RetentionResult{Cutoff: now.Add(-a.Retention)}
	q := db.Q(a.Pool)
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
		{"portal sessions", &res.PortalSessions, func() (int64, error) {
			return q.DeleteExpiredPortalSessions(ctx, dbq.DeleteExpiredPortalSessionsParams{Cutoff: now, BatchSize: retentionBatch})
		}},
		{"revoked tokens", &res.RevokedTokens, func() (int64, error) {
			return q.DeleteExpiredRevocations(ctx, dbq.DeleteExpiredRevocationsParams{Cutoff: now, BatchSize: retentionBatch})
		}},
		{"verification requests", &res.VerificationRequests, func() (int64, error) {
			// Those a caller left when it joined a running verification.
			return q.DeleteStaleVerificationRequests(ctx, dbq.DeleteStaleVerificationRequestsParams{Cutoff: now.Add(-time.Hour), BatchSize: retentionBatch})
		}},
		{"minute stats", &res.MinuteStats, func() (int64, error) {
			return q.DeleteOldMinuteStats(ctx, dbq.DeleteOldMinuteStatsParams{Cutoff: res.Cutoff, BatchSize: retentionBatch})
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
