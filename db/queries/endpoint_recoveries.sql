-- name: LastRecoveryForUpdate :one
SELECT recovery_id FROM endpoint_recoveries WHERE tenant_id = @tenant_id AND endpoint_id = @endpoint_id FOR UPDATE;

-- name: SetLastRecovery :exec
INSERT INTO endpoint_recoveries (endpoint_id, tenant_id, recovery_id) VALUES (@endpoint_id, @tenant_id, @recovery_id)
ON CONFLICT (endpoint_id) DO UPDATE SET recovery_id = excluded.recovery_id, started_at = now();
