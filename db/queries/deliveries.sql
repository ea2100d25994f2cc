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
    waiting_since = NULL, woken_at = NULL, rate_slot = NULL,
    -- release: a failure that must not hold an ordered key (the endpoint
    -- was switched off: its other deliveries fail too).
    order_done = @status = 'succeeded' OR @release::boolean OR (@status IN ('failed', 'dead_letter') AND EXISTS (
        SELECT 1 FROM webhook_endpoints e WHERE e.id = deliveries.endpoint_id AND (e.on_exhausted = 'skip' OR e.ordering = 'none')))
WHERE deliveries.id = @id AND deliveries.status IN ('pending', 'in_flight');

-- name: NoteRetrying :exec
-- Shows an infrastructure retry on an open delivery while it lasts.
UPDATE deliveries SET last_error = @last_error::text, updated_at = now()
WHERE id = ANY(@ids::uuid[]) AND status IN ('pending', 'in_flight');

-- name: ListOverdueDeliveries :many
-- Open deliveries whose next step is overdue: pending ones whose workflow may
-- never have started, in_flight ones whose retry timer should have fired.
-- Round-robin across tenants (each tenant's oldest first, then each one's
-- second…), so one tenant's backlog cannot fill a run's batch.
WITH overdue AS (
    SELECT o.id, o.tenant_id, o.endpoint_id, o.event_type, o.due,
           row_number() OVER (PARTITION BY t.id ORDER BY o.due) AS turn
    FROM tenants t
    CROSS JOIN LATERAL (
        SELECT d.id, d.tenant_id, d.endpoint_id, d.event_type, coalesce(d.next_attempt_at, d.created_at) AS due
        FROM deliveries d
        WHERE d.tenant_id = t.id AND d.status IN ('pending', 'in_flight')
          AND coalesce(d.next_attempt_at, d.created_at) < @older_than::timestamptz
          -- A delivery waiting for its turn in an ordered key is not overdue:
          -- the one before it wakes (or starts) it when it is done.
          AND NOT (d.ordering_seq IS NOT NULL AND d.status = 'pending' AND d.attempt_count = 0
                   AND hookline_behind(d.endpoint_id, d.ordering_key, d.ordering_seq))
        ORDER BY coalesce(d.next_attempt_at, d.created_at)
        LIMIT @row_limit
    ) o
)
SELECT id, tenant_id, endpoint_id, event_type FROM overdue
ORDER BY turn, due
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
      -- A blocked head of an ordered key stays until it is unblocked:
      -- removing it would let the key move on unasked.
      AND (d.ordering_seq IS NULL OR d.order_done)
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
       coalesce(o.behind, false)::boolean AS order_waiting,
       -- A delivery behind an open one of its key waits for its turn
       -- before it asks the flow gate (and takes no lease).
       (CASE WHEN o.behind THEN @order_wait_ms::bigint
             ELSE hookline_gate(@id, @attempt::integer, @lease_ms::integer, @tenant_cap::integer, @breaker_threshold::integer) END)::bigint AS wait_ms,
       d.id, d.tenant_id, d.endpoint_id, d.event_id, d.event_type, d.status, d.attempt_count,
       d.last_status_code, d.last_error, d.next_attempt_at, d.created_at,
       e.url AS endpoint_url, e.is_active AS endpoint_active, e.secret_ciphertext, d.test,
       ARRAY(SELECT p.secret_ciphertext FROM webhook_endpoint_previous_secrets p
             WHERE p.endpoint_id = d.endpoint_id AND p.expires_at > now()
             ORDER BY p.created_at DESC, p.id DESC)::bytea[] AS previous_secrets,
       e.max_in_flight, e.consecutive_failures, e.failing_since, e.breaker_open_until,
       e.headers, e.auth, e.secrets_ciphertext, e.retry_schedule, e.timeout_seconds, e.trace_propagation,
       d.ordering_seq,
       ev.payload AS event_payload, ev.occurred_at AS event_occurred_at
FROM deliveries d
LEFT JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.tenant_id = d.tenant_id
LEFT JOIN events ev ON ev.tenant_id = d.tenant_id AND ev.id = d.event_id
CROSS JOIN LATERAL (SELECT (d.ordering_seq IS NOT NULL AND d.status = 'pending' AND d.attempt_count = 0
    AND hookline_behind(d.endpoint_id, d.ordering_key, d.ordering_seq)) AS behind) o
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
    waiting_since = NULL, woken_at = NULL, rate_slot = NULL,
    -- The endpoint's rule as it is now, not as the attempt began.
    order_done = @status = 'succeeded' OR (@status IN ('failed', 'dead_letter') AND EXISTS (
        SELECT 1 FROM webhook_endpoints e WHERE e.id = deliveries.endpoint_id AND (e.on_exhausted = 'skip' OR e.ordering = 'none')))
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

-- name: NextInKey :one
-- The first open delivery of a key after delivery @id, when @id lets its
-- key move on (it succeeded, or failed and was skipped): the one to wake.
SELECT n.id, n.tenant_id, n.endpoint_id, n.event_type
FROM deliveries d
JOIN deliveries n ON n.endpoint_id = d.endpoint_id AND n.ordering_key = d.ordering_key
                 AND n.ordering_seq > d.ordering_seq AND n.ordering_seq IS NOT NULL AND NOT n.order_done
                 AND n.status = 'pending'
WHERE d.id = @id AND d.ordering_seq IS NOT NULL AND d.order_done
ORDER BY n.ordering_seq
LIMIT 1;

-- name: ListBlockedKeys :many
-- The keys of an ordered endpoint whose head (first open delivery) failed
-- or dead-lettered and holds the rest back (on_exhausted = block), with how
-- many wait behind it.
WITH heads AS (
    SELECT DISTINCT ON (d.ordering_key) d.ordering_key, d.id, d.status, d.completed_at, d.updated_at, d.ordering_seq
    FROM deliveries d
    WHERE d.tenant_id = @tenant_id AND d.endpoint_id = @endpoint_id AND d.ordering_seq IS NOT NULL AND NOT d.order_done
    ORDER BY d.ordering_key, d.ordering_seq
)
SELECT h.ordering_key::text AS ordering_key, h.id AS delivery_id, h.status,
       coalesce(h.completed_at, h.updated_at)::timestamptz AS blocked_since,
       (SELECT count(*) FROM deliveries w
        WHERE w.tenant_id = @tenant_id AND w.endpoint_id = @endpoint_id AND w.ordering_key = h.ordering_key
          AND w.ordering_seq > h.ordering_seq AND w.ordering_seq IS NOT NULL AND NOT w.order_done) AS waiting
FROM heads h
JOIN webhook_endpoints e ON e.id = @endpoint_id AND e.tenant_id = @tenant_id
WHERE h.status IN ('failed', 'dead_letter') AND e.on_exhausted = 'block' AND e.ordering = 'ordered'
ORDER BY blocked_since, h.ordering_key
LIMIT @row_limit;

-- name: ReleaseOrderHead :one
-- unblock-key skip: the key's blocked head lets it move on.
UPDATE deliveries SET order_done = true, updated_at = now()
WHERE id = @id AND tenant_id = @tenant_id AND endpoint_id = @endpoint_id
  AND status IN ('failed', 'dead_letter') AND ordering_seq IS NOT NULL AND NOT order_done
RETURNING id, ordering_key, ordering_seq;

-- name: InsertHeadRetry :one
-- unblock-key retry: a replay of the blocked head that takes its place in
-- the key (the same number), attempted on a fresh schedule.
INSERT INTO deliveries (id, tenant_id, endpoint_id, event_id, event_type, replay_of, ordering_key, ordering_seq)
SELECT @new_id, h.tenant_id, h.endpoint_id, h.event_id, h.event_type, h.id, h.ordering_key, h.ordering_seq
FROM deliveries h WHERE h.id = @head_id
RETURNING *;

-- name: ListOrderWaiters :many
-- Deliveries of an ordered endpoint waiting for their turn (to wake when
-- the endpoint's ordering rules change).
SELECT id FROM deliveries
WHERE endpoint_id = @endpoint_id AND ordering_seq IS NOT NULL AND NOT order_done AND status = 'pending'
LIMIT @row_limit;

-- name: GetBlockedHead :one
-- The head of one key when it blocks the key (failed or dead-lettered, on
-- an ordered endpoint that blocks), locked for unblock-key.
SELECT h.id FROM deliveries h
JOIN webhook_endpoints e ON e.id = h.endpoint_id AND e.tenant_id = h.tenant_id
WHERE h.tenant_id = @tenant_id AND h.endpoint_id = @endpoint_id AND h.ordering_key = @ordering_key::text
  AND h.ordering_seq IS NOT NULL AND NOT h.order_done
  AND h.status IN ('failed', 'dead_letter') AND e.ordering = 'ordered' AND e.on_exhausted = 'block'
  AND NOT EXISTS (SELECT 1 FROM deliveries p
                  WHERE p.endpoint_id = h.endpoint_id AND p.ordering_key = h.ordering_key
                    AND p.ordering_seq < h.ordering_seq AND p.ordering_seq IS NOT NULL AND NOT p.order_done)
ORDER BY h.ordering_seq
LIMIT 1
FOR UPDATE OF h;

-- name: CountOpenByTenant :many
-- Each tenant's open deliveries (an index-only scan of the open ones), for
-- the pending-deliveries cap; run on a ticker, never per publish.
SELECT tenant_id, count(*)::bigint AS open FROM deliveries
WHERE status IN ('pending', 'in_flight')
GROUP BY tenant_id;

-- name: ReleaseFailedInKeys :execrows
-- When an endpoint stops blocking (on_exhausted becomes skip, or ordering
-- none), its failed heads stop holding their keys for good: switching back
-- must not block a key on a failure its later deliveries already passed.
UPDATE deliveries SET order_done = true
WHERE endpoint_id = @endpoint_id AND ordering_seq IS NOT NULL AND NOT order_done
  AND status IN ('failed', 'dead_letter');
