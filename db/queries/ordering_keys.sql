-- name: AssignOrdering :exec
-- Numbers the given new deliveries that go to ordered endpoints (test
-- deliveries excepted) at the end of their event's key. Several deliveries
-- of one key (a recovery batch) keep their originals' order. The upsert
-- locks each key's row until commit, so numbers follow commit order; rows
-- are locked in one order (endpoint, key) so concurrent writers cannot
-- deadlock.
WITH ord AS (
    SELECT d.id, d.tenant_id, d.endpoint_id, ev.ordering_key AS key,
           row_number() OVER (PARTITION BY d.endpoint_id, ev.ordering_key
                              ORDER BY r.ordering_seq NULLS LAST, r.created_at, d.created_at, d.id) AS rn
    FROM deliveries d
    JOIN webhook_endpoints e ON e.id = d.endpoint_id
    JOIN events ev ON ev.tenant_id = d.tenant_id AND ev.id = d.event_id
    LEFT JOIN deliveries r ON r.id = d.replay_of
    WHERE d.id = ANY(@ids::uuid[]) AND e.ordering = 'ordered' AND NOT d.test AND d.ordering_seq IS NULL
), grp AS (
    SELECT endpoint_id, key, tenant_id, count(*) AS n FROM ord GROUP BY endpoint_id, key, tenant_id
), k AS (
    INSERT INTO ordering_keys AS o (endpoint_id, ordering_key, tenant_id, last_seq)
    SELECT endpoint_id, key, tenant_id, n FROM grp ORDER BY endpoint_id, key
    ON CONFLICT (endpoint_id, ordering_key) DO UPDATE SET last_seq = o.last_seq + excluded.last_seq
    RETURNING o.endpoint_id, o.ordering_key, o.last_seq
)
UPDATE deliveries d SET ordering_key = ord.key, ordering_seq = k.last_seq - grp.n + ord.rn
FROM ord
JOIN grp ON grp.endpoint_id = ord.endpoint_id AND grp.key = ord.key
JOIN k ON k.endpoint_id = ord.endpoint_id AND k.ordering_key = ord.key
WHERE d.id = ord.id;
