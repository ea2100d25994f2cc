package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/authn"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/deliverylog"
)

// Delivery is one (event, endpoint) pair and where its workflow stands.
type Delivery struct {
	ID             uuid.UUID       `json:"id" doc:"delivery id; also the webhook-id header receivers see"`
	EndpointID     uuid.UUID       `json:"endpoint_id"`
	EventID        string          `json:"event_id"`
	EventType      string          `json:"event_type" example:"comment.created"`
	Status         delivery.Status `json:"status" enum:"pending,in_flight,succeeded,failed,dead_letter"`
	AttemptCount   int             `json:"attempt_count"`
	LastStatusCode *int            `json:"last_status_code"`
	LastError      *string         `json:"last_error"`
	NextAttemptAt  *time.Time      `json:"next_attempt_at"`
	ReplayOf       *uuid.UUID      `json:"replay_of" nullable:"true" doc:"the delivery this one replays"`
	OrderingKey    *string         `json:"ordering_key" nullable:"true" doc:"on an ordered endpoint: the key within which it is delivered in publish order; null otherwise"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
	CompletedAt    *time.Time      `json:"completed_at"`
}

// Attempt is one HTTP request of a delivery.
type Attempt struct {
	Number       int       `json:"number"`
	StartedAt    time.Time `json:"started_at"`
	DurationMs   int       `json:"duration_ms"`
	StatusCode   *int      `json:"status_code"`
	Error        *string   `json:"error"`
	ResponseBody *string   `json:"response_body" doc:"first 4 KiB of the response"`
	// Names only: the values may be credentials.
	RequestHeaders []string `json:"request_headers" doc:"names of the request headers sent (lower case; never their values)"`
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
		NextAttemptAt: d.NextAttemptAt, ReplayOf: d.ReplayOf, OrderingKey: d.OrderingKey, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
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
			"(signing, retries, log) — also when the endpoint is inactive. With `{\"event_type\"}` the delivery " +
			"carries that type's example payload instead (422 when it has none). Returns the delivery.",
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, s.testEndpoint)

	register(s, scopeTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "recover-webhook-endpoint", Method: http.MethodPost, Path: "/webhooks/{endpoint_id}/recover",
		Summary: "Recover failed deliveries", Tags: []string{tagDeliveries}, DefaultStatus: http.StatusAccepted,
		Description: "Replays every `failed` and `dead_letter` delivery of the endpoint created in [`since`, `until`) " +
			"(`until` defaults to now; the window spans at most 90 days) as new deliveries (`replay_of` = the old " +
			"id). Runs as workflow `recover/<id>` in batches; `deliveries` is how many it replays. One recovery " +
			"per endpoint at a time: while the previous one runs, another is 409.",
		Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
	}, s.recoverEndpoint)
}

func (s *Server) listDeliveries(ctx context.Context, in *deliveryListInput) (*deliveryListOutput, error) {
	rows, next, err := s.Deliveries.List(ctx, callerFrom(ctx), in.EndpointID, deliverylog.Filter{
		Status: delivery.Status(in.Status), EventType: in.EventType, After: in.After, Before: in.Before,
		Limit: in.Limit, Cursor: in.Cursor,
	})
	if err != nil {
		return nil, err
	}
	out := &deliveryListOutput{}
	out.Body.NextCursor = next
	out.Body.Data = make([]Delivery, len(rows))
	for i, d := range rows {
		out.Body.Data[i] = toDelivery(d)
	}
	return out, nil
}

func (s *Server) getDelivery(ctx context.Context, in *DeliveryPath) (*deliveryDetailOutput, error) {
	d, err := s.Deliveries.Get(ctx, callerFrom(ctx), in.EndpointID, in.DeliveryID)
	if err != nil {
		return nil, err
	}
	out := &deliveryDetailOutput{Body: DeliveryDetail{Delivery: toDelivery(d.Delivery), Payload: d.Payload, Attempts: make([]Attempt, len(d.Attempts))}}
	for i, a := range d.Attempts {
		out.Body.Attempts[i] = Attempt{
			Number: int(a.Number), StartedAt: a.StartedAt, DurationMs: int(a.DurationMs),
			StatusCode: intPtr(a.StatusCode), Error: a.Error, ResponseBody: a.ResponseBody, RequestHeaders: nonNilStrings(a.RequestHeaders),
		}
	}
	return out, nil
}

func (s *Server) replayDelivery(ctx context.Context, in *DeliveryPath) (*deliveryAcceptedOutput, error) {
	d, err := s.Deliveries.Replay(ctx, callerFrom(ctx), in.EndpointID, in.DeliveryID)
	if err != nil {
		return nil, err
	}
	return &deliveryAcceptedOutput{Status: http.StatusAccepted, Body: toDelivery(d)}, nil
}

func (s *Server) purgeDeliveries(ctx context.Context, in *EndpointPath) (*purgeOutput, error) {
	n, err := s.Deliveries.Purge(ctx, callerFrom(ctx), in.EndpointID)
	if err != nil {
		return nil, err
	}
	out := &purgeOutput{}
	out.Body.Deleted = n
	return out, nil
}

type testInput struct {
	EndpointPath
	Body *struct {
		EventType string `json:"event_type,omitempty" maxLength:"255" example:"comment.created" doc:"send this type's example payload instead of a webhook.test event"`
	} `required:"false"`
}

func (s *Server) testEndpoint(ctx context.Context, in *testInput) (*deliveryAcceptedOutput, error) {
	eventType := ""
	if in.Body != nil {
		eventType = in.Body.EventType
	}
	d, err := s.Deliveries.Test(ctx, callerFrom(ctx), in.EndpointID, eventType)
	if err != nil {
		return nil, err
	}
	return &deliveryAcceptedOutput{Status: http.StatusAccepted, Body: toDelivery(d)}, nil
}

type recoverInput struct {
	EndpointPath
	Body struct {
		Since time.Time  `json:"since" doc:"replay deliveries created at or after this instant (RFC 3339)"`
		Until *time.Time `json:"until,omitempty" doc:"...and before this one (default: now)"`
	}
}

type recoverOutput struct {
	Status int
	Body   struct {
		ID         uuid.UUID `json:"id" doc:"recovery id; its workflow is recover/<id>"`
		Deliveries int       `json:"deliveries" doc:"failed and dead-lettered deliveries in the window, replayed"`
	}
}

func (s *Server) recoverEndpoint(ctx context.Context, in *recoverInput) (*recoverOutput, error) {
	r, err := s.Deliveries.Recover(ctx, callerFrom(ctx), in.EndpointID, in.Body.Since, in.Body.Until)
	if err != nil {
		return nil, err
	}
	out := &recoverOutput{Status: http.StatusAccepted}
	out.Body.ID, out.Body.Deliveries = r.ID, r.Deliveries
	return out, nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
