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
	"github.com/hookline/hookline/workflows"
)

// A recovery of 100,000 dead letters (200 batches) continues as new before
// its history grows, carrying the cursor and the count; the next run picks
// up exactly where the last batch stopped and finishes with the total.
func TestRecoverWorkflowContinuesAsNew(t *testing.T) {
	t.Parallel()
	const deadLetters = 100_000
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	replayed := 0 // across runs: what the mocked batches replayed
	runOnce := func(in workflows.RecoverInput) (*testsuite.TestWorkflowEnvironment, int) {
		var s testsuite.WorkflowTestSuite
		env := s.NewTestWorkflowEnvironment()
		acts := &activities.Activities{}
		env.RegisterActivity(acts)
		calls := 0
		env.OnActivity(acts.RecoverBatch, mock.Anything, mock.Anything).Return(
			func(_ context.Context, b activities.RecoverBatchInput) (activities.RecoverBatchResult, error) {
				calls++
				if want := base.Add(time.Duration(replayed) * time.Second); !b.AfterCreatedAt.Equal(want) && replayed > 0 {
					return activities.RecoverBatchResult{}, fmt.Errorf("batch after %s, want after %s", b.AfterCreatedAt, want)
				}
				n := min(b.BatchSize, deadLetters-replayed)
				replayed += n
				return activities.RecoverBatchResult{
					Replayed: n, Done: replayed == deadLetters,
					AfterCreatedAt: base.Add(time.Duration(replayed) * time.Second), AfterID: uuid.New(),
				}, nil
			})
		env.ExecuteWorkflow(workflows.RecoverWorkflow, in)
		return env, calls
	}

	in := workflows.RecoverInput{RecoveryID: uuid.New(), TenantID: uuid.New(), EndpointID: uuid.New(), Since: base, Until: base.Add(48 * time.Hour)}
	for run := 1; ; run++ {
		env, calls := runOnce(in)
		err := env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if !errors.As(err, &can) {
			if err != nil {
				t.Fatalf("run %d: %v", run, err)
			}
			var res workflows.RecoverResult
			if err := env.GetWorkflowResult(&res); err != nil || res.Replayed != deadLetters {
				t.Fatalf("run %d finished with %+v %v, want %d replayed", run, res, err, deadLetters)
			}
			if run < 3 {
				t.Fatalf("finished in %d runs: a run takes too many batches", run)
			}
			return
		}
		if calls > 50 {
			t.Fatalf("run %d ran %d batches before continuing as new", run, calls)
		}
		var next workflows.RecoverInput
		if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
			t.Fatal(err)
		}
		if next.Replayed != replayed || !next.AfterCreatedAt.Equal(base.Add(time.Duration(replayed)*time.Second)) || next.RecoveryID != in.RecoveryID {
			t.Fatalf("run %d carried %+v, want %d replayed and the last cursor", run, next, replayed)
		}
		in = next
	}
}
