package workflows

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/sync/errgroup"

	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/deliverylog"
	"github.com/hookline/hookline/internal/endpoint"
)

// dispatchParallelism bounds concurrent start/signal calls to Temporal.
const dispatchParallelism = 16

// Dispatcher starts, inspects, cancels and wakes workflows: every call the
// services and activities make to Temporal goes through it.
type Dispatcher struct {
	Client    client.Client
	TaskQueue string
	Logger    *slog.Logger
	// RemoteAttempts starts deliveries with DeliveryInput.RemoteAttempts.
	RemoteAttempts bool
	// RecoverBatch is the batch size of recoveries (0: RecoverBatch).
	RecoverBatch int
}

var (
	_ delivery.Starter      = (*Dispatcher)(nil)
	_ endpoint.Workflows    = (*Dispatcher)(nil)
	_ deliverylog.Workflows = (*Dispatcher)(nil)
)

// StartOptions are the options of a delivery workflow. A delivery id runs
// again only if its previous run failed or was terminated (reconcile), never
// after it completed.
func (d *Dispatcher) StartOptions(ref delivery.Ref) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                    DeliveryWorkflowID(ref.ID),
		TaskQueue:             d.TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		// When a worker runs in this process (hookline dev), its first
		// workflow task comes back with the start response: no matching
		// round trip. Elsewhere the server ignores it.
		EnableEagerStart: true,
		// Fair share in Temporal's matching: a tenant's backlog of tasks
		// does not delay another tenant's (servers with fairness enabled;
		// hookline dev enables it).
		Priority: temporal.Priority{FairnessKey: ref.TenantID.String()},
		TypedSearchAttributes: temporal.NewSearchAttributes(
			SATenantID.ValueSet(ref.TenantID.String()),
			SAEndpointID.ValueSet(ref.EndpointID.String()),
			SAEventType.ValueSet(ref.EventType),
			// No status yet: DeliveryWorkflow sets it when the delivery
			// leaves the happy path (see SADeliveryStatus).
		),
	}
}

// Start starts one DeliveryWorkflow per delivery, concurrently. Starting a
// delivery whose workflow runs or completed is not an error.
func (d *Dispatcher) Start(ctx context.Context, refs []delivery.Ref) error {
	return d.each(len(refs), func(i int) error {
		return retryTransient(ctx, func() error {
			_, err := d.Client.ExecuteWorkflow(ctx, d.StartOptions(refs[i]), DeliveryWorkflow, DeliveryInput{DeliveryID: refs[i].ID, RemoteAttempts: d.RemoteAttempts})
			var started *serviceerror.WorkflowExecutionAlreadyStarted
			if errors.As(err, &started) {
				return nil
			}
			return err
		})
	})
}

// startBackoff is the wait before each retry of a start that failed for a
// transient reason: about 1.5 s in all, then reconcile is the safety net.
var startBackoff = []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond}

// retryTransient runs call, and again after each startBackoff wait while
// it fails for a reason that heals by itself.
func retryTransient(ctx context.Context, call func() error) error {
	err := call()
	for _, wait := range startBackoff {
		if err == nil || !transient(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		err = call()
	}
	return err
}

// transient reports a Temporal error that a retry soon may not meet: the
// frontend unreachable or overloaded, or a search attribute registered a
// moment ago and not yet usable by this frontend.
func transient(err error) bool {
	var (
		unavailable *serviceerror.Unavailable
		exhausted   *serviceerror.ResourceExhausted
		deadline    *serviceerror.DeadlineExceeded
		invalid     *serviceerror.InvalidArgument
	)
	switch {
	case errors.As(err, &unavailable), errors.As(err, &exhausted), errors.As(err, &deadline):
		return true
	case errors.As(err, &invalid):
		return strings.Contains(invalid.Message, "search attribute")
	}
	return false
}

// verifyWaitMargin is how long past the workflow's own 30 s timer Verify
// waits for its result before giving up.
const verifyWaitMargin = 10 * time.Second

// Verify runs a VerifyEndpointWorkflow and waits for its result.
func (d *Dispatcher) Verify(ctx context.Context, in endpoint.VerifyInput) (endpoint.VerifyResult, error) {
	ctx, cancel := context.WithTimeout(ctx, VerifyTimeout+verifyWaitMargin)
	defer cancel()
	run, err := d.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: VerifyWorkflowID(in.EndpointID),
		// A verification of this endpoint already running is joined, not
		// repeated: 20 parallel calls send one challenge and share its result.
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TaskQueue:                d.TaskQueue,
		WorkflowExecutionTimeout: 2 * time.Minute,
		TypedSearchAttributes:    VerifySearchAttributes(in.TenantID, in.EndpointID),
	}, VerifyEndpointWorkflow, in)
	if err != nil {
		return endpoint.VerifyResult{}, apperr.Unavailable("could not start verification; try again")
	}
	var res endpoint.VerifyResult
	if err := run.Get(ctx, &res); err != nil {
		if ctx.Err() != nil {
			return res, apperr.Unavailable("verification did not finish in time; see the Temporal UI for workflow " + run.GetID())
		}
		return res, err
	}
	return res, nil
}

// Recover starts recovery r's workflow (recover/<id>), tagged with its
// tenant and endpoint for the Temporal UI.
func (d *Dispatcher) Recover(ctx context.Context, r deliverylog.Recovery) error {
	_, err := d.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: RecoverWorkflowID(r.ID), TaskQueue: d.TaskQueue,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			SATenantID.ValueSet(r.TenantID.String()), SAEndpointID.ValueSet(r.EndpointID.String()), SAEventType.ValueSet("recover"),
		),
	}, RecoverWorkflow, RecoverInput{RecoveryID: r.ID, TenantID: r.TenantID, EndpointID: r.EndpointID, Since: r.Since, Until: r.Until, BatchSize: d.RecoverBatch})
	return err
}

// RecoveryRunning reports whether recovery id's workflow (recover/<id>,
// continued as new under the same id) still runs.
func (d *Dispatcher) RecoveryRunning(ctx context.Context, id uuid.UUID) (bool, error) {
	desc, err := d.Client.DescribeWorkflowExecution(ctx, RecoverWorkflowID(id), "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return desc.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, nil
}

// RunState reports how delivery id's workflow stands.
func (d *Dispatcher) RunState(ctx context.Context, id uuid.UUID) (delivery.RunState, error) {
	desc, err := d.Client.DescribeWorkflowExecution(ctx, DeliveryWorkflowID(id), "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return delivery.RunMissing, nil
	}
	if err != nil {
		return 0, err
	}
	switch desc.GetWorkflowExecutionInfo().GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return delivery.RunRunning, nil
	case enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED:
		return delivery.RunTerminated, nil
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		return delivery.RunFailed, nil
	}
	return delivery.RunEnded, nil
}

// closedOpenPage bounds one reconcile run's visibility read.
const closedOpenPage = 1000

// ClosedOpen lists deliveries whose workflow closed abnormally since
// `since`: terminated by an operator, failed, timed out. (A delivery workflow
// that ends by itself completes, having recorded a final state.) Visibility
// finds them long before their next attempt was due; the caller checks
// which are still open in the database.
func (d *Dispatcher) ClosedOpen(ctx context.Context, since time.Time) ([]uuid.UUID, error) {
	// ContinuedAsNew runs (a long wait for an ordered key's turn) go on
	// under the same id: not closed.
	q := fmt.Sprintf("WorkflowType = 'DeliveryWorkflow' AND ExecutionStatus != 'Running' AND ExecutionStatus != 'Completed' AND ExecutionStatus != 'ContinuedAsNew' AND CloseTime > '%s'",
		since.UTC().Format(time.RFC3339))
	resp, err := d.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: q, PageSize: closedOpenPage})
	if err != nil {
		return nil, err
	}
	ids := make([]uuid.UUID, 0, len(resp.Executions))
	for _, e := range resp.Executions {
		if id, ok := ParseDeliveryWorkflowID(e.GetExecution().GetWorkflowId()); ok {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// Cancel signals SignalCancel to the deliveries' workflows, best effort:
// a workflow that has ended needs no signal, and one that misses it finds its
// row gone at the next attempt and ends anyway.
func (d *Dispatcher) Cancel(ctx context.Context, ids []uuid.UUID) { d.signal(ctx, ids, SignalCancel) }

// Wake signals SignalWake to the deliveries' workflows, best effort.
func (d *Dispatcher) Wake(ctx context.Context, ids []uuid.UUID) { d.signal(ctx, ids, SignalWake) }

// Resume signals SignalResume to deliveries waiting for capacity, best effort.
func (d *Dispatcher) Resume(ctx context.Context, ids []uuid.UUID) { d.signal(ctx, ids, SignalResume) }

// Proceed tells the next delivery of an ordered key that its turn came:
// SignalResume, starting its workflow with the signal if it never started
// (its publisher died before starting it), best effort.
func (d *Dispatcher) Proceed(ctx context.Context, next delivery.Ref) {
	ctx = context.WithoutCancel(ctx) // the change is committed; finish telling the workflow
	opts := d.StartOptions(next)
	opts.EnableEagerStart = false // not supported with a signal
	err := retryTransient(ctx, func() error {
		_, err := d.Client.SignalWithStartWorkflow(ctx, opts.ID, SignalResume, nil, opts, DeliveryWorkflow,
			DeliveryInput{DeliveryID: next.ID, RemoteAttempts: d.RemoteAttempts})
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if errors.As(err, &started) {
			return nil // it ran and completed: nothing waits
		}
		return err
	})
	if err != nil && d.Logger != nil {
		d.Logger.WarnContext(ctx, "telling the next delivery of an ordered key failed; it asks again at its timer", "delivery_id", next.ID, "err", err)
	}
}

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
