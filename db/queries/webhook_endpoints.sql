-- name: CreateEndpoint :one
INSERT INTO webhook_endpoints (id, tenant_id, url, description, events, is_active, secret_ciphertext, max_in_flight, rate_limit)
VALUES (@id, @tenant_id, @url, @description, @events, @is_active, @secret_ciphertext, @max_in_flight, sqlc.narg('rate_limit'))
RETURNING *;

-- name: GetEndpoint :one
SELECT * FROM webhook_endpoints WHERE tenant_id = @tenant_id AND id = @id;

-- name: GetEndpointForUpdate :one
SELECT * FROM webhook_endpoints WHERE tenant_id = @tenant_id AND id = @id FOR UPDATE;

-- name: ListEndpoints :many
SELECT * FROM webhook_endpoints WHERE tenant_id = @tenant_id
ORDER BY created_at DESC, id DESC;

-- name: UpdateEndpoint :one
-- Re-enabling (is_active false → true) resets the endpoint's health.
UPDATE webhook_endpoints SET
    url = @url,
    description = @description,
    events = @events,
    is_active = @is_active,
    verified_at = sqlc.narg('verified_at'),
    max_in_flight = @max_in_flight,
    rate_limit = sqlc.narg('rate_limit'),
    failing_since = CASE WHEN @is_active AND NOT is_active THEN NULL ELSE failing_since END,
    disabled_reason = CASE WHEN @is_active THEN NULL ELSE disabled_reason END,
    consecutive_failures = CASE WHEN @is_active AND NOT is_active THEN 0 ELSE consecutive_failures END,
    breaker_open_until = CASE WHEN @is_active AND NOT is_active THEN NULL ELSE breaker_open_until END,
    breaker_cooldown_seconds = CASE WHEN @is_active AND NOT is_active THEN 0 ELSE breaker_cooldown_seconds END,
    breaker_prober = CASE WHEN @is_active AND NOT is_active THEN NULL ELSE breaker_prober END,
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

-- name: RecordEndpointOutcome :one
-- An attempt's effect on the endpoint's health and breaker. A success clears
-- failing_since and closes the breaker; any failure starts failing_since; a
-- breaker failure (network error, timeout, 5xx) counts toward opening it, and
-- opening it (when it is not open already) doubles the cool-down within
-- [min_cooldown, max_cooldown]. Right-hand sides read the old row.
UPDATE webhook_endpoints SET
    consecutive_failures = CASE WHEN @success::boolean THEN 0
        WHEN @breaker_failure::boolean THEN consecutive_failures + 1 ELSE consecutive_failures END,
    failing_since = CASE WHEN @success::boolean THEN NULL ELSE coalesce(failing_since, now()) END,
    breaker_cooldown_seconds = CASE WHEN @success::boolean THEN 0
        WHEN @breaker_failure::boolean AND consecutive_failures + 1 >= @threshold::integer
             AND (breaker_open_until IS NULL OR breaker_open_until <= now())
        THEN least(greatest(breaker_cooldown_seconds * 2, @min_cooldown::integer), @max_cooldown::integer)
        ELSE breaker_cooldown_seconds END,
    breaker_open_until = CASE WHEN @success::boolean THEN NULL
        WHEN @breaker_failure::boolean AND consecutive_failures + 1 >= @threshold::integer
             AND (breaker_open_until IS NULL OR breaker_open_until <= now())
        THEN now() + make_interval(secs => least(greatest(breaker_cooldown_seconds * 2, @min_cooldown::integer), @max_cooldown::integer))
        ELSE breaker_open_until END,
    -- A probe's outcome is in: the next opening picks a new prober.
    breaker_prober = CASE WHEN @success::boolean OR (@breaker_failure::boolean AND consecutive_failures + 1 >= @threshold::integer
             AND (breaker_open_until IS NULL OR breaker_open_until <= now())) THEN NULL ELSE breaker_prober END,
    breaker_max_cooldown_seconds = @max_cooldown::integer
WHERE id = @id
RETURNING consecutive_failures, failing_since, breaker_open_until, is_active;

-- name: DisableFailingEndpoint :one
-- Auto-disable: only an active endpoint failing since before the cut-off.
UPDATE webhook_endpoints SET is_active = false, disabled_reason = 'failing', updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id AND is_active AND failing_since < @failing_before::timestamptz
RETURNING *;

-- name: ListFailingEndpoints :many
-- Active endpoints failing since before the cut-off (the reconcile sweep).
SELECT id, tenant_id FROM webhook_endpoints
WHERE is_active AND failing_since < @failing_before::timestamptz
LIMIT 100;

-- name: AnyEndpointSecret :one
-- One sealed secret, to check a key against a database that predates the
-- key fingerprint.
SELECT tenant_id, id, secret_ciphertext FROM webhook_endpoints LIMIT 1;
