package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hookline/hookline/activities"
)

// ReconcileWorkflow heals open deliveries whose workflow is not running:
// left pending by a publisher that crashed between its commit and the
// start, or orphaned by a workflow that ended abnormally. Run by a schedule.
func ReconcileWorkflow(ctx workflow.Context) (activities.ReconcileResult, error) {
	var a *activities.Activities
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	var res activities.ReconcileResult
	err := workflow.ExecuteActivity(ctx, a.ReconcileDeliveries).Get(ctx, &res)
	return res, err
}

// RetentionWorkflow deletes deliveries, attempts and events past retention,
// and expired idempotency keys. Run by a schedule.
func RetentionWorkflow(ctx workflow.Context) (activities.RetentionResult, error) {
	var a *activities.Activities
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	var res activities.RetentionResult
	err := workflow.ExecuteActivity(ctx, a.ApplyRetention).Get(ctx, &res)
	return res, err
}

// ScheduleConfig sets how often the maintenance schedules run.
type ScheduleConfig struct {
	TaskQueue         string
	ReconcileInterval time.Duration
	RetentionInterval time.Duration
}

// EnsureSchedules creates the reconcile and retention schedules, or updates
// their interval when they exist; every worker and dev start calls it.
func EnsureSchedules(ctx context.Context, c client.Client, cfg ScheduleConfig) error {
	if cfg.RetentionInterval == 0 {
		cfg.RetentionInterval = time.Hour
	}
	for _, s := range []struct {
		id       string
		every    time.Duration
		workflow any
	}{
		{ReconcileScheduleID, cfg.ReconcileInterval, ReconcileWorkflow},
		{RetentionScheduleID, cfg.RetentionInterval, RetentionWorkflow},
	} {
		if err := ensureSchedule(ctx, c, s.id, s.every, s.workflow, cfg.TaskQueue); err != nil {
			return fmt.Errorf("schedule %s: %w", s.id, err)
		}
	}
	return nil
}

func ensureSchedule(ctx context.Context, c client.Client, id string, every time.Duration, wf any, taskQueue string) error {
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}}
	action := &client.ScheduleWorkflowAction{
		ID: id, Workflow: wf, TaskQueue: taskQueue,
		WorkflowRunTimeout: max(every, 10*time.Minute),
	}
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID: id, Spec: spec, Action: action, Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
	})
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return err
	}
	return c.ScheduleClient().GetHandle(ctx, id).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			in.Description.Schedule.Spec = &spec
			in.Description.Schedule.Action = action
			return &client.ScheduleUpdate{Schedule: &in.Description.Schedule}, nil
		},
	})
}
