-- name: CreateAPIKey :one
INSERT INTO api_keys (id, tenant_id, name, secret_hash, permissions)
VALUES (@id, @tenant_id, @name, @secret_hash, @permissions)
RETURNING *;

-- name: GetAPIKey :one
SELECT * FROM api_keys WHERE id = @id;

-- name: ListAPIKeys :many
SELECT * FROM api_keys WHERE tenant_id = @tenant_id
ORDER BY created_at DESC, id DESC;

-- name: RevokeAPIKey :one
UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;
