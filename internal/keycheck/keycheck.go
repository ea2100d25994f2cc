// Package keycheck makes sure a process runs with the encryption key the
// database's secrets are sealed with. The database keeps the key's
// fingerprint (never the key); serve, worker and dev refuse to start with
// another key instead of failing every delivery.
package keycheck

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/secretbox"
)

const (
	// SettingFingerprint names the setting holding the fingerprint; a
	// completed key rotation sets it to the new key's.
	SettingFingerprint = "encryption_key_fingerprint"
	settingOrigin      = "encryption_key_origin"
)

// MismatchError says none of the configured keys is the database's.
type MismatchError struct {
	Want, Got string // fingerprints: the database's, the configured keys' (comma-separated)
	Origin    string // who first used the database's key, e.g. "hookline dev in /home/x/app/.hookline"
}

func (e *MismatchError) Error() string {
	what := "the configured encryption key (fingerprint " + e.Got + ") is not"
	if strings.Contains(e.Got, ",") {
		what = "none of the configured encryption keys (fingerprints " + e.Got + ") is"
	}
	msg := fmt.Sprintf("%s the one this database's secrets are sealed with (fingerprint %s", what, e.Want)
	if e.Origin != "" {
		msg += ", first used by " + e.Origin
	}
	return msg + ")"
}

// Ensure checks box's keys against the database, recording the current key's
// fingerprint (and origin, a note for the operator) on first use. Any key of
// the keyring may match: during a rotation the database still names the old
// key until `hookline keys rotate` finishes. A database from before
// fingerprints is checked by opening one of its secrets.
func Ensure(ctx context.Context, pool *pgxpool.Pool, box *secretbox.Box, origin string) error {
	q := db.Q(pool)
	want, err := q.GetSetting(ctx, SettingFingerprint)
	if db.IsNotFound(err) {
		if err := openAny(ctx, q, box); err != nil {
			return err
		}
		if err := q.InsertSetting(ctx, dbq.InsertSettingParams{Name: SettingFingerprint, Value: box.Fingerprint()}); err != nil {
			return err
		}
		if err := q.InsertSetting(ctx, dbq.InsertSettingParams{Name: settingOrigin, Value: origin}); err != nil {
			return err
		}
		want, err = q.GetSetting(ctx, SettingFingerprint) // a concurrent first start may have won
	}
	if err != nil {
		return fmt.Errorf("read the encryption key fingerprint: %w", err)
	}
	if !slices.Contains(box.Fingerprints(), want) {
		o, _ := q.GetSetting(ctx, settingOrigin)
		return &MismatchError{Want: want, Got: strings.Join(box.Fingerprints(), ", "), Origin: o}
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
		return &MismatchError{Want: "unknown (secrets sealed before fingerprints)", Got: strings.Join(box.Fingerprints(), ", ")}
	}
	return nil
}
