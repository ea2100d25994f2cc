-- Wave 2 hardening: owned idempotency keys, and every unexpired previous
-- signing secret kept after a rotation.

-- The request holding a key owns it by this token: completing or releasing
-- the key checks it, so a request whose key was taken over after a stall can
-- neither store its response nor free the key of the request that took it.
ALTER TABLE idempotency_keys ADD COLUMN lock_token uuid NOT NULL DEFAULT gen_random_uuid();

-- Secrets a rotation replaced, each signing until its grace period ends. A
-- second rotation within the grace period keeps the first previous secret.
CREATE TABLE webhook_endpoint_previous_secrets (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id       uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    tenant_id         uuid NOT NULL,
    -- AES-256-GCM, bound to (tenant, endpoint) like the current secret.
    secret_ciphertext bytea NOT NULL,
    expires_at        timestamptz NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoint_previous_secrets_endpoint ON webhook_endpoint_previous_secrets (endpoint_id, expires_at);

INSERT INTO webhook_endpoint_previous_secrets (endpoint_id, tenant_id, secret_ciphertext, expires_at)
SELECT id, tenant_id, previous_secret_ciphertext, previous_secret_expires_at
FROM webhook_endpoints
WHERE previous_secret_ciphertext IS NOT NULL AND previous_secret_expires_at > now();

ALTER TABLE webhook_endpoints
    DROP COLUMN previous_secret_ciphertext,
    DROP COLUMN previous_secret_expires_at;

-- Reconcile looks for open deliveries whose next step is overdue (pending
-- ones never started, in_flight ones whose workflow ended abnormally).
CREATE INDEX deliveries_open_due ON deliveries ((coalesce(next_attempt_at, created_at)))
    WHERE status IN ('pending', 'in_flight');
DROP INDEX deliveries_pending;
