package source

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/publish"
)

// Verdict is what a driver does with a message once handled.
type Verdict int

// The verdicts.
const (
	// Ack: published (or published before); the broker forgets it.
	Ack Verdict = iota
	// Reject: it can never be published; to the dead letter, once.
	Reject
	// Retry: a fault on our side (database, backlog cap); redeliver after Delay.
	Retry
)

// Outcome is a handled message's verdict.
type Outcome struct {
	Verdict Verdict
	Reason  string        // Reject: why (logged; a JetStream term reason)
	Delay   time.Duration // Retry: when to redeliver
}

// Handler handles one message; drivers call it from several goroutines.
type Handler func(ctx context.Context, m Message) Outcome

// Hooks tell the consumer how its connection is doing.
type Hooks struct {
	Ready func()              // consuming (again, after a reconnect)
	Lost  func(reason string) // the connection dropped; the driver reconnects
}

// Settings are one source's, decrypted, as a driver needs them.
type Settings struct {
	Name       string
	Kind       Kind
	URL        string
	Subject    string
	Queue      string
	TenantID   *uuid.UUID
	Generation int64
	// Workers is how many messages are handled at once.
	Workers int
}

// Driver consumes one broker kind, as a competing consumer: every worker
// process runs one per source and the broker shares the messages out.
type Driver interface {
	// Consume hands the source's messages to handle until ctx ends (nil)
	// or the connection fails for good (the error; the caller reconnects).
	Consume(ctx context.Context, s Settings, h Hooks, handle Handler) error
}

// consumer handles one source's messages and keeps its counters.
type consumer struct {
	settings Settings
	pool     *pgxpool.Pool
	pub      *publish.Publisher
	log      *slog.Logger
	tenants  sync.Map // uuid.UUID → struct{}: tenants known to exist

	received, published, rejected atomic.Int64
}

// retryAfter is how long a message waits after a fault on our side.
const (
	retryAfter   = time.Second
	backlogRetry = 5 * time.Second
)

func (c *consumer) handle(ctx context.Context, m Message) Outcome {
	c.received.Add(1)
	out, id := c.publish(ctx, m)
	switch out.Verdict {
	case Reject:
		c.rejected.Add(1)
		c.log.WarnContext(ctx, "source message rejected to the dead letter", "source", c.settings.Name, "event_id", id, "reason", out.Reason)
	case Retry:
		if ctx.Err() == nil {
			c.log.WarnContext(ctx, "source message not published; redelivering", "source", c.settings.Name, "event_id", id, "reason", out.Reason, "in", out.Delay)
		}
	}
	return out
}

// publish publishes m once; the id is the event's, for the log.
func (c *consumer) publish(ctx context.Context, m Message) (Outcome, string) {
	named, ev, err := decode(m)
	if err != nil {
		return Outcome{Verdict: Reject, Reason: err.Error()}, ev.ID
	}
	tenant, err := c.tenant(ctx, named)
	if err != nil {
		return c.verdict(err), ev.ID
	}
	if c.pub.Backlog != nil {
		if err := c.pub.Backlog.Admit(tenant); err != nil { // back-pressure: the broker holds it meanwhile
			return Outcome{Verdict: Retry, Reason: "the tenant is at its pending-deliveries cap", Delay: backlogRetry}, ev.ID
		}
	}
	res, err := c.pub.Publish(ctx, tenant, ev)
	if err != nil {
		return c.verdict(err), ev.ID
	}
	if !res.Duplicate {
		c.published.Add(1)
	}
	return Outcome{Verdict: Ack}, ev.ID
}

// verdict tells a message the producer must fix from a fault to retry.
func (c *consumer) verdict(err error) Outcome {
	var b *badMessage
	if errors.As(err, &b) {
		return Outcome{Verdict: Reject, Reason: b.reason}
	}
	if e, ok := apperr.As(err); ok && e.Kind != apperr.KindTooMany && e.Kind != apperr.KindUnavailable {
		return Outcome{Verdict: Reject, Reason: e.Error()}
	}
	if errors.Is(err, db.ErrInvalidData) {
		return Outcome{Verdict: Reject, Reason: "the database refused a value of the event"}
	}
	return Outcome{Verdict: Retry, Reason: "database or Temporal unavailable", Delay: retryAfter}
}

// tenant is the tenant a message publishes to: the source's binding, else
// the one the message names, which must exist.
func (c *consumer) tenant(ctx context.Context, named *uuid.UUID) (uuid.UUID, error) {
	bound := c.settings.TenantID
	switch {
	case bound != nil && named != nil && *named != *bound:
		return uuid.Nil, bad("the message names tenant %s; this source is bound to another", named)
	case bound != nil:
		return *bound, nil
	case named == nil:
		return uuid.Nil, bad("tenant_id (CloudEvents: tenantid) is required: this source is not bound to a tenant")
	}
	if _, ok := c.tenants.Load(*named); ok {
		return *named, nil
	}
	if _, err := db.Q(c.pool).GetTenant(ctx, *named); db.IsNotFound(err) {
		return uuid.Nil, bad("no tenant %s", named)
	} else if err != nil {
		return uuid.Nil, err
	}
	c.tenants.Store(*named, struct{}{})
	return *named, nil
}

// flush adds the counters gathered since the last flush to the source's row.
func (c *consumer) flush(ctx context.Context) {
	r, p, j := c.received.Swap(0), c.published.Swap(0), c.rejected.Swap(0)
	if r == 0 && p == 0 && j == 0 {
		return
	}
	err := db.Q(c.pool).AddSourceCounts(ctx, dbq.AddSourceCountsParams{Name: c.settings.Name, Received: r, Published: p, Rejected: j})
	if err != nil { // keep them for the next flush
		c.received.Add(r)
		c.published.Add(p)
		c.rejected.Add(j)
	}
}

// report records the source's status (for this generation of its settings).
func (c *consumer) report(ctx context.Context, s Status, lastError string) {
	var le *string
	if lastError != "" {
		le = &lastError
	}
	err := db.Q(c.pool).SetSourceStatus(ctx, dbq.SetSourceStatusParams{Name: c.settings.Name, Generation: c.settings.Generation, Status: string(s), LastError: le})
	if err != nil && ctx.Err() == nil {
		c.log.WarnContext(ctx, "recording a source's status failed", "source", c.settings.Name, "err", err)
	}
}
