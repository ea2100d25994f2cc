// Package tenancy creates tenants and API keys. The admin API and the CLI
// (`hookline tenant create`, `hookline apikey create`, `hookline dev`) share it.
package tenancy

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/authn"
)

// CreateTenant adds a tenant; a taken name is a 409.
func CreateTenant(ctx context.Context, pool *pgxpool.Pool, actor audit.Actor, requestID, name string) (dbq.Tenant, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 128 {
		return dbq.Tenant{}, apperr.Invalid("body.name", name, "name must be 1–128 characters")
	}
	var t dbq.Tenant
	err := db.Tx(ctx, pool, func(q *dbq.Queries) error {
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		t, err = q.CreateTenant(ctx, dbq.CreateTenantParams{ID: id, Name: name})
		if errors.Is(err, db.ErrUniqueViolation) {
			return apperr.Conflict("a tenant named %q already exists", name)
		}
		if err != nil {
			return err
		}
		return audit.Write(ctx, q, audit.Entry{
			TenantID: t.ID, Actor: actor, Action: "tenant.created", TargetType: "tenant",
			TargetID: t.ID.String(), Details: map[string]any{"name": name}, RequestID: requestID,
		})
	})
	return t, err
}

// NewKey is a created API key with its token, shown once.
type NewKey struct {
	dbq.ApiKey
	Token string
}

// CreateAPIKey issues a key for tenant with the given permissions.
func CreateAPIKey(ctx context.Context, pool *pgxpool.Pool, actor audit.Actor, requestID string, tenantID uuid.UUID, name string, perms []string) (NewKey, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 128 {
		return NewKey{}, apperr.Invalid("body.name", name, "name must be 1–128 characters")
	}
	if len(perms) == 0 {
		return NewKey{}, apperr.Invalid("body.permissions", perms, "at least one permission is required")
	}
	if bad, ok := authn.ValidPermissions(perms, authn.KeyPermissions); !ok {
		return NewKey{}, apperr.Invalid("body.permissions", bad, "unknown permission %q (allowed: %s)", bad, strings.Join(authn.KeyPermissions, ", "))
	}
	perms = dedupe(perms)
	id, token, hash := authn.NewAPIKey()
	var k dbq.ApiKey
	err := db.Tx(ctx, pool, func(q *dbq.Queries) error {
		if err := exists(ctx, q, tenantID); err != nil {
			return err
		}
		var err error
		k, err = q.CreateAPIKey(ctx, dbq.CreateAPIKeyParams{ID: id, TenantID: tenantID, Name: name, SecretHash: hash, Permissions: perms})
		if err != nil {
			return err
		}
		return audit.Write(ctx, q, audit.Entry{
			TenantID: tenantID, Actor: actor, Action: "api_key.created", TargetType: "api_key",
			TargetID: k.ID.String(), Details: map[string]any{"name": name, "permissions": perms}, RequestID: requestID,
		})
	})
	return NewKey{ApiKey: k, Token: token}, err
}

// RevokeAPIKey revokes a key of tenant; revoking twice is harmless.
func RevokeAPIKey(ctx context.Context, pool *pgxpool.Pool, actor audit.Actor, requestID string, tenantID, keyID uuid.UUID) (dbq.ApiKey, error) {
	var k dbq.ApiKey
	err := db.Tx(ctx, pool, func(q *dbq.Queries) error {
		var err error
		k, err = q.RevokeAPIKey(ctx, dbq.RevokeAPIKeyParams{TenantID: tenantID, ID: keyID})
		if db.IsNotFound(err) {
			return apperr.NotFound("api key")
		}
		if err != nil {
			return err
		}
		return audit.Write(ctx, q, audit.Entry{
			TenantID: tenantID, Actor: actor, Action: "api_key.revoked", TargetType: "api_key",
			TargetID: k.ID.String(), RequestID: requestID,
		})
	})
	return k, err
}

// Exists is nil when the tenant exists, else a not-found error.
func Exists(ctx context.Context, pool *pgxpool.Pool, id uuid.UUID) error {
	return exists(ctx, db.Q(pool), id)
}

func exists(ctx context.Context, q *dbq.Queries, id uuid.UUID) error {
	_, err := q.GetTenant(ctx, id)
	if db.IsNotFound(err) {
		return apperr.NotFound("tenant")
	}
	return err
}

// ByName finds a tenant by name (not found: an apperr).
func ByName(ctx context.Context, pool *pgxpool.Pool, name string) (dbq.Tenant, error) {
	t, err := db.Q(pool).GetTenantByName(ctx, name)
	if db.IsNotFound(err) {
		return t, apperr.NotFound("tenant")
	}
	return t, err
}

// ListTenants lists tenants oldest first: every one when ids is nil, else those.
func ListTenants(ctx context.Context, pool *pgxpool.Pool, ids []uuid.UUID) ([]dbq.Tenant, error) {
	return db.Q(pool).ListTenants(ctx, ids)
}

// ListAPIKeys lists a tenant's keys, newest first, revoked ones included.
func ListAPIKeys(ctx context.Context, pool *pgxpool.Pool, tenantID uuid.UUID) ([]dbq.ApiKey, error) {
	return db.Q(pool).ListAPIKeys(ctx, tenantID)
}

// ErrInvalidKey answers every API key that does not authenticate, whatever
// the reason, so the answer tells an attacker nothing.
var ErrInvalidKey = apperr.Unauthorized("invalid API key")

// Authenticate resolves an API key token (hk_<id>_<secret>) to its key: the
// secret is compared in constant time, also for unknown ids, and a revoked
// key is refused.
func Authenticate(ctx context.Context, pool *pgxpool.Pool, token string) (dbq.ApiKey, error) {
	id, secret, ok := authn.ParseAPIKey(token)
	if !ok {
		return dbq.ApiKey{}, ErrInvalidKey
	}
	key, err := db.Q(pool).GetAPIKey(ctx, id)
	switch {
	case db.IsNotFound(err):
		// Compare anyway so unknown ids cost the same as wrong secrets.
		authn.SecretMatches(secret, make([]byte, 32))
		return dbq.ApiKey{}, ErrInvalidKey
	case err != nil:
		return dbq.ApiKey{}, err
	}
	if !authn.SecretMatches(secret, key.SecretHash) || key.RevokedAt != nil {
		reason := "wrong secret"
		if key.RevokedAt != nil {
			reason = "revoked key"
		}
		return dbq.ApiKey{}, &KeyRefused{TenantID: key.TenantID, KeyID: key.ID, Reason: reason}
	}
	return key, nil
}

// KeyRefused is ErrInvalidKey for a key that exists: its tenant can be told
// (audited) that someone tried it. The HTTP answer stays the same.
type KeyRefused struct {
	TenantID, KeyID uuid.UUID
	Reason          string // "wrong secret" or "revoked key"
}

func (e *KeyRefused) Error() string { return ErrInvalidKey.Error() }

// Unwrap makes errors.Is(err, ErrInvalidKey) hold.
func (e *KeyRefused) Unwrap() error { return ErrInvalidKey }

// RecordKeyRefused writes the audit row of a refused key, in the key's
// tenant, by the key itself.
func RecordKeyRefused(ctx context.Context, pool *pgxpool.Pool, e *KeyRefused, requestID string) error {
	c := audit.Caller{TenantID: e.TenantID, Actor: audit.Actor{Kind: audit.ActorAPIKey, ID: e.KeyID.String()}, RequestID: requestID}
	return c.Record(ctx, db.Q(pool), "api_key.authentication_failed", "api_key", e.KeyID.String(), map[string]any{"reason": e.Reason})
}

// DevTokenTTL is how long the admin token `hookline dev` prints stays valid.
const DevTokenTTL = 24 * time.Hour

func dedupe(in []string) []string {
	seen := map[string]bool{}
	out := in[:0:0]
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
