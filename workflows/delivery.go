package workflows

import (
	"cmp"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hookline/hookline/activities"
	"github.com/hookline/hookline/internal/delivery"
)

// DeliveryInput is the whole input of a delivery workflow: an id, and how
// attempts run.
type DeliveryInput struct {
	DeliveryID uuid.UUID `json:"delivery_id"`
	// RemoteAttempts runs each attempt as a regular activity (any worker
	// may pick it up, it shows as an activity in the UI) instead of a local
	// activity executed by the worker running the workflow task, which
	// needs a fraction of the history events and task round trips.
	RemoteAttempts bool `json:"remote_attempts,omitempty"`
	// FromAttempt is the attempt a continued run starts at (0: the first),
	// and Status the status its search attribute last showed.
	FromAttempt int             `json:"from_attempt,omitempty"`
	Status      delivery.Status `json:"status,omitempty"`
}

// DeliveryResult is the final state, for the Temporal UI.
type DeliveryResult struct {
	Status     delivery.Status `json:"status"`
	Attempts   int             `json:"attempts"`
	StatusCode int             `json:"status_code,omitempty"`
	Error      string          `json:"error,omitempty"`
}

// maxOrderRecheck bounds the backed-off recheck of a delivery waiting for
// its turn in an ordered key.
const maxOrderRecheck = time.Hour

// attemptOptions: the HTTP timeout is enforced by the client inside; the
// extra margin covers loading and recording. Retries here are for
// infrastructure faults only (database down, worker lost) and go on until
// the fault clears — HTTP outcomes are results and never retried by Temporal.
var (
	attemptRetry = &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    time.Minute,
	}
	attemptOptions      = workflow.ActivityOptions{StartToCloseTimeout: 50 * time.Second, RetryPolicy: attemptRetry}
	localAttemptOptions = workflow.LocalActivityOptions{StartToCloseTimeout: 50 * time.Second, RetryPolicy: attemptRetry}
)

// attempt schedules attempt n as a local or a regular activity.
func attempt(ctx workflow.Context, in DeliveryInput, n int) workflow.Future {
	var a *activities.Activities
	ai := activities.AttemptInput{DeliveryID: in.DeliveryID, Attempt: n}
	if in.RemoteAttempts {
		return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, attemptOptions), a.AttemptDelivery, ai)
	}
	return workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, localAttemptOptions), a.AttemptDelivery, ai)
}

// DeliveryWorkflow delivers one event to one endpoint: attempt, sleep on a
// durable timer, attempt again, until success, a permanent failure or the
// retry budget runs out. The activity decides the delay (schedule, jitter,
// Retry-After) and records it with the attempt, so the log's next_attempt_at
// is exactly the timer the workflow sets.
func DeliveryWorkflow(ctx workflow.Context, in DeliveryInput) (DeliveryResult, error) {
	cancelCh := workflow.GetSignalChannel(ctx, SignalCancel)
	wakeCh := workflow.GetSignalChannel(ctx, SignalWake)
	resumeCh := workflow.GetSignalChannel(ctx, SignalResume)

	status := cmp.Or(in.Status, delivery.Pending)
	rechecks := 0 // in a row, waiting for its turn in an ordered key
	for n := max(in.FromAttempt, 1); ; {
		res, cancelled, err := runAttempt(ctx, in, n, cancelCh)
		if cancelled {
			return cancelledResult(ctx, n-1)
		}
		if err != nil {
			return DeliveryResult{}, err
		}
		if res.Gated {
			// The flow gate said wait: no attempt was made, none is counted,
			// and no worker slot is held while the timer runs. A released
			// lease resumes the wait early.
			wait := res.NextDelay
			if res.Behind {
				// The one before it signals; the recheck is only a safety
				// net, so a long queue behind a blocked key backs off.
				wait = min(wait<<min(rechecks, 4), maxOrderRecheck)
				rechecks++
			} else {
				rechecks = 0
			}
			if waitFor(ctx, wait, cancelCh, resumeCh, wakeCh) {
				return cancelledResult(ctx, n-1)
			}
			// A long wait (a key blocked for days) asks again and again:
			// the history stays bounded by going on in a new run.
			if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
				next := in
				next.FromAttempt, next.Status = n, status
				return DeliveryResult{}, workflow.NewContinueAsNewError(ctx, DeliveryWorkflow, next)
			}
			continue
		}
		// The status search attribute follows every change but one: a
		// first attempt that succeeds leaves it unset (Completed without a
		// status means succeeded at once). That upsert would be the happy
		// path's third visibility write and seventh history event.
		firstSuccess := status == delivery.Pending && res.Status == delivery.Succeeded
		if res.Status != status && res.Status != delivery.Gone && !firstSuccess {
			status = res.Status
			if err := workflow.UpsertTypedSearchAttributes(ctx, SADeliveryStatus.ValueSet(string(status))); err != nil {
				return DeliveryResult{}, err
			}
		}
		if res.Status.Terminal() {
			return DeliveryResult{Status: res.Status, Attempts: n, StatusCode: res.StatusCode, Error: res.Error}, nil
		}
		if waitFor(ctx, res.NextDelay, cancelCh, wakeCh) {
			return cancelledResult(ctx, n)
		}
		n++
	}
}

// runAttempt runs attempt n, abandoning it if a cancel signal arrives first.
func runAttempt(ctx workflow.Context, in DeliveryInput, n int, cancelCh workflow.ReceiveChannel) (res activities.AttemptResult, cancelled bool, err error) {
	actCtx, cancelAttempt := workflow.WithCancel(ctx)
	sel := workflow.NewSelector(ctx)
	sel.AddFuture(attempt(actCtx, in, n), func(f workflow.Future) { err = f.Get(ctx, &res) })
	sel.AddReceive(cancelCh, func(c workflow.ReceiveChannel, _ bool) {
		c.Receive(ctx, nil)
		cancelled = true
		cancelAttempt()
	})
	sel.Select(ctx)
	return res, cancelled, err
}

// waitFor sleeps on a durable timer; a signal on any of wakeChs cuts it
// short (all their pending signals are consumed). It reports whether a
// cancel signal arrived instead.
func waitFor(ctx workflow.Context, d time.Duration, cancelCh workflow.ReceiveChannel, wakeChs ...workflow.ReceiveChannel) (cancelled bool) {
	timerCtx, stopTimer := workflow.WithCancel(ctx)
	defer stopTimer()
	sel := workflow.NewSelector(ctx)
	sel.AddFuture(workflow.NewTimer(timerCtx, d), func(workflow.Future) {})
	sel.AddReceive(cancelCh, func(c workflow.ReceiveChannel, _ bool) {
		c.Receive(ctx, nil)
		cancelled = true
	})
	for _, ch := range wakeChs {
		sel.AddReceive(ch, func(c workflow.ReceiveChannel, _ bool) {
			for c.ReceiveAsync(nil) {
			}
		})
	}
	sel.Select(ctx)
	return cancelled
}

func cancelledResult(ctx workflow.Context, attempts int) (DeliveryResult, error) {
	if err := workflow.UpsertTypedSearchAttributes(ctx, SADeliveryStatus.ValueSet(string(delivery.Cancelled))); err != nil {
		return DeliveryResult{}, err
	}
	return DeliveryResult{Status: delivery.Cancelled, Attempts: attempts}, nil
}
