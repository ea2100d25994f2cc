-- Wave 2: tenant portal sessions.

-- One row per portal link an admin issued. The link's token and, once the
-- link is used, the session cookie's token are stored only as SHA-256.
CREATE TABLE portal_sessions (
    id                 uuid PRIMARY KEY,
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- Admin JWT sub that issued the link.
    created_by         text NOT NULL,
    login_token_hash   bytea NOT NULL UNIQUE,
    -- The link must be opened before this (and at most once).
    login_expires_at   timestamptz NOT NULL,
    -- Set when the link is swapped for a session cookie.
    session_token_hash bytea UNIQUE,
    consumed_at        timestamptz,
    expires_at         timestamptz NOT NULL,
    revoked_at         timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((session_token_hash IS NULL) = (consumed_at IS NULL)),
    CHECK (login_expires_at <= expires_at)
);
CREATE INDEX portal_sessions_expires ON portal_sessions (expires_at);

-- Changes made from the portal are audited as the portal session.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_actor_kind_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_actor_kind_check
    CHECK (actor_kind IN ('api_key', 'admin', 'system', 'portal'));
