package deliverylog

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/endpoint"
)

// maxBlockedKeys bounds list-blocked-keys.
const maxBlockedKeys = 1000

// BlockedKey is an ordered key whose failed head holds it back.
type BlockedKey struct {
	OrderingKey  string
	DeliveryID   uuid.UUID
	BlockedSince time.Time
	Waiting      int
}

// BlockedKeys lists the endpoint's blocked keys, longest blocked first.
func (s *Service) BlockedKeys(ctx context.Context, c audit.Caller, endpointID uuid.UUID) ([]BlockedKey, error) {
	q := db.Q(s.Pool)
	if _, err := endpoint.Load(ctx, q, c.TenantID, endpointID); err != nil {
		return nil, err
	}
	rows, err := q.ListBlockedKeys(ctx, dbq.ListBlockedKeysParams{TenantID: c.TenantID, EndpointID: endpointID, RowLimit: maxBlockedKeys})
	if err != nil {
		return nil, err
	}
	keys := make([]BlockedKey, len(rows))
	for i, r := range rows {
		keys[i] = BlockedKey{OrderingKey: r.OrderingKey, DeliveryID: r.DeliveryID, BlockedSince: r.BlockedSince, Waiting: int(r.Waiting)}
	}
	return keys, nil
}

// Unblocked says what unblock-key did: the head it released and, for a
// retry, the delivery that takes its place.
type Unblocked struct {
	Head  uuid.UUID
	Retry *uuid.UUID
}

// Unblock releases a blocked key: skip lets its next delivery go; retry
// replays the head in its place on a fresh schedule. One audit row.
func (s *Service) Unblock(ctx context.Context, c audit.Caller, endpointID uuid.UUID, key string, action delivery.UnblockAction) (Unblocked, error) {
	if action != delivery.SkipHead && action != delivery.RetryHead {
		return Unblocked{}, apperr.Invalid("body.action", string(action), `action is "skip" or "retry"`)
	}
	var res Unblocked
	var start []delivery.Ref
	var next *delivery.Ref
	err := db.Tx(ctx, s.Pool, func(q *dbq.Queries) error {
		if _, err := endpoint.LoadForUpdate(ctx, q, c.TenantID, endpointID); err != nil {
			return err
		}
		head, err := blockedHead(ctx, q, c.TenantID, endpointID, key)
		if err != nil {
			return err
		}
		if _, err := q.ReleaseOrderHead(ctx, dbq.ReleaseOrderHeadParams{ID: head, TenantID: c.TenantID, EndpointID: endpointID}); err != nil {
			return err
		}
		res.Head = head
		details := map[string]any{"ordering_key": key, "action": action, "delivery_id": head}
		switch action {
		case delivery.RetryHead:
			id, err := uuid.NewV7()
			if err != nil {
				return err
			}
			nd, err := q.InsertHeadRetry(ctx, dbq.InsertHeadRetryParams{NewID: id, HeadID: head})
			if err != nil {
				return err
			}
			res.Retry, details["retry_delivery_id"] = &nd.ID, nd.ID
			start = append(start, Ref(nd))
		default: // skip
			n, err := q.NextInKey(ctx, head)
			if err != nil && !db.IsNotFound(err) {
				return err
			}
			if err == nil {
				next = &delivery.Ref{ID: n.ID, TenantID: n.TenantID, EndpointID: n.EndpointID, EventType: n.EventType}
			}
		}
		return c.Record(ctx, q, "ordering_key.unblocked", "webhook_endpoint", endpointID.String(), details)
	})
	if err != nil {
		return Unblocked{}, err
	}
	s.Publisher.StartAfterCommit(ctx, start)
	if next != nil {
		s.Workflows.Proceed(ctx, *next)
	}
	return res, nil
}

// blockedHead finds the key's blocked head; a key that is not blocked
// (unknown, moving, or its head still being attempted) is a 409.
func blockedHead(ctx context.Context, q *dbq.Queries, tenantID, endpointID uuid.UUID, key string) (uuid.UUID, error) {
	h, err := q.GetBlockedHead(ctx, dbq.GetBlockedHeadParams{TenantID: tenantID, EndpointID: endpointID, OrderingKey: key})
	if db.IsNotFound(err) {
		return uuid.Nil, apperr.Conflict("ordering key %q is not blocked", key)
	}
	return h, err
}
