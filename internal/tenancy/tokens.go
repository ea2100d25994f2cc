package tenancy

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/requestid"
)

// RevokeToken revokes the admin JWT with id jti from now on. The row is
// kept until no token with that id can still be valid (until).
func RevokeToken(ctx context.Context, pool *pgxpool.Pool, c audit.Caller, jti string, until time.Time) (time.Time, error) {
	if !requestid.Valid(jti, 255) {
		return time.Time{}, apperr.Invalid("path.jti", nil, "jti must be 1–255 printable ASCII characters")
	}
	var at time.Time
	err := db.Tx(ctx, pool, func(q *dbq.Queries) error {
		var err error
		if at, err = q.RevokeToken(ctx, dbq.RevokeTokenParams{Jti: jti, RevokedBy: c.Actor.ID, ExpiresAt: until}); err != nil {
			return err
		}
		return c.Record(ctx, q, "admin_token.revoked", "admin_token", jti, nil)
	})
	return at, err
}

// TokenRevoked reports whether the admin JWT with id jti was revoked.
func TokenRevoked(ctx context.Context, pool *pgxpool.Pool, jti string) (bool, error) {
	return db.Q(pool).TokenRevoked(ctx, jti)
}

// AdminTokenRefused is an admin JWT the API refused: why, and what of it
// can be named. Sub and JTI are set only when the token's signature
// verified (a revoked token); Fingerprint is a short SHA-256 of the token,
// never the token.
type AdminTokenRefused struct {
	Reason      string
	Sub, JTI    string
	Fingerprint string
}

// RecordAdminTokenRefused audits a refused admin JWT in the global log
// (no tenant can be trusted from it). The caller rate-limits.
func RecordAdminTokenRefused(ctx context.Context, pool *pgxpool.Pool, e AdminTokenRefused, requestID string) error {
	actor := audit.Actor{Kind: audit.ActorAdmin, ID: e.Sub}
	if actor.ID == "" {
		actor.ID = "unverified"
	}
	details := map[string]any{"reason": e.Reason, "token_sha256": e.Fingerprint}
	if e.JTI != "" {
		details["jti"] = e.JTI
	}
	return audit.Global(actor, requestID).Record(ctx, db.Q(pool), "admin_token.authentication_failed", "admin_token", e.Fingerprint, details)
}
