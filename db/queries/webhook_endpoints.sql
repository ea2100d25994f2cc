-- name: CreateEndpoint :one
INSERT INTO webhook_endpoints (id, tenant_id, url, description, events, is_active, secret_ciphertext, max_in_flight, rate_limit,
    headers, sensitive_headers, auth, tls, tls_not_after, secrets_ciphertext, retry_schedule, timeout_seconds, channels, filter,
    trace_propagation, ordering, on_exhausted)
VALUES (@id, @tenant_id, @url, @description, @events, @is_active, @secret_ciphertext, @max_in_flight, sqlc.narg('rate_limit'),
    coalesce(sqlc.narg('headers')::jsonb, '{}'), coalesce(sqlc.narg('sensitive_headers')::text[], '{}'), sqlc.narg('auth'), sqlc.narg('tls'), sqlc.narg('tls_not_after'), sqlc.narg('secrets_ciphertext'),
    sqlc.narg('retry_schedule'), sqlc.narg('timeout_seconds'), coalesce(sqlc.narg('channels')::text[], '{}'), sqlc.narg('filter'),
    coalesce(sqlc.narg('trace_propagation')::boolean, false), @ordering, @on_exhausted)
RETURNING *;

-- name: GetEndpoint :one
SELECT * FROM webhook_endpoints WHERE tenant_id = @tenant_id AND id = @id;

-- name: GetEndpointForUpdate :one
SELECT * FROM webhook_endpoints WHERE tenant_id = @tenant_id AND id = @id FOR UPDATE;

-- name: ListEndpoints :many
-- Keyset page, newest first. The cursor is the (created_at, id) of the last row seen.
SELECT * FROM webhook_endpoints WHERE tenant_id = @tenant_id
  AND (sqlc.narg('cursor_created_at')::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg('cursor_created_at')::timestamptz, sqlc.narg('cursor_id')::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @row_limit;

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
    headers = coalesce(sqlc.narg('headers')::jsonb, '{}'),
    sensitive_headers = coalesce(sqlc.narg('sensitive_headers')::text[], '{}'),
    auth = sqlc.narg('auth'),
    -- A new certificate is announced afresh before it expires.
    tls_notified_days = CASE WHEN tls IS DISTINCT FROM sqlc.narg('tls') THEN NULL ELSE tls_notified_days END,
    tls = sqlc.narg('tls'),
    tls_not_after = sqlc.narg('tls_not_after'),
    secrets_ciphertext = sqlc.narg('secrets_ciphertext'),
    retry_schedule = sqlc.narg('retry_schedule'),
    timeout_seconds = sqlc.narg('timeout_seconds'),
    channels = coalesce(sqlc.narg('channels')::text[], '{}'),
    filter = sqlc.narg('filter'),
    trace_propagation = @trace_propagation,
    ordering = @ordering,
    on_exhausted = @on_exhausted,
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

-- name: ClaimExpiringTLS :many
-- Endpoints whose client certificate expires within 30 (or 7) days and was
-- not yet announced at that threshold, marked announced (the reconcile
-- sweep; the caller emits endpoint.tls_expiring in the same transaction).
UPDATE webhook_endpoints e SET tls_notified_days = CASE WHEN e.tls_not_after < now() + interval '7 days' THEN 7 ELSE 30 END
WHERE e.id IN (
    SELECT c.id FROM webhook_endpoints c
    WHERE c.tls_not_after > now() AND c.tls_not_after < now() + interval '30 days'
      AND (c.tls_notified_days IS NULL OR (c.tls_notified_days > 7 AND c.tls_not_after < now() + interval '7 days'))
    ORDER BY c.tls_not_after
    LIMIT 100
    FOR UPDATE SKIP LOCKED)
RETURNING e.id, e.tenant_id, e.tls_not_after::timestamptz AS not_after, coalesce(e.tls->>'client_cert_sha256', '')::text AS cert_sha256;

-- name: CountEndpoints :one
SELECT count(*) FROM webhook_endpoints WHERE tenant_id = @tenant_id;
