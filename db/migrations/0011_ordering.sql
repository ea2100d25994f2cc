-- Wave 3: ordered delivery per (endpoint, ordering key), DESIGN §9.3.

ALTER TABLE webhook_endpoints
    ADD COLUMN ordering     text NOT NULL DEFAULT 'none' CHECK (ordering IN ('none', 'ordered')),
    ADD COLUMN on_exhausted text NOT NULL DEFAULT 'block' CHECK (on_exhausted IN ('block', 'skip'));

-- The producer's key; '' when it gave none.
ALTER TABLE events ADD COLUMN ordering_key text NOT NULL DEFAULT '' CHECK (char_length(ordering_key) <= 128);

-- A delivery to an ordered endpoint takes the next number of its key in
-- the transaction that creates it (the key's row lock makes the numbers
-- follow commit order). order_done: the key may move past it (it
-- succeeded, or it failed and was skipped).
ALTER TABLE deliveries
    ADD COLUMN ordering_key text,
    ADD COLUMN ordering_seq bigint,
    ADD COLUMN order_done   boolean NOT NULL DEFAULT false;

-- The key's open deliveries in order: the head of a key is its first row.
CREATE INDEX deliveries_ordering_open ON deliveries (endpoint_id, ordering_key, ordering_seq)
    WHERE ordering_seq IS NOT NULL AND NOT order_done;

-- The last number given in each key of an ordered endpoint.
CREATE TABLE ordering_keys (
    endpoint_id  uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    ordering_key text NOT NULL,
    tenant_id    uuid NOT NULL,
    last_seq     bigint NOT NULL,
    PRIMARY KEY (endpoint_id, ordering_key)
);

-- Whether a delivery numbered p_seq in key p_key of an endpoint must wait:
-- the endpoint orders, and an earlier delivery of the key is still open
-- (or failed and blocks it). On a switched-off endpoint nothing waits: its
-- deliveries fail (endpoint disabled) like any other's.
CREATE FUNCTION hookline_behind(p_endpoint uuid, p_key text, p_seq bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM webhook_endpoints e
        JOIN deliveries p ON p.endpoint_id = e.id AND p.ordering_key = p_key AND p.ordering_seq < p_seq
                         AND p.ordering_seq IS NOT NULL AND NOT p.order_done
        WHERE e.id = p_endpoint AND e.ordering = 'ordered' AND e.is_active
          AND NOT (e.on_exhausted = 'skip' AND p.status IN ('failed', 'dead_letter')))
$$;
