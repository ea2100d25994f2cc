-- Wave 3 (§9.5): broker ingest sources, managed by operators and consumed
-- by every worker (competing consumers). The URL may carry credentials: it
-- is sealed; `url` is the same URL with its password removed, for display.
CREATE TABLE sources (
    name           text PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('nats', 'rabbitmq')),
    url            text NOT NULL,
    url_ciphertext bytea NOT NULL,
    subject        text NOT NULL DEFAULT '',
    queue          text NOT NULL DEFAULT '',
    tenant_id      uuid REFERENCES tenants (id) ON DELETE CASCADE,
    -- Bumped by every put: workers reconnect to the new settings, and a
    -- status report of an older generation is dropped.
    generation     bigint NOT NULL DEFAULT 1,
    status         text NOT NULL DEFAULT 'error' CHECK (status IN ('connected', 'error')),
    last_error     text DEFAULT 'no worker has connected yet',
    status_at      timestamptz,
    received       bigint NOT NULL DEFAULT 0,
    published      bigint NOT NULL DEFAULT 0,
    rejected       bigint NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
