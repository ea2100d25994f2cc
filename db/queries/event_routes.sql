-- name: CountFilteredRoutes :one
-- How many subscribed endpoints channels or a filter kept an event from.
SELECT count(*) FROM event_routes
WHERE tenant_id = @tenant_id AND event_id = @event_id AND reason IN ('channels', 'filter');

-- name: GetEventRouting :many
-- Every endpoint subscribed to the event's type when it was published: the
-- ones it was delivered to (their first, non-replay delivery), and why the
-- others got none.
SELECT r.endpoint_id, false AS matched, r.reason, NULL::uuid AS delivery_id
FROM event_routes r
WHERE r.tenant_id = @tenant_id AND r.event_id = @event_id
UNION ALL
SELECT d.endpoint_id, true, 'matched', d.id
FROM deliveries d
WHERE d.tenant_id = @tenant_id AND d.event_id = @event_id AND d.replay_of IS NULL
ORDER BY 1;
