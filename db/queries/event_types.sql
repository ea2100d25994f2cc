-- name: ListSubscribableEventTypes :many
-- Names an endpoint may subscribe to: operational ones included (by name).
SELECT name FROM event_types
WHERE NOT deprecated AND NOT reserved
ORDER BY name;

-- name: GetEventTypes :many
SELECT * FROM event_types WHERE name = ANY(@names::text[]);

-- name: ListEventTypes :many
-- The catalogue, reserved types aside.
SELECT * FROM event_types WHERE NOT reserved ORDER BY name;

-- name: GetEventType :one
SELECT * FROM event_types WHERE name = @name AND NOT reserved;

-- name: PutEventType :one
-- Creates or updates a producer event type (not a reserved or operational one).
INSERT INTO event_types (name, description, schema, example, deprecated)
VALUES (@name, @description, sqlc.narg('schema'), sqlc.narg('example'), @deprecated)
ON CONFLICT (name) DO UPDATE SET
    description = excluded.description, schema = excluded.schema, example = excluded.example,
    deprecated = excluded.deprecated, updated_at = now()
WHERE NOT event_types.reserved AND NOT event_types.operational
RETURNING *;
