package publish

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/internal/apperr"
)

// Backlog caps each tenant's open (pending or in-flight) deliveries: while a
// tenant has Max or more, its REST publishes answer 429. The counts are
// taken every Every by one grouped query, never per publish, so the cap is
// approximate by what one interval publishes.
type Backlog struct {
	Pool   *pgxpool.Pool
	Max    int64
	Every  time.Duration
	Logger *slog.Logger

	mu     sync.RWMutex
	counts map[uuid.UUID]int64
}

// Admit refuses a publish of a tenant at its cap.
func (b *Backlog) Admit(tenantID uuid.UUID) error {
	if b == nil || b.Max <= 0 {
		return nil
	}
	b.mu.RLock()
	n := b.counts[tenantID]
	b.mu.RUnlock()
	if n >= b.Max {
		return apperr.TooMany(b.Every, "the tenant has %d deliveries pending or in flight, at its limit of %d: publish again once they are delivered", n, b.Max)
	}
	return nil
}

// Run counts until ctx ends (its caller owns it).
func (b *Backlog) Run(ctx context.Context) {
	if b == nil || b.Max <= 0 {
		return
	}
	t := time.NewTicker(b.Every)
	defer t.Stop()
	for {
		b.count(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (b *Backlog) count(ctx context.Context) {
	rows, err := db.Q(b.Pool).CountOpenByTenant(ctx)
	if err != nil {
		if b.Logger != nil && ctx.Err() == nil {
			b.Logger.WarnContext(ctx, "counting open deliveries per tenant failed; the pending cap uses the last counts", "err", err)
		}
		return
	}
	counts := make(map[uuid.UUID]int64, len(rows))
	for _, r := range rows {
		counts[r.TenantID] = r.Open
	}
	b.mu.Lock()
	b.counts = counts
	b.mu.Unlock()
}
