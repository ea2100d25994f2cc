package workflows_test

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"

	"github.com/hookline/hookline/workflows"
)

// Histories recorded from real runs (api.TestRecordHistories) must replay
// against the current code: a change that breaks determinism fails here
// before it breaks workflows in flight.
func TestReplayRecordedHistories(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/histories/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded histories (%v)", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(workflows.DeliveryWorkflow)
			r.RegisterWorkflow(workflows.VerifyEndpointWorkflow)
			r.RegisterWorkflow(workflows.IngestWorkflow)
			r.RegisterWorkflow(workflows.ReconcileWorkflow)
			r.RegisterWorkflow(workflows.RetentionWorkflow)
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatal(err)
			}
		})
	}
}
