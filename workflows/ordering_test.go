package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/hookline/hookline/activities"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/workflows"
)

// orderWait is what the attempt answers a delivery whose turn has not come.
var orderWait = activities.AttemptResult{Status: delivery.Pending, Gated: true, NextDelay: 5 * time.Minute, Behind: true}

// A delivery waiting for its turn in an ordered key sleeps on a timer until
// the one before it signals resume, then makes its first attempt; the wait
// costs no attempt.
func TestDeliveryWaitsForItsTurn(t *testing.T) {
	t.Parallel()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	acts := &activities.Activities{}
	env.RegisterActivity(acts)
	var attempts []int
	var askedAt []time.Time
	env.OnActivity(acts.AttemptDelivery, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.AttemptInput) (activities.AttemptResult, error) {
			attempts, askedAt = append(attempts, in.Attempt), append(askedAt, env.Now())
			if len(attempts) == 1 {
				return orderWait, nil
			}
			return activities.AttemptResult{Status: delivery.Succeeded, StatusCode: 200}, nil
		})
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalResume, nil) }, 40*time.Second)
	env.ExecuteWorkflow(workflows.DeliveryWorkflow, workflows.DeliveryInput{DeliveryID: uuid.New()})
	var res workflows.DeliveryResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Status != delivery.Succeeded || res.Attempts != 1 || len(attempts) != 2 || attempts[1] != 1 {
		t.Fatalf("result %+v after asking with attempts %v", res, attempts)
	}
	// Resumed by the signal at 40 s, not by the 5-minute recheck.
	if waited := askedAt[1].Sub(askedAt[0]); waited < 40*time.Second || waited > time.Minute {
		t.Fatalf("asked again after %s", waited)
	}
}

// A long wait (a key blocked for days) continues as new when Temporal
// suggests it, carrying the attempt it was waiting to make: the history
// stays bounded.
func TestDeliveryLongWaitContinuesAsNew(t *testing.T) {
	t.Parallel()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	acts := &activities.Activities{}
	env.RegisterActivity(acts)
	env.OnActivity(acts.AttemptDelivery, mock.Anything, mock.Anything).Return(orderWait, nil)
	env.SetContinueAsNewSuggested(true)
	id := uuid.New()
	env.ExecuteWorkflow(workflows.DeliveryWorkflow, workflows.DeliveryInput{DeliveryID: id, FromAttempt: 3})
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("workflow ended with %v, want continue-as-new", err)
	}
	var next workflows.DeliveryInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.DeliveryID != id || next.FromAttempt != 3 {
		t.Fatalf("continued with %+v", next)
	}
}

// Rechecks of a delivery waiting for its turn back off (5, 10, 20, 40, 60,
// 60 min…): the signal from the one before it is what ends a wait, and a
// long queue behind a blocked key must not poll every 5 minutes.
func TestDeliveryWaitRecheckBacksOff(t *testing.T) {
	t.Parallel()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	acts := &activities.Activities{}
	env.RegisterActivity(acts)
	calls := 0
	env.OnActivity(acts.AttemptDelivery, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.AttemptInput) (activities.AttemptResult, error) {
			if calls++; calls <= 6 {
				return orderWait, nil
			}
			return activities.AttemptResult{Status: delivery.Succeeded, StatusCode: 200}, nil
		})
	var timers []time.Duration
	env.SetOnTimerScheduledListener(func(_ string, d time.Duration) { timers = append(timers, d) })
	env.ExecuteWorkflow(workflows.DeliveryWorkflow, workflows.DeliveryInput{DeliveryID: uuid.New()})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{5 * time.Minute, 10 * time.Minute, 20 * time.Minute, 40 * time.Minute, time.Hour, time.Hour}
	if fmt.Sprint(timers) != fmt.Sprint(want) {
		t.Fatalf("rechecks %v, want %v", timers, want)
	}
}
