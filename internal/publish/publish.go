// Package publish turns an event into deliveries: one transaction writes the
// event (payload stored once) and one pending delivery per subscribed active
// endpoint; after commit a DeliveryWorkflow is started for each. The REST
// publish-event operation and the Temporal ingest workflow share it.
package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/catalog"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/idempotency"
	"github.com/hookline/hookline/internal/requestid"
)

// MaxPayloadBytes bounds an event payload.
const MaxPayloadBytes = 256 << 10

// Event is what a producer publishes.
type Event struct {
	ID         string          `json:"id,omitempty"`
	Type       string          `json:"type"`
	Payload    json.RawMessage `json:"payload"`
	OccurredAt *time.Time      `json:"occurred_at,omitempty"`
}

// Result reports a publish; Duplicate is set when the producer's id had been
// published before and nothing new was created.
type Result struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Deliveries int    `json:"deliveries"`
	Duplicate  bool   `json:"-"`
}

// Publisher publishes events and starts the deliveries they create.
type Publisher struct {
	Pool    *pgxpool.Pool
	Starter delivery.Starter
	Idem    *idempotency.Store // for PublishOnce
	Logger  *slog.Logger
	// Faults counts starts that failed (nil: none); see StartAfterCommit.
	Faults interface{ ObserveRetrying(stage string) }
}

// Publish validates ev, writes it with its deliveries and starts them.
func (p *Publisher) Publish(ctx context.Context, tenantID uuid.UUID, ev Event) (Result, error) {
	var res Result
	var ds []delivery.Ref
	err := db.Tx(ctx, p.Pool, func(q *dbq.Queries) (err error) {
		res, ds, err = WriteTx(ctx, q, tenantID, ev)
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
func (p *Publisher) PublishOnce(ctx context.Context, tenantID uuid.UUID, idemKey string, ev Event) (idempotency.Response, error) {
	var started []delivery.Ref
	res, err := p.Idem.Do(ctx, tenantID, idemKey, "publish-event", ev, func(q *dbq.Queries) (int, any, error) {
		r, ds, err := WriteTx(ctx, q, tenantID, ev)
		if err != nil {
			return 0, nil, err
		}
		started = ds
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
	noteCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	_ = db.Q(p.Pool).NoteRetrying(noteCtx, dbq.NoteRetryingParams{
		Ids: ids, LastError: "retrying: the delivery workflow could not be started (Temporal unavailable); reconcile starts it",
	})
}

// WriteTx validates ev and writes it with q (a transaction). It returns the
// deliveries to start once the transaction commits.
func WriteTx(ctx context.Context, q *dbq.Queries, tenantID uuid.UUID, ev Event) (Result, []delivery.Ref, error) {
	if err := Validate(&ev); err != nil {
		return Result{}, nil, err
	}
	if _, err := catalog.Publishable(ctx, q, ev.Type); err != nil {
		return Result{}, nil, err
	}
	occurred := time.Now()
	if ev.OccurredAt != nil {
		occurred = *ev.OccurredAt
	}
	_, err := q.InsertEvent(ctx, dbq.InsertEventParams{
		TenantID: tenantID, ID: ev.ID, Type: ev.Type, Payload: ev.Payload, OccurredAt: occurred,
	})
	if db.IsNotFound(err) {
		return duplicate(ctx, q, tenantID, ev.ID)
	}
	if err != nil {
		return Result{}, nil, err
	}
	rows, err := q.FanOutDeliveries(ctx, dbq.FanOutDeliveriesParams{EventID: ev.ID, EventType: ev.Type, TenantID: tenantID})
	if err != nil {
		return Result{}, nil, err
	}
	ds := make([]delivery.Ref, len(rows))
	for i, r := range rows {
		ds[i] = delivery.Ref{ID: r.ID, TenantID: tenantID, EndpointID: r.EndpointID, EventType: ev.Type}
	}
	return Result{ID: ev.ID, Type: ev.Type, Deliveries: len(ds)}, ds, nil
}

// duplicate answers a re-publish of a known producer id with the original
// result. It also returns the original's deliveries still pending: a producer
// retries when the first response was lost, which may have been after the
// commit but before the workflows started, so starting them now (a no-op
// for those already running) heals that without waiting for reconcile.
func duplicate(ctx context.Context, q *dbq.Queries, tenantID uuid.UUID, id string) (Result, []delivery.Ref, error) {
	orig, err := q.GetEvent(ctx, dbq.GetEventParams{TenantID: tenantID, ID: id})
	if err != nil {
		return Result{}, nil, err
	}
	n, err := q.CountEventDeliveries(ctx, dbq.CountEventDeliveriesParams{TenantID: tenantID, EventID: id})
	if err != nil {
		return Result{}, nil, err
	}
	rows, err := q.ListPendingEventDeliveries(ctx, dbq.ListPendingEventDeliveriesParams{TenantID: tenantID, EventID: id})
	if err != nil {
		return Result{}, nil, err
	}
	ds := make([]delivery.Ref, len(rows))
	for i, r := range rows {
		ds[i] = delivery.Ref{ID: r.ID, TenantID: tenantID, EndpointID: r.EndpointID, EventType: orig.Type}
	}
	return Result{ID: orig.ID, Type: orig.Type, Deliveries: int(n), Duplicate: true}, ds, nil
}

// Validate checks an event and fills in a generated id when it has none.
func Validate(ev *Event) error {
	ev.ID = strings.TrimSpace(ev.ID)
	if ev.ID == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		ev.ID = "evt_" + strings.ReplaceAll(id.String(), "-", "")
	}
	if !requestid.Valid(ev.ID, 255) {
		return apperr.Invalid("body.id", ev.ID, "id must be 1–255 printable ASCII characters")
	}
	if ev.Type == "" {
		return apperr.Invalid("body.type", ev.Type, "type is required")
	}
	if !requestid.Valid(ev.Type, 255) {
		return apperr.Invalid("body.type", strings.ToValidUTF8(ev.Type, "\uFFFD"), "type must be 1–255 printable ASCII characters")
	}
	if len(ev.Payload) > MaxPayloadBytes {
		return &apperr.Error{Kind: apperr.KindTooLarge, Field: "body.payload", Msg: "payload exceeds 256 KiB"}
	}
	trimmed := bytes.TrimSpace(ev.Payload)
	if len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(trimmed) {
		return apperr.Invalid("body.payload", nil, "payload must be a JSON object")
	}
	// Go's JSON parser lets invalid UTF-8 through inside strings; Postgres
	// (and every receiver's parser) would not.
	if !utf8.Valid(trimmed) {
		return apperr.Invalid("body.payload", nil, "payload is not valid UTF-8")
	}
	ev.Payload = trimmed
	return nil
}
