// Package endpoint is the webhook-endpoint service: create, read, update,
// delete, rotate the signing secret and verify URL ownership, each change
// audited in its own transaction. The REST handlers of both auth paths (and
// the portal) call it.
package endpoint

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/broker"
	"github.com/hookline/hookline/internal/catalog"
	"github.com/hookline/hookline/internal/cursor"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/idempotency"
	"github.com/hookline/hookline/internal/netguard"
	"github.com/hookline/hookline/internal/publish"
	"github.com/hookline/hookline/internal/secretbox"
	"github.com/hookline/hookline/internal/signing"
)

// Workflows steers an endpoint's workflows (workflows.Dispatcher).
type Workflows interface {
	// Cancel ends the deliveries' workflows (delete, purge).
	Cancel(ctx context.Context, deliveryIDs []uuid.UUID)
	// Wake cuts the deliveries' retry waits short (deactivation).
	Wake(ctx context.Context, deliveryIDs []uuid.UUID)
	// Verify runs a verification workflow and waits for its result.
	Verify(ctx context.Context, in VerifyInput) (VerifyResult, error)
}

// Service manages webhook endpoints.
type Service struct {
	Pool      *pgxpool.Pool
	Box       *secretbox.Box
	Guard     *netguard.Guard
	AllowHTTP bool // accept http:// URLs
	Idem      *idempotency.Store
	Workflows Workflows
	Publisher *publish.Publisher // starts the deliveries of operational events
	// MaxEndpoints a tenant may have (0: DefaultMaxEndpoints).
	MaxEndpoints int
	// BrokerHosts are the host:port pairs (normalised: lowercase host)
	// nats:// and amqp:// endpoints may name (HOOKLINE_BROKER_DESTINATIONS).
	BrokerHosts []string
	Now         func() time.Time // nil: time.Now
}

// Load is the one loader of a tenant's endpoint: another tenant's, like a
// missing one, is not found.
func Load(ctx context.Context, q *dbq.Queries, tenantID, id uuid.UUID) (dbq.WebhookEndpoint, error) {
	e, err := q.GetEndpoint(ctx, dbq.GetEndpointParams{TenantID: tenantID, ID: id})
	return e, notFound(err)
}

// LoadForUpdate is Load with the row locked for the transaction.
func LoadForUpdate(ctx context.Context, q *dbq.Queries, tenantID, id uuid.UUID) (dbq.WebhookEndpoint, error) {
	e, err := q.GetEndpointForUpdate(ctx, dbq.GetEndpointForUpdateParams{TenantID: tenantID, ID: id})
	return e, notFound(err)
}

func notFound(err error) error {
	if db.IsNotFound(err) {
		return apperr.NotFound("webhook endpoint")
	}
	return err
}

// List returns a keyset page of the tenant's endpoints, newest first, of
// at most limit, and the cursor of the next page (nil on the last).
func (s *Service) List(ctx context.Context, c audit.Caller, limit int, after string) ([]dbq.WebhookEndpoint, *string, error) {
	cur, err := cursor.Parse(after)
	if err != nil {
		return nil, nil, err
	}
	params := dbq.ListEndpointsParams{TenantID: c.TenantID, RowLimit: int32(limit) + 1}
	if cur != nil {
		params.CursorCreatedAt, params.CursorID = &cur.CreatedAt, &cur.ID
	}
	rows, err := db.Q(s.Pool).ListEndpoints(ctx, params)
	if err != nil {
		return nil, nil, err
	}
	rows, next := cursor.Page(rows, limit, func(e dbq.WebhookEndpoint) cursor.Cursor { return cursor.Cursor{CreatedAt: e.CreatedAt, ID: e.ID} })
	return rows, next, nil
}

// Get returns one endpoint.
func (s *Service) Get(ctx context.Context, c audit.Caller, id uuid.UUID) (dbq.WebhookEndpoint, error) {
	return Load(ctx, db.Q(s.Pool), c.TenantID, id)
}

// CreateInput is a new endpoint.
type CreateInput struct {
	URL         string
	Description string
	Events      []string
	IsActive    *bool // default true
	MaxInFlight *int  // default DefaultMaxInFlight
	RateLimit   *int  // deliveries per second; nil: none
	Controls    Controls
	Channels    []string        // none: every event of its types
	Filter      json.RawMessage // nil or null: none
	// TracePropagation sends each attempt's traceparent to the receiver.
	TracePropagation bool
	Ordering         delivery.Ordering    // "": Unordered
	OnExhausted      delivery.OnExhausted // "": Block
}

// Created is a new endpoint with its signing secret, shown this once.
type Created struct {
	Endpoint dbq.WebhookEndpoint
	Secret   string
}

// Create adds an endpoint. With an Idempotency-Key the first response is
// stored and replayed: respond renders it (the handler's encoding).
func (s *Service) Create(ctx context.Context, c audit.Caller, idemKey string, in CreateInput, respond func(Created) any) (idempotency.Response, error) {
	u, err := s.validateURL("body.url", in.URL)
	if err != nil {
		return idempotency.Response{}, err
	}
	events, err := catalog.ValidateSubscriptions(ctx, db.Q(s.Pool), "body.events", in.Events, nil)
	if err != nil {
		return idempotency.Response{}, err
	}
	if err := validateMaxInFlight("body.max_in_flight", in.MaxInFlight); err != nil {
		return idempotency.Response{}, err
	}
	if err := validateRateLimit("body.rate_limit", in.RateLimit); err != nil {
		return idempotency.Response{}, err
	}
	if err := validDescription(in.Description); err != nil {
		return idempotency.Response{}, err
	}
	ctl, err := s.resolveCreate(in.Controls)
	if err != nil {
		return idempotency.Response{}, err
	}
	if err := brokerControls(u, authTypeOf(ctl.Auth), ctl.TLS != nil); err != nil {
		return idempotency.Response{}, err
	}
	channels, err := normalizeChannels(in.Channels)
	if err != nil {
		return idempotency.Response{}, err
	}
	flt, err := normalizeFilter(in.Filter)
	if err != nil {
		return idempotency.Response{}, err
	}
	ordering, onExhausted, err := orderingOf(in.Ordering, in.OnExhausted)
	if err != nil {
		return idempotency.Response{}, err
	}
	active := in.IsActive == nil || *in.IsActive
	maxInFlight := DefaultMaxInFlight
	if in.MaxInFlight != nil {
		maxInFlight = *in.MaxInFlight
	}
	return s.Idem.Do(ctx, c.TenantID, idemKey, "create-webhook-endpoint", in, func(q *dbq.Queries) (int, any, error) {
		id, err := uuid.NewV7()
		if err != nil {
			return 0, nil, err
		}
		if err := s.withinQuota(ctx, q, c.TenantID); err != nil {
			return 0, nil, err
		}
		secret := signing.NewSecret()
		cols, err := columns(s.Box, c.TenantID, id, ctl)
		if err != nil {
			return 0, nil, err
		}
		e, err := q.CreateEndpoint(ctx, dbq.CreateEndpointParams{
			ID: id, TenantID: c.TenantID, Url: u, Description: in.Description, Events: events, IsActive: active,
			SecretCiphertext: s.Box.SealEndpointSecret(c.TenantID, id, secret),
			MaxInFlight:      int32(maxInFlight), RateLimit: int32Ptr(in.RateLimit),
			Headers: cols.Headers, SensitiveHeaders: cols.SensitiveHeaders, Auth: cols.Auth, Tls: cols.TLS, TlsNotAfter: cols.TLSNotAfter,
			SecretsCiphertext: cols.SecretsCiphertext, RetrySchedule: cols.RetrySchedule, TimeoutSeconds: cols.TimeoutSeconds,
			Channels: channels, Filter: flt, TracePropagation: &in.TracePropagation, Ordering: ordering, OnExhausted: onExhausted,
		})
		if err != nil {
			return 0, nil, err
		}
		details := map[string]any{
			"url": e.Url, "events": e.Events, "is_active": e.IsActive, "description": e.Description,
			"max_in_flight": e.MaxInFlight, "rate_limit": e.RateLimit, "channels": e.Channels, "filter": json.RawMessage(e.Filter),
			"trace_propagation": e.TracePropagation, "ordering": e.Ordering, "on_exhausted": e.OnExhausted,
		}
		maps.Copy(details, auditControls(ctl))
		err = c.Record(ctx, q, "webhook_endpoint.created", "webhook_endpoint", e.ID.String(), details)
		return http.StatusCreated, respond(Created{Endpoint: e, Secret: secret}), err
	})
}

// Delete removes an endpoint with its deliveries and attempts, and cancels
// the workflows still running. It returns when it was deleted.
func (s *Service) Delete(ctx context.Context, c audit.Caller, id uuid.UUID) (time.Time, error) {
	var open []uuid.UUID
	err := db.Tx(ctx, s.Pool, func(q *dbq.Queries) error {
		var err error
		if open, err = q.ListOpenEndpointDeliveries(ctx, dbq.ListOpenEndpointDeliveriesParams{TenantID: c.TenantID, EndpointID: id}); err != nil {
			return err
		}
		if _, err = q.DeleteEndpoint(ctx, dbq.DeleteEndpointParams{TenantID: c.TenantID, ID: id}); err != nil {
			return notFound(err)
		}
		return c.Record(ctx, q, "webhook_endpoint.deleted", "webhook_endpoint", id.String(), map[string]any{"open_deliveries_cancelled": len(open)})
	})
	if err != nil {
		return time.Time{}, err
	}
	s.Workflows.Cancel(ctx, open)
	return s.now().UTC(), nil
}

// validateURL checks an endpoint URL for field: a broker destination
// (validateBrokerURL), else an HTTP(S) URL (validateHTTPURL).
func (s *Service) validateURL(field, raw string) (string, error) {
	if broker.IsBroker(raw) {
		return s.validateBrokerURL(field, raw)
	}
	return s.validateHTTPURL(field, raw)
}

// validateHTTPURL checks an HTTP(S) URL (netguard.ValidateURL) for field.
func (s *Service) validateHTTPURL(field, raw string) (string, error) {
	u, err := s.Guard.ValidateURL(raw, s.AllowHTTP)
	if err != nil {
		return "", apperr.Invalid(field, raw, "%s", err.Error())
	}
	return u, nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// DisableFailing switches off an endpoint failing without a success since
// before failingBefore (auto-disable): is_active=false, disabled_reason
// "failing", an audit row by the system, and its open deliveries fail at
// once. It reports whether it disabled it (an endpoint re-enabled or healthy
// meanwhile is left alone).
func (s *Service) DisableFailing(ctx context.Context, tenantID, id uuid.UUID, failingBefore time.Time) (bool, error) {
	var open []uuid.UUID
	var notify []delivery.Ref
	disabled := false
	err := db.Tx(ctx, s.Pool, func(q *dbq.Queries) error {
		ep, err := q.DisableFailingEndpoint(ctx, dbq.DisableFailingEndpointParams{TenantID: tenantID, ID: id, FailingBefore: failingBefore})
		if db.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		disabled = true
		if open, err = q.ListOpenEndpointDeliveries(ctx, dbq.ListOpenEndpointDeliveriesParams{TenantID: tenantID, EndpointID: id}); err != nil {
			return err
		}
		err = audit.System(tenantID, "auto-disable").Record(ctx, q, "webhook_endpoint.disabled", "webhook_endpoint", id.String(),
			map[string]any{"reason": DisabledFailing, "failing_since": ep.FailingSince})
		if err != nil {
			return err
		}
		// The tenant's endpoints subscribed to endpoint.disabled hear of it,
		// committed with the change itself.
		notify, err = publish.EmitEndpointDisabled(ctx, q, tenantID, publish.EndpointDisabledData{
			EndpointID: id, Reason: DisabledFailing, FailingSince: ep.FailingSince,
		})
		return err
	})
	if err != nil || !disabled {
		return false, err
	}
	s.Workflows.Wake(ctx, open)
	s.Publisher.StartAfterCommit(ctx, notify)
	return true, nil
}

// DisabledFailing is disabled_reason of an endpoint Hookline switched off.
const DisabledFailing = "failing"

// validDescription refuses what Postgres text cannot hold (NUL) or a
// terminal would misrender (other control characters but tab and newline).
func validDescription(d string) error {
	for _, r := range d {
		if (r < 0x20 && r != '\t' && r != '\n') || r == 0x7f {
			return apperr.Invalid("body.description", nil, "description may not contain NUL or other control characters")
		}
	}
	return nil
}

// DefaultMaxEndpoints is HOOKLINE_MAX_ENDPOINTS' default.
const DefaultMaxEndpoints = 100

// withinQuota refuses an endpoint past the tenant's quota; the tenant row's
// lock (held to commit) makes concurrent creations count one another.
func (s *Service) withinQuota(ctx context.Context, q *dbq.Queries, tenantID uuid.UUID) error {
	if _, err := q.LockTenant(ctx, tenantID); err != nil {
		return err
	}
	n, err := q.CountEndpoints(ctx, tenantID)
	if err != nil {
		return err
	}
	limit := s.MaxEndpoints
	if limit <= 0 {
		limit = DefaultMaxEndpoints
	}
	if n >= int64(limit) {
		return apperr.Invalid("body", nil, "this tenant has %d endpoints, its limit (HOOKLINE_MAX_ENDPOINTS); delete one first", limit)
	}
	return nil
}
