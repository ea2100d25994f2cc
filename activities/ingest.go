package activities

import (
	"context"

	"github.com/google/uuid"

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

// IngestEvents publishes each event exactly like the REST operation, one
// transaction per event so a bad one cannot hold back the rest. Invalid
// events are counted and logged (producers cannot receive an answer to a
// signal); database faults fail the activity, which Temporal retries —
// events already written are then recognised as duplicates.
func (a *Activities) IngestEvents(ctx context.Context, in IngestInput) (IngestResult, error) {
	var res IngestResult
	for _, ev := range in.Events {
		r, err := a.Publisher.Publish(ctx, in.TenantID, ev)
		if e, ok := apperr.As(err); ok {
			res.Rejected++
			a.logger().WarnContext(ctx, "ingest: event rejected", "tenant_id", in.TenantID, "event_id", ev.ID, "field", e.Field, "reason", e.Msg)
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
