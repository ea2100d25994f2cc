// Package authn holds Hookline's credentials: API keys (hk_<id>_<secret>,
// stored as a SHA-256 of the secret) and admin JWTs (pinned algorithms).
package authn

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/google/uuid"
)

// Permissions carried by API keys and admin tokens.
const (
	PermManageWebhooks = "manage_webhooks"
	PermPublishEvents  = "publish_events"
	PermManageTenants  = "manage_tenants"
)

// AllPermissions lists every permission, for validation and dev tokens.
var AllPermissions = []string{PermManageWebhooks, PermPublishEvents, PermManageTenants}

// KeyPermissions are the permissions an API key may carry; tenant management
// is for admin tokens only.
var KeyPermissions = []string{PermManageWebhooks, PermPublishEvents}

const keyPrefix = "hk_"

// NewAPIKey returns a fresh key: its id, the token shown once to the user, and
// the hash to store.
func NewAPIKey() (id uuid.UUID, token string, hash []byte) {
	id = uuid.New()
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	s := base64.RawURLEncoding.EncodeToString(secret)
	return id, keyPrefix + hex.EncodeToString(id[:]) + "_" + s, HashSecret(s)
}

// ParseAPIKey splits a token into its id and secret.
func ParseAPIKey(token string) (uuid.UUID, string, bool) {
	rest, ok := strings.CutPrefix(token, keyPrefix)
	if !ok || len(rest) < 34 || rest[32] != '_' {
		return uuid.Nil, "", false
	}
	raw, err := hex.DecodeString(rest[:32])
	if err != nil {
		return uuid.Nil, "", false
	}
	secret := rest[33:]
	if len(secret) != 43 { // base64url of 32 bytes
		return uuid.Nil, "", false
	}
	id, err := uuid.FromBytes(raw)
	if err != nil {
		return uuid.Nil, "", false
	}
	return id, secret, true
}

// HashSecret is what the database stores for a key secret. The secret is 256
// random bits, so a plain SHA-256 is enough (no stretching needed).
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// SecretMatches compares a presented secret with a stored hash in constant time.
func SecretMatches(secret string, hash []byte) bool {
	return subtle.ConstantTimeCompare(HashSecret(secret), hash) == 1
}

// ValidPermissions reports the first entry of perms not in allowed, if any.
func ValidPermissions(perms, allowed []string) (bad string, ok bool) {
	for _, p := range perms {
		found := false
		for _, a := range allowed {
			if p == a {
				found = true
				break
			}
		}
		if !found {
			return p, false
		}
	}
	return "", true
}
