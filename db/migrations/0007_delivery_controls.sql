-- Wave 3: delivery controls per endpoint (custom headers, receiver auth,
-- mutual TLS, retry schedule, timeout) and the attempt's header names.

-- What get/list show is kept in clear; every secret (sensitive header
-- values, passwords, tokens, client secrets, the client key and its
-- certificate) is in secrets_ciphertext: one sealed JSON document
-- (endpoint.Secrets), bound to the endpoint like its signing secret.
ALTER TABLE webhook_endpoints
    -- Non-sensitive custom headers, name → value.
    ADD COLUMN headers            jsonb  NOT NULL DEFAULT '{}',
    -- Names of the write-only headers whose values are sealed.
    ADD COLUMN sensitive_headers  text[] NOT NULL DEFAULT '{}',
    -- The receiver auth without its secrets: {"type", "username"?, "token_url"?, ...}.
    ADD COLUMN auth               jsonb,
    -- The client certificate's summary: {"client_cert_subject", "client_cert_not_after", "client_cert_sha256"}.
    ADD COLUMN tls                jsonb,
    ADD COLUMN tls_not_after      timestamptz,
    -- The smallest endpoint.tls_expiring threshold (days) already announced
    -- for this certificate; reset when the certificate changes.
    ADD COLUMN tls_notified_days  integer,
    ADD COLUMN secrets_ciphertext bytea,
    -- Go durations; NULL: the deployment's HOOKLINE_RETRY_SCHEDULE.
    ADD COLUMN retry_schedule     text[] CHECK (cardinality(retry_schedule) BETWEEN 1 AND 20),
    ADD COLUMN timeout_seconds    integer CHECK (timeout_seconds BETWEEN 1 AND 30);

CREATE INDEX webhook_endpoints_tls_not_after ON webhook_endpoints (tls_not_after) WHERE tls_not_after IS NOT NULL;

-- The request header names an attempt sent (never values).
ALTER TABLE delivery_attempts ADD COLUMN request_headers text[];

-- Announced to the tenant's endpoints subscribed by name, 30 and 7 days
-- before an endpoint's client certificate expires.
INSERT INTO event_types (name, description, operational, schema, example) VALUES
    ('endpoint.tls_expiring', 'The mutual-TLS client certificate of one of your endpoints expires soon (sent 30 and 7 days before).', true,
     '{"type":"object","required":["endpoint_id","client_cert_sha256","client_cert_not_after","days_left"],"properties":{"endpoint_id":{"type":"string","format":"uuid"},"client_cert_sha256":{"type":"string"},"client_cert_not_after":{"type":"string","format":"date-time"},"days_left":{"type":"integer","minimum":0}}}',
     '{"endpoint_id":"0192f0c4-6a2b-7cde-8f01-23456789abcd","client_cert_sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","client_cert_not_after":"2027-01-01T00:00:00Z","days_left":7}');
