-- name: PutSource :one
-- Creates or replaces a source's settings; counters survive a change.
INSERT INTO sources (name, kind, url, url_ciphertext, subject, queue, tenant_id)
VALUES (@name, @kind, @url, @url_ciphertext, @subject, @queue, @tenant_id)
ON CONFLICT (name) DO UPDATE SET
    kind = excluded.kind, url = excluded.url, url_ciphertext = excluded.url_ciphertext,
    subject = excluded.subject, queue = excluded.queue, tenant_id = excluded.tenant_id,
    generation = sources.generation + 1, status = 'error', last_error = 'reconnecting with the new settings',
    status_at = now(), updated_at = now()
RETURNING *, (xmax = 0)::bool AS created;

-- name: GetSource :one
SELECT * FROM sources WHERE name = @name;

-- name: ListSources :many
SELECT * FROM sources ORDER BY name;

-- name: DeleteSource :execrows
DELETE FROM sources WHERE name = @name;

-- name: ListSourceSettings :many
-- What workers consume: polled, so a put or delete reaches every worker.
SELECT name, kind, url_ciphertext, subject, queue, tenant_id, generation FROM sources ORDER BY name;

-- name: SetSourceStatus :exec
-- A report about older settings (a put raced it) is dropped.
UPDATE sources SET status = @status, last_error = @last_error, status_at = now()
WHERE name = @name AND generation = @generation;

-- name: AddSourceCounts :exec
UPDATE sources SET received = received + @received, published = published + @published, rejected = rejected + @rejected
WHERE name = @name;
