package deliverylog

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/db/dbtest"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/tenancy"
)

// fakeWorkflows records recoveries and says whether one still runs.
type fakeWorkflows struct {
	started []uuid.UUID
	running map[uuid.UUID]bool
}

func (f *fakeWorkflows) Cancel(context.Context, []uuid.UUID)   {}
func (f *fakeWorkflows) Proceed(context.Context, delivery.Ref) {}
func (f *fakeWorkflows) Recover(_ context.Context, r Recovery) error {
	f.started = append(f.started, r.ID)
	return nil
}
func (f *fakeWorkflows) RecoveryRunning(_ context.Context, id uuid.UUID) (bool, error) {
	return f.running[id], nil
}

// fixture is a fresh database with one tenant and one endpoint, and a
// caller acting for the tenant.
func fixture(t *testing.T) (*pgxpool.Pool, dbq.Tenant, dbq.WebhookEndpoint, audit.Caller) {
	t.Helper()
	ctx := context.Background()
	pool := dbtest.New(t)
	system := audit.Actor{Kind: audit.ActorSystem, ID: "test"}
	tn, err := tenancy.CreateTenant(ctx, pool, system, "", "t")
	if err != nil {
		t.Fatal(err)
	}
	ep, err := db.Q(pool).CreateEndpoint(ctx, dbq.CreateEndpointParams{ID: uuid.New(), TenantID: tn.ID, Url: "https://example.com/h",
		Events: []string{"*"}, IsActive: true, SecretCiphertext: []byte("x"), MaxInFlight: 10,
		Ordering: delivery.Unordered, OnExhausted: delivery.Block})
	if err != nil {
		t.Fatal(err)
	}
	return pool, tn, ep, audit.Caller{TenantID: tn.ID, Actor: system}
}

// One recovery per endpoint at a time: a second while the first runs is a
// conflict (and starts nothing); once it has ended, the next is accepted.
func TestRecoverOneAtATime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _, ep, caller := fixture(t)
	wf := &fakeWorkflows{running: map[uuid.UUID]bool{}}
	s := &Service{Pool: pool, Workflows: wf}
	since := time.Now().Add(-time.Hour)

	first, err := s.Recover(ctx, caller, ep.ID, since, nil)
	if err != nil {
		t.Fatal(err)
	}
	wf.running[first.ID] = true
	if _, err := s.Recover(ctx, caller, ep.ID, since, nil); !apperr.IsKind(err, apperr.KindConflict) || len(wf.started) != 1 {
		t.Fatalf("second recovery while the first runs: %v (%d started)", err, len(wf.started))
	}
	wf.running[first.ID] = false
	if _, err := s.Recover(ctx, caller, ep.ID, since, nil); err != nil || len(wf.started) != 2 {
		t.Fatalf("after the first ended: %v (%d started)", err, len(wf.started))
	}
}

// Purge deletes in batches (25 deliveries, 10 a transaction), cancels the
// open ones' workflows, and writes one audit row with the count.
func TestPurgeInBatches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, tn, ep, caller := fixture(t)
	q := db.Q(pool)
	if _, err := q.InsertEvent(ctx, dbq.InsertEventParams{TenantID: tn.ID, ID: "e", Type: "comment.created", Payload: []byte(`{}`), OccurredAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for range 25 {
		if _, err := insert(ctx, q, tn.ID, ep.ID, "e", "comment.created", nil, false); err != nil {
			t.Fatal(err)
		}
	}
	wf := &cancelCounter{}
	s := &Service{Pool: pool, Workflows: wf, PurgeBatch: 10}
	n, err := s.Purge(ctx, caller, ep.ID)
	if err != nil || n != 25 || wf.cancelled != 25 || wf.calls != 3 {
		t.Fatalf("purged %d (%v); cancelled %d in %d calls", n, err, wf.cancelled, wf.calls)
	}
	var audits int
	var deleted string
	if err := pool.QueryRow(ctx, "SELECT count(*), max(details->>'deleted') FROM audit_log WHERE action = 'webhook_deliveries.purged'").Scan(&audits, &deleted); err != nil || audits != 1 || deleted != "25" {
		t.Fatalf("%d audit rows (deleted %s), %v", audits, deleted, err)
	}
}

type cancelCounter struct {
	fakeWorkflows
	cancelled, calls int
}

func (c *cancelCounter) Cancel(_ context.Context, ids []uuid.UUID) {
	c.calls++
	c.cancelled += len(ids)
}
