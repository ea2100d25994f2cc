package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/hookline/hookline/activities"
	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/authn"
	"github.com/hookline/hookline/internal/cursor"
	"github.com/hookline/hookline/internal/publish"
)

// Delivery is one (event, endpoint) pair and where its workflow stands.
type Delivery struct {
	ID             uuid.UUID  `json:"id" doc:"delivery id; also the webhook-id header receivers see"`
	EndpointID     uuid.UUID  `json:"endpoint_id"`
	EventID        string     `json:"event_id"`
	EventType      string     `json:"event_type" example:"comment.created"`
	Status         string     `json:"status" enum:"pending,in_flight,succeeded,failed,dead_letter"`
	AttemptCount   int        `json:"attempt_count"`
	LastStatusCode *int       `json:"last_status_code"`
	LastError      *string    `json:"last_error"`
	NextAttemptAt  *time.Time `json:"next_attempt_at"`
	ReplayOf       *uuid.UUID `json:"replay_of" nullable:"true" doc:"the delivery this one replays"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	CompletedAt    *time.Time `json:"completed_at"`
}

// Attempt is one HTTP request of a delivery.
type Attempt struct {
	Number       int       `json:"number"`
	StartedAt    time.Time `json:"started_at"`
	DurationMs   int       `json:"duration_ms"`
	StatusCode   *int      `json:"status_code"`
	Error        *string   `json:"error"`
	ResponseBody *string   `json:"response_body" doc:"first 4 KiB of the response"`
}

// DeliveryDetail is a delivery with its payload and attempts.
type DeliveryDetail struct {
	Delivery
	Payload  json.RawMessage `json:"payload" doc:"the event payload as published"`
	Attempts []Attempt       `json:"attempts"`
}

func toDelivery(d dbq.Delivery) Delivery {
	return Delivery{
		ID: d.ID, EndpointID: d.EndpointID, EventID: d.EventID, EventType: d.EventType, Status: d.Status,
		AttemptCount: int(d.AttemptCount), LastStatusCode: intPtr(d.LastStatusCode), LastError: d.LastError,
		NextAttemptAt: d.NextAttemptAt, ReplayOf: d.ReplayOf, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
		CompletedAt: d.CompletedAt,
	}
}

func intPtr(v *int32) *int {
	if v == nil {
		return nil
	}
	i := int(*v)
	return &i
}

type deliveryListInput struct {
	EndpointPath
	PageQuery
	Status    string    `query:"status" enum:"pending,in_flight,succeeded,failed,dead_letter" doc:"only deliveries in this status"`
	EventType string    `query:"event_type" maxLength:"255" doc:"only deliveries of this event type"`
	After     time.Time `query:"after" doc:"only deliveries created after this instant (RFC 3339)"`
	Before    time.Time `query:"before" doc:"only deliveries created before this instant (RFC 3339)"`
}

type deliveryListOutput struct {
	Body struct {
		Data       []Delivery `json:"data"`
		NextCursor *string    `json:"next_cursor" doc:"pass as cursor for the next (older) page; null on the last page"`
	}
}

type DeliveryPath struct {
	EndpointPath
	DeliveryID uuid.UUID `path:"delivery_id"`
}

type deliveryDetailOutput struct {
	Body DeliveryDetail
}

type deliveryAcceptedOutput struct {
	Status int
	Body   Delivery
}

type purgeOutput struct {
	Body struct {
		Deleted int `json:"deleted" doc:"deliveries removed"`
	}
}

func (s *Server) registerDeliveries() {
	register(s, scopeTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "list-webhook-deliveries", Method: http.MethodGet, Path: "/webhooks/{endpoint_id}/deliveries",
		Summary: "List deliveries", Tags: []string{tagDeliveries},
		Description: "The endpoint's delivery log, newest first, filtered by `status`, `event_type` and a " +
			"created_at window (`after`, `before`). Keyset-paginated: follow `next_cursor` until it is null; " +
			"every page costs the same however deep.",
		Errors: []int{http.StatusBadRequest, http.StatusNotFound},
	}, s.listDeliveries)

	register(s, scopeTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "get-webhook-delivery", Method: http.MethodGet, Path: "/webhooks/{endpoint_id}/deliveries/{delivery_id}",
		Summary: "Get a delivery", Tags: []string{tagDeliveries},
		Description: "One delivery with its payload and every attempt (status code, error, duration, the first 4 KiB of the response).",
		Errors:      []int{http.StatusNotFound},
	}, s.getDelivery)

	register(s, scopeTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "replay-webhook-delivery", Method: http.MethodPost, Path: "/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay",
		Summary: "Replay a delivery", Tags: []string{tagDeliveries}, DefaultStatus: http.StatusAccepted,
		Description: "Sends a `failed` or `dead_letter` delivery again as a new delivery (`replay_of` = the old id, " +
			"a new webhook-id) with its own workflow. Replaying a pending, in-flight or succeeded delivery is 422.",
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, s.replayDelivery)

	register(s, scopeTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "purge-webhook-deliveries", Method: http.MethodDelete, Path: "/webhooks/{endpoint_id}/deliveries",
		Summary: "Purge deliveries", Tags: []string{tagDeliveries},
		Description: "Deletes every delivery (and attempt) of the endpoint and cancels the workflows still running.",
		Errors:      []int{http.StatusNotFound},
	}, s.purgeDeliveries)

	register(s, scopeTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "test-webhook-endpoint", Method: http.MethodPost, Path: "/webhooks/{endpoint_id}/test",
		Summary: "Send a test event", Tags: []string{tagEndpoints}, DefaultStatus: http.StatusAccepted,
		Description: "Delivers a `webhook.test` event to this endpoint only, through the normal delivery path " +
			"(signing, retries, log) — also when the endpoint is inactive. Returns the delivery.",
		Errors: []int{http.StatusNotFound},
	}, s.testEndpoint)
}

func (s *Server) listDeliveries(ctx context.Context, in *deliveryListInput) (*deliveryListOutput, error) {
	p := principalFrom(ctx)
	cur, err := cursor.Parse(in.Cursor)
	if err != nil {
		return nil, err
	}
	q := dbq.New(s.Pool)
	if _, err := s.loadEndpoint(ctx, q, in.EndpointID); err != nil {
		return nil, err
	}
	params := dbq.ListDeliveriesParams{TenantID: p.TenantID, EndpointID: in.EndpointID, RowLimit: int32(in.Limit) + 1}
	if in.Status != "" {
		params.Status = &in.Status
	}
	if in.EventType != "" {
		params.EventType = &in.EventType
	}
	if !in.After.IsZero() {
		params.After = &in.After
	}
	if !in.Before.IsZero() {
		params.Before = &in.Before
	}
	if cur != nil {
		params.CursorCreatedAt, params.CursorID = &cur.CreatedAt, &cur.ID
	}
	rows, err := q.ListDeliveries(ctx, params)
	if err != nil {
		return nil, err
	}
	out := &deliveryListOutput{}
	rows, out.Body.NextCursor = cursor.Page(rows, in.Limit, func(d dbq.Delivery) cursor.Cursor { return cursor.Cursor{CreatedAt: d.CreatedAt, ID: d.ID} })
	out.Body.Data = make([]Delivery, len(rows))
	for i, d := range rows {
		out.Body.Data[i] = toDelivery(d)
	}
	return out, nil
}

func (s *Server) loadDelivery(ctx context.Context, q *dbq.Queries, in *DeliveryPath) (dbq.Delivery, error) {
	d, err := q.GetDelivery(ctx, dbq.GetDeliveryParams{TenantID: principalFrom(ctx).TenantID, EndpointID: in.EndpointID, ID: in.DeliveryID})
	if db.IsNoRows(err) {
		return d, apperr.NotFound("delivery")
	}
	return d, err
}

func (s *Server) getDelivery(ctx context.Context, in *DeliveryPath) (*deliveryDetailOutput, error) {
	q := dbq.New(s.Pool)
	d, err := s.loadDelivery(ctx, q, in)
	if err != nil {
		return nil, err
	}
	ev, err := q.GetEvent(ctx, dbq.GetEventParams{TenantID: d.TenantID, ID: d.EventID})
	if err != nil {
		return nil, err
	}
	attempts, err := q.ListAttempts(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	out := &deliveryDetailOutput{Body: DeliveryDetail{Delivery: toDelivery(d), Payload: ev.Payload, Attempts: make([]Attempt, len(attempts))}}
	for i, a := range attempts {
		out.Body.Attempts[i] = Attempt{
			Number: int(a.Number), StartedAt: a.StartedAt, DurationMs: int(a.DurationMs),
			StatusCode: intPtr(a.StatusCode), Error: a.Error, ResponseBody: a.ResponseBody,
		}
	}
	return out, nil
}

func (s *Server) replayDelivery(ctx context.Context, in *DeliveryPath) (*deliveryAcceptedOutput, error) {
	var nd dbq.Delivery
	err := db.Tx(ctx, s.Pool, func(q *dbq.Queries) error {
		old, err := s.loadDelivery(ctx, q, in)
		if err != nil {
			return err
		}
		if old.Status != activities.StatusFailed && old.Status != activities.StatusDeadLetter {
			return apperr.State("only failed or dead_letter deliveries can be replayed; this one is %s", old.Status)
		}
		if nd, err = s.insertDelivery(ctx, q, old.EndpointID, old.EventID, old.EventType, &old.ID); err != nil {
			return err
		}
		return s.audit(ctx, q, "delivery.replayed", "delivery", old.ID.String(), map[string]any{"new_delivery_id": nd.ID})
	})
	if err != nil {
		return nil, err
	}
	s.publisher.StartAfterCommit(ctx, []publish.Delivery{ref(nd)})
	return &deliveryAcceptedOutput{Status: http.StatusAccepted, Body: toDelivery(nd)}, nil
}

func (s *Server) insertDelivery(ctx context.Context, q *dbq.Queries, endpointID uuid.UUID, eventID, eventType string, replayOf *uuid.UUID) (dbq.Delivery, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return dbq.Delivery{}, err
	}
	return q.InsertDelivery(ctx, dbq.InsertDeliveryParams{
		ID: id, TenantID: principalFrom(ctx).TenantID, EndpointID: endpointID, EventID: eventID, EventType: eventType, ReplayOf: replayOf,
	})
}

func ref(d dbq.Delivery) publish.Delivery {
	return publish.Delivery{ID: d.ID, TenantID: d.TenantID, EndpointID: d.EndpointID, EventType: d.EventType}
}

func (s *Server) purgeDeliveries(ctx context.Context, in *EndpointPath) (*purgeOutput, error) {
	p := principalFrom(ctx)
	var deleted []dbq.DeleteEndpointDeliveriesRow
	err := db.Tx(ctx, s.Pool, func(q *dbq.Queries) error {
		if _, err := q.GetEndpointForUpdate(ctx, dbq.GetEndpointForUpdateParams{TenantID: p.TenantID, ID: in.EndpointID}); err != nil {
			if db.IsNoRows(err) {
				return apperr.NotFound("webhook endpoint")
			}
			return err
		}
		var err error
		if deleted, err = q.DeleteEndpointDeliveries(ctx, dbq.DeleteEndpointDeliveriesParams{TenantID: p.TenantID, EndpointID: in.EndpointID}); err != nil {
			return err
		}
		return s.audit(ctx, q, "webhook_deliveries.purged", "webhook_endpoint", in.EndpointID.String(), map[string]any{"deleted": len(deleted)})
	})
	if err != nil {
		return nil, err
	}
	var open []uuid.UUID
	for _, d := range deleted {
		if !activities.Terminal(d.Status) {
			open = append(open, d.ID)
		}
	}
	s.Dispatcher.Cancel(ctx, open)
	out := &purgeOutput{}
	out.Body.Deleted = len(deleted)
	return out, nil
}

func (s *Server) testEndpoint(ctx context.Context, in *EndpointPath) (*deliveryAcceptedOutput, error) {
	p := principalFrom(ctx)
	var nd dbq.Delivery
	err := db.Tx(ctx, s.Pool, func(q *dbq.Queries) error {
		ep, err := s.loadEndpoint(ctx, q, in.EndpointID)
		if err != nil {
			return err
		}
		evID := "test_" + strings.ReplaceAll(uuid.NewString(), "-", "")
		payload, _ := json.Marshal(map[string]any{
			"endpoint_id": ep.ID, "message": "This is a test event from Hookline.", "sent_at": s.now().UTC(),
		})
		if _, err := q.InsertEvent(ctx, dbq.InsertEventParams{
			TenantID: p.TenantID, ID: evID, Type: publish.TestEventType, Payload: payload, OccurredAt: s.now(),
		}); err != nil {
			return err
		}
		nd, err = s.insertDelivery(ctx, q, ep.ID, evID, publish.TestEventType, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.publisher.StartAfterCommit(ctx, []publish.Delivery{ref(nd)})
	return &deliveryAcceptedOutput{Status: http.StatusAccepted, Body: toDelivery(nd)}, nil
}
