// Package activities holds Hookline's Temporal activities: methods on one
// struct carrying the process's dependencies. Workflows pass ids; activities
// load what they need (payloads, secrets) from Postgres, so neither ever
// enters a workflow history.
package activities

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/internal/publish"
	"github.com/hookline/hookline/internal/secretbox"
)

// Activities is registered on the worker; see workflows.Register.
type Activities struct {
	Pool *pgxpool.Pool
	Box  *secretbox.Box
	// HTTP posts deliveries: SSRF-guarded, no redirects, delivery timeout.
	HTTP *http.Client
	// ChallengeHTTP posts verification challenges (same guard, 30 s timeout).
	ChallengeHTTP *http.Client
	Policy        RetryPolicy
	Publisher     *publish.Publisher
	// Workflows lets reconcile see and restart delivery workflows.
	Workflows Workflows
	UserAgent string
	// ReconcileAfter is how old a pending delivery must be before reconcile
	// restarts its workflow.
	ReconcileAfter time.Duration
	RetentionDays  int
	Metrics        Recorder
	Logger         *slog.Logger
	Now            func() time.Time
}

// Recorder observes delivery outcomes for metrics; nil records nothing.
type Recorder interface {
	ObserveAttempt(outcome string, d time.Duration)
	ObserveFinal(status string, sincePublish time.Duration)
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
