package workflows_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hookline/hookline/activities"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/db/dbtest"
	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/netguard"
	"github.com/hookline/hookline/internal/secretbox"
	"github.com/hookline/hookline/internal/signing"
	"github.com/hookline/hookline/internal/tenancy"
)

// fixture is a database with one tenant, one endpoint pointing at a scripted
// receiver, one event and one pending delivery, plus real activities.
type fixture struct {
	acts       *activities.Activities
	q          *dbq.Queries
	tenantID   uuid.UUID
	endpointID uuid.UUID
	deliveryID uuid.UUID
	secret     string
	rc         *receiver
}

type receiver struct {
	*httptest.Server
	mu    sync.Mutex
	hits  int
	reply func(n int, w http.ResponseWriter, body []byte)
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits
}

func newFixture(t *testing.T, reply func(n int, w http.ResponseWriter, body []byte)) *fixture {
	t.Helper()
	ctx := context.Background()
	pool := dbtest.New(t)
	box, _ := secretbox.New(bytes.Repeat([]byte{1}, 32))
	rc := &receiver{reply: reply}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(req.Body)
		rc.mu.Lock()
		n := rc.hits
		rc.hits++
		rc.mu.Unlock()
		rc.reply(n, w, buf.Bytes())
	}))
	t.Cleanup(rc.Close)

	tn, err := tenancy.CreateTenant(ctx, pool, audit.Actor{Kind: audit.ActorSystem, ID: "test"}, "", "t")
	if err != nil {
		t.Fatal(err)
	}
	q := dbq.New(pool)
	f := &fixture{q: q, tenantID: tn.ID, endpointID: uuid.New(), deliveryID: uuid.New(), secret: signing.NewSecret(), rc: rc}
	if _, err := q.CreateEndpoint(ctx, dbq.CreateEndpointParams{
		ID: f.endpointID, TenantID: tn.ID, Url: rc.URL, Events: []string{"*"}, IsActive: true,
		SecretCiphertext: box.SealEndpointSecret(tn.ID, f.endpointID, f.secret),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.InsertEvent(ctx, dbq.InsertEventParams{TenantID: tn.ID, ID: "evt_1", Type: "comment.created", Payload: []byte(`{"a":1}`), OccurredAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.InsertDelivery(ctx, dbq.InsertDeliveryParams{ID: f.deliveryID, TenantID: tn.ID, EndpointID: f.endpointID, EventID: "evt_1", EventType: "comment.created"}); err != nil {
		t.Fatal(err)
	}
	guard := netguard.New([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
	f.acts = &activities.Activities{
		Pool: pool, Box: box,
		HTTP:          guard.Client(netguard.ClientOptions{Timeout: 5 * time.Second}),
		ChallengeHTTP: guard.Client(netguard.ClientOptions{Timeout: 5 * time.Second}),
		Policy:        activities.RetryPolicy{Schedule: activities.DefaultSchedule},
		UserAgent:     "Hookline/test",
	}
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
