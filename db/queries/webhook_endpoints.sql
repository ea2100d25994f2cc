-- name: CreateEndpoint :one
INSERT INTO webhook_endpoints (id, tenant_id, url, description, events, is_active, secret_ciphertext)
VALUES (@id, @tenant_id, @url, @description, @events, @is_active, @secret_ciphertext)
RETURNING *;

-- name: GetEndpoint :one
SELECT * FROM webhook_endpoints WHERE tenant_id = @tenant_id AND id = @id;

-- name: GetEndpointForUpdate :one
SELECT * FROM webhook_endpoints WHERE tenant_id = @tenant_id AND id = @id FOR UPDATE;

-- name: ListEndpoints :many
SELECT * FROM webhook_endpoints WHERE tenant_id = @tenant_id
ORDER BY created_at DESC, id DESC;

-- name: UpdateEndpoint :one
UPDATE webhook_endpoints SET
    url = @url,
    description = @description,
    events = @events,
    is_active = @is_active,
    verified_at = sqlc.narg('verified_at'),
    updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: RotateEndpointSecret :one
UPDATE webhook_endpoints SET
    secret_ciphertext = @secret_ciphertext,
    updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: RecordEndpointVerification :one
UPDATE webhook_endpoints SET
    verified_at = CASE WHEN @verified::boolean THEN now() ELSE verified_at END,
    last_verification_at = now(),
    last_verification_reason = sqlc.narg('reason'),
    updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: DeleteEndpoint :one
DELETE FROM webhook_endpoints WHERE tenant_id = @tenant_id AND id = @id
RETURNING id;
