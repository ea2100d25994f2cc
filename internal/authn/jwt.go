package authn

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// AdminClaims are the claims of an admin JWT.
type AdminClaims struct {
	jwt.RegisteredClaims
	Permissions []string `json:"permissions"`
	// Tenants the token may act on; "*" means any. Absent means none of the
	// tenant-scoped routes (only tenant administration, if permitted).
	Tenants []string `json:"tenants,omitempty"`
}

// Has reports whether the token carries permission p.
func (c *AdminClaims) Has(p string) bool { return slices.Contains(c.Permissions, p) }

// CoversTenant reports whether the token may act on tenant id.
func (c *AdminClaims) CoversTenant(id uuid.UUID) bool {
	return c.AllTenants() || slices.Contains(c.Tenants, id.String())
}

// AllTenants reports whether the token covers every tenant ("*").
func (c *AdminClaims) AllTenants() bool { return slices.Contains(c.Tenants, "*") }

// JWTConfig pins how admin tokens are verified and minted.
type JWTConfig struct {
	HMACSecret []byte           // enables HS256 when set
	PublicKey  crypto.PublicKey // enables RS256 / ES256 / EdDSA for its key type
	Issuer     string
	Audience   string
	Leeway     time.Duration
	// MaxLifetime refuses tokens valid for longer (exp − iat, or exp − now
	// without iat): a leaked long-lived token is a standing key to every
	// tenant. 0: DefaultMaxLifetime.
	MaxLifetime time.Duration
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// PreviousHMACSecret also verifies HS256 tokens during a secret
	// rotation (tokens minted before it keep working until they expire).
	PreviousHMACSecret []byte
}

// DefaultMaxLifetime is the longest admin token lifetime accepted by default.
const DefaultMaxLifetime = 24 * time.Hour

func (c JWTConfig) maxLifetime() time.Duration {
	if c.MaxLifetime > 0 {
		return c.MaxLifetime
	}
	return DefaultMaxLifetime
}

// JWTVerifier verifies admin tokens against pinned algorithms only.
type JWTVerifier struct {
	cfg    JWTConfig
	parser *jwt.Parser
}

// ErrNoVerificationKey says no admin key is configured.
var ErrNoVerificationKey = errors.New("no admin JWT key configured (HOOKLINE_ADMIN_JWT_SECRET or HOOKLINE_ADMIN_JWT_PUBLIC_KEY_FILE)")

// NewJWTVerifier builds a verifier; at least one key must be configured.
func NewJWTVerifier(cfg JWTConfig) (*JWTVerifier, error) {
	var algs []string
	if len(cfg.HMACSecret) > 0 {
		if len(cfg.HMACSecret) < 32 {
			return nil, errors.New("admin JWT secret must be at least 32 bytes")
		}
		algs = append(algs, "HS256")
	}
	if n := len(cfg.PreviousHMACSecret); n > 0 && n < 32 {
		return nil, errors.New("previous admin JWT secret must be at least 32 bytes")
	}
	switch k := cfg.PublicKey.(type) {
	case nil:
	case *rsa.PublicKey:
		algs = append(algs, "RS256")
	case *ecdsa.PublicKey:
		algs = append(algs, "ES256")
	case ed25519.PublicKey:
		algs = append(algs, "EdDSA")
	default:
		return nil, fmt.Errorf("unsupported admin public key type %T", k)
	}
	if len(algs) == 0 {
		return nil, ErrNoVerificationKey
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(algs),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithIssuedAt(),
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	return &JWTVerifier{cfg: cfg, parser: jwt.NewParser(opts...)}, nil
}

// MaxLifetime is the longest token lifetime the verifier accepts.
func (v *JWTVerifier) MaxLifetime() time.Duration { return v.cfg.maxLifetime() }

// Verify parses and checks a token. The key is chosen by the pinned method of
// the token, never from a header the attacker controls (no kid/jku lookups),
// so an HS256 token can only ever be checked with the HMAC secret.
func (v *JWTVerifier) Verify(token string) (*AdminClaims, error) {
	claims := &AdminClaims{}
	_, err := v.parser.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		switch t.Method.(type) {
		case *jwt.SigningMethodHMAC:
			if len(v.cfg.PreviousHMACSecret) > 0 {
				return jwt.VerificationKeySet{Keys: []jwt.VerificationKey{v.cfg.HMACSecret, v.cfg.PreviousHMACSecret}}, nil
			}
			return v.cfg.HMACSecret, nil
		case *jwt.SigningMethodRSA, *jwt.SigningMethodECDSA, *jwt.SigningMethodEd25519:
			return v.cfg.PublicKey, nil
		}
		return nil, errors.New("unexpected signing method")
	})
	if err != nil {
		return nil, err
	}
	if claims.Subject == "" {
		return nil, errors.New("token has no sub")
	}
	from := time.Now()
	if v.cfg.Now != nil {
		from = v.cfg.Now()
	}
	if claims.IssuedAt != nil {
		from = claims.IssuedAt.Time
	}
	if claims.ExpiresAt.Sub(from) > v.cfg.maxLifetime()+v.cfg.Leeway {
		return nil, fmt.Errorf("token lifetime exceeds the maximum of %s", v.cfg.maxLifetime())
	}
	return claims, nil
}

// MintHS256 signs an admin token with the HMAC secret (dev and ops tooling).
func MintHS256(cfg JWTConfig, subject string, tenants, permissions []string, ttl time.Duration, now time.Time) (string, error) {
	if len(cfg.HMACSecret) == 0 {
		return "", errors.New("minting needs HOOKLINE_ADMIN_JWT_SECRET")
	}
	if ttl > cfg.maxLifetime() {
		return "", fmt.Errorf("token lifetime %s exceeds HOOKLINE_ADMIN_JWT_MAX_LIFETIME (%s)", ttl, cfg.maxLifetime())
	}
	claims := AdminClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   subject,
			Issuer:    cfg.Issuer,
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			ID:        uuid.NewString(),
		},
		Permissions: permissions,
		Tenants:     tenants,
	}
	if cfg.Audience != "" {
		claims.Audience = jwt.ClaimStrings{cfg.Audience}
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(cfg.HMACSecret)
}

// ParsePublicKeyPEM reads an RSA, ECDSA (P-256) or Ed25519 public key.
func ParsePublicKeyPEM(b []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("no PEM block in admin public key file")
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		if rk, rerr := x509.ParsePKCS1PublicKey(block.Bytes); rerr == nil {
			return rk, nil
		}
		return nil, fmt.Errorf("parse admin public key: %w", err)
	}
	return key, nil
}
