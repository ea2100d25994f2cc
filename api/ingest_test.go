package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/hookline/hookline/activities"
	"github.com/hookline/hookline/hooklinetest"
	"github.com/hookline/hookline/workflows"
)

// signalIngest sends events to the tenant's ingest workflow concurrently,
// as a burst of producers would.
func signalIngest(t *testing.T, env *hooklinetest.Env, tenant hooklinetest.Tenant, events []workflows.IngestEvent) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(events))
	for _, ev := range events {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := env.Temporal.SignalWithStartWorkflow(context.Background(), workflows.IngestWorkflowID(tenant.ID), workflows.SignalIngest, ev,
				client.StartWorkflowOptions{TaskQueue: env.TaskQueue}, workflows.IngestWorkflow, workflows.IngestInput{TenantID: tenant.ID})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// waitIngested sums ingest batches until n events are accounted for.
func waitIngested(t *testing.T, env *hooklinetest.Env, n int) activities.IngestResult {
	t.Helper()
	var sum activities.IngestResult
	for sum.Published+sum.Duplicates+sum.Rejected < n {
		r := env.Signals().IngestBatch.WaitOrTimeout(t, 30*time.Second)
		sum.Published += r.Published
		sum.Duplicates += r.Duplicates
		sum.Rejected += r.Rejected
		sum.Deliveries += r.Deliveries
	}
	return sum
}

func eventCount(t *testing.T, env *hooklinetest.Env, tenant hooklinetest.Tenant) int {
	t.Helper()
	var n int
	if err := env.Pool.QueryRow(context.Background(), "SELECT count(*) FROM events WHERE tenant_id = $1", tenant.ID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A burst of 40 signals of 100 KiB each: all 40 are published. Batches are
// bounded by bytes, so no activity input nears Temporal's payload limit.
func TestIngestBurstOfLargeEvents(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	f := newEndpoint(t, env, env.A, []string{"comment.created"}, true)
	filler := strings.Repeat("x", 100<<10)
	events := make([]workflows.IngestEvent, 40)
	for i := range events {
		events[i] = workflows.IngestEvent{ID: fmt.Sprintf("big-%d", i), Type: "comment.created",
			Payload: json.RawMessage(`{"n":` + fmt.Sprint(i) + `,"filler":"` + filler + `"}`)}
	}
	signalIngest(t, env, env.A, events)
	got := waitIngested(t, env, 40)
	if got.Published != 40 || got.Rejected != 0 || eventCount(t, env, env.A) != 40 {
		t.Fatalf("ingested %+v, %d events stored; want 40 published", got, eventCount(t, env, env.A))
	}
	waitAll(t, env, env.A, f.id, 40, "succeeded", time.Minute)
}

// Invalid and oversized events among valid ones are rejected alone (logged
// and counted); the valid ones are published.
func TestIngestRejectsBadEventsAlone(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	newEndpoint(t, env, env.A, []string{"*"}, true)
	events := []workflows.IngestEvent{
		{ID: "ok-1", Type: "comment.created", Payload: json.RawMessage(`{"n":1}`)},
		{ID: "bad-type", Type: "no.such.type", Payload: json.RawMessage(`{}`)},
		{ID: "bad-utf8", Type: "comment.created", Payload: json.RawMessage("{\"a\":\"\xff\"}")},
		{ID: "too-big", Type: "comment.created", Payload: json.RawMessage(`{"filler":"` + strings.Repeat("x", 300<<10) + `"}`)},
		{ID: "ok-2", Type: "member.joined", Payload: json.RawMessage(`{"n":2}`)},
	}
	signalIngest(t, env, env.A, events)
	got := waitIngested(t, env, 4) // the oversized one never reaches a batch
	if got.Published != 2 || got.Rejected != 2 {
		t.Fatalf("ingested %+v; want 2 published, 2 rejected", got)
	}
	env.Eventually(20*time.Second, "the oversized event to be counted", func() bool {
		return testutil.ToFloat64(env.Metrics.IngestRejected("too_large")) == 1
	})
	if n := testutil.ToFloat64(env.Metrics.IngestRejected("invalid")); n != 2 || eventCount(t, env, env.A) != 2 {
		t.Fatalf("%v invalid counted, %d events stored", n, eventCount(t, env, env.A))
	}
	for _, id := range []string{"bad-type", "bad-utf8", "too-big"} {
		if !strings.Contains(env.LogText(), `"event_id":"`+id+`"`) {
			t.Errorf("rejected event %s not logged", id)
		}
	}
}

// The ingest workflow publishes only as the tenant its id names.
func TestIngestRefusesAnotherTenantsInput(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	ctx := context.Background()
	run, err := env.Temporal.SignalWithStartWorkflow(ctx, workflows.IngestWorkflowID(env.A.ID), workflows.SignalIngest,
		workflows.IngestEvent{ID: "as-b", Type: "comment.created", Payload: json.RawMessage(`{}`)},
		client.StartWorkflowOptions{TaskQueue: env.TaskQueue}, workflows.IngestWorkflow, workflows.IngestInput{TenantID: env.B.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Get(ctx, nil); err == nil || !strings.Contains(err.Error(), "does not match the workflow id") {
		t.Fatalf("ingest/<A> with tenant B's input: %v", err)
	}
	if eventCount(t, env, env.A)+eventCount(t, env, env.B) != 0 {
		t.Fatal("an event was published")
	}
}

// A signal for a tenant that does not exist fails its ingest run for good
// (non-retryable), instead of retrying a batch that can never publish.
func TestIngestForUnknownTenantFails(t *testing.T) {
	t.Parallel()
	env := hooklinetest.New(t)
	ghost := uuid.New()
	run, err := env.Temporal.SignalWithStartWorkflow(context.Background(), workflows.IngestWorkflowID(ghost), workflows.SignalIngest,
		workflows.IngestEvent{ID: "e1", Type: "comment.created", Payload: json.RawMessage(`{}`)},
		client.StartWorkflowOptions{TaskQueue: env.TaskQueue}, workflows.IngestWorkflow, workflows.IngestInput{TenantID: ghost})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = run.Get(ctx, nil)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != activities.ErrUnknownTenant || !appErr.NonRetryable() {
		t.Fatalf("ingest for an unknown tenant ended with %v", err)
	}
}
