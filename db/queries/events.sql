-- name: InsertEvent :one
-- Returns no row when the producer's id was already published (idempotent publish).
INSERT INTO events (tenant_id, id, type, payload, occurred_at, channels, ordering_key)
VALUES (@tenant_id, @id, @type, @payload, @occurred_at, coalesce(sqlc.narg('channels')::text[], '{}'), @ordering_key)
ON CONFLICT (tenant_id, id) DO NOTHING
RETURNING *;

-- name: GetEvent :one
SELECT * FROM events WHERE tenant_id = @tenant_id AND id = @id;

-- name: DeleteOrphanEvents :execrows
-- Events older than the cut-off that no delivery refers to any more, in bounded batches.
DELETE FROM events e
WHERE (e.tenant_id, e.id) IN (
    SELECT o.tenant_id, o.id FROM events o
    WHERE o.created_at < @cutoff
      AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.tenant_id = o.tenant_id AND d.event_id = o.id)
    LIMIT @batch_size
);
