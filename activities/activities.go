// Package activities holds Hookline's Temporal activities: methods on one
// struct carrying the process's dependencies. Workflows pass ids; activities
// load what they need (payloads, secrets) from Postgres, so neither ever
// enters a workflow history.
package activities

import (
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookline/hookline/internal/broker"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/endpoint"
	"github.com/hookline/hookline/internal/oauth2cc"
	"github.com/hookline/hookline/internal/publish"
	"github.com/hookline/hookline/internal/secretbox"
	"github.com/hookline/hookline/internal/testsignal"
)

// Activities is registered on the worker; see workflows.Register.
type Activities struct {
	Pool *pgxpool.Pool
	Box  *secretbox.Box
	// Sender posts deliveries: SSRF-guarded, no redirects, delivery timeout.
	Sender *delivery.Sender
	// ChallengeSender posts verification challenges (same guard, 30 s).
	ChallengeSender *delivery.Sender
	// Brokers publishes the deliveries of nats:// and amqp:// endpoints
	// (nil: such attempts fail, retryably).
	Brokers *broker.Publisher
	// TLSClients keeps the endpoints' mutual-TLS clients (nil: mutual TLS
	// is not available and such endpoints use the plain client).
	TLSClients *delivery.Clients
	// Tokens caches receivers' OAuth2 tokens, shared by concurrent attempts.
	Tokens *oauth2cc.Cache
	// DeliveryTimeout is an attempt's HTTP timeout unless its endpoint sets one.
	DeliveryTimeout time.Duration
	// Tracer records each attempt as a client span (nil: none); Propagator
	// injects its traceparent for endpoints with trace_propagation.
	Tracer     trace.Tracer
	Propagator propagation.TextMapPropagator
	Policy     delivery.RetryPolicy
	Flow       delivery.FlowPolicy
	Publisher  *publish.Publisher
	// Endpoints auto-disables endpoints failing past Flow.DisableAfter.
	Endpoints *endpoint.Service
	// Workflows lets reconcile see and restart delivery workflows.
	Workflows Workflows
	// ReconcileAfter is how old a pending delivery must be before reconcile
	// restarts its workflow.
	ReconcileAfter time.Duration
	Retention      time.Duration
	Metrics        Recorder
	Logger         *slog.Logger
	Now            func() time.Time
	// TestSignals let tests wait for what the activities did (no-ops
	// unless a test initialises them).
	TestSignals TestSignals
}

// TestSignals are the activities' test hooks.
type TestSignals struct {
	// IngestBatch carries the result of every ingest batch.
	IngestBatch testsignal.Signal[IngestResult]
}

// Init turns every signal on.
func (ts *TestSignals) Init() {
	ts.IngestBatch.Init()
}

// Recorder observes delivery outcomes for metrics; nil records nothing.
type Recorder interface {
	ObserveAttempt(outcome string, d time.Duration)
	ObserveFinal(status delivery.Status, sincePublish time.Duration)
	// ObserveGated counts attempts the flow gate made wait (reason:
	// breaker or queued).
	ObserveGated(reason string)
	// ObserveBreaker counts breakers opening (true) and closing.
	ObserveBreaker(opened bool)
	// ObserveRetrying counts infrastructure faults an activity retries.
	ObserveRetrying(stage string)
	// ObserveAutoDisabled counts endpoints switched off for failing.
	ObserveAutoDisabled()
	// ObserveIngestRejected counts signalled events refused (reason:
	// invalid or too_large).
	ObserveIngestRejected(reason string)
}

func (a *Activities) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Activities) logger() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.New(slog.DiscardHandler)
}
