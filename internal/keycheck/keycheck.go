// Package keycheck makes sure a process runs with the encryption key the
// database's secrets are sealed with. The database keeps the key's
// fingerprint (never the key); serve, worker and dev refuse to start with
// another key instead of failing every delivery.
package keycheck

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/secretbox"
)

const (
	settingFingerprint = "encryption_key_fingerprint"
	settingOrigin      = "encryption_key_origin"
)

// MismatchError says the configured key is not the database's.
type MismatchError struct {
	Want, Got string // fingerprints: the database's, the configured key's
	Origin    string // who first used the database's key, e.g. "hookline dev in /home/x/app/.hookline"
}

func (e *MismatchError) Error() string {
	msg := fmt.Sprintf("the configured encryption key (fingerprint %s) is not the one this database's secrets are sealed with (fingerprint %s", e.Got, e.Want)
	if e.Origin != "" {
		msg += ", first used by " + e.Origin
	}
	return msg + ")"
}

// Ensure checks box's key against the database, recording its fingerprint
// (and origin, a note for the operator) on first use. A database from before
// fingerprints is checked by opening one of its secrets.
func Ensure(ctx context.Context, pool *pgxpool.Pool, box *secretbox.Box, origin string) error {
	q := db.Q(pool)
	want, err := q.GetSetting(ctx, settingFingerprint)
	if db.IsNotFound(err) {
		if err := openAny(ctx, q, box); err != nil {
			return err
		}
		if err := q.InsertSetting(ctx, dbq.InsertSettingParams{Name: settingFingerprint, Value: box.Fingerprint()}); err != nil {
			return err
		}
		if err := q.InsertSetting(ctx, dbq.InsertSettingParams{Name: settingOrigin, Value: origin}); err != nil {
			return err
		}
		want, err = q.GetSetting(ctx, settingFingerprint) // a concurrent first start may have won
	}
	if err != nil {
		return fmt.Errorf("read the encryption key fingerprint: %w", err)
	}
	if want != box.Fingerprint() {
		o, _ := q.GetSetting(ctx, settingOrigin)
		return &MismatchError{Want: want, Got: box.Fingerprint(), Origin: o}
	}
	return nil
}

// openAny opens one stored secret, if there is one.
func openAny(ctx context.Context, q *dbq.Queries, box *secretbox.Box) error {
	e, err := q.AnyEndpointSecret(ctx)
	if db.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := box.OpenEndpointSecret(e.TenantID, e.ID, e.SecretCiphertext); err != nil {
		return &MismatchError{Want: "unknown (secrets sealed before fingerprints)", Got: box.Fingerprint()}
	}
	return nil
}
