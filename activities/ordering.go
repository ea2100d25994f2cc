package activities

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/delivery"
)

// orderRecheck is how long a delivery waiting for its turn in an ordered
// key sleeps before asking again if no signal comes. The delivery before it
// signals (or starts) it when done, and a retried attempt signals again, so
// this is only the safety net.
const orderRecheck = 5 * time.Minute

// proceed tells the next delivery of an ordered key that its turn came,
// when delivery id (ordered: it has a place in a key; false saves the
// query) let the key move on. Best effort: a miss is healed by the
// waiter's recheck timer.
func (a *Activities) proceed(ctx context.Context, q *dbq.Queries, id uuid.UUID, ordered bool) {
	if !ordered || a.Workflows == nil {
		return
	}
	n, err := q.NextInKey(ctx, id)
	if err != nil {
		if !db.IsNotFound(err) {
			a.logger().WarnContext(ctx, "finding the next delivery of an ordered key failed; it asks again at its timer", "delivery_id", id, "err", err)
		}
		return
	}
	a.Workflows.Proceed(ctx, delivery.Ref{ID: n.ID, TenantID: n.TenantID, EndpointID: n.EndpointID, EventType: n.EventType})
}
