package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/db/dbtest"
	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/tenancy"
)

type downStarter struct{}

func (downStarter) Start(context.Context, []delivery.Ref) error {
	return errors.New("temporal: connection refused")
}

type faultCount struct {
	mu     sync.Mutex
	stages []string
}

func (f *faultCount) ObserveRetrying(stage string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stages = append(f.stages, stage)
}

// While Temporal refuses workflow starts, the committed deliveries show it:
// a WARN line, the retries metric, and last_error on each delivery.
func TestStartFailureShowsOnDeliveries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.New(t)
	tn, err := tenancy.CreateTenant(ctx, pool, audit.Actor{Kind: audit.ActorSystem, ID: "test"}, "", "t")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Q(pool).CreateEndpoint(ctx, dbq.CreateEndpointParams{
		ID: uuid.New(), TenantID: tn.ID, Url: "https://example.com/h", Events: []string{"*"}, IsActive: true,
		SecretCiphertext: []byte("x"), MaxInFlight: 10,
		Ordering: delivery.Unordered, OnExhausted: delivery.Block,
	}); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	faults := &faultCount{}
	p := &Publisher{Pool: pool, Starter: downStarter{}, Logger: slog.New(slog.NewTextHandler(&logs, nil)), Faults: faults}
	if _, err := p.Publish(ctx, tn.ID, Event{ID: "e1", Type: "comment.created", Payload: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	var status delivery.Status
	var lastError *string
	if err := pool.QueryRow(ctx, "SELECT status, last_error FROM deliveries WHERE event_id = 'e1'").Scan(&status, &lastError); err != nil {
		t.Fatal(err)
	}
	if status != delivery.Pending || lastError == nil || !strings.Contains(*lastError, "Temporal unavailable") {
		t.Fatalf("delivery after a failed start: %s, last_error %v", status, lastError)
	}
	if len(faults.stages) != 1 || !strings.Contains(logs.String(), "level=WARN") {
		t.Fatalf("metric %v, log %q", faults.stages, logs.String())
	}
}
