package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
)

// challengeLease outlives a challenge (its 30 s race and the workflow's
// margin): only a dead worker's lease expires while it is in use.
const challengeLease = 40 * time.Second

// challengeTurn waits until the flow gate lets endpoint's challenge go (its
// endpoint's max_in_flight and its tenant's share, as for attempts) and
// returns the release of its lease. While it waits the workflow's 30 s
// timer runs on: a challenge that never gets a turn ends as a timeout.
func (a *Activities) challengeTurn(ctx context.Context, tenantID, endpointID uuid.UUID) (func(), error) {
	q := db.Q(a.Pool)
	for {
		wait, err := q.ChallengeGate(ctx, dbq.ChallengeGateParams{TenantID: tenantID, EndpointID: endpointID,
			LeaseMs: int32(challengeLease / time.Millisecond), TenantCap: int32(a.Flow.TenantMaxInFlight)})
		if err != nil {
			return nil, fmt.Errorf("challenge gate: %w", err)
		}
		if wait == 0 {
			break
		}
		if a.Metrics != nil {
			a.Metrics.ObserveGated("queued")
		}
		select { // a lease ends when its attempt is recorded: ask again soon
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(time.Duration(wait)*time.Millisecond, 500*time.Millisecond)):
		}
	}
	return func() {
		ctx := context.WithoutCancel(ctx)
		if q.ReleaseChallenge(ctx, endpointID) != nil {
			return // the lease expires on its own
		}
		// Attempts it held back (best effort, as after an attempt).
		if ids, err := q.WakeWaiters(ctx, dbq.WakeWaitersParams{TenantID: tenantID, EndpointID: endpointID, MaxWoken: 1}); err == nil && len(ids) > 0 && a.Workflows != nil {
			a.Workflows.Resume(ctx, ids)
		}
	}, nil
}
