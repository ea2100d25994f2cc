-- Hookline schema, version 1.
-- Keyset pagination everywhere walks (created_at, id) newest first, so every
-- list has an index that ends in those two columns after its filters.

CREATE TABLE tenants (
    id         uuid PRIMARY KEY,
    name       text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 128),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    -- SHA-256 of the 256-bit random secret; the secret itself is never stored.
    secret_hash bytea NOT NULL,
    permissions text[] NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX api_keys_tenant_created ON api_keys (tenant_id, created_at DESC, id DESC);

CREATE TABLE event_types (
    name        text PRIMARY KEY,
    description text NOT NULL DEFAULT '',
    deprecated  boolean NOT NULL DEFAULT false,
    -- Reserved types (webhook.test) are sent by Hookline itself and cannot be
    -- subscribed to or published by producers.
    reserved    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO event_types (name, description, reserved) VALUES
    ('comment.created', 'A comment was created.', false),
    ('comment.updated', 'A comment was edited.', false),
    ('comment.deleted', 'A comment was deleted.', false),
    ('reaction.added', 'A reaction was added to a comment.', false),
    ('member.joined', 'A member joined the workspace.', false),
    ('webhook.test', 'A test event sent by the test-webhook-endpoint operation.', true);

CREATE TABLE webhook_endpoints (
    id                         uuid PRIMARY KEY,
    tenant_id                  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    url                        text NOT NULL,
    description                text NOT NULL DEFAULT '',
    events                     text[] NOT NULL,
    is_active                  boolean NOT NULL DEFAULT true,
    -- AES-256-GCM ciphertexts bound to (tenant, endpoint) as associated data.
    secret_ciphertext          bytea NOT NULL,
    previous_secret_ciphertext bytea,
    previous_secret_expires_at timestamptz,
    verified_at                timestamptz,
    last_verification_at       timestamptz,
    last_verification_reason   text,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_tenant_created ON webhook_endpoints (tenant_id, created_at DESC, id DESC);

CREATE TABLE events (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- The producer's id (or a generated one): publishing is idempotent on it.
    id          text NOT NULL,
    type        text NOT NULL REFERENCES event_types (name),
    -- json, not jsonb: receivers get the producer's bytes exactly.
    payload     json NOT NULL,
    occurred_at timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX events_created ON events (created_at);

CREATE TABLE deliveries (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL,
    endpoint_id     uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id        text NOT NULL,
    event_type      text NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'in_flight', 'succeeded', 'failed', 'dead_letter')),
    attempt_count   integer NOT NULL DEFAULT 0,
    last_status_code integer,
    last_error      text,
    next_attempt_at timestamptz,
    -- No foreign key: the replayed delivery may be purged later.
    replay_of       uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz,
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX deliveries_endpoint_created ON deliveries (endpoint_id, created_at DESC, id DESC);
CREATE INDEX deliveries_endpoint_status_created ON deliveries (endpoint_id, status, created_at DESC, id DESC);
CREATE INDEX deliveries_endpoint_type_created ON deliveries (endpoint_id, event_type, created_at DESC, id DESC);
CREATE INDEX deliveries_event ON deliveries (tenant_id, event_id);
-- Reconcile scans only the (normally tiny) set of pending rows.
CREATE INDEX deliveries_pending ON deliveries (created_at) WHERE status = 'pending';
CREATE INDEX deliveries_created ON deliveries (created_at);
-- The retry backlog (metrics) and its next timers.
CREATE INDEX deliveries_in_flight ON deliveries (next_attempt_at) WHERE status = 'in_flight';

CREATE TABLE delivery_attempts (
    delivery_id   uuid NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    number        integer NOT NULL CHECK (number >= 1),
    tenant_id     uuid NOT NULL,
    started_at    timestamptz NOT NULL,
    duration_ms   integer NOT NULL,
    status_code   integer,
    error         text,
    response_body text,
    PRIMARY KEY (delivery_id, number)
);

CREATE TABLE idempotency_keys (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key           text NOT NULL,
    operation     text NOT NULL,
    request_hash  bytea NOT NULL,
    -- NULL while the first request is still running.
    status_code   integer,
    -- Encrypted: a create response carries the endpoint's signing secret.
    response_ciphertext bytea,
    locked_at     timestamptz NOT NULL DEFAULT now(),
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);

CREATE TABLE audit_log (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL,
    actor_kind  text NOT NULL CHECK (actor_kind IN ('api_key', 'admin', 'system')),
    actor_id    text NOT NULL,
    action      text NOT NULL,
    target_type text NOT NULL,
    target_id   text NOT NULL,
    details     jsonb NOT NULL DEFAULT '{}',
    request_id  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_tenant_created ON audit_log (tenant_id, created_at DESC, id DESC);
