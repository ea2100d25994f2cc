// Package deliverylog is the delivery-log service: list and read an
// endpoint's deliveries, replay one, purge them, send a test event. The REST
// handlers of both auth paths (and the portal) call it.
package deliverylog

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/catalog"
	"github.com/hookline/hookline/internal/cursor"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/endpoint"
	"github.com/hookline/hookline/internal/publish"
)

// Workflows runs the log's workflows (workflows.Dispatcher).
type Workflows interface {
	// Cancel ends running delivery workflows.
	Cancel(ctx context.Context, deliveryIDs []uuid.UUID)
	// Recover starts a recovery's workflow.
	Recover(ctx context.Context, r Recovery) error
	// RecoveryRunning reports whether recovery id's workflow still runs.
	RecoveryRunning(ctx context.Context, id uuid.UUID) (bool, error)
	// Proceed tells the next delivery of an ordered key that its turn
	// came (starting its workflow if it never started).
	Proceed(ctx context.Context, next delivery.Ref)
}

// Service reads and acts on the delivery log.
type Service struct {
	Pool      *pgxpool.Pool
	Publisher *publish.Publisher // starts new deliveries after commit
	Workflows Workflows
	// PurgeBatch is the deliveries one purge transaction deletes (0:
	// DefaultPurgeBatch).
	PurgeBatch int
	Now        func() time.Time // nil: time.Now
}

// Filter narrows a page of the log.
type Filter struct {
	Status    delivery.Status // empty: any
	EventType string
	After     time.Time // created after; zero: no bound
	Before    time.Time
	Limit     int
	Cursor    string // next_cursor of the previous page
}

// List returns a keyset page of the endpoint's deliveries, newest first, and
// the cursor of the next page (nil on the last).
func (s *Service) List(ctx context.Context, c audit.Caller, endpointID uuid.UUID, f Filter) ([]dbq.Delivery, *string, error) {
	cur, err := cursor.Parse(f.Cursor)
	if err != nil {
		return nil, nil, err
	}
	q := db.Q(s.Pool)
	if _, err := endpoint.Load(ctx, q, c.TenantID, endpointID); err != nil {
		return nil, nil, err
	}
	params := dbq.ListDeliveriesParams{TenantID: c.TenantID, EndpointID: endpointID, RowLimit: int32(f.Limit) + 1}
	if f.Status != "" {
		st := string(f.Status)
		params.Status = &st
	}
	if f.EventType != "" {
		params.EventType = &f.EventType
	}
	if !f.After.IsZero() {
		params.After = &f.After
	}
	if !f.Before.IsZero() {
		params.Before = &f.Before
	}
	if cur != nil {
		params.CursorCreatedAt, params.CursorID = &cur.CreatedAt, &cur.ID
	}
	rows, err := q.ListDeliveries(ctx, params)
	if err != nil {
		return nil, nil, err
	}
	rows, next := cursor.Page(rows, f.Limit, func(d dbq.Delivery) cursor.Cursor { return cursor.Cursor{CreatedAt: d.CreatedAt, ID: d.ID} })
	return rows, next, nil
}

// Detail is a delivery with its payload and attempts.
type Detail struct {
	Delivery dbq.Delivery
	Payload  json.RawMessage
	Attempts []dbq.DeliveryAttempt
}

// Get returns one delivery of the endpoint with its payload and attempts.
func (s *Service) Get(ctx context.Context, c audit.Caller, endpointID, id uuid.UUID) (Detail, error) {
	q := db.Q(s.Pool)
	d, err := load(ctx, q, c.TenantID, endpointID, id)
	if err != nil {
		return Detail{}, err
	}
	ev, err := q.GetEvent(ctx, dbq.GetEventParams{TenantID: d.TenantID, ID: d.EventID})
	if err != nil {
		return Detail{}, err
	}
	attempts, err := q.ListAttempts(ctx, d.ID)
	if err != nil {
		return Detail{}, err
	}
	return Detail{Delivery: d, Payload: ev.Payload, Attempts: attempts}, nil
}

// load is the one loader of a delivery: another endpoint's or tenant's is
// not found.
func load(ctx context.Context, q *dbq.Queries, tenantID, endpointID, id uuid.UUID) (dbq.Delivery, error) {
	d, err := q.GetDelivery(ctx, dbq.GetDeliveryParams{TenantID: tenantID, EndpointID: endpointID, ID: id})
	if db.IsNotFound(err) {
		return d, apperr.NotFound("delivery")
	}
	return d, err
}

// Replay sends a failed or dead-lettered delivery again as a new delivery
// (replay_of = the old id) with its own workflow.
func (s *Service) Replay(ctx context.Context, c audit.Caller, endpointID, id uuid.UUID) (dbq.Delivery, error) {
	var nd dbq.Delivery
	err := db.Tx(ctx, s.Pool, func(q *dbq.Queries) error {
		old, err := load(ctx, q, c.TenantID, endpointID, id)
		if err != nil {
			return err
		}
		if !old.Status.Replayable() {
			return apperr.State("only failed or dead_letter deliveries can be replayed; this one is %s", old.Status)
		}
		if nd, err = insert(ctx, q, c.TenantID, old.EndpointID, old.EventID, old.EventType, &old.ID, old.Test); err != nil {
			return err
		}
		return c.Record(ctx, q, "delivery.replayed", "delivery", old.ID.String(), map[string]any{"new_delivery_id": nd.ID})
	})
	if err != nil {
		return dbq.Delivery{}, err
	}
	s.Publisher.StartAfterCommit(ctx, []delivery.Ref{Ref(nd)})
	return nd, nil
}

// Purge deletes every delivery (and attempt) of the endpoint and cancels the
// workflows still running. It returns how many it deleted.
func (s *Service) Purge(ctx context.Context, c audit.Caller, endpointID uuid.UUID) (int, error) {
	var before time.Time
	total := 0
	batch := s.PurgeBatch
	if batch <= 0 {
		batch = DefaultPurgeBatch
	}
	for first := true; ; first = false {
		var deleted []dbq.DeleteEndpointDeliveriesRow
		err := db.Tx(ctx, s.Pool, func(q *dbq.Queries) error {
			if first {
				var err error
				if before, err = s.startPurge(ctx, q, c, endpointID); err != nil {
					return err
				}
			}
			var err error
			deleted, err = q.DeleteEndpointDeliveries(ctx, dbq.DeleteEndpointDeliveriesParams{
				TenantID: c.TenantID, EndpointID: endpointID, Before: before, BatchSize: int32(batch),
			})
			return err
		})
		if err != nil {
			return total, err
		}
		total += len(deleted)
		var open []uuid.UUID
		for _, d := range deleted {
			if !d.Status.Terminal() {
				open = append(open, d.ID)
			}
		}
		s.Workflows.Cancel(ctx, open)
		if len(deleted) < batch {
			return total, nil
		}
	}
}

// DefaultPurgeBatch is how many deliveries one purge transaction deletes:
// millions of rows never sit in one transaction.
const DefaultPurgeBatch = 1000

// startPurge checks the endpoint, takes the purge's cut-off and records
// the purge (with how many deliveries it removes) in the first batch's
// transaction.
func (s *Service) startPurge(ctx context.Context, q *dbq.Queries, c audit.Caller, endpointID uuid.UUID) (time.Time, error) {
	if _, err := endpoint.LoadForUpdate(ctx, q, c.TenantID, endpointID); err != nil {
		return time.Time{}, err
	}
	p, err := q.StartPurge(ctx, dbq.StartPurgeParams{TenantID: c.TenantID, EndpointID: endpointID})
	if err != nil {
		return time.Time{}, err
	}
	return p.Before, c.Record(ctx, q, "webhook_deliveries.purged", "webhook_endpoint", endpointID.String(), map[string]any{"deleted": p.Deliveries, "before": p.Before})
}

// Test delivers a test event to this endpoint only, through the normal
// delivery path, also when the endpoint is inactive: a webhook.test event,
// or, given an event type, that type's example payload.
func (s *Service) Test(ctx context.Context, c audit.Caller, endpointID uuid.UUID, eventType string) (dbq.Delivery, error) {
	var nd dbq.Delivery
	err := db.Tx(ctx, s.Pool, func(q *dbq.Queries) error {
		ep, err := endpoint.Load(ctx, q, c.TenantID, endpointID)
		if err != nil {
			return err
		}
		typ, payload := catalog.TestEventType, []byte(nil)
		if eventType == "" {
			payload, _ = json.Marshal(map[string]any{
				"endpoint_id": ep.ID, "message": "This is a test event from Hookline.", "sent_at": s.now().UTC(),
			})
		} else if typ, payload, err = catalog.Example(ctx, q, "body.event_type", eventType); err != nil {
			return err
		}
		evID := "test_" + strings.ReplaceAll(uuid.NewString(), "-", "")
		if _, err := q.InsertEvent(ctx, dbq.InsertEventParams{
			TenantID: c.TenantID, ID: evID, Type: typ, Payload: payload, OccurredAt: s.now(),
		}); err != nil {
			return err
		}
		if nd, err = insert(ctx, q, c.TenantID, ep.ID, evID, typ, nil, true); err != nil {
			return err
		}
		// A test send posts to a URL on the tenant's behalf: audited.
		return c.Record(ctx, q, "webhook_endpoint.tested", "webhook_endpoint", ep.ID.String(), map[string]any{
			"delivery_id": nd.ID, "event_type": typ,
		})
	})
	if err != nil {
		return dbq.Delivery{}, err
	}
	s.Publisher.StartAfterCommit(ctx, []delivery.Ref{Ref(nd)})
	return nd, nil
}

func insert(ctx context.Context, q *dbq.Queries, tenantID, endpointID uuid.UUID, eventID, eventType string, replayOf *uuid.UUID, test bool) (dbq.Delivery, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return dbq.Delivery{}, err
	}
	d, err := q.InsertDelivery(ctx, dbq.InsertDeliveryParams{
		ID: id, TenantID: tenantID, EndpointID: endpointID, EventID: eventID, EventType: eventType, ReplayOf: replayOf, Test: test,
	})
	if err != nil {
		return d, err
	}
	// On an ordered endpoint a replay joins the end of its key.
	return d, publish.AssignOrdering(ctx, q, []delivery.Ref{Ref(d)})
}

// Ref is the workflow reference of a delivery row.
func Ref(d dbq.Delivery) delivery.Ref {
	return delivery.Ref{ID: d.ID, TenantID: d.TenantID, EndpointID: d.EndpointID, EventType: d.EventType}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
