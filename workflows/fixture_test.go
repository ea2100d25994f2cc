package workflows_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/activities"
	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/db/dbtest"
	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/netguard"
	"github.com/hookline/hookline/internal/receiver"
	"github.com/hookline/hookline/internal/secretbox"
	"github.com/hookline/hookline/internal/signing"
	"github.com/hookline/hookline/internal/tenancy"
)

// fixture is a database with one tenant, one endpoint pointing at a scripted
// receiver, one event and one pending delivery, plus real activities (built
// by hookline.New, as in production; no Temporal client is needed here).
type fixture struct {
	acts       *activities.Activities
	q          *dbq.Queries
	tenantID   uuid.UUID
	endpointID uuid.UUID
	deliveryID uuid.UUID
	secret     string
	rc         *testReceiver
}

// testReceiver is the shared receiver on a test server.
type testReceiver struct {
	*httptest.Server
	*receiver.Receiver
}

func newFixture(t *testing.T, reply func(n int, w http.ResponseWriter, body []byte)) *fixture {
	t.Helper()
	ctx := context.Background()
	pool := dbtest.New(t)
	box, _ := secretbox.New(bytes.Repeat([]byte{1}, 32))
	rc := &testReceiver{Receiver: receiver.New(receiver.Options{})}
	rc.SetHandler(func(n int, w http.ResponseWriter, _ *http.Request, body []byte) { reply(n, w, body) })
	rc.Server = httptest.NewServer(rc.Receiver)
	t.Cleanup(rc.Close)

	tn, err := tenancy.CreateTenant(ctx, pool, audit.Actor{Kind: audit.ActorSystem, ID: "test"}, "", "t")
	if err != nil {
		t.Fatal(err)
	}
	q := db.New(pool)
	f := &fixture{q: q, tenantID: tn.ID, endpointID: uuid.New(), deliveryID: uuid.New(), secret: signing.NewSecret(), rc: rc}
	if _, err := q.CreateEndpoint(ctx, dbq.CreateEndpointParams{
		ID: f.endpointID, TenantID: tn.ID, Url: rc.URL, Events: []string{"*"}, IsActive: true,
		SecretCiphertext: box.SealEndpointSecret(tn.ID, f.endpointID, f.secret), MaxInFlight: 10,
		Ordering: delivery.Unordered, OnExhausted: delivery.Block,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.InsertEvent(ctx, dbq.InsertEventParams{TenantID: tn.ID, ID: "evt_1", Type: "comment.created", Payload: []byte(`{"a":1}`), OccurredAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.InsertDelivery(ctx, dbq.InsertDeliveryParams{ID: f.deliveryID, TenantID: tn.ID, EndpointID: f.endpointID, EventID: "evt_1", EventType: "comment.created"}); err != nil {
		t.Fatal(err)
	}
	f.acts = hookline.New(hookline.Options{
		Pool: pool, Box: box, Guard: netguard.New([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}),
		DeliveryTimeout: 5 * time.Second, Version: "test",
		// Timers here skip time, the database's clock does not: keep the
		// breaker (tested end to end in real time) out of the schedules.
		Flow: delivery.FlowPolicy{BreakerThreshold: 1_000_000},
	}).Activities
	return f
}

func (f *fixture) delivery(t *testing.T) dbq.Delivery {
	t.Helper()
	d, err := f.q.GetDeliveryByID(context.Background(), f.deliveryID)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func status(code int) func(int, http.ResponseWriter, []byte) {
	return func(_ int, w http.ResponseWriter, _ []byte) { w.WriteHeader(code) }
}
