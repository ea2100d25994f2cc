-- name: ChallengeGate :one
-- 0: the challenge holds a lease and may go; else wait that many ms.
SELECT hookline_challenge_gate(@tenant_id::uuid, @endpoint_id::uuid, @lease_ms::integer, @tenant_cap::integer)::bigint AS wait_ms;

-- name: ReleaseChallenge :exec
DELETE FROM challenge_leases WHERE endpoint_id = @endpoint_id;
