-- name: ListSubscribableEventTypes :many
SELECT name FROM event_types
WHERE NOT deprecated AND NOT reserved
ORDER BY name;

-- name: GetEventTypes :many
SELECT * FROM event_types WHERE name = ANY(@names::text[]);
