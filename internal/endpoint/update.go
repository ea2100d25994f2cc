package endpoint

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/catalog"
	"github.com/hookline/hookline/internal/delivery"
)

// Patch is a partial update: nil fields keep their value.
type Patch struct {
	URL         *string
	Events      *[]string
	IsActive    *bool
	Description *string
	MaxInFlight *int
	RateLimit   *RateLimit // nil: keep
	Controls    ControlsPatch
	Channels    *[]string
	Filter      *Change[json.RawMessage] // nil Value: remove the filter
	// TracePropagation: attempts carry the trace context.
	TracePropagation *bool
	Ordering         *delivery.Ordering
	OnExhausted      *delivery.OnExhausted
}

func (p Patch) empty() bool {
	return p.URL == nil && p.Events == nil && p.IsActive == nil && p.Description == nil && p.MaxInFlight == nil && p.RateLimit == nil &&
		p.Controls.empty() && p.Channels == nil && p.Filter == nil && p.TracePropagation == nil &&
		p.Ordering == nil && p.OnExhausted == nil
}

// Update applies p. A new URL clears verified_at; deactivation fails the
// endpoint's waiting retries at once (their workflows are woken); enabling an
// endpoint (is_active false → true) resets its health and breaker.
func (s *Service) Update(ctx context.Context, c audit.Caller, id uuid.UUID, p Patch) (dbq.WebhookEndpoint, error) {
	if p.empty() {
		return dbq.WebhookEndpoint{}, apperr.Invalid("body", nil, "empty patch: set at least one of url, events, is_active, description, max_in_flight, rate_limit, headers, auth, tls, retry_schedule, timeout_seconds, channels, filter, trace_propagation, ordering, on_exhausted")
	}
	p, err := s.validatePatch(p)
	if err != nil {
		return dbq.WebhookEndpoint{}, err
	}
	var updated dbq.WebhookEndpoint
	var open, waiters []uuid.UUID
	err = db.Tx(ctx, s.Pool, func(q *dbq.Queries) error {
		cur, err := LoadForUpdate(ctx, q, c.TenantID, id)
		if err != nil {
			return err
		}
		if p.Events != nil {
			events, err := catalog.ValidateSubscriptions(ctx, q, "body.events", *p.Events, cur.Events)
			if err != nil {
				return err
			}
			p.Events = &events
		}
		next, diff := apply(cur, p)
		if err := s.applyControls(cur, p.Controls, &next, diff); err != nil {
			return err
		}
		if err := brokerControls(next.Url, storedAuthType(next.Auth), hasTLSColumn(next.Tls)); err != nil {
			return err
		}
		if err := credentialsFollow(cur, p); err != nil {
			return err
		}
		if updated, err = q.UpdateEndpoint(ctx, next); err != nil {
			return err
		}
		if cur.IsActive && !next.IsActive {
			if open, err = q.ListOpenEndpointDeliveries(ctx, dbq.ListOpenEndpointDeliveriesParams{TenantID: c.TenantID, EndpointID: id}); err != nil {
				return err
			}
		}
		if stopsBlocking(cur, next) {
			if _, err := q.ReleaseFailedInKeys(ctx, id); err != nil {
				return err
			}
		}
		if next.Ordering != cur.Ordering || next.OnExhausted != cur.OnExhausted {
			if waiters, err = q.ListOrderWaiters(ctx, dbq.ListOrderWaitersParams{EndpointID: id, RowLimit: maxWokenWaiters}); err != nil {
				return err
			}
		}
		return c.Record(ctx, q, "webhook_endpoint.updated", "webhook_endpoint", id.String(), map[string]any{"changes": diff})
	})
	if err != nil {
		return dbq.WebhookEndpoint{}, err
	}
	// Woken, the waiting workflows record `failed` (endpoint disabled) now
	// rather than hours from now; deliveries waiting for their turn ask
	// again under the new ordering rules.
	s.Workflows.Wake(ctx, append(open, waiters...))
	return updated, nil
}

// validatePatch checks and normalises the fields p sets.
func (s *Service) validatePatch(p Patch) (Patch, error) {
	if p.Ordering != nil && !p.Ordering.Valid() {
		return p, invalidOrdering(*p.Ordering)
	}
	if p.OnExhausted != nil && !p.OnExhausted.Valid() {
		return p, invalidOnExhausted(*p.OnExhausted)
	}
	if err := validateMaxInFlight("body.max_in_flight", p.MaxInFlight); err != nil {
		return p, err
	}
	if p.RateLimit != nil {
		if err := validateRateLimit("body.rate_limit", p.RateLimit.PerSecond); err != nil {
			return p, err
		}
	}
	if p.Description != nil {
		if err := validDescription(*p.Description); err != nil {
			return p, err
		}
	}
	if p.Channels != nil {
		chans, err := normalizeChannels(*p.Channels)
		if err != nil {
			return p, err
		}
		p.Channels = &chans
	}
	if p.Filter != nil && p.Filter.Value != nil {
		f, err := normalizeFilter(*p.Filter.Value)
		if err != nil {
			return p, err
		}
		p.Filter = &Change[json.RawMessage]{}
		if f != nil {
			p.Filter.Value = &f
		}
	}
	if p.URL != nil {
		u, err := s.validateURL("body.url", *p.URL)
		if err != nil {
			return p, err
		}
		p.URL = &u
	}
	return p, nil
}

// apply returns cur with p applied and the audit diff of what changed.
func apply(cur dbq.WebhookEndpoint, p Patch) (dbq.UpdateEndpointParams, map[string]audit.Change) {
	next := dbq.UpdateEndpointParams{
		TenantID: cur.TenantID, ID: cur.ID, Url: cur.Url, Description: cur.Description,
		Events: cur.Events, IsActive: cur.IsActive, VerifiedAt: cur.VerifiedAt,
		MaxInFlight: cur.MaxInFlight, RateLimit: cur.RateLimit,
		Headers: cur.Headers, SensitiveHeaders: cur.SensitiveHeaders, Auth: cur.Auth, Tls: cur.Tls, TlsNotAfter: cur.TlsNotAfter,
		SecretsCiphertext: cur.SecretsCiphertext, RetrySchedule: cur.RetrySchedule, TimeoutSeconds: cur.TimeoutSeconds,
		Channels: cur.Channels, Filter: cur.Filter, TracePropagation: cur.TracePropagation,
		Ordering: cur.Ordering, OnExhausted: cur.OnExhausted,
	}
	diff := map[string]audit.Change{}
	if p.Ordering != nil && *p.Ordering != cur.Ordering {
		diff["ordering"] = audit.Change{From: cur.Ordering, To: *p.Ordering}
		next.Ordering = *p.Ordering
	}
	if p.OnExhausted != nil && *p.OnExhausted != cur.OnExhausted {
		diff["on_exhausted"] = audit.Change{From: cur.OnExhausted, To: *p.OnExhausted}
		next.OnExhausted = *p.OnExhausted
	}
	if p.TracePropagation != nil && *p.TracePropagation != cur.TracePropagation {
		diff["trace_propagation"] = audit.Change{From: cur.TracePropagation, To: *p.TracePropagation}
		next.TracePropagation = *p.TracePropagation
	}
	if p.Channels != nil && !slices.Equal(*p.Channels, cur.Channels) {
		diff["channels"] = audit.Change{From: cur.Channels, To: *p.Channels}
		next.Channels = *p.Channels
	}
	if p.Filter != nil {
		var f json.RawMessage
		if p.Filter.Value != nil {
			f = *p.Filter.Value
		}
		if !bytes.Equal(f, cur.Filter) {
			diff["filter"] = audit.Change{From: json.RawMessage(cur.Filter), To: f}
			next.Filter = f
		}
	}
	if p.URL != nil && *p.URL != cur.Url {
		diff["url"] = audit.Change{From: cur.Url, To: *p.URL}
		next.Url, next.VerifiedAt = *p.URL, nil
	}
	if p.Events != nil && !slices.Equal(*p.Events, cur.Events) {
		diff["events"] = audit.Change{From: cur.Events, To: *p.Events}
		next.Events = *p.Events
	}
	if p.IsActive != nil && *p.IsActive != cur.IsActive {
		diff["is_active"] = audit.Change{From: cur.IsActive, To: *p.IsActive}
		next.IsActive = *p.IsActive
	}
	if p.Description != nil && *p.Description != cur.Description {
		diff["description"] = audit.Change{From: cur.Description, To: *p.Description}
		next.Description = *p.Description
	}
	if p.MaxInFlight != nil && int32(*p.MaxInFlight) != cur.MaxInFlight {
		diff["max_in_flight"] = audit.Change{From: cur.MaxInFlight, To: *p.MaxInFlight}
		next.MaxInFlight = int32(*p.MaxInFlight)
	}
	if p.RateLimit != nil && !equalLimit(int32Ptr(p.RateLimit.PerSecond), cur.RateLimit) {
		diff["rate_limit"] = audit.Change{From: cur.RateLimit, To: p.RateLimit.PerSecond}
		next.RateLimit = int32Ptr(p.RateLimit.PerSecond)
	}
	return next, diff
}

func equalLimit(a, b *int32) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// applyControls merges p into cur's delivery controls, re-sealing the
// secrets, and adds what changed (names and types, never values of
// secrets) to diff.
func (s *Service) applyControls(cur dbq.WebhookEndpoint, p ControlsPatch, next *dbq.UpdateEndpointParams, diff map[string]audit.Change) error {
	if p.empty() {
		return nil
	}
	old, err := Resolve(s.Box, cur.TenantID, cur.ID, ColumnsOf(cur))
	if err != nil {
		return apperr.Unavailable("the endpoint's sealed settings cannot be decrypted with the configured encryption keys")
	}
	r, err := s.resolvePatch(old, p)
	if err != nil {
		return err
	}
	cols, err := columns(s.Box, cur.TenantID, cur.ID, r)
	if err != nil {
		return err
	}
	next.Headers, next.SensitiveHeaders, next.Auth, next.Tls, next.TlsNotAfter = cols.Headers, cols.SensitiveHeaders, cols.Auth, cols.TLS, cols.TLSNotAfter
	next.SecretsCiphertext, next.RetrySchedule, next.TimeoutSeconds = cols.SecretsCiphertext, cols.RetrySchedule, cols.TimeoutSeconds
	was, now := auditControls(old), auditControls(r)
	for k, set := range p.fields() {
		if set {
			diff[k] = audit.Change{From: was[k], To: now[k]}
		}
	}
	return nil
}

// credentialsFollow refuses a move to another origin (scheme, host or port)
// that would carry the endpoint's write-only credentials to it: auth and
// sensitive header values were given for the old receiver, so the same
// PATCH must send them again (or remove them). Mutual TLS needs no such
// rule: the client key never leaves Hookline.
func credentialsFollow(cur dbq.WebhookEndpoint, p Patch) error {
	if p.URL == nil || sameOrigin(cur.Url, *p.URL) {
		return nil
	}
	if len(cur.Auth) > 0 && string(cur.Auth) != "null" && p.Controls.Auth == nil {
		return apperr.Invalid("body.auth", nil, "the URL moves to another host: send auth again (or null) in the same request, so credentials meant for the old receiver do not go to the new one")
	}
	for _, name := range cur.SensitiveHeaders {
		if !patchNames(p.Controls.Headers, name) {
			return apperr.Invalid("body.headers."+name, nil, "the URL moves to another host: send this sensitive header again (or null) in the same request")
		}
	}
	return nil
}

func patchNames(patch map[string]*string, name string) bool {
	for k := range patch {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

func sameOrigin(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host)
}
