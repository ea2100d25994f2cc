-- name: InsertVerificationRequest :exec
INSERT INTO verification_requests (id, tenant_id, endpoint_id, actor_kind, actor_id, request_id)
VALUES (@id, @tenant_id, @endpoint_id, @actor_kind, @actor_id, @request_id);

-- name: TakeVerificationRequest :one
-- The request a verification run records its outcome for, once.
DELETE FROM verification_requests
WHERE id = @id AND tenant_id = @tenant_id AND endpoint_id = @endpoint_id
RETURNING *;

-- name: DeleteStaleVerificationRequests :execrows
DELETE FROM verification_requests v WHERE v.id IN (
    SELECT o.id FROM verification_requests o WHERE o.created_at < @cutoff LIMIT @batch_size
);
