-- name: CreateTenant :one
INSERT INTO tenants (id, name) VALUES (@id, @name)
RETURNING *;

-- name: GetTenant :one
SELECT * FROM tenants WHERE id = @id;

-- name: GetTenantByName :one
SELECT * FROM tenants WHERE name = @name;

-- name: ListTenants :many
SELECT * FROM tenants ORDER BY created_at, id;
