package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/catalog"
	"github.com/hookline/hookline/internal/delivery"
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
}

// AttemptDelivery makes attempt n of a delivery: it loads the event, endpoint
// and secrets, signs, POSTs, and records the attempt with the delivery's new
// state in one statement. HTTP outcomes are results; an error means an
// infrastructure fault and Temporal retries the activity. A retry after the
// write committed returns the recorded state without posting again.
func (a *Activities) AttemptDelivery(ctx context.Context, in AttemptInput) (AttemptResult, error) {
	q := db.Q(a.Pool)
	d, err := q.GetAttemptContext(ctx, in.DeliveryID)
	if db.IsNotFound(err) {
		return AttemptResult{Status: delivery.Gone}, nil
	}
	if err != nil {
		return AttemptResult{}, fmt.Errorf("load delivery: %w", err)
	}
	if d.Status.Terminal() || int(d.AttemptCount) >= in.Attempt {
		return a.recorded(d), nil
	}
	if d.EndpointUrl == nil {
		return a.finishWithoutAttempt(ctx, q, d, "endpoint deleted")
	}
	// Test deliveries go out even to inactive endpoints: that is how a
	// tenant checks an endpoint before switching it on.
	if !*d.EndpointActive && d.EventType != catalog.TestEventType {
		return a.finishWithoutAttempt(ctx, q, d, "endpoint disabled")
	}
	if d.EventOccurredAt == nil {
		return AttemptResult{}, fmt.Errorf("delivery %s: event %s missing", d.ID, d.EventID)
	}
	secrets, err := a.signingSecrets(d.TenantID, d.EndpointID, d.SecretCiphertext, d.PreviousSecrets)
	if err != nil {
		return AttemptResult{}, err
	}
	body := delivery.Envelope(d.EventID, d.EventType, *d.EventOccurredAt, d.EventPayload)
	started := a.now()
	out := a.Sender.Send(ctx, *d.EndpointUrl, d.ID.String(), body, secrets)
	dur := a.now().Sub(started)
	res := AttemptResult{StatusCode: out.Code, Error: out.Reason}
	if out.OK() {
		res.Status = delivery.Succeeded
	} else {
		res.Status, res.NextDelay = a.Policy.Next(in.Attempt, out.Retryable, out.RetryAfter, nil)
	}
	if err := a.record(ctx, q, d, in.Attempt, res, out, started, dur); err != nil {
		return AttemptResult{}, err
	}
	// The SDK logger adds the workflow and activity ids.
	logArgs := []any{"delivery_id", d.ID, "tenant_id", d.TenantID,
		"attempt", in.Attempt, "status", res.Status, "status_code", out.Code, "error", out.Reason, "duration", dur}
	if out.Blocked {
		logArgs = append(logArgs, "blocked_addr", out.BlockedAddr)
	}
	activity.GetLogger(ctx).Info("delivery attempt", logArgs...)
	if a.Metrics != nil {
		a.Metrics.ObserveAttempt(out.Class(), dur)
		if res.Status.Terminal() {
			a.Metrics.ObserveFinal(res.Status, a.now().Sub(d.CreatedAt))
		}
	}
	return res, nil
}

// record writes the attempt row and the delivery's new state.
func (a *Activities) record(ctx context.Context, q *dbq.Queries, d dbq.GetAttemptContextRow, n int, res AttemptResult, out delivery.Outcome, started time.Time, dur time.Duration) error {
	var next *time.Time
	if res.Status == delivery.InFlight {
		t := a.now().Add(res.NextDelay)
		next = &t
	}
	if _, err := q.RecordAttempt(ctx, dbq.RecordAttemptParams{
		Status: res.Status, AttemptCount: int32(n), LastStatusCode: nonZero(int32(out.Code)),
		LastError: nonEmpty(out.Reason), NextAttemptAt: next, ID: d.ID, StartedAt: started,
		DurationMs: int32(dur.Milliseconds()), ResponseBody: nonEmpty(out.Body),
	}); err != nil {
		return fmt.Errorf("record attempt: %w", err)
	}
	return nil
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
	if _, err := q.SetDeliveryStatus(ctx, dbq.SetDeliveryStatusParams{Status: delivery.Failed, LastError: &reason, ID: d.ID}); err != nil {
		return AttemptResult{}, fmt.Errorf("record %s: %w", reason, err)
	}
	if a.Metrics != nil {
		a.Metrics.ObserveFinal(delivery.Failed, a.now().Sub(d.CreatedAt))
	}
	return AttemptResult{Status: delivery.Failed, Error: reason}, nil
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

func nonZero(v int32) *int32 {
	if v == 0 {
		return nil
	}
	return &v
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
