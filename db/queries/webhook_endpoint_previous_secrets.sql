-- name: AddPreviousSecret :exec
INSERT INTO webhook_endpoint_previous_secrets (endpoint_id, tenant_id, secret_ciphertext, expires_at)
VALUES (@endpoint_id, @tenant_id, @secret_ciphertext, @expires_at);

-- name: ListPreviousSecrets :many
-- The endpoint's previous secrets still signing, newest first.
SELECT secret_ciphertext, expires_at FROM webhook_endpoint_previous_secrets
WHERE tenant_id = @tenant_id AND endpoint_id = @endpoint_id AND expires_at > now()
ORDER BY created_at DESC, id DESC;

-- name: RetirePreviousSecrets :exec
-- Drops expired previous secrets, or every one when all_secrets is set (a
-- rotation without grace retires every earlier secret at once).
DELETE FROM webhook_endpoint_previous_secrets
WHERE tenant_id = @tenant_id AND endpoint_id = @endpoint_id
  AND (@all_secrets::boolean OR expires_at <= now());
