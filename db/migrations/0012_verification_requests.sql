-- Wave 3: who asked for a verification is read from here, not from the
-- workflow's input, which anyone with Temporal frontend access could forge.
-- The API writes a row before starting the workflow; recording the outcome
-- takes it (and without it records nothing). Leftovers (callers that joined
-- a running verification) go with retention.
CREATE TABLE verification_requests (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL,
    endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    actor_kind  text NOT NULL,
    actor_id    text NOT NULL,
    request_id  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX verification_requests_created ON verification_requests (created_at);
