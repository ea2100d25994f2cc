package workflows_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/hookline/hookline/activities"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/publish"
	"github.com/hookline/hookline/workflows"
)

type recordingStarter struct {
	mu  sync.Mutex
	got []delivery.Ref
}

func (r *recordingStarter) Start(_ context.Context, ds []delivery.Ref) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, ds...)
	return nil
}

func TestIngestWorkflowPublishesDedupesAndRejects(t *testing.T) {
	t.Parallel()
	f := newFixture(t, status(200))
	starter := &recordingStarter{}
	f.acts.Publisher = &publish.Publisher{Pool: f.acts.Pool, Starter: starter}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(f.acts)
	events := []publish.Event{
		{ID: "e1", Type: "comment.created", Payload: json.RawMessage(`{"n":1}`)},
		{ID: "e1", Type: "comment.created", Payload: json.RawMessage(`{"n":1}`)}, // duplicate
		{ID: "e2", Type: "no.such.type", Payload: json.RawMessage(`{}`)},         // rejected
		{ID: "e3", Type: "member.joined", Payload: json.RawMessage(`{"n":3}`)},
	}
	for i, ev := range events {
		env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalIngest, ev) }, time.Duration(i+1)*time.Second)
	}
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: workflows.IngestWorkflowID(f.tenantID)})
	env.ExecuteWorkflow(workflows.IngestWorkflow, workflows.IngestInput{TenantID: f.tenantID})
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("ingest did not end cleanly when idle: %v", env.GetWorkflowError())
	}
	var n int
	if err := f.acts.Pool.QueryRow(context.Background(), "SELECT count(*) FROM events WHERE id IN ('e1','e2','e3')").Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d events stored, want 2", n)
	}
	// The fixture's endpoint subscribes to "*": one delivery per accepted
	// event. The duplicate starts e1's delivery again, as it is still pending
	// here (the recording starter runs nothing); a real start is a no-op.
	distinct := map[uuid.UUID]bool{}
	for _, d := range starter.got {
		distinct[d.ID] = true
	}
	if len(distinct) != 2 || len(starter.got) != 3 {
		t.Fatalf("started %d deliveries (%d distinct), want 3 (2)", len(starter.got), len(distinct))
	}
}

func TestIngestWorkflowContinuesAsNew(t *testing.T) {
	t.Parallel()
	f := newFixture(t, status(200))
	f.acts.Publisher = &publish.Publisher{Pool: f.acts.Pool, Starter: &recordingStarter{}}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	// The default 3 s guards against a deadlocked workflow; one batch here
	// writes ~1,000 events to Postgres, which under -race on a busy 2-core
	// machine can take longer than that without anything being stuck.
	env.SetTestTimeout(time.Minute)
	env.RegisterActivity(f.acts)
	// Three bursts (the test environment queues at most 1,000 callbacks at
	// once); the last one arrives after the 2,000-event mark, so part of it
	// is still buffered when the run decides to continue as new.
	total := 0
	for burst, n := range []int{990, 990, 300} {
		from := total
		total += n
		env.RegisterDelayedCallback(func() {
			for i := from; i < from+n; i++ {
				env.SignalWorkflow(workflows.SignalIngest, publish.Event{ID: fmt.Sprint("bulk-", i), Type: "comment.created", Payload: json.RawMessage(`{}`)})
			}
		}, time.Duration(burst+1)*time.Second)
	}
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: workflows.IngestWorkflowID(f.tenantID)})
	env.ExecuteWorkflow(workflows.IngestWorkflow, workflows.IngestInput{TenantID: f.tenantID})
	if !workflow.IsContinueAsNewError(env.GetWorkflowError()) {
		t.Fatalf("want continue-as-new, got %v", env.GetWorkflowError())
	}
	// Everything signalled before the reset was published, none lost.
	var n int
	if err := f.acts.Pool.QueryRow(context.Background(), "SELECT count(*) FROM events WHERE id LIKE 'bulk-%'").Scan(&n); err != nil || n != total {
		t.Fatalf("%d of %d events published before continue-as-new", n, total)
	}
}

func TestRetentionWorkflowDeletesOnlyPastCutoff(t *testing.T) {
	t.Parallel()
	f := newFixture(t, status(200))
	ctx := context.Background()
	pool := f.acts.Pool
	// The fixture's delivery finished long ago; add a fresh finished one and
	// an old one still in flight (never deleted: its workflow is running).
	mustExec := func(sql string, args ...any) {
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	mustExec("UPDATE deliveries SET status = 'succeeded', created_at = now() - interval '40 days' WHERE id = $1", f.deliveryID)
	mustExec("UPDATE events SET created_at = now() - interval '40 days'")
	mustExec(`INSERT INTO events (tenant_id, id, type, payload, occurred_at, created_at) VALUES ($1, 'fresh', 'comment.created', '{}', now(), now()),
		($1, 'old-running', 'comment.created', '{}', now(), now() - interval '40 days')`, f.tenantID)
	mustExec(`INSERT INTO deliveries (id, tenant_id, endpoint_id, event_id, event_type, status, created_at) VALUES
		(gen_random_uuid(), $1, $2, 'fresh', 'comment.created', 'failed', now()),
		(gen_random_uuid(), $1, $2, 'old-running', 'comment.created', 'in_flight', now() - interval '40 days')`, f.tenantID, f.endpointID)
	mustExec(`INSERT INTO idempotency_keys (tenant_id, key, operation, request_hash, expires_at) VALUES
		($1, 'expired', 'op', '\x00', now() - interval '1 hour'), ($1, 'live', 'op', '\x00', now() + interval '1 hour')`, f.tenantID)
	f.acts.Retention = 30 * 24 * time.Hour

	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(f.acts)
	env.ExecuteWorkflow(workflows.RetentionWorkflow)
	var res activities.RetentionResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Deliveries != 1 || res.Events != 1 || res.IdempotencyKeys != 1 {
		t.Fatalf("deleted %+v, want 1 delivery, 1 event, 1 key", res)
	}
	var left []string
	rows, _ := pool.Query(ctx, "SELECT event_id FROM deliveries ORDER BY event_id")
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		left = append(left, s)
	}
	if fmt.Sprint(left) != "[fresh old-running]" {
		t.Fatalf("deliveries left: %v", left)
	}

	// Time travel: 31 days later the fresh delivery is past the cut-off too.
	f.acts.Now = func() time.Time { return time.Now().Add(31 * 24 * time.Hour) }
	env = s.NewTestWorkflowEnvironment()
	env.RegisterActivity(f.acts)
	env.ExecuteWorkflow(workflows.RetentionWorkflow)
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Deliveries != 1 || res.Events != 1 || res.IdempotencyKeys != 1 {
		t.Fatalf("after time travel deleted %+v", res)
	}
}
