-- name: ClaimIdempotencyKey :one
-- Returns a row only when this request now owns the key.
INSERT INTO idempotency_keys (tenant_id, key, operation, request_hash, expires_at, lock_token)
VALUES (@tenant_id, @key, @operation, @request_hash, @expires_at, @lock_token)
ON CONFLICT (tenant_id, key) DO NOTHING
RETURNING *;

-- name: GetIdempotencyKeyForUpdate :one
SELECT * FROM idempotency_keys WHERE tenant_id = @tenant_id AND key = @key FOR UPDATE;

-- name: ReclaimIdempotencyKey :exec
-- An expired key, or one whose first request died mid-way, starts over
-- under a new owner token.
UPDATE idempotency_keys SET
    operation = @operation,
    request_hash = @request_hash,
    status_code = NULL,
    response_ciphertext = NULL,
    locked_at = now(),
    created_at = now(),
    expires_at = @expires_at,
    lock_token = @lock_token
WHERE tenant_id = @tenant_id AND key = @key;

-- name: CompleteIdempotencyKey :execrows
-- Stores the response; no row when the key is no longer this request's.
UPDATE idempotency_keys SET status_code = @status_code, response_ciphertext = @response_ciphertext
WHERE tenant_id = @tenant_id AND key = @key AND lock_token = @lock_token AND status_code IS NULL;

-- name: ReleaseIdempotencyKey :exec
DELETE FROM idempotency_keys
WHERE tenant_id = @tenant_id AND key = @key AND lock_token = @lock_token AND status_code IS NULL;

-- name: DeleteExpiredIdempotencyKeys :execrows
DELETE FROM idempotency_keys k WHERE (k.tenant_id, k.key) IN (
    SELECT o.tenant_id, o.key FROM idempotency_keys o WHERE o.expires_at < @cutoff LIMIT @batch_size
);
