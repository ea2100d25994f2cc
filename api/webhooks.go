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
	"github.com/hookline/hookline/internal/endpoint"
)

// Endpoint is a webhook endpoint as clients see it: never with its secret.
type Endpoint struct {
	ID                     uuid.UUID  `json:"id" doc:"endpoint id"`
	URL                    string     `json:"url" format:"uri" example:"https://example.com/webhooks/hookline"`
	Description            string     `json:"description" example:"Production receiver"`
	Events                 []string   `json:"events" example:"[\"comment.created\",\"comment.deleted\"]" doc:"subscribed event types; \"*\" = all"`
	IsActive               bool       `json:"is_active" doc:"inactive endpoints receive no new deliveries"`
	VerifiedAt             *time.Time `json:"verified_at" doc:"last successful URL-ownership verification; cleared when the URL changes"`
	LastVerificationAt     *time.Time `json:"last_verification_at" doc:"when verification last ran, whatever its outcome"`
	LastVerificationReason *string    `json:"last_verification_reason" doc:"reason of the last failed verification (null after a success)"`
	MaxInFlight            int        `json:"max_in_flight" minimum:"1" maximum:"100" example:"10" doc:"attempts to this endpoint running at once, across all workers"`
	RateLimit              *int       `json:"rate_limit" nullable:"true" minimum:"1" example:"50" doc:"deliveries per second, sustained (a token bucket: bursts of up to one second's worth); null: no limit"`
	Health                 string     `json:"health" enum:"healthy,failing,disabled" doc:"healthy; failing (attempts failed since failing_since; while the circuit breaker is open no attempts go out); disabled (is_active false)"`
	FailingSince           *time.Time `json:"failing_since" doc:"first failed attempt since the last success; null when healthy"`
	DisabledReason         *string    `json:"disabled_reason" doc:"\"failing\": Hookline disabled it after HOOKLINE_DISABLE_AFTER (default 120 h) of failures; enable it again with is_active true"`
	EndpointControls
	Channels []string `json:"channels" doc:"when set, only events sharing one of these channels are delivered"`
	// TracePropagation is opt-in: the receiver learns our trace ids.
	TracePropagation bool    `json:"trace_propagation" doc:"attempts carry W3C traceparent/tracestate naming the attempt's span (never baggage)"`
	Filter           JSONDoc `json:"filter" doc:"a filter over {\"type\",\"channels\",\"data\"} events must match (DESIGN §9.2 grammar); null: none"`
	EndpointOrdering
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// EndpointWithSecret is returned by create only.
type EndpointWithSecret struct {
	Endpoint
	Secret string `json:"secret" example:"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" doc:"signing secret; shown only here and by rotate-webhook-secret"`
}

func toEndpoint(e dbq.WebhookEndpoint) Endpoint {
	var rate *int
	if e.RateLimit != nil {
		r := int(*e.RateLimit)
		rate = &r
	}
	return Endpoint{
		ID: e.ID, URL: e.Url, Description: e.Description, Events: e.Events, IsActive: e.IsActive,
		VerifiedAt: e.VerifiedAt, LastVerificationAt: e.LastVerificationAt, LastVerificationReason: e.LastVerificationReason,
		MaxInFlight: int(e.MaxInFlight), RateLimit: rate, Health: string(endpoint.HealthOf(e)),
		FailingSince: e.FailingSince, DisabledReason: e.DisabledReason, EndpointControls: toControls(e),
		Channels: nonNilStrings(e.Channels), Filter: JSONDoc(e.Filter), TracePropagation: e.TracePropagation,
		EndpointOrdering: EndpointOrdering{Ordering: e.Ordering, OnExhausted: e.OnExhausted},
		CreatedAt:        e.CreatedAt, UpdatedAt: e.UpdatedAt,
	}
}

type EndpointPath struct {
	EndpointID uuid.UUID `path:"endpoint_id" doc:"endpoint id"`
}

type endpointListInput struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"100" doc:"page size (1–100)"`
	Cursor string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page; omit for the first (newest) page"`
}

type endpointListOutput struct {
	Body struct {
		Data       []Endpoint `json:"data"`
		NextCursor *string    `json:"next_cursor" doc:"pass as cursor for the next (older) page; null on the last page"`
	}
}

type endpointCreateBody struct {
	URL         string   `json:"url" minLength:"1" maxLength:"2048" example:"https://example.com/webhooks/hookline" doc:"absolute https URL (http only when HOOKLINE_ALLOW_HTTP); no credentials, no fragment; not a private address"`
	Events      []string `json:"events" minItems:"1" maxItems:"100" example:"[\"comment.created\"]" doc:"event types from list-webhook-event-types, or \"*\" for all"`
	Description string   `json:"description,omitempty" maxLength:"1024"`
	IsActive    *bool    `json:"is_active,omitempty" doc:"default true"`
	MaxInFlight *int     `json:"max_in_flight,omitempty" minimum:"1" maximum:"100" doc:"attempts running at once across all workers (default 10)"`
	RateLimit   *int     `json:"rate_limit,omitempty" nullable:"true" minimum:"1" maximum:"10000" doc:"deliveries per second, sustained, with bursts of up to one second's worth (default and null: no limit)"`
	ControlsCreateBody
	Channels         []string `json:"channels,omitempty" maxItems:"10" doc:"0–10 channels: only events sharing one are delivered"`
	TracePropagation bool     `json:"trace_propagation,omitempty" doc:"send each attempt's traceparent/tracestate (default false)"`
	Filter           JSONDoc  `json:"filter,omitempty" doc:"payload filter, e.g. {\"data\":{\"amount\":{\"$gte\":100}}}; ≤ 16 KiB, depth ≤ 8, ≤ 64 operators"`
	OrderingCreateBody
}

type endpointCreateInput struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"replays of the same key and body return the first response; kept 24 h per tenant"`
	Body           endpointCreateBody
}

type endpointCreateOutput struct {
	Status   int
	Replayed string `header:"Idempotent-Replayed" doc:"true when this is the stored response of an earlier request"`
	Body     EndpointWithSecret
}

type endpointGetOutput struct {
	Body Endpoint
}

type endpointUpdateInput struct {
	EndpointPath
	Body struct {
		URL         *string     `json:"url,omitempty" minLength:"1" maxLength:"2048" doc:"a new URL clears verified_at"`
		Events      *[]string   `json:"events,omitempty" minItems:"1" maxItems:"100"`
		IsActive    *bool       `json:"is_active,omitempty" doc:"true also re-enables an endpoint Hookline disabled, resetting its health"`
		Description *string     `json:"description,omitempty" maxLength:"1024"`
		MaxInFlight *int        `json:"max_in_flight,omitempty" minimum:"1" maximum:"100"`
		RateLimit   OptionalInt `json:"rate_limit,omitempty" doc:"deliveries per second at most (1–10000); null removes the limit"`
		ControlsPatchBody
		Channels         *[]string   `json:"channels,omitempty" maxItems:"10" doc:"replaces the channels; [] removes them"`
		Filter           OptionalDoc `json:"filter,omitempty" doc:"replaces the filter; null removes it"`
		TracePropagation *bool       `json:"trace_propagation,omitempty"`
		OrderingPatchBody
	}
}

type endpointDeleteOutput struct {
	Body struct {
		ID        uuid.UUID `json:"id"`
		DeletedAt time.Time `json:"deletedAt"`
	}
}

type rotateInput struct {
	EndpointPath
	Body *struct {
		GracePeriodSeconds *int `json:"grace_period_seconds,omitempty" minimum:"0" maximum:"604800" doc:"how long the previous secret keeps signing (default 86400)"`
	} `required:"false"`
}

type rotateOutput struct {
	Body struct {
		ID                      uuid.UUID  `json:"id"`
		Secret                  string     `json:"secret" doc:"the new signing secret; shown only here"`
		PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at" doc:"until when deliveries are also signed with the previous secret"`
	}
}

func (s *Server) registerEndpoints() {
	register(s, scopeTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "list-webhook-endpoints", Method: http.MethodGet, Path: "/webhooks",
		Summary: "List webhook endpoints", Tags: []string{tagEndpoints},
		Description: "The tenant's webhook endpoints, newest first, in keyset pages of `limit` (default and at most 100, " +
			"which with the default quota of 100 endpoints per tenant is every one): follow `next_cursor` for the rest. " +
			"Secrets are never included.",
	}, s.listEndpoints)

	register(s, scopeTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "create-webhook-endpoint", Method: http.MethodPost, Path: "/webhooks",
		Summary: "Create a webhook endpoint", Tags: []string{tagEndpoints}, DefaultStatus: http.StatusCreated,
		Description: "Registers a URL to receive the subscribed event types. The response carries the endpoint's " +
			"signing `secret` — the only time it is shown besides rotation. Send an `Idempotency-Key` to make " +
			"retries safe: the same key and body return the first response; a different body is 422; while the " +
			"first request runs, 409.",
		Errors: []int{http.StatusConflict, http.StatusUnprocessableEntity},
	}, s.createEndpoint)

	register(s, scopeTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "get-webhook-endpoint", Method: http.MethodGet, Path: "/webhooks/{endpoint_id}",
		Summary: "Get a webhook endpoint", Tags: []string{tagEndpoints},
		Description: "One endpoint, without its secret.", Errors: []int{http.StatusNotFound},
	}, s.getEndpoint)

	register(s, scopeTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "update-webhook-endpoint", Method: http.MethodPatch, Path: "/webhooks/{endpoint_id}",
		Summary: "Update a webhook endpoint", Tags: []string{tagEndpoints},
		Description: "Partial update of `url`, `events`, `is_active`, `description`, flow control and delivery controls; omitted fields keep their " +
			"value, an empty patch is 422. A new URL clears `verified_at`. Deactivating stops new deliveries and " +
			"fails pending retries. `headers` is a merge patch (a name set to null removes it); `auth` and `tls` " +
			"are replaced whole (send the secrets again) or removed with null.",
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, s.updateEndpoint)

	register(s, scopeTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "delete-webhook-endpoint", Method: http.MethodDelete, Path: "/webhooks/{endpoint_id}",
		Summary: "Delete a webhook endpoint", Tags: []string{tagEndpoints},
		Description: "Deletes the endpoint with its deliveries and attempts, and cancels its running delivery workflows.",
		Errors:      []int{http.StatusNotFound},
	}, s.deleteEndpoint)

	register(s, scopeTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "rotate-webhook-secret", Method: http.MethodPost, Path: "/webhooks/{endpoint_id}/rotate-secret",
		Summary: "Rotate the signing secret", Tags: []string{tagEndpoints},
		Description: "Issues a new signing secret (shown only in this response). For `grace_period_seconds` " +
			"(default 86400) deliveries carry signatures with both the new and the replaced secret, so receivers " +
			"can switch without dropping a message. Rotating again within a grace period keeps every earlier " +
			"secret signing until its own grace period ends (up to 4; a fifth is 409). `grace_period_seconds: 0` " +
			"retires every earlier secret at once.",
		Errors: []int{http.StatusNotFound, http.StatusConflict},
	}, s.rotateSecret)
}

func (s *Server) listEndpoints(ctx context.Context, in *endpointListInput) (*endpointListOutput, error) {
	rows, next, err := s.Endpoints.List(ctx, callerFrom(ctx), in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	out := &endpointListOutput{}
	out.Body.NextCursor = next
	out.Body.Data = make([]Endpoint, len(rows))
	for i, r := range rows {
		out.Body.Data[i] = toEndpoint(r)
	}
	return out, nil
}

func (s *Server) createEndpoint(ctx context.Context, in *endpointCreateInput) (*endpointCreateOutput, error) {
	b := in.Body
	res, err := s.Endpoints.Create(ctx, callerFrom(ctx), in.IdempotencyKey, endpoint.CreateInput{
		URL: b.URL, Description: b.Description, Events: b.Events, IsActive: b.IsActive, MaxInFlight: b.MaxInFlight, RateLimit: b.RateLimit,
		Controls: b.domain(), Channels: b.Channels, Filter: json.RawMessage(b.Filter), TracePropagation: b.TracePropagation,
		Ordering: b.Ordering, OnExhausted: b.OnExhausted,
	}, func(c endpoint.Created) any {
		return EndpointWithSecret{Endpoint: toEndpoint(c.Endpoint), Secret: c.Secret}
	})
	if err != nil {
		return nil, err
	}
	out := &endpointCreateOutput{Status: res.Status}
	if res.Replayed {
		out.Replayed = "true"
	}
	return out, res.Decode(&out.Body)
}

func (s *Server) getEndpoint(ctx context.Context, in *EndpointPath) (*endpointGetOutput, error) {
	e, err := s.Endpoints.Get(ctx, callerFrom(ctx), in.EndpointID)
	if err != nil {
		return nil, err
	}
	return &endpointGetOutput{Body: toEndpoint(e)}, nil
}

func (s *Server) updateEndpoint(ctx context.Context, in *endpointUpdateInput) (*endpointGetOutput, error) {
	b := in.Body
	p := endpoint.Patch{URL: b.URL, Events: b.Events, IsActive: b.IsActive, Description: b.Description, MaxInFlight: b.MaxInFlight,
		Controls: b.domain(), Channels: b.Channels, TracePropagation: b.TracePropagation, Ordering: b.Ordering, OnExhausted: b.OnExhausted}
	if b.Filter.Set {
		p.Filter = &endpoint.Change[json.RawMessage]{Value: b.Filter.Value}
	}
	if b.RateLimit.Set {
		p.RateLimit = &endpoint.RateLimit{PerSecond: b.RateLimit.Value}
	}
	e, err := s.Endpoints.Update(ctx, callerFrom(ctx), in.EndpointID, p)
	if err != nil {
		return nil, err
	}
	return &endpointGetOutput{Body: toEndpoint(e)}, nil
}

func (s *Server) deleteEndpoint(ctx context.Context, in *EndpointPath) (*endpointDeleteOutput, error) {
	at, err := s.Endpoints.Delete(ctx, callerFrom(ctx), in.EndpointID)
	if err != nil {
		return nil, err
	}
	out := &endpointDeleteOutput{}
	out.Body.ID, out.Body.DeletedAt = in.EndpointID, at
	return out, nil
}

func (s *Server) rotateSecret(ctx context.Context, in *rotateInput) (*rotateOutput, error) {
	grace := endpoint.DefaultGracePeriod
	if in.Body != nil && in.Body.GracePeriodSeconds != nil {
		grace = time.Duration(*in.Body.GracePeriodSeconds) * time.Second
	}
	r, err := s.Endpoints.Rotate(ctx, callerFrom(ctx), in.EndpointID, grace)
	if err != nil {
		return nil, err
	}
	out := &rotateOutput{}
	out.Body.ID, out.Body.Secret, out.Body.PreviousSecretExpiresAt = in.EndpointID, r.Secret, r.PreviousExpiresAt
	return out, nil
}
