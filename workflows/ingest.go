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
	// ingestBatch bounds the events published by one activity...
	ingestBatch = 100
	// ...and ingestBatchBytes their size, far below Temporal's payload
	// limit (2 MiB): a burst of large events can never make one activity
	// input too large to schedule.
	ingestBatchBytes = 1 << 20
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
// IngestWorkflowID(tenant). An invalid or oversized event is rejected alone
// (logged and counted); the others go on.
func IngestWorkflow(ctx workflow.Context, in IngestInput) error {
	if workflow.GetInfo(ctx).WorkflowExecution.ID != IngestWorkflowID(in.TenantID) {
		// Publishing as another tenant than the workflow id names: refused.
		return temporal.NewNonRetryableApplicationError("input tenant_id does not match the workflow id ingest/<tenant_id>", "TenantMismatch", nil)
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	b := &ingestBatcher{ch: workflow.GetSignalChannel(ctx, SignalIngest)}
	handled := 0
	for {
		batch, tooLarge, idle := b.next(ctx)
		if idle {
			return nil // any signal racing this completion makes the server run us again
		}
		if err := ingest(ctx, in.TenantID, batch, tooLarge); err != nil {
			return err
		}
		handled += len(batch) + len(tooLarge)
		if handled >= ingestEventsPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			// Publish what has arrived so no signal is lost across the reset.
			for batch, tooLarge = b.drain(); len(batch)+len(tooLarge) > 0; batch, tooLarge = b.drain() {
				if err := ingest(ctx, in.TenantID, batch, tooLarge); err != nil {
					return err
				}
			}
			return workflow.NewContinueAsNewError(ctx, IngestWorkflow, in)
		}
	}
}

// ingest publishes a batch and reports the events too large to publish.
func ingest(ctx workflow.Context, tenantID uuid.UUID, batch, tooLarge []publish.Event) error {
	var a *activities.Activities
	if len(tooLarge) > 0 {
		rejected := make([]activities.RejectedEvent, len(tooLarge))
		for i, ev := range tooLarge {
			rejected[i] = activities.RejectedEvent{ID: ev.ID, Type: ev.Type, Bytes: len(ev.Payload), Reason: publish.PayloadTooLarge}
		}
		if err := workflow.ExecuteActivity(ctx, a.RejectIngestEvents, activities.RejectInput{TenantID: tenantID, Events: rejected}).Get(ctx, nil); err != nil {
			return err
		}
	}
	if len(batch) == 0 {
		return nil
	}
	var res activities.IngestResult
	if err := workflow.ExecuteActivity(ctx, a.IngestEvents, activities.IngestInput{TenantID: tenantID, Events: batch}).Get(ctx, &res); err != nil {
		return err
	}
	if res.Rejected > 0 {
		workflow.GetLogger(ctx).Warn("ingest: events rejected", "rejected", res.Rejected)
	}
	return nil
}

// ingestBatcher cuts the signalled events into batches bounded by count and
// bytes. An event that would overflow a batch is carried to the next one.
type ingestBatcher struct {
	ch    workflow.ReceiveChannel
	carry *publish.Event
}

// next waits (up to ingestIdle) for an event, then takes whatever else is
// buffered, within the bounds. Events whose payload can never be published
// (over publish.MaxPayloadBytes) come back apart.
func (b *ingestBatcher) next(ctx workflow.Context) (batch, tooLarge []publish.Event, idle bool) {
	if b.carry == nil {
		var first publish.Event
		if ok, _ := b.ch.ReceiveWithTimeout(ctx, ingestIdle, &first); !ok {
			batch, tooLarge = b.drain()
			return batch, tooLarge, len(batch)+len(tooLarge) == 0
		}
		b.carry = &first
	}
	batch, tooLarge = b.drain()
	return batch, tooLarge, false
}

// drain takes the carried event and buffered ones without blocking.
func (b *ingestBatcher) drain() (batch, tooLarge []publish.Event) {
	size := 0
	for len(batch) < ingestBatch {
		var ev publish.Event
		if b.carry != nil {
			ev, b.carry = *b.carry, nil
		} else if !b.ch.ReceiveAsync(&ev) {
			break
		}
		n := eventBytes(ev)
		switch {
		case len(ev.Payload) > publish.MaxPayloadBytes:
			tooLarge = append(tooLarge, ev)
			continue
		case len(batch) > 0 && size+n > ingestBatchBytes:
			b.carry = &ev
			return batch, tooLarge
		}
		batch = append(batch, ev)
		size += n
	}
	return batch, tooLarge
}

// eventBytes is an event's share of an activity input.
func eventBytes(ev publish.Event) int { return len(ev.Payload) + len(ev.ID) + len(ev.Type) + 128 }
