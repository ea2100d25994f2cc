package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hookline/hookline/activities"
	"github.com/hookline/hookline/internal/endpoint"
)

// VerifyTimeout is how long a receiver has to echo the challenge. The
// workflow timer decides it, not the HTTP client, so the answer is the same
// whether the receiver hangs, the worker restarts or the network stalls.
const VerifyTimeout = 30 * time.Second

// VerifyEndpointWorkflow proves the caller controls an endpoint's URL: the
// endpoint must echo a signed challenge within VerifyTimeout. The outcome is
// written back (verified_at, last reason, an audit row) and returned.
func VerifyEndpointWorkflow(ctx workflow.Context, in endpoint.VerifyInput) (endpoint.VerifyResult, error) {
	var a *activities.Activities
	challengeCtx, cancelChallenge := workflow.WithCancel(workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: VerifyTimeout,
		// Only infrastructure faults retry; HTTP outcomes are results. The
		// timer below bounds the whole race anyway.
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 500 * time.Millisecond, MaximumAttempts: 3},
	}))
	timerCtx, cancelTimer := workflow.WithCancel(ctx)

	var res endpoint.VerifyResult
	var actErr error
	sel := workflow.NewSelector(ctx)
	sel.AddFuture(workflow.ExecuteActivity(challengeCtx, a.SendChallenge, in), func(f workflow.Future) {
		actErr = f.Get(ctx, &res)
		cancelTimer()
	})
	sel.AddFuture(workflow.NewTimer(timerCtx, VerifyTimeout), func(workflow.Future) {
		res = endpoint.VerifyResult{Reason: endpoint.ReasonTimeout}
		cancelChallenge()
	})
	sel.Select(ctx)
	if actErr != nil {
		// The challenge could not even be attempted (e.g. the database was
		// unreachable three times): report it as a connection error rather
		// than failing the caller's request with an opaque error.
		res = endpoint.VerifyResult{Reason: endpoint.ReasonConnectionError}
	}

	recordCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 500 * time.Millisecond, MaximumAttempts: 5},
	})
	if res.Reason != endpoint.ReasonEndpointNotFound {
		var recorded endpoint.VerifyResult
		if err := workflow.ExecuteActivity(recordCtx, a.RecordVerification, activities.RecordVerificationInput{VerifyInput: in, Result: res}).Get(ctx, &recorded); err != nil {
			return res, err
		}
		if recorded != (endpoint.VerifyResult{}) { // histories from before it returned one have none
			res = recorded
		}
	}
	return res, nil
}
