package api

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/authn"
	"github.com/hookline/hookline/internal/signing"
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
	CreatedAt              time.Time  `json:"created_at"`
	UpdatedAt              time.Time  `json:"updated_at"`
}

// EndpointWithSecret is returned by create only.
type EndpointWithSecret struct {
	Endpoint
	Secret string `json:"secret" example:"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" doc:"signing secret; shown only here and by rotate-webhook-secret"`
}

func toEndpoint(e dbq.WebhookEndpoint) Endpoint {
	return Endpoint{
		ID: e.ID, URL: e.Url, Description: e.Description, Events: e.Events, IsActive: e.IsActive,
		VerifiedAt: e.VerifiedAt, LastVerificationAt: e.LastVerificationAt, LastVerificationReason: e.LastVerificationReason,
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt,
	}
}

type EndpointPath struct {
	EndpointID uuid.UUID `path:"endpoint_id" doc:"endpoint id"`
}

type endpointListOutput struct {
	Body struct {
		Data []Endpoint `json:"data"`
	}
}

type endpointCreateBody struct {
	URL         string   `json:"url" minLength:"1" maxLength:"2048" example:"https://example.com/webhooks/hookline" doc:"absolute https URL (http only when HOOKLINE_ALLOW_HTTP); no credentials, no fragment; not a private address"`
	Events      []string `json:"events" minItems:"1" maxItems:"100" example:"[\"comment.created\"]" doc:"event types from list-webhook-event-types, or \"*\" for all"`
	Description string   `json:"description,omitempty" maxLength:"1024"`
	IsActive    *bool    `json:"is_active,omitempty" doc:"default true"`
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
		URL         *string   `json:"url,omitempty" minLength:"1" maxLength:"2048" doc:"a new URL clears verified_at"`
		Events      *[]string `json:"events,omitempty" minItems:"1" maxItems:"100"`
		IsActive    *bool     `json:"is_active,omitempty"`
		Description *string   `json:"description,omitempty" maxLength:"1024"`
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

const defaultGracePeriod = 24 * time.Hour

func (s *Server) registerEndpoints() {
	register(s, scopeTenant, authn.PermManageWebhooks, huma.Operation{
		OperationID: "list-webhook-endpoints", Method: http.MethodGet, Path: "/webhooks",
		Summary: "List webhook endpoints", Tags: []string{tagEndpoints},
		Description: "Every webhook endpoint of the tenant, newest first. Secrets are never included.",
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
		Description: "Partial update of `url`, `events`, `is_active` and `description`; omitted fields keep their " +
			"value, an empty patch is 422. A new URL clears `verified_at`. Deactivating stops new deliveries and " +
			"fails pending retries.",
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

func (s *Server) listEndpoints(ctx context.Context, _ *struct{}) (*endpointListOutput, error) {
	rows, err := dbq.New(s.Pool).ListEndpoints(ctx, principalFrom(ctx).TenantID)
	if err != nil {
		return nil, err
	}
	out := &endpointListOutput{}
	out.Body.Data = make([]Endpoint, len(rows))
	for i, r := range rows {
		out.Body.Data[i] = toEndpoint(r)
	}
	return out, nil
}

func (s *Server) createEndpoint(ctx context.Context, in *endpointCreateInput) (*endpointCreateOutput, error) {
	p := principalFrom(ctx)
	b := in.Body
	u, err := s.validateURL("body.url", b.URL)
	if err != nil {
		return nil, err
	}
	events, err := validateEvents(ctx, dbq.New(s.Pool), "body.events", b.Events)
	if err != nil {
		return nil, err
	}
	active := b.IsActive == nil || *b.IsActive

	res, err := s.idem.Do(ctx, p.TenantID, in.IdempotencyKey, "create-webhook-endpoint", b, func(q *dbq.Queries) (int, any, error) {
		id, err := uuid.NewV7()
		if err != nil {
			return 0, nil, err
		}
		secret := signing.NewSecret()
		e, err := q.CreateEndpoint(ctx, dbq.CreateEndpointParams{
			ID: id, TenantID: p.TenantID, Url: u, Description: b.Description, Events: events, IsActive: active,
			SecretCiphertext: s.Box.SealEndpointSecret(p.TenantID, id, secret),
		})
		if err != nil {
			return 0, nil, err
		}
		err = s.audit(ctx, q, "webhook_endpoint.created", "webhook_endpoint", e.ID.String(), map[string]any{
			"url": e.Url, "events": e.Events, "is_active": e.IsActive, "description": e.Description,
		})
		return http.StatusCreated, EndpointWithSecret{Endpoint: toEndpoint(e), Secret: secret}, err
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
	e, err := s.loadEndpoint(ctx, dbq.New(s.Pool), in.EndpointID)
	if err != nil {
		return nil, err
	}
	return &endpointGetOutput{Body: toEndpoint(e)}, nil
}

// loadEndpoint fetches the caller's endpoint; another tenant's is not found.
func (s *Server) loadEndpoint(ctx context.Context, q *dbq.Queries, id uuid.UUID) (dbq.WebhookEndpoint, error) {
	e, err := q.GetEndpoint(ctx, dbq.GetEndpointParams{TenantID: principalFrom(ctx).TenantID, ID: id})
	if db.IsNoRows(err) {
		return e, apperr.NotFound("webhook endpoint")
	}
	return e, err
}

func (s *Server) updateEndpoint(ctx context.Context, in *endpointUpdateInput) (*endpointGetOutput, error) {
	p := principalFrom(ctx)
	b := in.Body
	if b.URL == nil && b.Events == nil && b.IsActive == nil && b.Description == nil {
		return nil, apperr.Invalid("body", nil, "empty patch: set at least one of url, events, is_active, description")
	}
	var newURL string
	var newEvents []string
	var err error
	if b.URL != nil {
		if newURL, err = s.validateURL("body.url", *b.URL); err != nil {
			return nil, err
		}
	}
	if b.Events != nil {
		if newEvents, err = validateEvents(ctx, dbq.New(s.Pool), "body.events", *b.Events); err != nil {
			return nil, err
		}
	}
	var updated dbq.WebhookEndpoint
	var openDeliveries []uuid.UUID
	err = db.Tx(ctx, s.Pool, func(q *dbq.Queries) error {
		cur, err := q.GetEndpointForUpdate(ctx, dbq.GetEndpointForUpdateParams{TenantID: p.TenantID, ID: in.EndpointID})
		if db.IsNoRows(err) {
			return apperr.NotFound("webhook endpoint")
		}
		if err != nil {
			return err
		}
		next := dbq.UpdateEndpointParams{
			TenantID: p.TenantID, ID: cur.ID, Url: cur.Url, Description: cur.Description,
			Events: cur.Events, IsActive: cur.IsActive, VerifiedAt: cur.VerifiedAt,
		}
		diff := map[string]audit.Change{}
		if b.URL != nil && newURL != cur.Url {
			diff["url"] = audit.Change{From: cur.Url, To: newURL}
			next.Url, next.VerifiedAt = newURL, nil
		}
		if b.Events != nil && !slices.Equal(newEvents, cur.Events) {
			diff["events"] = audit.Change{From: cur.Events, To: newEvents}
			next.Events = newEvents
		}
		if b.IsActive != nil && *b.IsActive != cur.IsActive {
			diff["is_active"] = audit.Change{From: cur.IsActive, To: *b.IsActive}
			next.IsActive = *b.IsActive
		}
		if b.Description != nil && *b.Description != cur.Description {
			diff["description"] = audit.Change{From: cur.Description, To: *b.Description}
			next.Description = *b.Description
		}
		if updated, err = q.UpdateEndpoint(ctx, next); err != nil {
			return err
		}
		if cur.IsActive && !next.IsActive {
			// Deactivation ends the endpoint's scheduled retries.
			if openDeliveries, err = q.ListOpenEndpointDeliveries(ctx, dbq.ListOpenEndpointDeliveriesParams{TenantID: p.TenantID, EndpointID: cur.ID}); err != nil {
				return err
			}
		}
		return s.audit(ctx, q, "webhook_endpoint.updated", "webhook_endpoint", cur.ID.String(), map[string]any{"changes": diff})
	})
	if err != nil {
		return nil, err
	}
	// Wake the waiting workflows so their next attempt records `failed`
	// (endpoint disabled) now rather than hours from now.
	s.Dispatcher.Wake(ctx, openDeliveries)
	return &endpointGetOutput{Body: toEndpoint(updated)}, nil
}

func (s *Server) deleteEndpoint(ctx context.Context, in *EndpointPath) (*endpointDeleteOutput, error) {
	p := principalFrom(ctx)
	var open []uuid.UUID
	err := db.Tx(ctx, s.Pool, func(q *dbq.Queries) error {
		var err error
		if open, err = q.ListOpenEndpointDeliveries(ctx, dbq.ListOpenEndpointDeliveriesParams{TenantID: p.TenantID, EndpointID: in.EndpointID}); err != nil {
			return err
		}
		if _, err = q.DeleteEndpoint(ctx, dbq.DeleteEndpointParams{TenantID: p.TenantID, ID: in.EndpointID}); err != nil {
			if db.IsNoRows(err) {
				return apperr.NotFound("webhook endpoint")
			}
			return err
		}
		return s.audit(ctx, q, "webhook_endpoint.deleted", "webhook_endpoint", in.EndpointID.String(), map[string]any{"open_deliveries_cancelled": len(open)})
	})
	if err != nil {
		return nil, err
	}
	s.Dispatcher.Cancel(ctx, open)
	out := &endpointDeleteOutput{}
	out.Body.ID, out.Body.DeletedAt = in.EndpointID, s.now().UTC()
	return out, nil
}

func (s *Server) rotateSecret(ctx context.Context, in *rotateInput) (*rotateOutput, error) {
	p := principalFrom(ctx)
	grace := defaultGracePeriod
	if in.Body != nil && in.Body.GracePeriodSeconds != nil {
		grace = time.Duration(*in.Body.GracePeriodSeconds) * time.Second
	}
	secret := signing.NewSecret()
	out := &rotateOutput{}
	err := db.Tx(ctx, s.Pool, func(q *dbq.Queries) error {
		cur, err := q.GetEndpointForUpdate(ctx, dbq.GetEndpointForUpdateParams{TenantID: p.TenantID, ID: in.EndpointID})
		if db.IsNoRows(err) {
			return apperr.NotFound("webhook endpoint")
		}
		if err != nil {
			return err
		}
		// No grace retires every earlier secret; otherwise the replaced one
		// joins the previous secrets still signing, which are all kept.
		if err := q.RetirePreviousSecrets(ctx, dbq.RetirePreviousSecretsParams{TenantID: p.TenantID, EndpointID: cur.ID, AllSecrets: grace == 0}); err != nil {
			return err
		}
		if grace > 0 {
			prev, err := q.ListPreviousSecrets(ctx, dbq.ListPreviousSecretsParams{TenantID: p.TenantID, EndpointID: cur.ID})
			if err != nil {
				return err
			}
			if len(prev) >= maxPreviousSecrets {
				return apperr.Conflict("%d earlier secrets are still signing within their grace periods (the next one ends %s); "+
					"wait, or rotate with grace_period_seconds 0 to retire them all now",
					len(prev), earliest(prev).UTC().Format(time.RFC3339))
			}
			until := s.now().Add(grace).UTC().Truncate(time.Microsecond)
			if err := q.AddPreviousSecret(ctx, dbq.AddPreviousSecretParams{
				EndpointID: cur.ID, TenantID: p.TenantID, SecretCiphertext: cur.SecretCiphertext, ExpiresAt: until,
			}); err != nil {
				return err
			}
			out.Body.PreviousSecretExpiresAt = &until
		}
		if _, err := q.RotateEndpointSecret(ctx, dbq.RotateEndpointSecretParams{
			TenantID: p.TenantID, ID: cur.ID, SecretCiphertext: s.Box.SealEndpointSecret(p.TenantID, cur.ID, secret),
		}); err != nil {
			return err
		}
		return s.audit(ctx, q, "webhook_endpoint.secret_rotated", "webhook_endpoint", cur.ID.String(), map[string]any{
			"grace_period_seconds": int(grace / time.Second), "previous_secret_expires_at": out.Body.PreviousSecretExpiresAt,
		})
	})
	if err != nil {
		return nil, err
	}
	out.Body.ID, out.Body.Secret = in.EndpointID, secret
	return out, nil
}

// maxPreviousSecrets bounds the secrets that sign besides the current one
// (each delivery carries one signature per secret).
const maxPreviousSecrets = 4

func earliest(prev []dbq.ListPreviousSecretsRow) time.Time {
	t := prev[0].ExpiresAt
	for _, p := range prev[1:] {
		if p.ExpiresAt.Before(t) {
			t = p.ExpiresAt
		}
	}
	return t
}

// audit writes one audit row for the request's tenant and actor with q, so it
// commits with the change.
func (s *Server) audit(ctx context.Context, q *dbq.Queries, action, targetType, targetID string, details any) error {
	p := principalFrom(ctx)
	return audit.Write(ctx, q, audit.Entry{
		TenantID: p.TenantID, Actor: p.Actor, Action: action, TargetType: targetType, TargetID: targetID,
		Details: details, RequestID: requestID(ctx),
	})
}

// validateURL checks an endpoint URL (netguard.ValidateURL) for field.
func (s *Server) validateURL(field, raw string) (string, error) {
	u, err := s.Guard.ValidateURL(raw, s.AllowHTTP)
	if err != nil {
		return "", apperr.Invalid(field, raw, "%s", err.Error())
	}
	return u, nil
}

// validateEvents checks subscriptions against the catalogue: known, not
// deprecated, not reserved, or "*"; duplicates dropped, order kept.
func validateEvents(ctx context.Context, q *dbq.Queries, field string, events []string) ([]string, error) {
	if len(events) == 0 {
		return nil, apperr.Invalid(field, events, "subscribe to at least one event type (or \"*\")")
	}
	var out []string
	for _, e := range events {
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	types, err := q.GetEventTypes(ctx, out)
	if err != nil {
		return nil, err
	}
	known := map[string]dbq.EventType{}
	for _, t := range types {
		known[t.Name] = t
	}
	for i, e := range events {
		if e == "*" {
			continue
		}
		t, ok := known[e]
		loc := field + "[" + strconv.Itoa(i) + "]"
		switch {
		case !ok:
			return nil, apperr.Invalid(loc, e, "unknown event type %q; see list-webhook-event-types", e)
		case t.Reserved:
			return nil, apperr.Invalid(loc, e, "event type %q is reserved and cannot be subscribed to", e)
		case t.Deprecated:
			return nil, apperr.Invalid(loc, e, "event type %q is deprecated", e)
		}
	}
	return out, nil
}
