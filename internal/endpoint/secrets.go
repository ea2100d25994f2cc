package endpoint

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/signing"
)

// DefaultGracePeriod is how long a replaced secret keeps signing.
const DefaultGracePeriod = 24 * time.Hour

// MaxPreviousSecrets bounds the secrets that sign besides the current one
// (each delivery carries one signature per secret).
const MaxPreviousSecrets = 4

// Rotated is a new signing secret, shown this once.
type Rotated struct {
	Secret string
	// PreviousExpiresAt is when the replaced secret stops signing (nil
	// without a grace period).
	PreviousExpiresAt *time.Time
}

// Rotate issues a new signing secret. The replaced one keeps signing for
// grace, as does every earlier one still in its own grace period (up to
// MaxPreviousSecrets; a rotation past that is 409). grace 0 retires every
// earlier secret at once.
func (s *Service) Rotate(ctx context.Context, c audit.Caller, id uuid.UUID, grace time.Duration) (Rotated, error) {
	out := Rotated{Secret: signing.NewSecret()}
	err := db.Tx(ctx, s.Pool, func(q *dbq.Queries) error {
		cur, err := LoadForUpdate(ctx, q, c.TenantID, id)
		if err != nil {
			return err
		}
		if err := q.RetirePreviousSecrets(ctx, dbq.RetirePreviousSecretsParams{TenantID: c.TenantID, EndpointID: id, AllSecrets: grace == 0}); err != nil {
			return err
		}
		if grace > 0 {
			if out.PreviousExpiresAt, err = s.keepPrevious(ctx, q, cur, grace); err != nil {
				return err
			}
		}
		if _, err := q.RotateEndpointSecret(ctx, dbq.RotateEndpointSecretParams{
			TenantID: c.TenantID, ID: id, SecretCiphertext: s.Box.SealEndpointSecret(c.TenantID, id, out.Secret),
		}); err != nil {
			return err
		}
		return c.Record(ctx, q, "webhook_endpoint.secret_rotated", "webhook_endpoint", id.String(), map[string]any{
			"grace_period_seconds": int(grace / time.Second), "previous_secret_expires_at": out.PreviousExpiresAt,
		})
	})
	return out, err
}

// keepPrevious adds cur's secret to the previous secrets signing until grace ends.
func (s *Service) keepPrevious(ctx context.Context, q *dbq.Queries, cur dbq.WebhookEndpoint, grace time.Duration) (*time.Time, error) {
	prev, err := q.ListPreviousSecrets(ctx, dbq.ListPreviousSecretsParams{TenantID: cur.TenantID, EndpointID: cur.ID})
	if err != nil {
		return nil, err
	}
	if len(prev) >= MaxPreviousSecrets {
		next := prev[0].ExpiresAt
		for _, p := range prev[1:] {
			if p.ExpiresAt.Before(next) {
				next = p.ExpiresAt
			}
		}
		return nil, apperr.Conflict("%d earlier secrets are still signing within their grace periods (the next one ends %s); "+
			"wait, or rotate with grace_period_seconds 0 to retire them all now", len(prev), next.UTC().Format(time.RFC3339))
	}
	until := s.now().Add(grace).UTC().Truncate(time.Microsecond)
	err = q.AddPreviousSecret(ctx, dbq.AddPreviousSecretParams{EndpointID: cur.ID, TenantID: cur.TenantID, SecretCiphertext: cur.SecretCiphertext, ExpiresAt: until})
	return &until, err
}
