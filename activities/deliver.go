package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/endpoint"
)

// AttemptInput names one delivery attempt.
type AttemptInput struct {
	DeliveryID uuid.UUID `json:"delivery_id"`
	Attempt    int       `json:"attempt"`
}

// AttemptResult is what the workflow needs to go on: no payload, no secret,
// no response body.
type AttemptResult struct {
	Status     delivery.Status `json:"status"`
	StatusCode int             `json:"status_code,omitempty"`
	Error      string          `json:"error,omitempty"`
	NextDelay  time.Duration   `json:"next_delay,omitempty"`
	// Gated: the flow gate (capacity, tenant share, rate, breaker) made the
	// attempt wait NextDelay before trying again; no attempt was made and
	// none is counted.
	Gated bool `json:"gated,omitempty"`
	// Behind: gated because an earlier delivery of its ordered key is open;
	// the one before it signals when its turn comes.
	Behind bool `json:"behind,omitempty"`
}

// Reasons a delivery fails without an attempt: retrying cannot heal them.
const (
	reasonEndpointDeleted  = "endpoint deleted"
	reasonEndpointDisabled = "endpoint disabled"
	reasonEventMissing     = "event missing: its payload was deleted"
	reasonUndecryptable    = "endpoint secret cannot be decrypted: HOOKLINE_ENCRYPTION_KEY is not the key it was sealed with"
	reasonControlsUnusable = "endpoint settings unusable: its sealed headers, auth or TLS cannot be decrypted or loaded"
)

// attemptColumns are the delivery controls loaded with the attempt.
func attemptColumns(d dbq.GetAttemptContextRow) endpoint.Columns {
	return endpoint.Columns{Headers: d.Headers, Auth: d.Auth, SecretsCiphertext: d.SecretsCiphertext,
		RetrySchedule: d.RetrySchedule, TimeoutSeconds: d.TimeoutSeconds}
}

// AttemptDelivery makes attempt n of a delivery. The flow gate (in the same
// query that loads the event, endpoint and secrets) first decides whether it
// may go now; if so it signs, POSTs (or publishes, to a broker destination),
// and records the attempt with the delivery's new state. HTTP and broker
// outcomes are results; an error means an infrastructure fault and Temporal
// retries the activity. A retry after the write committed returns the
// recorded state without posting again.
func (a *Activities) AttemptDelivery(ctx context.Context, in AttemptInput) (AttemptResult, error) {
	q := db.Q(a.Pool)
	d, err := q.GetAttemptContext(ctx, dbq.GetAttemptContextParams{
		ID: in.DeliveryID, Attempt: int32(in.Attempt), LeaseMs: int32(a.Flow.Lease / time.Millisecond),
		TenantCap: int32(a.Flow.TenantMaxInFlight), BreakerThreshold: int32(a.Flow.BreakerThreshold),
		OrderWaitMs: orderRecheck.Milliseconds(),
	})
	if db.IsNotFound(err) {
		return AttemptResult{Status: delivery.Gone}, nil
	}
	if err != nil {
		return AttemptResult{}, a.retrying(ctx, in.DeliveryID, "load delivery", err)
	}
	if d.WaitMs > 0 {
		return a.gated(d), nil
	}
	if d.Status.Terminal() || int(d.AttemptCount) >= in.Attempt {
		if d.Status == delivery.DeadLetter { // a retry after the write: emit again, idempotently
			if err := a.deadLettered(ctx, d.ID, d.TenantID, d.EndpointID, d.EventType, int(d.AttemptCount), d.LastStatusCode); err != nil {
				return AttemptResult{}, a.retrying(ctx, d.ID, "emit delivery.dead_lettered", err)
			}
		}
		if d.Status.Terminal() { // the try that wrote it may have died before telling the next of its key
			a.proceed(ctx, q, d.ID, d.OrderingSeq != nil)
		}
		return a.recorded(d), nil
	}
	if reason := unattemptable(d); reason != "" {
		return a.finishWithoutAttempt(ctx, q, d, reason)
	}
	secrets, err := a.signingSecrets(d.TenantID, d.EndpointID, d.SecretCiphertext, d.PreviousSecrets)
	if err != nil {
		return a.finishWithoutAttempt(ctx, q, d, reasonUndecryptable)
	}
	req, ctl, err := a.request(d.TenantID, d.EndpointID, *d.EndpointUrl, attemptColumns(d))
	if err != nil {
		return a.finishWithoutAttempt(ctx, q, d, reasonControlsUnusable)
	}
	req.MsgID, req.Body, req.Secrets = d.ID.String(), delivery.Envelope(d.EventID, d.EventType, *d.EventOccurredAt, d.EventPayload), secrets
	if d.TracePropagation != nil && *d.TracePropagation {
		req.Propagator = a.Propagator
	}
	started := a.now()
	sendCtx, cancel := context.WithTimeout(ctx, a.timeout(ctl))
	sendCtx, span := a.attemptSpan(sendCtx, d, in.Attempt)
	out := a.send(sendCtx, req, ctl)
	endAttemptSpan(span, out)
	cancel()
	dur := a.now().Sub(started)
	res := AttemptResult{StatusCode: out.Code, Error: out.Reason}
	if out.OK() {
		res.Status = delivery.Succeeded
	} else {
		res.Status, res.NextDelay = a.policy(ctl).Next(in.Attempt, out.Retryable, out.RetryAfter, nil)
	}
	if err := a.settle(ctx, q, d, attempt{n: in.Attempt, res: res, out: out, started: started, dur: dur}); err != nil {
		return AttemptResult{}, a.retrying(ctx, d.ID, "record attempt", err)
	}
	a.logAttempt(ctx, d, in.Attempt, res, out, dur)
	return res, nil
}

// unattemptable names why a delivery cannot be attempted at all, if so.
func unattemptable(d dbq.GetAttemptContextRow) string {
	switch {
	case d.EndpointUrl == nil:
		return reasonEndpointDeleted
	// Test deliveries go out even to inactive endpoints: that is how a
	// tenant checks an endpoint before switching it on.
	case !*d.EndpointActive && !d.Test:
		return reasonEndpointDisabled
	case d.EventOccurredAt == nil:
		return reasonEventMissing
	}
	return ""
}

// gated answers a wait the flow gate decided. The gate itself spreads the
// deliveries an open breaker holds (one prober, the others queued with
// random fallbacks), so the wait is taken as it is.
func (a *Activities) gated(d dbq.GetAttemptContextRow) AttemptResult {
	wait := time.Duration(d.WaitMs) * time.Millisecond
	reason := "queued"
	switch {
	case d.OrderWaiting:
		reason = "ordering"
	case d.BreakerOpenUntil != nil && d.BreakerOpenUntil.After(a.now()):
		reason = "breaker"
	}
	if a.Metrics != nil {
		a.Metrics.ObserveGated(reason)
	}
	return AttemptResult{Status: d.Status, Gated: true, NextDelay: wait, Behind: d.OrderWaiting}
}

func (a *Activities) logAttempt(ctx context.Context, d dbq.GetAttemptContextRow, n int, res AttemptResult, out delivery.Outcome, dur time.Duration) {
	// The SDK logger adds the workflow and activity ids.
	args := []any{"delivery_id", d.ID, "tenant_id", d.TenantID,
		"attempt", n, "status", res.Status, "status_code", out.Code, "error", out.Reason, "duration", dur}
	if out.Blocked {
		args = append(args, "blocked_addr", out.BlockedAddr)
	}
	activity.GetLogger(ctx).Info("delivery attempt", args...)
	if a.Metrics != nil {
		a.Metrics.ObserveAttempt(out.Class(), dur)
		if res.Status.Terminal() {
			a.Metrics.ObserveFinal(res.Status, a.now().Sub(d.CreatedAt))
		}
	}
}

// recorded answers from the stored state (the attempt was already written).
func (a *Activities) recorded(d dbq.GetAttemptContextRow) AttemptResult {
	res := AttemptResult{Status: d.Status}
	if d.LastStatusCode != nil {
		res.StatusCode = int(*d.LastStatusCode)
	}
	if d.LastError != nil {
		res.Error = *d.LastError
	}
	if res.Status == delivery.InFlight && d.NextAttemptAt != nil {
		res.NextDelay = max(d.NextAttemptAt.Sub(a.now()), time.Second)
	}
	return res
}

func (a *Activities) finishWithoutAttempt(ctx context.Context, q *dbq.Queries, d dbq.GetAttemptContextRow, reason string) (AttemptResult, error) {
	// A switched-off endpoint fails all its deliveries: none holds its key.
	release := reason == reasonEndpointDisabled
	if _, err := q.SetDeliveryStatus(ctx, dbq.SetDeliveryStatusParams{Status: delivery.Failed, LastError: &reason, ID: d.ID, Release: release}); err != nil {
		return AttemptResult{}, a.retrying(ctx, d.ID, "record failure", err)
	}
	a.proceed(ctx, q, d.ID, d.OrderingSeq != nil)
	// Best effort: a lost count is not worth an attempt retry.
	_ = q.CountFinalWithoutAttempt(ctx, d.ID)
	a.logger().WarnContext(ctx, "delivery failed without an attempt", "delivery_id", d.ID, "tenant_id", d.TenantID, "reason", reason)
	if a.Metrics != nil {
		a.Metrics.ObserveFinal(delivery.Failed, a.now().Sub(d.CreatedAt))
	}
	return AttemptResult{Status: delivery.Failed, Error: reason}, nil
}

// retrying reports an infrastructure fault the activity's retries will ride
// out: a WARN line, the metric, and last_error on the delivery (best effort:
// the database may be what is down). It returns err for Temporal to retry.
func (a *Activities) retrying(ctx context.Context, id uuid.UUID, stage string, err error) error {
	a.logger().WarnContext(ctx, "delivery retrying after an infrastructure fault", "delivery_id", id, "stage", stage, "err", err)
	if a.Metrics != nil {
		a.Metrics.ObserveRetrying(stage)
	}
	db.NoteRetrying(ctx, a.Pool, []uuid.UUID{id}, "retrying: "+stage+" failed (infrastructure fault); the delivery is not lost")
	return fmt.Errorf("%s: %w", stage, err)
}

// signingSecrets decrypts the current secret and the previous ones still
// within their grace periods (the query selects those).
func (a *Activities) signingSecrets(tenantID, endpointID uuid.UUID, current []byte, previous [][]byte) ([]string, error) {
	cur, err := a.Box.OpenEndpointSecret(tenantID, endpointID, current)
	if err != nil {
		return nil, fmt.Errorf("decrypt endpoint secret: %w", err)
	}
	secrets := []string{cur}
	for _, p := range previous {
		prev, err := a.Box.OpenEndpointSecret(tenantID, endpointID, p)
		if err != nil {
			return nil, fmt.Errorf("decrypt previous endpoint secret: %w", err)
		}
		secrets = append(secrets, prev)
	}
	return secrets, nil
}
