-- Wave 3: reconcile takes overdue deliveries round-robin per tenant, each
-- tenant's oldest first: one index range per tenant.
CREATE INDEX deliveries_tenant_open_due ON deliveries (tenant_id, (coalesce(next_attempt_at, created_at)))
    WHERE status IN ('pending', 'in_flight');
