-- name: FanOutDeliveries :many
-- Routes an event to every endpoint of the tenant subscribed to its type
-- (or "*", except for operational events, which go only to endpoints that
-- name them and never to the endpoint they are about), in one statement:
-- a pending delivery for each active endpoint whose channels admit the
-- event and that has no filter; an event_routes row for each inactive or
-- channel-excluded one. Endpoints with a filter come back without a
-- delivery, for the caller to match (InsertRoutedDeliveries).
WITH subs AS (
    SELECT e.id, e.is_active, e.filter, e.updated_at,
           (cardinality(e.channels) = 0 OR e.channels && @channels::text[]) AS channel_ok
    FROM webhook_endpoints e
    WHERE e.tenant_id = @tenant_id
      AND (@event_type::text = ANY(e.events) OR ('*' = ANY(e.events) AND NOT @operational::boolean))
      AND e.id IS DISTINCT FROM sqlc.narg('about')::uuid
), ins AS (
    INSERT INTO deliveries (id, tenant_id, endpoint_id, event_id, event_type)
    SELECT gen_random_uuid(), @tenant_id, s.id, @event_id, @event_type
    FROM subs s WHERE s.is_active AND s.channel_ok AND s.filter IS NULL
    RETURNING id, endpoint_id
), routes AS (
    INSERT INTO event_routes (tenant_id, event_id, endpoint_id, reason)
    SELECT @tenant_id, @event_id, s.id, CASE WHEN NOT s.is_active THEN 'inactive' ELSE 'channels' END
    FROM subs s WHERE NOT s.is_active OR NOT s.channel_ok
)
SELECT s.id AS endpoint_id, i.id AS delivery_id, s.filter, s.updated_at, s.is_active, s.channel_ok
FROM subs s LEFT JOIN ins i ON i.endpoint_id = s.id;

-- name: RouteFiltered :many
-- The filtered endpoints' outcome in one statement: a delivery to each one
-- whose filter matched, a 'filter' route for each one whose did not.
WITH routes AS (
    INSERT INTO event_routes (tenant_id, event_id, endpoint_id, reason)
    SELECT @tenant_id, @event_id, ep, 'filter' FROM unnest(@unmatched::uuid[]) AS ep
)
INSERT INTO deliveries (id, tenant_id, endpoint_id, event_id, event_type)
SELECT gen_random_uuid(), @tenant_id, ep, @event_id, @event_type FROM unnest(@matched::uuid[]) AS ep
RETURNING id, endpoint_id;

-- name: InsertDelivery :one
INSERT INTO deliveries (id, tenant_id, endpoint_id, event_id, event_type, replay_of, test)
VALUES (@id, @tenant_id, @endpoint_id, @event_id, @event_type, sqlc.narg('replay_of'), @test)
RETURNING *;

-- name: CountRecoverable :one
-- The failed and dead-lettered deliveries of an endpoint created in [since, until).
SELECT count(*) FROM deliveries
WHERE tenant_id = @tenant_id AND endpoint_id = @endpoint_id AND status IN ('failed', 'dead_letter')
  AND created_at >= @since AND created_at < @until;

-- name: ListRecoverable :many
-- The next page of recoverable deliveries after the cursor, oldest first.
SELECT id, created_at FROM deliveries
WHERE tenant_id = @tenant_id AND endpoint_id = @endpoint_id AND status IN ('failed', 'dead_letter')
  AND created_at >= @since AND created_at < @until
  AND (created_at, id) > (@after_created_at::timestamptz, @after_id::uuid)
ORDER BY created_at, id
LIMIT @batch_size;

-- name: InsertRecoveryReplays :many
-- Replays the given deliveries for a recovery, each at most once (a retried
-- batch adds nothing); test deliveries stay test deliveries, as in a replay.
INSERT INTO deliveries (id, tenant_id, endpoint_id, event_id, event_type, test, replay_of, recovery_id)
SELECT gen_random_uuid(), d.tenant_id, d.endpoint_id, d.event_id, d.event_type, d.test, d.id, @recovery_id
FROM deliveries d
WHERE d.id = ANY(@ids::uuid[])
  AND NOT EXISTS (SELECT 1 FROM deliveries r WHERE r.replay_of = d.id AND r.recovery_id = @recovery_id)
RETURNING id, tenant_id, endpoint_id, event_type;

-- name: CountEventDeliveries :one
-- Deliveries created by the original publish (replays and tests excluded).
SELECT count(*) FROM deliveries
WHERE tenant_id = @tenant_id AND event_id = @event_id AND replay_of IS NULL;

-- name: ListPendingEventDeliveries :many
-- The original publish's deliveries whose workflows may not have started.
SELECT id, endpoint_id FROM deliveries
WHERE tenant_id = @tenant_id AND event_id = @event_id AND replay_of IS NULL AND status = 'pending';

-- name: GetDelivery :one
SELECT * FROM deliveries
WHERE tenant_id = @tenant_id AND endpoint_id = @endpoint_id AND id = @id;

-- name: GetDeliveryByID :one
SELECT * FROM deliveries WHERE id = @id;

-- name: ListDeliveries :many
-- Keyset page, newest first. The cursor is the (created_at, id) of the last row seen.
SELECT * FROM deliveries
WHERE tenant_id = @tenant_id
  AND endpoint_id = @endpoint_id
  AND (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status')::text)
  AND (sqlc.narg('event_type')::text IS NULL OR event_type = sqlc.narg('event_type')::text)
  AND (sqlc.narg('after')::timestamptz IS NULL OR created_at > sqlc.narg('after')::timestamptz)
  AND (sqlc.narg('before')::timestamptz IS NULL OR created_at < sqlc.narg('before')::timestamptz)
  AND (sqlc.narg('cursor_created_at')::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg('cursor_created_at')::timestamptz, sqlc.narg('cursor_id')::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @row_limit;

-- name: SetDeliveryStatus :execrows
-- Terminal transitions that involve no HTTP attempt (endpoint gone, disabled).
WITH released AS (DELETE FROM delivery_leases WHERE delivery_id = @id)
UPDATE deliveries SET
    status = @status,
    last_error = sqlc.narg('last_error'),
    next_attempt_at = NULL,
    completed_at = CASE WHEN @status IN ('succeeded', 'failed', 'dead_letter') THEN now() END,
    updated_at = now(),
    waiting_since = NULL, woken_at = NULL, rate_slot = NULL
WHERE id = @id AND status IN ('pending', 'in_flight');

-- name: NoteRetrying :exec
-- Shows an infrastructure retry on an open delivery while it lasts.
UPDATE deliveries SET last_error = @last_error::text, updated_at = now()
WHERE id = ANY(@ids::uuid[]) AND status IN ('pending', 'in_flight');

-- name: ListOverdueDeliveries :many
-- Open deliveries whose next step is overdue: pending ones whose workflow may
-- never have started, in_flight ones whose retry timer should have fired.
SELECT id, tenant_id, endpoint_id, event_type FROM deliveries
WHERE status IN ('pending', 'in_flight') AND coalesce(next_attempt_at, created_at) < @older_than::timestamptz
ORDER BY coalesce(next_attempt_at, created_at)
LIMIT @row_limit;

-- name: ListOpenDeliveriesByID :many
SELECT id, tenant_id, endpoint_id, event_type FROM deliveries
WHERE id = ANY(@ids::uuid[]) AND status IN ('pending', 'in_flight');

-- name: DeleteEndpointDeliveries :many
-- Purge, one batch: the endpoint's deliveries created before the purge
-- began; returns what was removed so running workflows can be cancelled.
DELETE FROM deliveries WHERE id IN (
    SELECT d.id FROM deliveries d
    WHERE d.tenant_id = @tenant_id AND d.endpoint_id = @endpoint_id AND d.created_at <= @before
    LIMIT @batch_size
)
RETURNING id, status;

-- name: StartPurge :one
-- A purge's cut-off (the database's clock, which stamps created_at) and
-- how many deliveries it will remove.
SELECT now()::timestamptz AS before,
       (SELECT count(*) FROM deliveries WHERE tenant_id = @tenant_id AND endpoint_id = @endpoint_id) AS deliveries;

-- name: ListOpenEndpointDeliveries :many
SELECT id FROM deliveries
WHERE tenant_id = @tenant_id AND endpoint_id = @endpoint_id AND status IN ('pending', 'in_flight');

-- name: DeleteOldDeliveries :execrows
DELETE FROM deliveries WHERE id IN (
    SELECT d.id FROM deliveries d
    WHERE d.created_at < @cutoff AND d.status IN ('succeeded', 'failed', 'dead_letter')
    LIMIT @batch_size
);

-- name: GetAttemptContext :one
-- Everything one attempt needs, in one round trip, with the flow-control
-- gate's decision (hookline_gate: 0 = go, else milliseconds to wait). The
-- endpoint and event columns are NULL when the endpoint was deleted meanwhile.
-- The statement commits without waiting for its WAL flush: the gate holds
-- the tenant's lock until commit, and what it writes (a lease, a rate slot)
-- is soft state a crash may lose at the price of one attempt over a limit.
SELECT set_config('synchronous_commit', 'off', true) AS async_commit,
       hookline_gate(@id, @attempt::integer, @lease_ms::integer, @tenant_cap::integer, @breaker_threshold::integer)::bigint AS wait_ms,
       d.id, d.tenant_id, d.endpoint_id, d.event_id, d.event_type, d.status, d.attempt_count,
       d.last_status_code, d.last_error, d.next_attempt_at, d.created_at,
       e.url AS endpoint_url, e.is_active AS endpoint_active, e.secret_ciphertext, d.test,
       ARRAY(SELECT p.secret_ciphertext FROM webhook_endpoint_previous_secrets p
             WHERE p.endpoint_id = d.endpoint_id AND p.expires_at > now()
             ORDER BY p.created_at DESC, p.id DESC)::bytea[] AS previous_secrets,
       e.max_in_flight, e.consecutive_failures, e.failing_since, e.breaker_open_until,
       e.headers, e.auth, e.secrets_ciphertext, e.retry_schedule, e.timeout_seconds, e.trace_propagation,
       ev.payload AS event_payload, ev.occurred_at AS event_occurred_at
FROM deliveries d
LEFT JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.tenant_id = d.tenant_id
LEFT JOIN events ev ON ev.tenant_id = d.tenant_id AND ev.id = d.event_id
WHERE d.id = @id;

-- name: RecordAttempt :one
-- The attempt row and the delivery's new state in one statement (one
-- implicit transaction), releasing the attempt's lease. Idempotent on the
-- attempt number: a retried activity can neither add a second row nor apply
-- the outcome twice (then no row). It says whether deliveries of the tenant
-- wait for capacity (to wake one).
WITH attempt AS (
    INSERT INTO delivery_attempts (delivery_id, number, tenant_id, started_at, duration_ms, status_code, error, response_body, request_headers)
    SELECT d.id, @attempt_count, d.tenant_id, @started_at, @duration_ms,
           sqlc.narg('last_status_code'), sqlc.narg('last_error'), sqlc.narg('response_body'), sqlc.narg('request_headers')::text[]
    FROM deliveries d WHERE d.id = @id AND d.attempt_count < @attempt_count
    ON CONFLICT (delivery_id, number) DO NOTHING
    RETURNING delivery_id
), released AS (
    DELETE FROM delivery_leases WHERE delivery_id = @id
), stat AS (
    -- The endpoint's stats for this minute, only when the attempt is new.
    INSERT INTO endpoint_stats AS s (tenant_id, endpoint_id, minute, attempts, succeeded, failed, dead_letter,
        l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11, l12)
    SELECT d.tenant_id, d.endpoint_id, date_trunc('minute', now()), 1,
        (@status = 'succeeded')::int, (@status = 'failed')::int, (@status = 'dead_letter')::int,
        (@latency_bucket::int = 1)::int, (@latency_bucket = 2)::int, (@latency_bucket = 3)::int, (@latency_bucket = 4)::int,
        (@latency_bucket = 5)::int, (@latency_bucket = 6)::int, (@latency_bucket = 7)::int, (@latency_bucket = 8)::int,
        (@latency_bucket = 9)::int, (@latency_bucket = 10)::int, (@latency_bucket = 11)::int, (@latency_bucket = 12)::int
    FROM deliveries d JOIN attempt a ON a.delivery_id = d.id
    ON CONFLICT (endpoint_id, minute) DO UPDATE SET
        attempts = s.attempts + 1, succeeded = s.succeeded + excluded.succeeded, failed = s.failed + excluded.failed,
        dead_letter = s.dead_letter + excluded.dead_letter,
        l1 = s.l1 + excluded.l1, l2 = s.l2 + excluded.l2, l3 = s.l3 + excluded.l3, l4 = s.l4 + excluded.l4,
        l5 = s.l5 + excluded.l5, l6 = s.l6 + excluded.l6, l7 = s.l7 + excluded.l7, l8 = s.l8 + excluded.l8,
        l9 = s.l9 + excluded.l9, l10 = s.l10 + excluded.l10, l11 = s.l11 + excluded.l11, l12 = s.l12 + excluded.l12
), stat_hourly AS (
    -- And for this hour.
    INSERT INTO endpoint_stats_hourly AS s (tenant_id, endpoint_id, hour, attempts, succeeded, failed, dead_letter,
        l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11, l12)
    SELECT d.tenant_id, d.endpoint_id, date_trunc('hour', now()), 1,
        (@status = 'succeeded')::int, (@status = 'failed')::int, (@status = 'dead_letter')::int,
        (@latency_bucket::int = 1)::int, (@latency_bucket = 2)::int, (@latency_bucket = 3)::int, (@latency_bucket = 4)::int,
        (@latency_bucket = 5)::int, (@latency_bucket = 6)::int, (@latency_bucket = 7)::int, (@latency_bucket = 8)::int,
        (@latency_bucket = 9)::int, (@latency_bucket = 10)::int, (@latency_bucket = 11)::int, (@latency_bucket = 12)::int
    FROM deliveries d JOIN attempt a ON a.delivery_id = d.id
    ON CONFLICT (endpoint_id, hour) DO UPDATE SET
        attempts = s.attempts + 1, succeeded = s.succeeded + excluded.succeeded, failed = s.failed + excluded.failed,
        dead_letter = s.dead_letter + excluded.dead_letter,
        l1 = s.l1 + excluded.l1, l2 = s.l2 + excluded.l2, l3 = s.l3 + excluded.l3, l4 = s.l4 + excluded.l4,
        l5 = s.l5 + excluded.l5, l6 = s.l6 + excluded.l6, l7 = s.l7 + excluded.l7, l8 = s.l8 + excluded.l8,
        l9 = s.l9 + excluded.l9, l10 = s.l10 + excluded.l10, l11 = s.l11 + excluded.l11, l12 = s.l12 + excluded.l12
)
UPDATE deliveries SET
    status = @status,
    attempt_count = @attempt_count,
    last_status_code = sqlc.narg('last_status_code'),
    last_error = sqlc.narg('last_error'),
    next_attempt_at = sqlc.narg('next_attempt_at'),
    completed_at = CASE WHEN @status IN ('succeeded', 'failed', 'dead_letter') THEN now() END,
    updated_at = now(),
    waiting_since = NULL, woken_at = NULL, rate_slot = NULL
WHERE deliveries.id = @id AND deliveries.attempt_count < @attempt_count
RETURNING EXISTS (SELECT 1 FROM deliveries w WHERE w.tenant_id = deliveries.tenant_id AND w.waiting_since IS NOT NULL) AS tenant_has_waiters;

-- name: WakeWaiters :many
-- The longest-waiting deliveries of the endpoint, else of the tenant, to try
-- again now that capacity was released (each woken at most every 10 s).
WITH picked AS (
    SELECT w.id FROM deliveries w
    WHERE w.tenant_id = @tenant_id AND w.waiting_since IS NOT NULL
      AND (w.woken_at IS NULL OR w.woken_at < now() - interval '10 seconds')
    ORDER BY (w.endpoint_id = @endpoint_id) DESC, w.waiting_since
    LIMIT @max_woken
    FOR UPDATE SKIP LOCKED
)
UPDATE deliveries d SET woken_at = now()
FROM picked WHERE d.id = picked.id
RETURNING d.id;
