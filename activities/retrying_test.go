package activities

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hookline/hookline/db/dbtest"
	"github.com/hookline/hookline/internal/delivery"
)

type recorder struct {
	mu       sync.Mutex
	retrying []string
}

func (r *recorder) ObserveAttempt(string, time.Duration)        {}
func (r *recorder) ObserveFinal(delivery.Status, time.Duration) {}
func (r *recorder) ObserveGated(string)                         {}
func (r *recorder) ObserveBreaker(bool)                         {}
func (r *recorder) ObserveAutoDisabled()                        {}
func (r *recorder) ObserveIngestRejected(string)                {}
func (r *recorder) ObserveRetrying(stage string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.retrying = append(r.retrying, stage)
}

// With the database unreachable an attempt fails for Temporal to retry, and
// says so while it lasts: a WARN line and the infrastructure-retries metric.
func TestAttemptRetriesInfrastructureFaultsVisibly(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	pool.Close() // the database is gone
	var logs bytes.Buffer
	rec := &recorder{}
	a := &Activities{Pool: pool, Flow: delivery.DefaultFlow(), Metrics: rec, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	_, err := a.AttemptDelivery(context.Background(), AttemptInput{DeliveryID: uuid.New(), Attempt: 1})
	if err == nil {
		t.Fatal("an attempt without a database succeeded")
	}
	if len(rec.retrying) != 1 || rec.retrying[0] != "load delivery" || !strings.Contains(logs.String(), "level=WARN") {
		t.Fatalf("metric %v, log %q", rec.retrying, logs.String())
	}
}
