package api

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/hookline/hookline/internal/authn"
	"github.com/hookline/hookline/internal/publish"
)

// Payload is an event payload: any JSON object, kept byte for byte.
type Payload json.RawMessage

// MarshalJSON writes the payload as is.
func (p Payload) MarshalJSON() ([]byte, error) { return json.RawMessage(p).MarshalJSON() }

// UnmarshalJSON keeps the raw bytes.
func (p *Payload) UnmarshalJSON(b []byte) error {
	*p = append((*p)[:0], b...)
	return nil
}

// Schema documents the payload as an open JSON object.
func (Payload) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{
		Type: "object", AdditionalProperties: true,
		Description: "the event data, any JSON object up to 256 KiB; receivers get it byte for byte as `data`",
		Examples:    []any{map[string]any{"comment_id": "c_123", "body": "Nice!"}},
	}
}

type publishBody struct {
	ID          string     `json:"id,omitempty" maxLength:"255" example:"evt_2Zy8cRN1" doc:"your event id; publishing the same id again creates nothing new (generated when absent)"`
	Type        string     `json:"type" minLength:"1" maxLength:"255" example:"comment.created" doc:"an event type from the catalogue"`
	Payload     Payload    `json:"payload"`
	OccurredAt  *time.Time `json:"occurred_at,omitempty" doc:"when it happened (RFC 3339); default now"`
	Channels    []string   `json:"channels,omitempty" maxItems:"5" example:"[\"eu\"]" doc:"0–5 channels of [A-Za-z0-9._:+-] (≤ 128 chars each): an endpoint with channels gets only events sharing one"`
	OrderingKey string     `json:"ordering_key,omitempty" maxLength:"128" example:"order_1234" doc:"on endpoints with ordering \"ordered\", events of one key are delivered one at a time in publish order (absent: the key \"\")"`
}

type publishInput struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"optional; the event id already makes publishing idempotent"`
	Body           publishBody
}

type publishOutput struct {
	Status int
	RateLimitHeaders
	Body publish.Result
}

func (s *Server) registerEvents() {
	result := s.api.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(publish.Result{}), true, "PublishResult")
	register(s, scopeTenant, authn.PermPublishEvents, huma.Operation{
		Responses: map[string]*huma.Response{"200": {
			Description: "Already published: the event's original result. Nothing new is created; deliveries of it still pending are started.",
			Content:     map[string]*huma.MediaType{"application/json": {Schema: result}},
		}},
		OperationID: "publish-event", Method: http.MethodPost, Path: "/events",
		Summary: "Publish an event", Tags: []string{tagEvents}, DefaultStatus: http.StatusAccepted,
		Description: "Stores the event and creates one delivery for every active endpoint subscribed to its type " +
			"whose channels and filter admit it, each delivered by its own workflow. 202 with the number of deliveries " +
			"and of endpoints `filtered` out (get-event-routing says why, per endpoint). Publishing an id again returns " +
			"the original result with 200, creates nothing, and starts any of its deliveries still pending (a retry after a lost response). " +
			"Needs the `publish_events` permission.",
		MaxBodyBytes: publish.MaxPayloadBytes + 16<<10,
		Errors:       []int{http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity, http.StatusTooManyRequests},
	}, s.publishEvent)
}

func (s *Server) publishEvent(ctx context.Context, in *publishInput) (*publishOutput, error) {
	limits, err := s.admitPublish(ctx)
	if err != nil {
		return nil, err
	}
	ev := publish.Event{ID: in.Body.ID, Type: in.Body.Type, Payload: json.RawMessage(in.Body.Payload), OccurredAt: in.Body.OccurredAt,
		Channels: in.Body.Channels, OrderingKey: in.Body.OrderingKey}
	res, err := s.Publisher.PublishOnce(ctx, principalFrom(ctx).TenantID, in.IdempotencyKey, ev)
	if err != nil {
		return nil, err
	}
	out := &publishOutput{Status: res.Status, RateLimitHeaders: limits}
	return out, res.Decode(&out.Body)
}
