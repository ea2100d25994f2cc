-- name: InsertAuditEntry :exec
INSERT INTO audit_log (id, tenant_id, actor_kind, actor_id, action, target_type, target_id, details, request_id)
VALUES (@id, sqlc.narg('tenant_id'), @actor_kind, @actor_id, @action, @target_type, @target_id, @details, @request_id);

-- name: ListAuditEntries :many
SELECT * FROM audit_log
WHERE tenant_id = @tenant_id
  AND (sqlc.narg('cursor_created_at')::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg('cursor_created_at')::timestamptz, sqlc.narg('cursor_id')::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @row_limit;

-- name: ListGlobalAuditEntries :many
-- The rows of no tenant: changes to what every tenant shares.
SELECT * FROM audit_log
WHERE tenant_id IS NULL
  AND (sqlc.narg('cursor_created_at')::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg('cursor_created_at')::timestamptz, sqlc.narg('cursor_id')::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @row_limit;
