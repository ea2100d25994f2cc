package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/hookline/hookline/hooklinetest"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/workflows"
)

// Operators find deliveries in the Temporal UI by the search attributes the
// README documents, including first-attempt successes, which carry no status
// (that upsert is skipped to save a visibility write and a history event).
func TestOperatorsFindDeliveriesBySearchAttributes(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	ok := newEndpoint(t, env, env.A, []string{"comment.created"}, true)
	gone := newEndpoint(t, env, env.A, []string{"comment.created"}, true)
	gone.rc.SetHandler(func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) { w.WriteHeader(http.StatusGone) })
	env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": "comment.created", "payload": map[string]any{}})
	okID := waitOne(t, env, ok.id, delivery.Succeeded)
	waitOne(t, env, gone.id, delivery.Failed)

	ctx := context.Background()
	count := func(query string) int {
		resp, err := env.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: env.Namespace, Query: query})
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return len(resp.Executions)
	}
	for _, q := range []string{
		`HooklineEndpointId = "` + ok.id + `" AND ExecutionStatus = "Completed" AND HooklineDeliveryStatus IS NULL`,
		`HooklineEndpointId = "` + gone.id + `" AND HooklineDeliveryStatus = "failed"`,
	} {
		env.Eventually(10*time.Second, q, func() bool { return count(q) == 1 })
	}
	if n := count(`HooklineEndpointId = "` + ok.id + `" AND HooklineDeliveryStatus IS NOT NULL`); n != 0 {
		t.Fatalf("the first-attempt success carries a status (%d)", n)
	}

	// Its history is the happy path's six events: no upsert.
	var upserts, events int
	it := env.Temporal.GetWorkflowHistory(ctx, workflows.DeliveryWorkflowID(okID), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		events++
		if e.GetEventType() == enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES {
			upserts++
		}
	}
	if upserts != 0 || events != 6 {
		t.Fatalf("first-attempt success: %d events, %d upserts; want 6 and 0", events, upserts)
	}
}

// waitOne waits until the endpoint's only delivery has status and returns its id.
func waitOne(t *testing.T, env *hooklinetest.Env, endpointID string, status delivery.Status) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	env.Eventually(20*time.Second, "a "+string(status)+" delivery", func() bool {
		ds := deliveriesOf(t, env, env.A, endpointID, "?status="+string(status))
		if len(ds) == 1 {
			id = ds[0].ID
		}
		return len(ds) == 1
	})
	return id
}
