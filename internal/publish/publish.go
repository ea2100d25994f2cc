// Package publish turns an event into deliveries: one transaction writes the
// event (payload stored once) and one pending delivery per subscribed active
// endpoint; after commit a DeliveryWorkflow is started for each. The REST
// publish-event operation and the Temporal ingest workflow share it.
package publish

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/catalog"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/idempotency"
)

// MaxPayloadBytes bounds an event payload.
const MaxPayloadBytes = 256 << 10

// PayloadTooLarge is why an event over MaxPayloadBytes is refused.
const PayloadTooLarge = "payload exceeds 256 KiB"

// Event is what a producer publishes.
type Event struct {
	ID         string          `json:"id,omitempty"`
	Type       string          `json:"type"`
	Payload    json.RawMessage `json:"payload"`
	OccurredAt *time.Time      `json:"occurred_at,omitempty"`
	// Channels narrow who receives it: an endpoint with channels gets only
	// events sharing one of them.
	Channels []string `json:"channels,omitempty"`
	// OrderingKey: on ordered endpoints, events of one key are delivered
	// one at a time in publish order ("" is a key too).
	OrderingKey string `json:"ordering_key,omitempty"`
}

// Result reports a publish; Duplicate is set when the producer's id had been
// published before and nothing new was created.
type Result struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Deliveries int    `json:"deliveries"`
	// Filtered counts the subscribed endpoints its channels or their
	// filters kept it from.
	Filtered  int  `json:"filtered"`
	Duplicate bool `json:"-"`
}

// Publisher publishes events and starts the deliveries they create.
type Publisher struct {
	Pool    *pgxpool.Pool
	Starter delivery.Starter
	Idem    *idempotency.Store // for PublishOnce
	Logger  *slog.Logger
	// Faults counts starts that failed (nil: none); see StartAfterCommit.
	Faults interface{ ObserveRetrying(stage string) }
	// Schemas caches the compiled schemas payloads are validated against.
	Schemas catalog.Schemas
	// Filters caches the compiled endpoint filters events are matched against.
	Filters Filters
	// Tracer records the fan-out span of each publish (nil: none).
	Tracer trace.Tracer
	// Backlog caps each tenant's open deliveries for REST publishes (nil:
	// no cap).
	Backlog *Backlog
}

// span starts the fan-out span of a publish: the workflow starts become its
// children, so a publish is one trace down to every attempt.
func (p *Publisher) span(ctx context.Context, tenantID uuid.UUID, ev Event) (context.Context, trace.Span) {
	if p.Tracer == nil {
		return ctx, noop.Span{} // never the parent's: the caller ends it
	}
	// A constant name: the type is not validated yet (and is an attribute).
	return p.Tracer.Start(ctx, "publish", trace.WithAttributes(attribute.String("hookline.tenant_id", tenantID.String()),
		attribute.String("hookline.event_id", ev.ID), attribute.String("hookline.event_type", ev.Type)))
}

func endSpan(span trace.Span, res Result, err error) {
	span.SetAttributes(attribute.Int("hookline.deliveries", res.Deliveries), attribute.Int("hookline.filtered", res.Filtered))
	if err != nil {
		span.SetStatus(codes.Error, "publish failed")
	}
	span.End()
}

// Publish validates ev, writes it with its deliveries and starts them.
func (p *Publisher) Publish(ctx context.Context, tenantID uuid.UUID, ev Event) (res Result, err error) {
	ctx, span := p.span(ctx, tenantID, ev)
	defer func() { endSpan(span, res, err) }()
	var ds []delivery.Ref
	err = db.Tx(ctx, p.Pool, func(q *dbq.Queries) (err error) {
		res, ds, err = p.WriteTx(ctx, q, tenantID, ev)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	p.StartAfterCommit(ctx, ds)
	return res, nil
}

// PublishOnce publishes ev at most once per Idempotency-Key (none: once per
// event id anyway). The response is 202 with the Result, or 200 with the
// original Result when the event id was published before.
func (p *Publisher) PublishOnce(ctx context.Context, tenantID uuid.UUID, idemKey string, ev Event) (_ idempotency.Response, err error) {
	ctx, span := p.span(ctx, tenantID, ev)
	var written Result
	defer func() { endSpan(span, written, err) }()
	var started []delivery.Ref
	res, err := p.Idem.Do(ctx, tenantID, idemKey, "publish-event", ev, func(q *dbq.Queries) (int, any, error) {
		// Inside: a replay (same key, or an id published before) answers its
		// original result even while the tenant is at its cap.
		if err := p.Backlog.Admit(tenantID); err != nil && !published(ctx, q, tenantID, ev.ID) {
			return 0, nil, err
		}
		r, ds, err := p.WriteTx(ctx, q, tenantID, ev)
		if err != nil {
			return 0, nil, err
		}
		started, written = ds, r
		if r.Duplicate {
			return http.StatusOK, r, nil
		}
		return http.StatusAccepted, r, nil
	})
	if err != nil {
		return res, err
	}
	p.StartAfterCommit(ctx, started)
	return res, nil
}

// StartAfterCommit starts committed deliveries. A failure is not returned:
// the rows are durable and the reconcile schedule starts any pending
// delivery whose workflow did not start. While Temporal is unreachable it
// shows in a WARN line, the infrastructure-retries metric and each
// delivery's last_error.
func (p *Publisher) StartAfterCommit(ctx context.Context, ds []delivery.Ref) {
	if len(ds) == 0 {
		return
	}
	err := p.Starter.Start(ctx, ds)
	if err == nil {
		return
	}
	if p.Logger != nil {
		p.Logger.WarnContext(ctx, "starting delivery workflows failed; reconcile will retry", "deliveries", len(ds), "err", err)
	}
	if p.Faults != nil {
		p.Faults.ObserveRetrying("start workflow")
	}
	ids := make([]uuid.UUID, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	db.NoteRetrying(ctx, p.Pool, ids, "retrying: the delivery workflow could not be started (Temporal unavailable); reconcile starts it")
}

// published reports whether the producer's event id was published before.
func published(ctx context.Context, q *dbq.Queries, tenantID uuid.UUID, id string) bool {
	if id == "" {
		return false
	}
	_, err := q.GetEvent(ctx, dbq.GetEventParams{TenantID: tenantID, ID: id})
	return err == nil
}
