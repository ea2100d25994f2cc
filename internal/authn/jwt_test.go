package authn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func baseClaims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"sub": "ops@example.com", "iss": "hookline", "aud": "hookline-admin",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"permissions": []string{PermManageWebhooks}, "tenants": []string{"*"},
	}
}

func sign(t *testing.T, m jwt.SigningMethod, key any, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestJWTVerify(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	pub, err := ParsePublicKeyPEM(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)

	v, err := NewJWTVerifier(JWTConfig{HMACSecret: testSecret, PublicKey: pub, Issuer: "hookline", Audience: "hookline-admin", Leeway: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	with := func(k string, val any) jwt.MapClaims {
		c := baseClaims(now)
		if val == nil {
			delete(c, k)
		} else {
			c[k] = val
		}
		return c
	}
	good := sign(t, jwt.SigningMethodHS256, testSecret, baseClaims(now))
	parts := strings.Split(good, ".")

	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{"hs256 valid", good, true},
		{"rs256 valid", sign(t, jwt.SigningMethodRS256, rsaKey, baseClaims(now)), true},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, baseClaims(now)), false},
		{"unpinned hs512", sign(t, jwt.SigningMethodHS512, testSecret, baseClaims(now)), false},
		{"unpinned es256 (no ec key configured)", sign(t, jwt.SigningMethodES256, ecKey, baseClaims(now)), false},
		{"hs/rs confusion: hs256 keyed with the public key", sign(t, jwt.SigningMethodHS256, pubPEM, baseClaims(now)), false},
		{"expired", sign(t, jwt.SigningMethodHS256, testSecret, with("exp", now.Add(-time.Minute).Unix())), false},
		{"missing exp", sign(t, jwt.SigningMethodHS256, testSecret, with("exp", nil)), false},
		{"not yet valid", sign(t, jwt.SigningMethodHS256, testSecret, with("nbf", now.Add(time.Hour).Unix())), false},
		{"issued in the future", sign(t, jwt.SigningMethodHS256, testSecret, with("iat", now.Add(time.Hour).Unix())), false},
		{"wrong issuer", sign(t, jwt.SigningMethodHS256, testSecret, with("iss", "evil")), false},
		{"missing issuer", sign(t, jwt.SigningMethodHS256, testSecret, with("iss", nil)), false},
		{"wrong audience", sign(t, jwt.SigningMethodHS256, testSecret, with("aud", "other")), false},
		{"missing subject", sign(t, jwt.SigningMethodHS256, testSecret, with("sub", nil)), false},
		{"wrong secret", sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-xx"), baseClaims(now)), false},
		{"tampered payload", parts[0] + "." + strings.TrimRight(parts[1], "=") + "x." + parts[2], false},
		{"tampered signature", parts[0] + "." + parts[1] + "." + flip(parts[2]), false},
		{"garbage", "not-a-jwt", false},
		{"empty", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := v.Verify(tc.token)
			if tc.ok != (err == nil) {
				t.Fatalf("Verify err = %v, want ok=%v", err, tc.ok)
			}
			if tc.ok && c.Subject != "ops@example.com" {
				t.Fatalf("subject = %q", c.Subject)
			}
		})
	}
}

func flip(s string) string {
	b := []byte(s)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

func TestPublicKeyOnlyRejectsHS256(t *testing.T) {
	t.Parallel()
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	v, err := NewJWTVerifier(JWTConfig{PublicKey: &ecKey.PublicKey, Issuer: "hookline", Audience: "hookline-admin"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := v.Verify(sign(t, jwt.SigningMethodES256, ecKey, baseClaims(now))); err != nil {
		t.Fatalf("es256: %v", err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	if _, err := v.Verify(sign(t, jwt.SigningMethodHS256, der, baseClaims(now))); err == nil {
		t.Fatal("HS256 accepted by a public-key-only verifier")
	}
}

func TestMintRoundTrip(t *testing.T) {
	t.Parallel()
	cfg := JWTConfig{HMACSecret: testSecret, Issuer: "hookline", Audience: "hookline-admin"}
	v, err := NewJWTVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := MintHS256(cfg, "cli", []string{"*"}, AllPermissions, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Has(PermManageTenants) || !c.CoversTenant([16]byte{1}) {
		t.Fatalf("claims = %+v", c)
	}
}

func TestShortSecretRefused(t *testing.T) {
	t.Parallel()
	if _, err := NewJWTVerifier(JWTConfig{HMACSecret: []byte("short")}); err == nil {
		t.Fatal("short secret accepted")
	}
	if _, err := NewJWTVerifier(JWTConfig{}); err == nil {
		t.Fatal("verifier without keys accepted")
	}
}

// A token valid for longer than the maximum lifetime is refused, whether
// its iat says so or (without iat) its exp is that far away; minting one is
// refused too.
func TestJWTMaxLifetime(t *testing.T) {
	t.Parallel()
	now := time.Now()
	cfg := JWTConfig{HMACSecret: testSecret, Issuer: "hookline", Audience: "hookline-admin", Leeway: time.Second}
	v, err := NewJWTVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tenYears := baseClaims(now)
	tenYears["exp"] = now.Add(10 * 365 * 24 * time.Hour).Unix()
	noIat := baseClaims(now)
	delete(noIat, "iat")
	noIat["exp"] = now.Add(48 * time.Hour).Unix()
	day := baseClaims(now)
	day["exp"] = now.Add(24 * time.Hour).Unix()
	for name, tc := range map[string]struct {
		claims jwt.MapClaims
		ok     bool
	}{"10 years": {tenYears, false}, "48 h without iat": {noIat, false}, "24 h": {day, true}} {
		_, err := v.Verify(sign(t, jwt.SigningMethodHS256, testSecret, tc.claims))
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v, want ok %v", name, err, tc.ok)
		}
	}
	if _, err := MintHS256(cfg, "ops", []string{"*"}, AllPermissions, 25*time.Hour, now); err == nil {
		t.Fatal("minted a token past the maximum lifetime")
	}
	cfg.MaxLifetime = 10 * 365 * 24 * time.Hour
	if v, _ = NewJWTVerifier(cfg); func() error { _, err := v.Verify(sign(t, jwt.SigningMethodHS256, testSecret, tenYears)); return err }() != nil {
		t.Fatal("a configured longer maximum was not honoured")
	}
}

// During a secret rotation a token signed with the previous secret still
// verifies; one signed with neither does not.
func TestJWTPreviousSecret(t *testing.T) {
	t.Parallel()
	now := time.Now()
	prev := []byte("previous-secret-previous-secret-!")
	v, err := NewJWTVerifier(JWTConfig{HMACSecret: testSecret, PreviousHMACSecret: prev, Issuer: "hookline", Audience: "hookline-admin"})
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		key []byte
		ok  bool
	}{"current": {testSecret, true}, "previous": {prev, true}, "other": {[]byte("some-other-secret-some-other-secret"), false}} {
		if _, err := v.Verify(sign(t, jwt.SigningMethodHS256, tc.key, baseClaims(now))); (err == nil) != tc.ok {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := NewJWTVerifier(JWTConfig{HMACSecret: testSecret, PreviousHMACSecret: []byte("short")}); err == nil {
		t.Fatal("a short previous secret was accepted")
	}
}
