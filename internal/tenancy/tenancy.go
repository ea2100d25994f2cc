// Package tenancy creates tenants and API keys. The admin API and the CLI
// (`hookline tenant create`, `hookline apikey create`, `hookline dev`) share it.
package tenancy

import (
	"context"
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
		if db.IsUniqueViolation(err) {
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
		if _, err := q.GetTenant(ctx, tenantID); err != nil {
			if db.IsNoRows(err) {
				return apperr.NotFound("tenant")
			}
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
		if db.IsNoRows(err) {
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
