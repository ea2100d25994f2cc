package portal

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/audit"
)

// maxListed bounds list-portal-sessions.
const maxListed = 500

// Issued is a portal session as an admin sees it: never its tokens.
type Issued struct {
	ID             uuid.UUID
	CreatedBy      string
	CreatedAt      time.Time
	LoginExpiresAt time.Time
	OpenedAt       *time.Time // the link was used
	ExpiresAt      time.Time
	RevokedAt      *time.Time
}

func issued(r dbq.PortalSession) Issued {
	return Issued{ID: r.ID, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, LoginExpiresAt: r.LoginExpiresAt,
		OpenedAt: r.ConsumedAt, ExpiresAt: r.ExpiresAt, RevokedAt: r.RevokedAt}
}

// List returns c's tenant's sessions that are not over: an unused link
// still valid, or an open session; newest first.
func (s *Service) List(ctx context.Context, c audit.Caller) ([]Issued, error) {
	rows, err := db.Q(s.Pool).ListPortalSessions(ctx, dbq.ListPortalSessionsParams{TenantID: c.TenantID, RowLimit: maxListed})
	if err != nil {
		return nil, err
	}
	out := make([]Issued, len(rows))
	for i, r := range rows {
		out[i] = issued(r)
	}
	return out, nil
}

// Revoke ends one of c's tenant's sessions (or its unused link) at once:
// its cookie and its link stop working. Audited; revoking again is a no-op.
func (s *Service) Revoke(ctx context.Context, c audit.Caller, id uuid.UUID) (Issued, error) {
	var out Issued
	err := db.Tx(ctx, s.Pool, func(q *dbq.Queries) error {
		r, err := q.RevokeTenantPortalSession(ctx, dbq.RevokeTenantPortalSessionParams{ID: id, TenantID: c.TenantID})
		if db.IsNotFound(err) { // revoked already (nothing to audit), or none of the tenant's
			prev, err := q.GetTenantPortalSession(ctx, dbq.GetTenantPortalSessionParams{ID: id, TenantID: c.TenantID})
			if db.IsNotFound(err) {
				return apperr.NotFound("portal session")
			}
			out = issued(prev)
			return err
		}
		if err != nil {
			return err
		}
		out = issued(r)
		return c.Record(ctx, q, "portal_session.revoked", "portal_session", id.String(), nil)
	})
	return out, err
}
