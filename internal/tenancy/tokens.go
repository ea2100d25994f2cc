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
