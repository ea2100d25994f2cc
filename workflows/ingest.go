package workflows

import (
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hookline/hookline/activities"
	"github.com/hookline/hookline/internal/publish"
)

// IngestEvent is the payload of SignalIngest: an event as POST /v1/events
// takes it (JSON: id, type, payload, occurred_at).
type IngestEvent = publish.Event

// IngestInput is the input of a tenant's ingest workflow.
type IngestInput struct {
	TenantID uuid.UUID `json:"tenant_id"`
}

const (
	// ingestBatch bounds the events published by one activity.
	ingestBatch = 100
	// ingestIdle ends an ingest workflow nobody signals; SignalWithStart
	// starts a fresh one on the next event.
	ingestIdle = 10 * time.Minute
	// ingestEventsPerRun caps one run's history; then it continues as new
	// (also earlier when the server suggests it).
	ingestEventsPerRun = 2000
)

// IngestWorkflow receives publish.Event signals (SignalIngest) from producers
// that use the Temporal SDK, and publishes them in batches exactly like the
// REST operation: the same validation, the same idempotency on the event id,
// the same fan-out. Producers reach it with SignalWithStartWorkflow on
// IngestWorkflowID(tenant).
func IngestWorkflow(ctx workflow.Context, in IngestInput) error {
	var a *activities.Activities
	ch := workflow.GetSignalChannel(ctx, SignalIngest)
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	logger := workflow.GetLogger(ctx)
	handled := 0
	for {
		batch := receiveBatch(ctx, ch)
		if len(batch) == 0 {
			return nil // idle: end; any signal racing this completion makes the server re-run us
		}
		var res activities.IngestResult
		if err := workflow.ExecuteActivity(ctx, a.IngestEvents, activities.IngestInput{TenantID: in.TenantID, Events: batch}).Get(ctx, &res); err != nil {
			return err
		}
		if res.Rejected > 0 {
			logger.Warn("ingest: events rejected", "rejected", res.Rejected)
		}
		handled += len(batch)
		if handled >= ingestEventsPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			// Drain what has arrived so no signal is lost across the reset.
			for rest := drain(ch, ingestBatch); len(rest) > 0; rest = drain(ch, ingestBatch) {
				if err := workflow.ExecuteActivity(ctx, a.IngestEvents, activities.IngestInput{TenantID: in.TenantID, Events: rest}).Get(ctx, nil); err != nil {
					return err
				}
			}
			return workflow.NewContinueAsNewError(ctx, IngestWorkflow, in)
		}
	}
}

// receiveBatch waits (up to ingestIdle) for one event, then takes whatever
// else is already buffered, up to ingestBatch.
func receiveBatch(ctx workflow.Context, ch workflow.ReceiveChannel) []publish.Event {
	var first publish.Event
	if ok, _ := ch.ReceiveWithTimeout(ctx, ingestIdle, &first); !ok {
		return drain(ch, ingestBatch)
	}
	return append([]publish.Event{first}, drain(ch, ingestBatch-1)...)
}

// drain takes up to n already-buffered events without blocking.
func drain(ch workflow.ReceiveChannel, n int) []publish.Event {
	var out []publish.Event
	for len(out) < n {
		var ev publish.Event
		if !ch.ReceiveAsync(&ev) {
			break
		}
		out = append(out, ev)
	}
	return out
}
