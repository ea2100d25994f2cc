package api_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/hookline/hookline/hooklinetest"
	"github.com/hookline/hookline/workflows"
)

// TestRecordHistories writes the histories of real runs to
// workflows/testdata/histories, which workflows/replay_test.go replays
// against the current code. Re-record (HOOKLINE_RECORD_HISTORIES=1) only when
// a workflow change is meant to be incompatible, i.e. guarded by versioning.
func TestRecordHistories(t *testing.T) {
	if os.Getenv("HOOKLINE_RECORD_HISTORIES") == "" {
		t.Skip("set HOOKLINE_RECORD_HISTORIES=1 to re-record workflow histories")
	}
	env := hooklinetest.New(t)
	dir := filepath.Join("..", "workflows", "testdata", "histories")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	save := func(name, workflowID string) {
		t.Helper()
		ctx := context.Background()
		env.Eventually(30*time.Second, workflowID+" to close", func() bool {
			d, err := env.Temporal.DescribeWorkflowExecution(ctx, workflowID, "")
			return err == nil && d.WorkflowExecutionInfo.Status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
		})
		var events []*historypb.HistoryEvent
		it := env.Temporal.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			events = append(events, e)
		}
		b, err := protojson.MarshalOptions{Multiline: true}.Marshal(&historypb.History{Events: events})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	flaky := newEndpoint(t, env, env.A, []string{"comment.created"}, true)
	flaky.rc.SetHandler(func(n int, w http.ResponseWriter, _ *http.Request, _ []byte) {
		if n == 0 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	dead := newEndpoint(t, env, env.A, []string{"comment.deleted"}, true)
	dead.rc.SetHandler(func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) { w.WriteHeader(http.StatusBadGateway) })
	for _, typ := range []string{"comment.created", "comment.deleted"} {
		env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": typ, "payload": map[string]any{"t": typ}})
	}
	first := func(f endpointFixture) string {
		var id string
		env.Eventually(10*time.Second, "delivery row", func() bool {
			if ds := deliveriesOf(t, env, env.A, f.id, ""); len(ds) > 0 {
				id = ds[0].ID.String()
			}
			return id != ""
		})
		return id
	}
	save("delivery_retry_then_success", workflows.DeliveryWorkflowID(uuid.MustParse(first(flaky))))
	save("delivery_dead_letter", workflows.DeliveryWorkflowID(uuid.MustParse(first(dead))))

	slow := hooklinetest.New(t, hooklinetest.Options{Schedule: []time.Duration{time.Hour}})
	cancelled := newEndpoint(t, slow, slow.A, []string{"*"}, true)
	cancelled.rc.SetHandler(func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.WriteHeader(http.StatusInternalServerError)
	})
	slow.Do(http.MethodPost, "/v1/events", slow.A.Key, map[string]any{"type": "member.joined", "payload": map[string]any{}})
	var cid string
	slow.Eventually(10*time.Second, "waiting delivery", func() bool {
		if ds := deliveriesOf(t, slow, slow.A, cancelled.id, "?status=in_flight"); len(ds) > 0 {
			cid = ds[0].ID.String()
		}
		return cid != ""
	})
	slow.Do(http.MethodDelete, "/v1/webhooks/"+cancelled.id+"/deliveries", slow.A.Key, nil)
	save("delivery_cancelled", workflows.DeliveryWorkflowID(uuid.MustParse(cid)))

	echo := newEndpoint(t, env, env.A, []string{"*"}, true)
	echo.rc.SetHandler(hooklinetest.Echo)
	env.Do(http.MethodPost, "/v1/webhooks/"+echo.id+"/verify", env.A.Key, nil)
	resp, err := env.Temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: env.Namespace, Query: `WorkflowType = "VerifyEndpointWorkflow" AND HooklineEndpointId = "` + echo.id + `"`,
	})
	if err != nil || len(resp.Executions) != 1 {
		t.Fatalf("verify run: %v", err)
	}
	save("verify_echo", resp.Executions[0].Execution.WorkflowId)
}
