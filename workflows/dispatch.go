package workflows

import (
	"context"
	"errors"
	"log/slog"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/sync/errgroup"

	"github.com/hookline/hookline/activities"
	"github.com/hookline/hookline/internal/publish"
)

// dispatchParallelism bounds concurrent start/signal calls to Temporal.
const dispatchParallelism = 16

// Dispatcher starts, cancels and wakes delivery workflows. It implements
// publish.Starter.
type Dispatcher struct {
	Client    client.Client
	TaskQueue string
	Logger    *slog.Logger
	// RemoteAttempts starts deliveries with DeliveryInput.RemoteAttempts.
	RemoteAttempts bool
}

var _ publish.Starter = (*Dispatcher)(nil)

// StartOptions are the options of a delivery workflow. A delivery id runs
// again only if its previous run failed or was terminated (reconcile), never
// after it completed.
func (d *Dispatcher) StartOptions(ref publish.Delivery) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                    DeliveryWorkflowID(ref.ID),
		TaskQueue:             d.TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		// When a worker runs in this process (hookline dev), its first
		// workflow task comes back with the start response: no matching
		// round trip. Elsewhere the server ignores it.
		EnableEagerStart: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			SATenantID.ValueSet(ref.TenantID.String()),
			SAEndpointID.ValueSet(ref.EndpointID.String()),
			SAEventType.ValueSet(ref.EventType),
			SADeliveryStatus.ValueSet(activities.StatusPending),
		),
	}
}

// Start starts one DeliveryWorkflow per delivery, concurrently. Starting a
// delivery whose workflow runs or completed is not an error.
func (d *Dispatcher) Start(ctx context.Context, ds []publish.Delivery) error {
	return d.each(len(ds), func(i int) error {
		_, err := d.Client.ExecuteWorkflow(ctx, d.StartOptions(ds[i]), DeliveryWorkflow, DeliveryInput{DeliveryID: ds[i].ID, RemoteAttempts: d.RemoteAttempts})
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if errors.As(err, &started) {
			return nil
		}
		return err
	})
}

// Cancel signals SignalCancel to the deliveries' workflows, best effort:
// a workflow that has ended needs no signal, and one that misses it finds its
// row gone at the next attempt and ends anyway.
func (d *Dispatcher) Cancel(ctx context.Context, ids []uuid.UUID) { d.signal(ctx, ids, SignalCancel) }

// Wake signals SignalWake to the deliveries' workflows, best effort.
func (d *Dispatcher) Wake(ctx context.Context, ids []uuid.UUID) { d.signal(ctx, ids, SignalWake) }

func (d *Dispatcher) signal(ctx context.Context, ids []uuid.UUID, name string) {
	ctx = context.WithoutCancel(ctx) // the change is committed; finish telling the workflows
	err := d.each(len(ids), func(i int) error {
		err := d.Client.SignalWorkflow(ctx, DeliveryWorkflowID(ids[i]), "", name, nil)
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return nil
		}
		return err
	})
	if err != nil && d.Logger != nil {
		d.Logger.WarnContext(ctx, "signalling delivery workflows failed", "signal", name, "workflows", len(ids), "err", err)
	}
}

// each runs fn(0..n-1) with bounded parallelism and returns the first error.
func (d *Dispatcher) each(n int, fn func(i int) error) error {
	var g errgroup.Group
	g.SetLimit(dispatchParallelism)
	for i := range n {
		g.Go(func() error { return fn(i) })
	}
	return g.Wait()
}
