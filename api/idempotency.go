package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/requestid"
)

const (
	idempotencyTTL = 24 * time.Hour
	// A key whose first request has held it this long without finishing is
	// taken to belong to a crashed process and may be reused.
	idempotencyAbandonAfter = 2 * time.Minute
)

type idemResult struct {
	status   int
	body     []byte
	replayed bool
}

func (r idemResult) decode(v any) error { return json.Unmarshal(r.body, v) }

func idempotencyAD(tenantID uuid.UUID, key string) []byte {
	return append(append([]byte("idempotency:"), tenantID[:]...), key...)
}

// idempotent runs fn (inside a transaction) at most once per Idempotency-Key.
// The stored response is written in fn's transaction, so a key is either
// complete with its response or not complete at all. Responses are encrypted:
// a create response holds the endpoint secret.
func (s *Server) idempotent(ctx context.Context, tenantID uuid.UUID, key, op string, req any, fn func(q *dbq.Queries) (int, any, error)) (idemResult, error) {
	run := func(q *dbq.Queries) (idemResult, error) {
		status, body, err := fn(q)
		if err != nil {
			return idemResult{}, err
		}
		b, err := json.Marshal(body)
		return idemResult{status: status, body: b}, err
	}
	if key == "" {
		var res idemResult
		err := db.Tx(ctx, s.Pool, func(q *dbq.Queries) (err error) {
			res, err = run(q)
			return err
		})
		return res, err
	}
	if !requestid.Valid(key, 255) {
		return idemResult{}, apperr.Invalid("header.Idempotency-Key", key, "must be 1–255 printable ASCII characters")
	}
	reqJSON, err := json.Marshal(req)
	if err != nil {
		return idemResult{}, err
	}
	sum := sha256.Sum256(append([]byte(op+"\n"), reqJSON...))
	hash := sum[:]

	prior, owned, err := s.claimKey(ctx, tenantID, key, op, hash)
	if err != nil || !owned {
		return prior, err
	}
	var res idemResult
	err = db.Tx(ctx, s.Pool, func(q *dbq.Queries) (err error) {
		if res, err = run(q); err != nil {
			return err
		}
		return q.CompleteIdempotencyKey(ctx, dbq.CompleteIdempotencyKeyParams{
			TenantID: tenantID, Key: key, StatusCode: ptr(int32(res.status)),
			ResponseCiphertext: s.Box.Seal(res.body, idempotencyAD(tenantID, key)),
		})
	})
	if err != nil {
		// Free the key so the client can retry (best effort: an abandoned
		// key frees itself after idempotencyAbandonAfter).
		_ = dbq.New(s.Pool).ReleaseIdempotencyKey(context.WithoutCancel(ctx), dbq.ReleaseIdempotencyKeyParams{TenantID: tenantID, Key: key})
		return idemResult{}, err
	}
	return res, nil
}

// claimKey makes this request the owner of key, or returns the stored
// response of the request that owned it, or the reason it cannot run.
func (s *Server) claimKey(ctx context.Context, tenantID uuid.UUID, key, op string, hash []byte) (idemResult, bool, error) {
	now := s.now()
	q := dbq.New(s.Pool)
	_, err := q.ClaimIdempotencyKey(ctx, dbq.ClaimIdempotencyKeyParams{
		TenantID: tenantID, Key: key, Operation: op, RequestHash: hash, ExpiresAt: now.Add(idempotencyTTL),
	})
	if err == nil {
		return idemResult{}, true, nil
	}
	if !db.IsNoRows(err) {
		return idemResult{}, false, err
	}
	var res idemResult
	owned := false
	err = db.Tx(ctx, s.Pool, func(q *dbq.Queries) error {
		k, err := q.GetIdempotencyKeyForUpdate(ctx, dbq.GetIdempotencyKeyForUpdateParams{TenantID: tenantID, Key: key})
		if db.IsNoRows(err) {
			return apperr.Conflict("a request with this Idempotency-Key just finished; retry")
		}
		if err != nil {
			return err
		}
		expired := now.After(k.ExpiresAt)
		abandoned := k.StatusCode == nil && now.Sub(k.LockedAt) > idempotencyAbandonAfter
		switch {
		case expired || abandoned:
			owned = true
			return q.ReclaimIdempotencyKey(ctx, dbq.ReclaimIdempotencyKeyParams{
				TenantID: tenantID, Key: key, Operation: op, RequestHash: hash, ExpiresAt: now.Add(idempotencyTTL),
			})
		case k.Operation != op || !bytes.Equal(k.RequestHash, hash):
			return apperr.Invalid("header.Idempotency-Key", key, "this Idempotency-Key was used with a different request")
		case k.StatusCode == nil:
			return apperr.Conflict("a request with this Idempotency-Key is still being processed")
		}
		body, err := s.Box.Open(k.ResponseCiphertext, idempotencyAD(tenantID, key))
		if err != nil {
			return err
		}
		res = idemResult{status: int(*k.StatusCode), body: body, replayed: true}
		return nil
	})
	return res, owned, err
}

func ptr[T any](v T) *T { return &v }
