// Package workflows holds Hookline's Temporal workflows — functions that take
// ids, never payloads or secrets — with their task queue, workflow-id
// builders, search attributes, and the dispatcher that starts and steers them.
package workflows

import (
	"strings"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
)

// DefaultTaskQueue is the task queue of the Hookline worker.
const DefaultTaskQueue = "hookline"

// Signal names.
const (
	// SignalCancel ends a delivery workflow without further writes (sent by
	// delete-webhook-endpoint and purge-webhook-deliveries).
	SignalCancel = "cancel"
	// SignalWake ends a delivery's retry wait early so its next attempt runs
	// now (sent when an endpoint is deactivated, so the attempt records
	// `failed` at once).
	SignalWake = "wake"
	// SignalResume ends a delivery's wait for capacity (a lease of its
	// endpoint or tenant was released) so it asks the flow gate again.
	SignalResume = "resume"
	// SignalIngest carries a publish.Event to a tenant's ingest workflow.
	SignalIngest = "publish-event"
)

// Schedule ids.
const (
	ReconcileScheduleID = "hookline-reconcile"
	RetentionScheduleID = "hookline-retention"
)

// DeliveryWorkflowID is the workflow id of a delivery: "delivery/<id>".
func DeliveryWorkflowID(deliveryID uuid.UUID) string { return "delivery/" + deliveryID.String() }

// VerifyWorkflowID is an endpoint's verification: "verify/<endpoint_id>".
// One id per endpoint makes concurrent verify calls share one run (and one
// challenge); each later call starts a new run under it.
func VerifyWorkflowID(endpointID uuid.UUID) string { return "verify/" + endpointID.String() }

// RecoverWorkflowID is a recovery's workflow: "recover/<recovery_id>".
func RecoverWorkflowID(recoveryID uuid.UUID) string { return "recover/" + recoveryID.String() }

// IngestWorkflowID is the per-tenant ingest workflow: "ingest/<tenant_id>".
func IngestWorkflowID(tenantID uuid.UUID) string { return "ingest/" + tenantID.String() }

// ParseDeliveryWorkflowID returns the delivery id of a delivery workflow id.
func ParseDeliveryWorkflowID(id string) (uuid.UUID, bool) {
	rest, ok := strings.CutPrefix(id, "delivery/")
	if !ok {
		return uuid.Nil, false
	}
	d, err := uuid.Parse(rest)
	return d, err == nil
}

// Search attributes (all Keyword) that let operators filter in the Web UI,
// e.g. HooklineEndpointId = "…" AND HooklineDeliveryStatus = "dead_letter".
// HooklineDeliveryStatus is set once a delivery leaves the happy path
// (in_flight while it waits to retry, then its final status); a delivery
// that succeeds at its first attempt never carries it, to save a visibility
// write per delivery: ExecutionStatus = "Completed" AND
// HooklineDeliveryStatus IS NULL finds those.
var (
	SATenantID       = temporal.NewSearchAttributeKeyKeyword("HooklineTenantId")
	SAEndpointID     = temporal.NewSearchAttributeKeyKeyword("HooklineEndpointId")
	SAEventType      = temporal.NewSearchAttributeKeyKeyword("HooklineEventType")
	SADeliveryStatus = temporal.NewSearchAttributeKeyKeyword("HooklineDeliveryStatus")
)

// SearchAttributeNames lists the custom search attributes to register.
func SearchAttributeNames() []string {
	return []string{SATenantID.GetName(), SAEndpointID.GetName(), SAEventType.GetName(), SADeliveryStatus.GetName()}
}

// VerifySearchAttributes tag a verification run so it shows up next to the
// endpoint's deliveries in the Web UI.
func VerifySearchAttributes(tenantID, endpointID uuid.UUID) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(
		SATenantID.ValueSet(tenantID.String()),
		SAEndpointID.ValueSet(endpointID.String()),
		SAEventType.ValueSet("webhook.verification"),
	)
}
