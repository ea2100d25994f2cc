// Package idempotency makes an operation run at most once per
// Idempotency-Key: the first request claims the key under an owner token, runs
// the operation and stores its response in the same transaction; a retry
// with the same key and body gets that response again.
package idempotency

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/requestid"
	"github.com/hookline/hookline/internal/secretbox"
)

const (
	// TTL is how long a key and its response are kept (per tenant).
	TTL = 24 * time.Hour
	// AbandonAfter is how long a first request may hold its key without
	// finishing before it is taken to have crashed and the key is reused.
	AbandonAfter = 2 * time.Minute
)

// Response is an operation's answer, as first given or as stored.
type Response struct {
	Status   int
	Body     []byte
	Replayed bool
}

// Decode unmarshals the body into v.
func (r Response) Decode(v any) error { return json.Unmarshal(r.Body, v) }

// Op is the operation: it runs inside the transaction that also stores its
// response, and returns the status and the body to encode.
type Op func(q *dbq.Queries) (status int, body any, err error)

// Store keeps keys in Postgres; responses are encrypted (a create response
// holds an endpoint's signing secret).
type Store struct {
	Pool *pgxpool.Pool
	Box  *secretbox.Box
	Now  func() time.Time // nil: time.Now
}

// errTakenOver means a stalled request's key was reclaimed by another
// request before it finished; its transaction must not commit.
var errTakenOver = apperr.Conflict("this request's Idempotency-Key was taken over by a later request after it stalled; retry to get that request's response")

// Do runs op at most once per (tenant, key). An empty key just runs op in a
// transaction. The same key with another operation or body is 422; while
// the first request runs, 409.
func (s *Store) Do(ctx context.Context, tenantID uuid.UUID, key, operation string, req any, op Op) (Response, error) {
	if key == "" {
		var res Response
		err := db.Tx(ctx, s.Pool, func(q *dbq.Queries) (err error) {
			res, err = run(q, op)
			return err
		})
		return res, err
	}
	if !requestid.Valid(key, 255) {
		return Response{}, apperr.Invalid("header.Idempotency-Key", key, "must be 1–255 printable ASCII characters")
	}
	reqJSON, err := json.Marshal(req)
	if err != nil {
		return Response{}, err
	}
	// Keyed: the body may carry secrets (an endpoint's auth, headers, TLS
	// key). A key rotation within TTL makes a retry of an earlier request
	// look like another body (422): rare, and safe.
	sum := s.Box.MAC(append([]byte(operation+"\n"), reqJSON...))
	c := claim{tenantID: tenantID, key: key, operation: operation, hash: sum, token: uuid.New()}

	prior, owned, err := s.claim(ctx, c)
	if err != nil || !owned {
		return prior, err
	}
	var res Response
	err = db.Tx(ctx, s.Pool, func(q *dbq.Queries) (err error) {
		if res, err = run(q, op); err != nil {
			return err
		}
		n, err := q.CompleteIdempotencyKey(ctx, dbq.CompleteIdempotencyKeyParams{
			TenantID: tenantID, Key: key, LockToken: c.token, StatusCode: ptr(int32(res.Status)),
			ResponseCiphertext: s.Box.Seal(res.Body, secretbox.IdempotencyAD(tenantID, key)),
		})
		if err == nil && n == 0 {
			return errTakenOver
		}
		return err
	})
	if err != nil {
		if !errors.Is(err, errTakenOver) {
			// Free the key so the client can retry (best effort: an
			// abandoned key frees itself after AbandonAfter).
			_ = db.Q(s.Pool).ReleaseIdempotencyKey(context.WithoutCancel(ctx), dbq.ReleaseIdempotencyKeyParams{TenantID: tenantID, Key: key, LockToken: c.token})
		}
		return Response{}, err
	}
	return res, nil
}

func run(q *dbq.Queries, op Op) (Response, error) {
	status, body, err := op(q)
	if err != nil {
		return Response{}, err
	}
	b, err := json.Marshal(body)
	return Response{Status: status, Body: b}, err
}

type claim struct {
	tenantID       uuid.UUID
	key, operation string
	hash           []byte
	token          uuid.UUID
}

// claim makes this request the owner of the key, or returns the stored
// response of the request that owned it, or the reason it cannot run.
func (s *Store) claim(ctx context.Context, c claim) (Response, bool, error) {
	now := s.now()
	_, err := db.Q(s.Pool).ClaimIdempotencyKey(ctx, dbq.ClaimIdempotencyKeyParams{
		TenantID: c.tenantID, Key: c.key, Operation: c.operation, RequestHash: c.hash, ExpiresAt: now.Add(TTL), LockToken: c.token,
	})
	if err == nil {
		return Response{}, true, nil
	}
	if !db.IsNotFound(err) {
		return Response{}, false, err
	}
	var res Response
	owned := false
	err = db.Tx(ctx, s.Pool, func(q *dbq.Queries) error {
		k, err := q.GetIdempotencyKeyForUpdate(ctx, dbq.GetIdempotencyKeyForUpdateParams{TenantID: c.tenantID, Key: c.key})
		if db.IsNotFound(err) {
			return apperr.Conflict("a request with this Idempotency-Key just finished; retry")
		}
		if err != nil {
			return err
		}
		expired := now.After(k.ExpiresAt)
		abandoned := k.StatusCode == nil && now.Sub(k.LockedAt) > AbandonAfter
		switch {
		case expired || abandoned:
			owned = true
			return q.ReclaimIdempotencyKey(ctx, dbq.ReclaimIdempotencyKeyParams{
				TenantID: c.tenantID, Key: c.key, Operation: c.operation, RequestHash: c.hash, ExpiresAt: now.Add(TTL), LockToken: c.token,
			})
		case k.Operation != c.operation || !bytes.Equal(k.RequestHash, c.hash):
			return apperr.Invalid("header.Idempotency-Key", c.key, "this Idempotency-Key was used with a different request")
		case k.StatusCode == nil:
			return apperr.Conflict("a request with this Idempotency-Key is still being processed")
		}
		body, err := s.Box.Open(k.ResponseCiphertext, secretbox.IdempotencyAD(c.tenantID, c.key))
		if err != nil {
			return err
		}
		res = Response{Status: int(*k.StatusCode), Body: body, Replayed: true}
		return nil
	})
	return res, owned, err
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func ptr[T any](v T) *T { return &v }
