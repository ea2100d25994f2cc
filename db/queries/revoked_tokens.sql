-- name: RevokeToken :one
INSERT INTO revoked_tokens (jti, revoked_by, expires_at) VALUES (@jti, @revoked_by, @expires_at)
ON CONFLICT (jti) DO UPDATE SET expires_at = greatest(revoked_tokens.expires_at, excluded.expires_at)
RETURNING revoked_at;

-- name: TokenRevoked :one
SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = @jti);

-- name: DeleteExpiredRevocations :execrows
DELETE FROM revoked_tokens WHERE jti IN (
    SELECT r.jti FROM revoked_tokens r WHERE r.expires_at < @cutoff LIMIT @batch_size
);
