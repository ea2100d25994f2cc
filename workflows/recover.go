package workflows

import (
	"cmp"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hookline/hookline/activities"
)

// RecoverInput is a recovery: ids and the window (no payloads), with the
// progress carried across continue-as-new.
type RecoverInput struct {
	RecoveryID     uuid.UUID `json:"recovery_id"`
	TenantID       uuid.UUID `json:"tenant_id"`
	EndpointID     uuid.UUID `json:"endpoint_id"`
	Since          time.Time `json:"since"`
	Until          time.Time `json:"until"`
	AfterCreatedAt time.Time `json:"after_created_at,omitempty"`
	AfterID        uuid.UUID `json:"after_id,omitempty"`
	Replayed       int       `json:"replayed,omitempty"`
	BatchSize      int       `json:"batch_size,omitempty"` // default RecoverBatch
}

// RecoverResult is a finished recovery, for the Temporal UI.
type RecoverResult struct {
	Replayed int `json:"replayed"`
}

const (
	// RecoverBatch deliveries are replayed per activity...
	RecoverBatch = 500
	// ...and recoverBatchesPerRun batches per run before continuing as new,
	// so a recovery of 100,000 dead letters keeps a short history.
	recoverBatchesPerRun = 40
)

// RecoverWorkflow replays an endpoint's failed and dead-lettered deliveries
// created in [Since, Until), oldest first, in batches; each replay is a new
// delivery with its own workflow.
func RecoverWorkflow(ctx workflow.Context, in RecoverInput) (RecoverResult, error) {
	var a *activities.Activities
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	for batches := 0; ; batches++ {
		if batches >= recoverBatchesPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return RecoverResult{}, workflow.NewContinueAsNewError(ctx, RecoverWorkflow, in)
		}
		var res activities.RecoverBatchResult
		err := workflow.ExecuteActivity(ctx, a.RecoverBatch, activities.RecoverBatchInput{
			RecoveryID: in.RecoveryID, TenantID: in.TenantID, EndpointID: in.EndpointID, Since: in.Since, Until: in.Until,
			AfterCreatedAt: in.AfterCreatedAt, AfterID: in.AfterID, BatchSize: cmp.Or(in.BatchSize, RecoverBatch),
		}).Get(ctx, &res)
		if err != nil {
			return RecoverResult{}, err
		}
		in.Replayed += res.Replayed
		if res.Done {
			return RecoverResult{Replayed: in.Replayed}, nil
		}
		in.AfterCreatedAt, in.AfterID = res.AfterCreatedAt, res.AfterID
	}
}
