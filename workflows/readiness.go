package workflows

import (
	"go.temporal.io/sdk/workflow"
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
