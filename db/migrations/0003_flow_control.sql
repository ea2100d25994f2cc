-- Wave 2 flow control: per-endpoint concurrency and rate, a circuit breaker
-- and health, auto-disable, fair share per tenant, and the encryption key's
-- fingerprint.

ALTER TABLE webhook_endpoints
    -- Attempts to the endpoint running at once, across all workers.
    ADD COLUMN max_in_flight integer NOT NULL DEFAULT 10 CHECK (max_in_flight BETWEEN 1 AND 100),
    -- Deliveries per second; NULL: no limit.
    ADD COLUMN rate_limit integer CHECK (rate_limit >= 1),
    -- GCRA's theoretical arrival time of the next delivery (rate_limit).
    ADD COLUMN rate_tat timestamptz,
    -- The first failed attempt since the last success; NULL when healthy.
    ADD COLUMN failing_since timestamptz,
    -- Why Hookline switched the endpoint off ('failing'); NULL otherwise.
    ADD COLUMN disabled_reason text,
    -- Circuit breaker: consecutive failed attempts (network error, timeout,
    -- 5xx); while open, no attempts until breaker_open_until, then one probe.
    ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0,
    ADD COLUMN breaker_open_until timestamptz,
    ADD COLUMN breaker_cooldown_seconds integer NOT NULL DEFAULT 0,
    -- The one delivery that probes when the cool-down ends; the others
    -- queue until the breaker closes (or a new prober is needed).
    ADD COLUMN breaker_prober uuid,
    -- The longest cool-down: how long a queued waiter sleeps at most.
    ADD COLUMN breaker_max_cooldown_seconds integer NOT NULL DEFAULT 3600;

ALTER TABLE deliveries
    -- An attempt holds a lease while it runs; leases count against the
    -- endpoint's max_in_flight and the tenant's share. A crashed worker's
    -- lease expires.
    ADD COLUMN lease_until timestamptz,
    -- Set while the delivery waits for capacity (woken FIFO on release).
    ADD COLUMN waiting_since timestamptz,
    ADD COLUMN woken_at timestamptz,
    -- A rate-limit slot reserved for the delivery's next attempt.
    ADD COLUMN rate_slot timestamptz,
    -- A test delivery (test-webhook-endpoint) goes out even to an inactive endpoint.
    ADD COLUMN test boolean NOT NULL DEFAULT false;
UPDATE deliveries SET test = true WHERE event_type = 'webhook.test';
CREATE INDEX deliveries_endpoint_leased ON deliveries (endpoint_id, lease_until) WHERE lease_until IS NOT NULL;
CREATE INDEX deliveries_tenant_leased ON deliveries (tenant_id, lease_until) WHERE lease_until IS NOT NULL;
CREATE INDEX deliveries_endpoint_waiting ON deliveries (endpoint_id, waiting_since) WHERE waiting_since IS NOT NULL;
CREATE INDEX deliveries_tenant_waiting ON deliveries (tenant_id, waiting_since) WHERE waiting_since IS NOT NULL;

-- hookline_gate decides whether attempt p_attempt of a delivery may start
-- now. 0: go (a lease is taken, unless there is nothing to attempt: the
-- caller then reads the recorded state). Otherwise: how many milliseconds to
-- wait; the caller sleeps on a durable timer, holding no worker slot, and a
-- delivery waiting for capacity is also woken when a lease is released.
-- One call per attempt; the counting is serialised per tenant.
CREATE FUNCTION hookline_gate(p_delivery uuid, p_attempt integer, p_lease_ms integer,
                              p_tenant_cap integer, p_breaker_threshold integer)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    d deliveries%ROWTYPE;
    e webhook_endpoints%ROWTYPE;
    now_ timestamptz := clock_timestamp();
    leased integer;
    until_ timestamptz;
    period interval;
    tat timestamptz;
BEGIN
    SELECT * INTO d FROM deliveries WHERE id = p_delivery;
    IF NOT FOUND OR d.status IN ('succeeded', 'failed', 'dead_letter') OR d.attempt_count >= p_attempt
       OR d.lease_until > now_ THEN
        RETURN 0; -- recorded already, or this attempt holds its lease (a retried activity)
    END IF;
    -- Everything below reads and writes under the tenant's lock.
    PERFORM pg_advisory_xact_lock(7283002, hashtext(d.tenant_id::text));
    SELECT * INTO e FROM webhook_endpoints WHERE id = d.endpoint_id;
    IF NOT FOUND OR (NOT e.is_active AND NOT d.test) THEN
        RETURN 0; -- the caller fails it without an attempt
    END IF;

    -- Breaker open: nothing goes until the cool-down ends. One delivery
    -- waits to probe then; the others queue (woken when it closes, or one
    -- to become the next prober), with a long fallback: a backlog behind a
    -- dead receiver costs no wake-ups per cool-down.
    IF e.breaker_open_until > now_ THEN
        IF e.breaker_prober IS NULL OR e.breaker_prober = d.id OR NOT EXISTS (
            SELECT 1 FROM deliveries p WHERE p.id = e.breaker_prober AND p.status IN ('pending', 'in_flight')) THEN
            UPDATE webhook_endpoints SET breaker_prober = d.id WHERE id = e.id;
            RETURN hookline_wait(d.id, e.breaker_open_until, false);
        END IF;
        RETURN hookline_wait(d.id, e.breaker_open_until + make_interval(secs =>
            e.breaker_max_cooldown_seconds + random() * greatest(e.breaker_cooldown_seconds, 1)), true);
    END IF;
    SELECT count(*), min(lease_until) INTO leased, until_
    FROM deliveries WHERE endpoint_id = d.endpoint_id AND lease_until > now_;
    -- Half open: one probe at a time; the others wait for its outcome.
    IF e.consecutive_failures >= p_breaker_threshold AND leased > 0 THEN
        RETURN hookline_wait(d.id, hookline_spread(until_, now_), true);
    END IF;
    IF leased >= e.max_in_flight THEN
        RETURN hookline_wait(d.id, hookline_spread(until_, now_), true);
    END IF;
    SELECT count(*), min(lease_until) INTO leased, until_
    FROM deliveries WHERE tenant_id = d.tenant_id AND lease_until > now_;
    IF leased >= p_tenant_cap THEN
        RETURN hookline_wait(d.id, hookline_spread(until_, now_), true);
    END IF;

    -- Rate: a token bucket of rate_limit tokens refilled at rate_limit per
    -- second (GCRA with a second's worth of burst). A delivery that must
    -- wait reserves its slot, so waiters wake one per slot, not all at once;
    -- back at its slot it goes without asking again.
    IF e.rate_limit IS NOT NULL AND d.rate_slot IS NULL THEN
        period := interval '1 second' / e.rate_limit;
        tat := greatest(coalesce(e.rate_tat, now_), now_);
        UPDATE webhook_endpoints SET rate_tat = tat + period WHERE id = e.id;
        IF tat - now_ > interval '1 second' - period THEN
            UPDATE deliveries SET rate_slot = tat - (interval '1 second' - period) WHERE id = d.id;
            RETURN hookline_wait(d.id, tat - (interval '1 second' - period), false);
        END IF;
    ELSIF d.rate_slot > now_ THEN
        RETURN hookline_wait(d.id, d.rate_slot, false);
    END IF;

    UPDATE deliveries
    SET lease_until = now_ + make_interval(secs => p_lease_ms / 1000.0), waiting_since = NULL, woken_at = NULL, rate_slot = NULL
    WHERE id = d.id;
    RETURN 0;
END;
$$;

-- hookline_spread is a queued waiter's fallback: the earliest lease expiry,
-- spread by up to half the wait so waiters the wake-ups missed do not all
-- come back at once.
CREATE FUNCTION hookline_spread(p_until timestamptz, p_now timestamptz)
RETURNS timestamptz LANGUAGE sql VOLATILE AS $$
    SELECT p_until + (p_until - p_now) * random() / 2;
$$;

-- hookline_wait records that a delivery waits until p_until (shown as
-- next_attempt_at; queued ones keep their place in the FIFO of waiters) and
-- returns the wait in milliseconds, at least 1.
CREATE FUNCTION hookline_wait(p_delivery uuid, p_until timestamptz, p_queued boolean)
RETURNS bigint LANGUAGE sql AS $$
    UPDATE deliveries SET
        next_attempt_at = p_until,
        waiting_since = CASE WHEN p_queued THEN coalesce(waiting_since, clock_timestamp()) END,
        woken_at = NULL
    WHERE id = p_delivery
    RETURNING greatest(ceil(extract(epoch FROM p_until - clock_timestamp()) * 1000), 1)::bigint;
$$;

-- The encryption key's fingerprint (never the key), so a process started
-- with another key refuses instead of failing every delivery.
CREATE TABLE settings (
    name       text PRIMARY KEY,
    value      text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
