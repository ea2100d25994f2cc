package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hookline/hookline/activities"
	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/hooklinetest"
	"github.com/hookline/hookline/internal/publish"
	"github.com/hookline/hookline/workflows"
)

// A producer using the Temporal SDK: SignalWithStart on the tenant's ingest
// workflow, exactly as the README shows.
func TestIngestViaSignalWithStart(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	f := newEndpoint(t, env, env.A, []string{"comment.created"}, true)
	ctx := context.Background()
	for _, id := range []string{"sig-1", "sig-2", "sig-1"} {
		_, err := env.Temporal.SignalWithStartWorkflow(ctx, workflows.IngestWorkflowID(env.A.ID), workflows.SignalIngest,
			workflows.IngestEvent{ID: id, Type: "comment.created", Payload: json.RawMessage(`{"via":"temporal"}`)},
			client.StartWorkflowOptions{TaskQueue: env.TaskQueue}, workflows.IngestWorkflow, workflows.IngestInput{TenantID: env.A.ID})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Every signal has been ingested once the batches account for all three
	// (a batch may hold several); by then every delivery row exists, and
	// nothing is sent without one.
	var ingested activities.IngestResult
	for ingested.Published+ingested.Duplicates+ingested.Rejected < 3 {
		res := env.Signals().IngestBatch.WaitOrTimeout(t, 20*time.Second)
		ingested.Published += res.Published
		ingested.Duplicates += res.Duplicates
		ingested.Rejected += res.Rejected
		ingested.Deliveries += res.Deliveries
	}
	if ingested.Rejected != 0 {
		t.Fatalf("ingest rejected valid events: %+v", ingested)
	}
	env.Eventually(20*time.Second, "two deliveries", func() bool { return f.rc.Count() == 2 })
	if n := deliveryRows(t, env, f.id); n != 2 || f.rc.Count() != 2 {
		t.Fatalf("duplicate event id delivered: %d delivery rows, %d requests (ingested %+v)", n, f.rc.Count(), ingested)
	}
	for _, r := range f.rc.Requests() {
		if !r.Verified[0] {
			t.Fatal("ingested delivery not verifiable")
		}
	}
}

// A publisher that dies between its commit and the workflow start leaves
// pending rows; the reconcile workflow (run by its schedule) starts them.
func TestReconcileStartsOrphanedDeliveries(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	f := newEndpoint(t, env, env.A, []string{"*"}, true)
	ctx := context.Background()
	var res publish.Result
	err := db.Tx(ctx, env.Pool, func(q *dbq.Queries) (err error) {
		res, _, err = env.App.Publisher.WriteTx(ctx, q, env.A.ID, publish.Event{ID: "orphan", Type: "member.joined", Payload: json.RawMessage(`{}`)})
		return err
	}) // ... and the process "crashes" here: no workflow is started.
	if err != nil || res.Deliveries != 1 {
		t.Fatalf("write: %+v %v", res, err)
	}
	run, err := env.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: env.TaskQueue}, workflows.ReconcileWorkflow)
	if err != nil {
		t.Fatal(err)
	}
	var rec activities.ReconcileResult
	if err := run.Get(ctx, &rec); err != nil || rec.Started != 1 {
		t.Fatalf("reconcile started %d (err %v), want 1", rec.Started, err)
	}
	env.Eventually(20*time.Second, "orphan delivered", func() bool { return f.rc.Count() == 1 })
	ds := deliveriesOf(t, env, env.A, f.id, "")
	env.WaitDelivery(ds[0].ID.String(), "succeeded", 10*time.Second)

	// Once it has run, reconcile leaves it alone.
	run, _ = env.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: env.TaskQueue}, workflows.ReconcileWorkflow)
	if err := run.Get(ctx, &rec); err != nil || rec.Started != 0 || rec.Settled != 0 {
		t.Fatalf("second reconcile: %+v", rec)
	}
	if r := env.Do(http.MethodGet, "/v1/webhooks/"+f.id+"/deliveries", env.A.Key, nil); r.Status != http.StatusOK {
		t.Fatal(r.Status)
	}
}

// An operator terminates a delivery workflow in the Temporal UI while it
// waits for a retry: reconcile finds the orphaned in_flight row through
// visibility and settles it as failed, naming why.
func TestReconcileSettlesTerminatedDelivery(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t, hooklinetest.Options{Schedule: []time.Duration{time.Hour}})
	f := newEndpoint(t, env, env.A, []string{"*"}, true)
	f.rc.SetHandler(func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	ctx := context.Background()
	env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"type": "member.joined", "payload": map[string]any{}})
	var id string
	env.Eventually(20*time.Second, "delivery waiting for its retry", func() bool {
		ds := deliveriesOf(t, env, env.A, f.id, "?status=in_flight")
		if len(ds) == 1 {
			id = ds[0].ID.String()
		}
		return id != ""
	})
	if err := env.Temporal.TerminateWorkflow(ctx, "delivery/"+id, "", "operator"); err != nil {
		t.Fatal(err)
	}
	env.Eventually(20*time.Second, "reconcile to settle the orphan", func() bool {
		run, err := env.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: env.TaskQueue}, workflows.ReconcileWorkflow)
		if err != nil {
			t.Fatal(err)
		}
		var rec activities.ReconcileResult
		if err := run.Get(ctx, &rec); err != nil {
			t.Fatal(err)
		}
		status, _ := env.Delivery(id)
		return status == "failed"
	})
	d := deliveriesOf(t, env, env.A, f.id, "")[0]
	if d.LastError == nil || !strings.Contains(*d.LastError, "terminated") || f.rc.Count() != 1 {
		t.Fatalf("settled delivery: %s after %d requests", show(d), f.rc.Count())
	}
}

// A producer whose first publish committed but whose response was lost (so
// no workflow started) publishes the same id again: the retry starts the
// pending delivery at once, and a further retry changes nothing.
func TestRepublishStartsPendingDeliveries(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	f := newEndpoint(t, env, env.A, []string{"*"}, true)
	ctx := context.Background()
	err := db.Tx(ctx, env.Pool, func(q *dbq.Queries) error {
		_, _, err := env.App.Publisher.WriteTx(ctx, q, env.A.ID, publish.Event{ID: "lost-response", Type: "member.joined", Payload: json.RawMessage(`{}`)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		r := env.Do(http.MethodPost, "/v1/events", env.A.Key, map[string]any{"id": "lost-response", "type": "member.joined", "payload": map[string]any{}})
		if r.Status != http.StatusOK || decode[publish.Result](t, r).Deliveries != 1 {
			t.Fatalf("republish: %d %s", r.Status, r.Body)
		}
		env.Eventually(20*time.Second, "the pending delivery to be delivered", func() bool { return f.rc.Count() >= 1 })
	}
	ds := deliveriesOf(t, env, env.A, f.id, "")
	env.WaitDelivery(ds[0].ID.String(), "succeeded", 10*time.Second)
	if len(ds) != 1 || f.rc.Count() != 1 {
		t.Fatalf("%d deliveries, %d requests; want one of each", len(ds), f.rc.Count())
	}
}
