package activities

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/db/dbtest"
	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/tenancy"
)

// Reconcile's batch is shared round-robin across tenants: tenant A's 30
// overdue deliveries, all older than tenant B's one, do not keep B's out of
// a batch of 5.
func TestReconcileRoundRobinPerTenant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.New(t)
	q := db.Q(pool)
	seed := func(name string, n int, age time.Duration) uuid.UUID {
		tn, err := tenancy.CreateTenant(ctx, pool, audit.Actor{Kind: audit.ActorSystem, ID: "test"}, "", name)
		if err != nil {
			t.Fatal(err)
		}
		ep, err := q.CreateEndpoint(ctx, dbq.CreateEndpointParams{ID: uuid.New(), TenantID: tn.ID, Url: "https://example.com/h",
			Events: []string{"*"}, IsActive: true, SecretCiphertext: []byte("x"), MaxInFlight: 10,
			Ordering: delivery.Unordered, OnExhausted: delivery.Block})
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			ev := fmt.Sprintf("%s-%d", name, i)
			if _, err := q.InsertEvent(ctx, dbq.InsertEventParams{TenantID: tn.ID, ID: ev, Type: "comment.created", Payload: []byte(`{}`), OccurredAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
			if _, err := q.InsertDelivery(ctx, dbq.InsertDeliveryParams{ID: uuid.New(), TenantID: tn.ID, EndpointID: ep.ID, EventID: ev, EventType: "comment.created"}); err != nil {
				t.Fatal(err)
			}
		}
		// Their workflows never started: overdue since age ago.
		if _, err := pool.Exec(ctx, "UPDATE deliveries SET created_at = now() - $2::interval WHERE tenant_id = $1", tn.ID, age.String()); err != nil {
			t.Fatal(err)
		}
		return tn.ID
	}
	seed("noisy", 30, time.Hour)
	quiet := seed("quiet", 1, 10*time.Minute)
	rows, err := q.ListOverdueDeliveries(ctx, dbq.ListOverdueDeliveriesParams{OlderThan: time.Now().Add(-time.Minute), RowLimit: 5})
	if err != nil {
		t.Fatal(err)
	}
	perTenant := map[uuid.UUID]int{}
	for _, r := range rows {
		perTenant[r.TenantID]++
	}
	if len(rows) != 5 || perTenant[quiet] != 1 {
		t.Fatalf("a batch of %d: %v, want tenant %s's delivery among them", len(rows), perTenant, quiet)
	}
}
