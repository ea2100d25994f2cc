-- Wave 3: channels, payload filters and the routing explanation.

ALTER TABLE webhook_endpoints
    -- An endpoint with channels gets only events sharing one of them.
    ADD COLUMN channels text[] NOT NULL DEFAULT '{}' CHECK (cardinality(channels) <= 10),
    -- A JSON filter matched against {"type","channels","data"} (internal/filter).
    ADD COLUMN filter   jsonb;

ALTER TABLE events ADD COLUMN channels text[] NOT NULL DEFAULT '{}' CHECK (cardinality(channels) <= 5);

-- Why an endpoint subscribed to an event's type got no delivery of it,
-- written in the publish transaction. Matched endpoints are not repeated
-- here: their deliveries say it.
CREATE TABLE event_routes (
    tenant_id   uuid NOT NULL,
    event_id    text NOT NULL,
    endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    reason      text NOT NULL CHECK (reason IN ('channels', 'filter', 'inactive')),
    PRIMARY KEY (tenant_id, event_id, endpoint_id),
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX event_routes_endpoint ON event_routes (endpoint_id);
