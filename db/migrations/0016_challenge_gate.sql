-- Wave 3 (issue 30): a verification challenge is a request to the
-- receiver like an attempt, so it passes the same flow gate: it holds a
-- lease in its endpoint's max_in_flight and its tenant's share (one per
-- endpoint: verifications of an endpoint are joined into one run). The
-- breaker and the rate limit do not hold it back: verifying is how a
-- tenant checks a receiver it has just fixed.

CREATE TABLE challenge_leases (
    endpoint_id uuid PRIMARY KEY REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    tenant_id   uuid NOT NULL,
    lease_until timestamptz NOT NULL
);
CREATE INDEX challenge_leases_tenant ON challenge_leases (tenant_id, lease_until);

-- hookline_challenge_gate takes a challenge lease for the endpoint when its
-- max_in_flight and the tenant's share have room (0), else returns how many
-- milliseconds to wait before asking again. Same tenant lock as
-- hookline_gate, so the two never overbook together.
CREATE FUNCTION hookline_challenge_gate(p_tenant uuid, p_endpoint uuid, p_lease_ms integer, p_tenant_cap integer)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    e webhook_endpoints%ROWTYPE;
    now_ timestamptz := clock_timestamp();
    leased integer;
    until_ timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock(7283002, hashtext(p_tenant::text));
    SELECT * INTO e FROM webhook_endpoints WHERE id = p_endpoint AND tenant_id = p_tenant;
    IF NOT FOUND OR EXISTS (SELECT 1 FROM challenge_leases WHERE endpoint_id = p_endpoint AND lease_until > now_) THEN
        RETURN 0; -- gone (the caller finds out), or this challenge holds its lease (a retried activity)
    END IF;
    SELECT count(*), min(lease_until) INTO leased, until_
    FROM delivery_leases WHERE endpoint_id = p_endpoint AND lease_until > now_;
    IF leased >= e.max_in_flight THEN
        RETURN greatest(ceil(extract(epoch FROM until_ - now_) * 1000), 1)::bigint;
    END IF;
    SELECT count(*), min(l.lease_until) INTO leased, until_ FROM (
        SELECT lease_until FROM delivery_leases WHERE tenant_id = p_tenant AND lease_until > now_
        UNION ALL
        SELECT lease_until FROM challenge_leases WHERE tenant_id = p_tenant AND lease_until > now_) l;
    IF leased >= p_tenant_cap THEN
        RETURN greatest(ceil(extract(epoch FROM until_ - now_) * 1000), 1)::bigint;
    END IF;
    INSERT INTO challenge_leases (endpoint_id, tenant_id, lease_until)
    VALUES (p_endpoint, p_tenant, now_ + make_interval(secs => p_lease_ms / 1000.0))
    ON CONFLICT (endpoint_id) DO UPDATE SET lease_until = EXCLUDED.lease_until;
    RETURN 0;
END;
$$;

-- hookline_gate as in 0006, counting challenge leases with the attempts'.
CREATE OR REPLACE FUNCTION hookline_gate(p_delivery uuid, p_attempt integer, p_lease_ms integer,
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
       OR EXISTS (SELECT 1 FROM delivery_leases l WHERE l.delivery_id = p_delivery AND l.lease_until > now_) THEN
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
    SELECT count(*), min(l.lease_until) INTO leased, until_ FROM (
        SELECT lease_until FROM delivery_leases WHERE endpoint_id = d.endpoint_id AND lease_until > now_
        UNION ALL
        SELECT lease_until FROM challenge_leases WHERE endpoint_id = d.endpoint_id AND lease_until > now_) l;
    -- Half open: one probe at a time; the others wait for its outcome.
    IF e.consecutive_failures >= p_breaker_threshold AND leased > 0 THEN
        RETURN hookline_wait(d.id, hookline_spread(until_, now_), true);
    END IF;
    IF leased >= e.max_in_flight THEN
        RETURN hookline_wait(d.id, hookline_spread(until_, now_), true);
    END IF;
    SELECT count(*), min(l.lease_until) INTO leased, until_ FROM (
        SELECT lease_until FROM delivery_leases WHERE tenant_id = d.tenant_id AND lease_until > now_
        UNION ALL
        SELECT lease_until FROM challenge_leases WHERE tenant_id = d.tenant_id AND lease_until > now_) l;
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

    INSERT INTO delivery_leases (delivery_id, tenant_id, endpoint_id, lease_until)
    VALUES (d.id, d.tenant_id, d.endpoint_id, now_ + make_interval(secs => p_lease_ms / 1000.0))
    ON CONFLICT (delivery_id) DO UPDATE SET lease_until = EXCLUDED.lease_until;
    IF d.waiting_since IS NOT NULL OR d.woken_at IS NOT NULL OR d.rate_slot IS NOT NULL THEN
        UPDATE deliveries SET waiting_since = NULL, woken_at = NULL, rate_slot = NULL WHERE id = d.id;
    END IF;
    RETURN 0;
END;
$$;
