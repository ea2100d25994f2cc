package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/catalog"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/requestid"
)

// WriteTx validates ev and writes it with q (a transaction). It returns the
// deliveries to start once the transaction commits.
func (p *Publisher) WriteTx(ctx context.Context, q *dbq.Queries, tenantID uuid.UUID, ev Event) (Result, []delivery.Ref, error) {
	if err := Validate(&ev); err != nil {
		return Result{}, nil, err
	}
	t, err := catalog.Publishable(ctx, q, ev.Type)
	if err != nil {
		return Result{}, nil, err
	}
	sch, err := p.Schemas.For(t)
	if err != nil {
		return Result{}, nil, err
	}
	if sch != nil {
		if err := catalog.Validate(sch, ev.Payload, "body.payload"); err != nil {
			return Result{}, nil, err
		}
	}
	return write(ctx, q, tenantID, ev, fanOut{filters: &p.Filters})
}

// fanOut narrows who receives an event.
type fanOut struct {
	operational bool       // only endpoints naming the type ("*" does not match)
	about       *uuid.UUID // never this endpoint (the one an operational event is about)
	filters     *Filters   // compiled endpoint filters (nil: compile each)
}

// write stores a validated event and its deliveries.
func write(ctx context.Context, q *dbq.Queries, tenantID uuid.UUID, ev Event, to fanOut) (Result, []delivery.Ref, error) {
	occurred := time.Now()
	if ev.OccurredAt != nil {
		occurred = *ev.OccurredAt
	}
	_, err := q.InsertEvent(ctx, dbq.InsertEventParams{
		TenantID: tenantID, ID: ev.ID, Type: ev.Type, Payload: ev.Payload, OccurredAt: occurred, Channels: ev.Channels,
		OrderingKey: ev.OrderingKey,
	})
	if db.IsNotFound(err) {
		return duplicate(ctx, q, tenantID, ev.ID)
	}
	if err != nil {
		return Result{}, nil, err
	}
	rows, err := q.FanOutDeliveries(ctx, dbq.FanOutDeliveriesParams{
		EventID: ev.ID, EventType: ev.Type, TenantID: tenantID, Operational: to.operational, About: to.about,
		Channels: nonNil(ev.Channels),
	})
	if err != nil {
		return Result{}, nil, err
	}
	ds, filtered, err := route(ctx, q, tenantID, ev, to, rows)
	if err != nil {
		return Result{}, nil, err
	}
	// Hookline's own operational events are no producer's sequence: they
	// never wait behind (or hold) a key.
	if !to.operational {
		if err := AssignOrdering(ctx, q, ds); err != nil {
			return Result{}, nil, err
		}
	}
	return Result{ID: ev.ID, Type: ev.Type, Deliveries: len(ds), Filtered: filtered}, ds, nil
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
	filtered, err := q.CountFilteredRoutes(ctx, dbq.CountFilteredRoutesParams{TenantID: tenantID, EventID: id})
	if err != nil {
		return Result{}, nil, err
	}
	return Result{ID: orig.ID, Type: orig.Type, Deliveries: int(n), Filtered: int(filtered), Duplicate: true}, ds, nil
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
	if err := ValidChannels("body.channels", ev.Channels, MaxEventChannels); err != nil {
		return err
	}
	if err := validOrderingKey(ev.OrderingKey); err != nil {
		return err
	}
	if len(ev.Payload) > MaxPayloadBytes {
		return &apperr.Error{Kind: apperr.KindTooLarge, Field: "body.payload", Msg: PayloadTooLarge}
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

// Channel limits: an event names at most MaxEventChannels, an endpoint
// MaxEndpointChannels, each up to MaxChannelLen of [A-Za-z0-9._:+-].
const (
	MaxEventChannels    = 5
	MaxEndpointChannels = 10
	MaxChannelLen       = 128
)

// ValidChannels checks channel names for field (at most max of them).
func ValidChannels(field string, chans []string, max int) error {
	if len(chans) > max {
		return apperr.Invalid(field, nil, "at most %d channels", max)
	}
	for i, c := range chans {
		if c == "" || len(c) > MaxChannelLen || strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:+-") != "" {
			return apperr.Invalid(field+"["+strconv.Itoa(i)+"]", strings.ToValidUTF8(c, "\uFFFD"),
				"a channel is 1–%d characters of A–Z, a–z, 0–9 and . _ : + -", MaxChannelLen)
		}
	}
	return nil
}

// nonNil is s, or an empty slice: pgx sends nil as NULL, not an array.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
