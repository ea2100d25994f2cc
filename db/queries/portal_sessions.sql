-- name: CreatePortalSession :one
INSERT INTO portal_sessions (id, tenant_id, created_by, login_token_hash, login_expires_at, expires_at)
VALUES (@id, @tenant_id, @created_by, @login_token_hash, @login_expires_at, @expires_at)
RETURNING *;

-- name: GetUsablePortalLogin :one
-- The session a link opens, while the link is unused and unexpired.
SELECT * FROM portal_sessions
WHERE login_token_hash = @login_token_hash AND consumed_at IS NULL AND revoked_at IS NULL
  AND login_expires_at > now();

-- name: ConsumePortalLogin :one
-- Swaps a link for a session token, once: a second use finds no row.
UPDATE portal_sessions SET session_token_hash = @session_token_hash, consumed_at = now()
WHERE login_token_hash = @login_token_hash AND consumed_at IS NULL AND revoked_at IS NULL
  AND login_expires_at > now()
RETURNING *;

-- name: GetActivePortalSession :one
SELECT s.*, t.name AS tenant_name FROM portal_sessions s JOIN tenants t ON t.id = s.tenant_id
WHERE s.session_token_hash = @session_token_hash AND s.revoked_at IS NULL AND s.expires_at > now();

-- name: RevokePortalSession :exec
UPDATE portal_sessions SET revoked_at = now() WHERE id = @id AND revoked_at IS NULL;

-- name: DeleteExpiredPortalSessions :execrows
DELETE FROM portal_sessions p WHERE p.id IN (
    SELECT o.id FROM portal_sessions o WHERE o.expires_at < @cutoff LIMIT @batch_size
);

-- name: ListPortalSessions :many
-- A tenant's sessions that are not over yet (the link still usable or the
-- session open), newest first.
SELECT * FROM portal_sessions
WHERE tenant_id = @tenant_id AND revoked_at IS NULL AND expires_at > now()
  AND (consumed_at IS NOT NULL OR login_expires_at > now())
ORDER BY created_at DESC, id DESC
LIMIT @row_limit;

-- name: RevokeTenantPortalSession :one
-- Ends one of a tenant's live sessions (or its unused link) at once; no row
-- when it was revoked already (or is not the tenant's).
UPDATE portal_sessions SET revoked_at = now()
WHERE id = @id AND tenant_id = @tenant_id AND revoked_at IS NULL
RETURNING *;

-- name: GetTenantPortalSession :one
SELECT * FROM portal_sessions WHERE id = @id AND tenant_id = @tenant_id;
