-- Wave 3: trace propagation to receivers and per-endpoint stats.

-- Attempts carry W3C traceparent/tracestate (never baggage) when set.
ALTER TABLE webhook_endpoints ADD COLUMN trace_propagation boolean NOT NULL DEFAULT false;

-- Per endpoint and minute, written as attempts finish (get-webhook-stats):
-- attempts made, deliveries that reached each final status, and a
-- histogram of attempt durations (lN counts attempts in bucket N of
-- internal/stats.Bounds). Plain columns keep the window query a sum.
CREATE TABLE endpoint_stats (
    tenant_id   uuid NOT NULL,
    endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    minute      timestamptz NOT NULL,
    attempts    integer NOT NULL DEFAULT 0,
    succeeded   integer NOT NULL DEFAULT 0,
    failed      integer NOT NULL DEFAULT 0,
    dead_letter integer NOT NULL DEFAULT 0,
    l1 integer NOT NULL DEFAULT 0, l2 integer NOT NULL DEFAULT 0, l3 integer NOT NULL DEFAULT 0,
    l4 integer NOT NULL DEFAULT 0, l5 integer NOT NULL DEFAULT 0, l6 integer NOT NULL DEFAULT 0,
    l7 integer NOT NULL DEFAULT 0, l8 integer NOT NULL DEFAULT 0, l9 integer NOT NULL DEFAULT 0,
    l10 integer NOT NULL DEFAULT 0, l11 integer NOT NULL DEFAULT 0, l12 integer NOT NULL DEFAULT 0,
    PRIMARY KEY (endpoint_id, minute)
);
CREATE INDEX endpoint_stats_minute ON endpoint_stats (minute);

-- The same per hour: what 1h and 1d buckets read, so a month is 720 rows.
CREATE TABLE endpoint_stats_hourly (LIKE endpoint_stats INCLUDING DEFAULTS);
ALTER TABLE endpoint_stats_hourly RENAME COLUMN minute TO hour;
ALTER TABLE endpoint_stats_hourly ADD PRIMARY KEY (endpoint_id, hour),
    ADD FOREIGN KEY (endpoint_id) REFERENCES webhook_endpoints (id) ON DELETE CASCADE;
CREATE INDEX endpoint_stats_hourly_hour ON endpoint_stats_hourly (hour);

-- The last recovery of each endpoint: a new one waits until its workflow
-- (recover/<recovery_id>) has ended.
CREATE TABLE endpoint_recoveries (
    endpoint_id uuid PRIMARY KEY REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    tenant_id   uuid NOT NULL,
    recovery_id uuid NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now()
);
