-- Wave 3: changes to what all tenants share (the event-type catalogue,
-- admin-token revocations) are audited too, as rows of no tenant.
ALTER TABLE audit_log ALTER COLUMN tenant_id DROP NOT NULL;
CREATE INDEX audit_log_global_created ON audit_log (created_at DESC, id DESC) WHERE tenant_id IS NULL;
