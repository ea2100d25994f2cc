-- name: InsertAttempt :execrows
INSERT INTO delivery_attempts (delivery_id, number, tenant_id, started_at, duration_ms, status_code, error, response_body)
VALUES (@delivery_id, @number, @tenant_id, @started_at, @duration_ms, sqlc.narg('status_code'), sqlc.narg('error'), sqlc.narg('response_body'))
ON CONFLICT (delivery_id, number) DO NOTHING;

-- name: ListAttempts :many
SELECT * FROM delivery_attempts WHERE delivery_id = @delivery_id ORDER BY number;
