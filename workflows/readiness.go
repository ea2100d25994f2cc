package workflows

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hookline/hookline/internal/delivery"
)

// ReadinessStatus is the status search attribute a readiness run sets.
const ReadinessStatus = "readiness"

// ReadinessWorkflow proves that delivery workflows can run now: started
// with a delivery's options (every search attribute, eager start) it upserts
// the status attribute as a delivery does, then ends. A freshly registered
// search attribute is refused by the start or by the upsert for a few
// seconds, so `hookline dev` says ready only once a run has succeeded.
func ReadinessWorkflow(ctx workflow.Context) error {
	return workflow.UpsertTypedSearchAttributes(ctx, SADeliveryStatus.ValueSet(ReadinessStatus))
}

// Readiness answers "can a delivery published now start now?". Until a
// probe has succeeded once it starts a ReadinessWorkflow exactly as a
// delivery is started (every search attribute); after that the answer is
// the frontend's health alone, so a probe every few seconds costs no
// workflow.
type Readiness struct {
	Dispatcher *Dispatcher
	// RunWorkflow waits for the probe run to finish on a worker (dev and
	// worker processes); otherwise a started run is terminated at once
	// (serve has no worker, and the start is what validates the attributes).
	RunWorkflow bool
	ready       atomic.Bool
}

// readinessRunTimeout bounds one probe run: a refused upsert fails the
// workflow task, which is retried rather than failing the run.
const readinessRunTimeout = 5 * time.Second

// Check reports whether deliveries can start now.
func (r *Readiness) Check(ctx context.Context) error {
	c := r.Dispatcher.Client
	if r.ready.Load() {
		_, err := c.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	}
	ref := delivery.Ref{ID: uuid.New(), EventType: ReadinessStatus}
	opts := r.Dispatcher.StartOptions(ref)
	opts.ID = "hookline-readiness-" + ref.ID.String()
	opts.WorkflowExecutionTimeout = time.Minute
	// The status attribute too, so the start itself validates all of them.
	opts.TypedSearchAttributes = temporal.NewSearchAttributes(
		SATenantID.ValueSet(ref.TenantID.String()), SAEndpointID.ValueSet(ref.EndpointID.String()),
		SAEventType.ValueSet(ref.EventType), SADeliveryStatus.ValueSet(ReadinessStatus))
	if !r.RunWorkflow {
		opts.EnableEagerStart = false
	}
	run, err := c.ExecuteWorkflow(ctx, opts, ReadinessWorkflow)
	if err != nil {
		return err
	}
	if r.RunWorkflow {
		runCtx, cancel := context.WithTimeout(ctx, readinessRunTimeout)
		defer cancel()
		err = run.Get(runCtx, nil)
	}
	if err != nil || !r.RunWorkflow {
		_ = c.TerminateWorkflow(context.WithoutCancel(ctx), opts.ID, "", "readiness probe")
	}
	if err != nil {
		return err
	}
	r.ready.Store(true)
	return nil
}

// Wait probes until deliveries can start, or gives up after limit.
func (r *Readiness) Wait(ctx context.Context, limit time.Duration) error {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		err := r.Check(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("delivery workflows not runnable after %s: %w", time.Since(start).Round(time.Second), err)
			}
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
