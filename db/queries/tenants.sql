-- name: CreateTenant :one
INSERT INTO tenants (id, name) VALUES (@id, @name)
RETURNING *;

-- name: GetTenant :one
SELECT * FROM tenants WHERE id = @id;

-- name: GetTenantByName :one
SELECT * FROM tenants WHERE name = @name;

-- name: ListTenants :many
-- Every tenant when ids is NULL (a token for "*"), else just those.
SELECT * FROM tenants
WHERE sqlc.narg('ids')::uuid[] IS NULL OR id = ANY(sqlc.narg('ids')::uuid[])
ORDER BY created_at, id;

-- name: LockTenant :one
-- Serialises a tenant's endpoint creations against its quota.
SELECT id FROM tenants WHERE id = @id FOR UPDATE;
