-- Wave 3: revoked admin JWTs by jti. A row outlives the longest token it
-- could be about (HOOKLINE_ADMIN_JWT_MAX_LIFETIME), then retention drops it.
CREATE TABLE revoked_tokens (
    jti        text PRIMARY KEY,
    revoked_by text NOT NULL,
    revoked_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX revoked_tokens_expires ON revoked_tokens (expires_at);
