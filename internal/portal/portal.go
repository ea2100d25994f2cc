// Package portal issues tenant-portal sessions: an admin asks for a link, the
// link is opened once and swapped for a session cookie, and the cookie acts on
// that one tenant with the manage_webhooks permission until it expires.
// Tokens are 256-bit random strings stored only as SHA-256.
package portal

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/authn"
)

const (
	DefaultTTL = time.Hour
	MinTTL     = time.Minute
	MaxTTL     = 24 * time.Hour
	// LinkTTL bounds how long an unopened link stays usable (the session's
	// TTL when shorter): a link sitting in a chat or a mailbox goes stale.
	LinkTTL = 15 * time.Minute
	// CookieName holds the session token; the cookie is scoped to /portal.
	CookieName = "hookline_portal"
)

var (
	// ErrLinkUnusable: the link is unknown, expired, already used or revoked.
	ErrLinkUnusable = errors.New("portal link expired or already used")
	// ErrNoSession: the cookie names no live session.
	ErrNoSession = errors.New("no portal session")
)

// Session is a live portal session.
type Session struct {
	ID         uuid.UUID
	TenantID   uuid.UUID
	TenantName string
	ExpiresAt  time.Time
	// CSRF is the token writes must echo in X-CSRF-Token.
	CSRF string
}

// Actor is who the audit log names for changes made in the session.
func (s Session) Actor() audit.Actor { return audit.Actor{Kind: audit.ActorPortal, ID: s.ID.String()} }

// Link is an issued, not yet opened portal link.
type Link struct {
	SessionID uuid.UUID
	Token     string // goes in the URL; shown once
	ExpiresAt time.Time
}

// Service stores portal sessions in Postgres.
type Service struct {
	Pool *pgxpool.Pool
}

// Create issues a link for c's tenant whose session lasts ttl (0: DefaultTTL).
func (s *Service) Create(ctx context.Context, c audit.Caller, ttl time.Duration) (Link, error) {
	if ttl == 0 {
		ttl = DefaultTTL
	}
	if ttl < MinTTL || ttl > MaxTTL {
		return Link{}, apperr.Invalid("body.ttl_seconds", int(ttl/time.Second), "must be between %d and %d seconds",
			int(MinTTL/time.Second), int(MaxTTL/time.Second))
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Link{}, err
	}
	token := newToken()
	now := time.Now().UTC().Truncate(time.Microsecond)
	l := Link{SessionID: id, Token: token, ExpiresAt: now.Add(ttl)}
	err = db.Tx(ctx, s.Pool, func(q *dbq.Queries) error {
		if _, err := q.CreatePortalSession(ctx, dbq.CreatePortalSessionParams{
			ID: id, TenantID: c.TenantID, CreatedBy: c.Actor.ID, LoginTokenHash: authn.HashSecret(token),
			LoginExpiresAt: now.Add(min(ttl, LinkTTL)), ExpiresAt: l.ExpiresAt,
		}); err != nil {
			return err
		}
		return c.Record(ctx, q, "portal_session.created", "portal_session", id.String(),
			map[string]any{"ttl_seconds": int(ttl / time.Second), "expires_at": l.ExpiresAt})
	})
	return l, err
}

// Usable reports whether the link can still be opened, without using it.
func (s *Service) Usable(ctx context.Context, linkToken string) error {
	_, err := db.Q(s.Pool).GetUsablePortalLogin(ctx, authn.HashSecret(linkToken))
	if errors.Is(err, db.ErrNotFound) {
		return ErrLinkUnusable
	}
	return err
}

// Login uses the link once and returns the session and its cookie token.
func (s *Service) Login(ctx context.Context, linkToken, requestID string) (Session, string, error) {
	token := newToken()
	var row dbq.PortalSession
	err := db.Tx(ctx, s.Pool, func(q *dbq.Queries) (err error) {
		row, err = q.ConsumePortalLogin(ctx, dbq.ConsumePortalLoginParams{LoginTokenHash: authn.HashSecret(linkToken), SessionTokenHash: authn.HashSecret(token)})
		if errors.Is(err, db.ErrNotFound) {
			return ErrLinkUnusable
		}
		if err != nil {
			return err
		}
		c := audit.Caller{TenantID: row.TenantID, Actor: Session{ID: row.ID}.Actor(), RequestID: requestID}
		return c.Record(ctx, q, "portal_session.opened", "portal_session", row.ID.String(), map[string]any{"created_by": row.CreatedBy})
	})
	if err != nil {
		return Session{}, "", err
	}
	sess, err := s.Authenticate(ctx, token)
	return sess, token, err
}

// Authenticate resolves a cookie token to its live session.
func (s *Service) Authenticate(ctx context.Context, sessionToken string) (Session, error) {
	if sessionToken == "" {
		return Session{}, ErrNoSession
	}
	row, err := db.Q(s.Pool).GetActivePortalSession(ctx, authn.HashSecret(sessionToken))
	if errors.Is(err, db.ErrNotFound) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, err
	}
	return Session{ID: row.ID, TenantID: row.TenantID, TenantName: row.TenantName, ExpiresAt: row.ExpiresAt, CSRF: csrfToken(sessionToken)}, nil
}

// Logout ends the session now.
func (s *Service) Logout(ctx context.Context, sess Session, requestID string) error {
	return db.Tx(ctx, s.Pool, func(q *dbq.Queries) error {
		if err := q.RevokePortalSession(ctx, sess.ID); err != nil {
			return err
		}
		c := audit.Caller{TenantID: sess.TenantID, Actor: sess.Actor(), RequestID: requestID}
		return c.Record(ctx, q, "portal_session.closed", "portal_session", sess.ID.String(), nil)
	})
}

// CheckCSRF compares a request's X-CSRF-Token with the session's in constant time.
func (s Session) CheckCSRF(got string) bool {
	return got != "" && hmac.Equal([]byte(got), []byte(s.CSRF))
}

// csrfToken derives the CSRF token from the session token, so it needs no
// storage; it is one-way, so the page's script (which can read it) learns
// nothing about the HttpOnly cookie.
func csrfToken(sessionToken string) string {
	m := hmac.New(sha256.New, []byte(sessionToken))
	m.Write([]byte("hookline portal csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}
