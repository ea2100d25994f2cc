package activities

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/publish"
)

// IngestInput is a batch of events signalled by Temporal-native producers.
type IngestInput struct {
	TenantID uuid.UUID       `json:"tenant_id"`
	Events   []publish.Event `json:"events"`
}

// IngestResult counts what a batch did.
type IngestResult struct {
	Published  int `json:"published"`
	Duplicates int `json:"duplicates"`
	Rejected   int `json:"rejected"`
	Deliveries int `json:"deliveries"`
}

// rejection tells an event the producer must fix (invalid; or data Postgres
// refuses, which no retry changes) from a fault to retry.
func rejection(err error) (string, bool) {
	if e, ok := apperr.As(err); ok {
		return e.Error(), true
	}
	if errors.Is(err, db.ErrInvalidData) {
		return "the database refused a value of the event", true
	}
	return "", false
}

// ErrUnknownTenant is the application error type of an ingest batch for a
// tenant that does not exist.
const ErrUnknownTenant = "UnknownTenant"

// IngestEvents publishes each event exactly like the REST operation, one
// transaction per event so a bad one cannot hold back the rest. Invalid
// events are counted and logged (producers cannot receive an answer to a
// signal); database faults fail the activity, which Temporal retries —
// events already written are then recognised as duplicates.
func (a *Activities) IngestEvents(ctx context.Context, in IngestInput) (IngestResult, error) {
	var res IngestResult
	// A signal for a tenant that does not exist can never be published:
	// fail for good rather than retry every batch forever.
	if _, err := db.Q(a.Pool).GetTenant(ctx, in.TenantID); db.IsNotFound(err) {
		return res, temporal.NewNonRetryableApplicationError("unknown tenant "+in.TenantID.String(), ErrUnknownTenant, nil)
	} else if err != nil {
		return res, err
	}
	for _, ev := range in.Events {
		r, err := a.Publisher.Publish(ctx, in.TenantID, ev)
		if reason, rejected := rejection(err); rejected {
			res.Rejected++
			a.logger().WarnContext(ctx, "ingest: event rejected", "tenant_id", in.TenantID, "event_id", ev.ID, "reason", reason)
			if a.Metrics != nil {
				a.Metrics.ObserveIngestRejected("invalid")
			}
			continue
		}
		if err != nil {
			return res, err
		}
		if r.Duplicate {
			res.Duplicates++
			continue
		}
		res.Published++
		res.Deliveries += r.Deliveries
	}
	a.TestSignals.IngestBatch.Signal(res)
	return res, nil
}

// RejectedEvent is an event the ingest workflow refused without publishing
// (its payload is never sent to an activity).
type RejectedEvent struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Bytes  int    `json:"bytes"`
	Reason string `json:"reason"`
}

// RejectInput lists rejected events of a tenant.
type RejectInput struct {
	TenantID uuid.UUID       `json:"tenant_id"`
	Events   []RejectedEvent `json:"events"`
}

// RejectIngestEvents logs and counts events the ingest workflow refused:
// producers cannot receive an answer to a signal.
func (a *Activities) RejectIngestEvents(ctx context.Context, in RejectInput) error {
	for _, ev := range in.Events {
		a.logger().WarnContext(ctx, "ingest: event rejected", "tenant_id", in.TenantID, "event_id", ev.ID,
			"type", ev.Type, "bytes", ev.Bytes, "reason", ev.Reason)
		if a.Metrics != nil {
			a.Metrics.ObserveIngestRejected("too_large")
		}
	}
	return nil
}
