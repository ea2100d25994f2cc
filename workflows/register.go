package workflows

import (
	"go.temporal.io/sdk/worker"

	"github.com/hookline/hookline/activities"
)

// Register adds every Hookline workflow and the activities to a worker.
func Register(r worker.Registry, a *activities.Activities) {
	r.RegisterWorkflow(DeliveryWorkflow)
	r.RegisterWorkflow(VerifyEndpointWorkflow)
	r.RegisterWorkflow(IngestWorkflow)
	r.RegisterWorkflow(ReconcileWorkflow)
	r.RegisterWorkflow(RetentionWorkflow)
	r.RegisterWorkflow(ReadinessWorkflow)
	r.RegisterWorkflow(RecoverWorkflow)
	r.RegisterActivity(a)
}
