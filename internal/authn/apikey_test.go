package authn

import (
	"strings"
	"testing"
)

func TestAPIKeyRoundTrip(t *testing.T) {
	t.Parallel()
	id, token, hash := NewAPIKey()
	gotID, secret, ok := ParseAPIKey(token)
	if !ok || gotID != id {
		t.Fatalf("ParseAPIKey(%q) = %v, %v", token, gotID, ok)
	}
	if !SecretMatches(secret, hash) {
		t.Fatal("secret does not match its hash")
	}
	if strings.Contains(string(hash), secret) {
		t.Fatal("hash contains the secret")
	}
}

func TestParseAPIKeyRejects(t *testing.T) {
	t.Parallel()
	_, token, hash := NewAPIKey()
	_, secret, _ := ParseAPIKey(token)
	for name, tok := range map[string]string{
		"empty":       "",
		"no prefix":   strings.TrimPrefix(token, "hk_"),
		"truncated":   token[:len(token)-1],
		"extended":    token + "A",
		"bad id hex":  "hk_" + strings.Repeat("z", 32) + token[35:],
		"missing sep": strings.Replace(token, "_", "", 2),
		"only prefix": "hk_",
		"jwt-looking": "eyJhbGciOi.xx.yy",
	} {
		if _, _, ok := ParseAPIKey(tok); ok {
			t.Errorf("%s: ParseAPIKey(%q) accepted", name, tok)
		}
	}
	if SecretMatches(secret[:len(secret)-1]+"x", hash) {
		t.Error("altered secret matched")
	}
}
