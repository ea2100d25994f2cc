package secretbox

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func keyring(t *testing.T, keys ...[]byte) *Box {
	t.Helper()
	b, err := NewKeyring(keys)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sealV1 writes the legacy format (version 1, no key id), as databases from
// before key rotation hold it.
func sealV1(t *testing.T, key, pt, ad []byte) []byte {
	t.Helper()
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce)
	return aead.Seal(append([]byte{versionLegacy}, nonce...), nonce, pt, ad)
}

func TestKeyringOpen(t *testing.T) {
	t.Parallel()
	k1, k2, k3 := testKey(1), testKey(2), testKey(3)
	pt, ad := []byte("whsec_secret"), []byte("tenant/endpoint")
	v2k1 := keyring(t, k1).Seal(pt, ad)
	unknownID := append([]byte{}, v2k1...)
	copy(unknownID[1:1+keyIDLen], "unknown!")
	tests := []struct {
		name    string
		box     *Box
		ct      []byte
		ok      bool
		current bool
	}{
		{"v2 current key", keyring(t, k1), v2k1, true, true},
		{"v2 older key in ring", keyring(t, k2, k1), v2k1, true, false},
		{"v2 key not in ring", keyring(t, k2, k3), v2k1, false, false},
		{"v2 unknown key id", keyring(t, k1), unknownID, false, false},
		{"v2 truncated after id", keyring(t, k1), v2k1[:1+keyIDLen], false, true},
		{"v1 only key", keyring(t, k1), sealV1(t, k1, pt, ad), true, false},
		{"v1 second key", keyring(t, k2, k1), sealV1(t, k1, pt, ad), true, false},
		{"v1 no key", keyring(t, k2, k3), sealV1(t, k1, pt, ad), false, false},
		{"unknown version", keyring(t, k1), append([]byte{9}, v2k1[1:]...), false, false},
		{"empty", keyring(t, k1), nil, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.box.Open(tc.ct, ad)
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrOpen)) {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if tc.ok && !bytes.Equal(got, pt) {
				t.Fatalf("got %q", got)
			}
			if c := tc.box.Current(tc.ct); c != tc.current {
				t.Fatalf("Current = %v, want %v", c, tc.current)
			}
		})
	}
}

// A rotation: key 1 sealed it, the ring [k2, k1] opens it and re-seals it
// under k2, after which k1 can be dropped.
func TestReseal(t *testing.T) {
	t.Parallel()
	k1, k2 := testKey(1), testKey(2)
	pt, ad := []byte("whsec_secret"), []byte("tenant/endpoint")
	for name, ct := range map[string][]byte{
		"v1": sealV1(t, k1, pt, ad),
		"v2": keyring(t, k1).Seal(pt, ad),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			during := keyring(t, k2, k1)
			if during.Current(ct) {
				t.Fatal("a k1 ciphertext is current under [k2, k1]")
			}
			if _, err := during.Reseal(ct, []byte("other ad")); !errors.Is(err, ErrOpen) {
				t.Fatalf("reseal with the wrong ad: %v", err)
			}
			re, err := during.Reseal(ct, ad)
			if err != nil {
				t.Fatal(err)
			}
			if !during.Current(re) {
				t.Fatal("resealed ciphertext is not current")
			}
			got, err := keyring(t, k2).Open(re, ad)
			if err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("[k2] opens the resealed ciphertext: %q, %v", got, err)
			}
			if _, err := keyring(t, k1).Open(re, ad); err == nil {
				t.Fatal("k1 alone opens a k2 ciphertext")
			}
		})
	}
}

func TestFingerprints(t *testing.T) {
	t.Parallel()
	one, ring := keyring(t, testKey(1)), keyring(t, testKey(2), testKey(1))
	if got := ring.Fingerprints(); len(got) != 2 || got[0] != ring.Fingerprint() || got[1] != one.Fingerprint() {
		t.Fatalf("Fingerprints = %v", got)
	}
	ct := one.Seal([]byte("x"), nil)
	if id := ct[1 : 1+keyIDLen]; !bytes.Equal(id, one.keys[0].id[:]) || len(one.Fingerprint()) != 2*keyIDLen {
		t.Fatalf("key id %x, fingerprint %s", id, one.Fingerprint())
	}
}

func TestNewKeyringRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		keys [][]byte
	}{
		{"none", nil},
		{"short", [][]byte{testKey(1), testKey(2)[:16]}},
		{"duplicate", [][]byte{testKey(1), testKey(2), testKey(1)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := NewKeyring(tc.keys); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestParseKeys(t *testing.T) {
	t.Parallel()
	a, b := NewKey(), NewKey()
	aURL := base64.RawURLEncoding.EncodeToString(mustParse(t, a))
	tests := []struct {
		name string
		in   string
		n    int    // keys parsed; 0: an error
		err  string // part of the error
	}{
		{"one", a, 1, ""},
		{"two with spaces", " " + a + " , " + b + " ", 2, ""},
		{"empty", "", 0, "key 1 is empty"},
		{"trailing comma", a + ",", 0, "key 2 is empty"},
		{"bad base64", a + ",not base64!!", 0, "key 2: encryption key is not valid base64"},
		{"short", a + ",c2hvcnQ=", 0, "key 2: encryption key must decode to 32 bytes"},
		{"duplicate", a + "," + b + "," + a, 0, "key 3 repeats key 1"},
		{"duplicate in another encoding", a + "," + aURL, 0, "key 2 repeats key 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			keys, err := ParseKeys(tc.in)
			if tc.n == 0 {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				if strings.Contains(err.Error(), a) {
					t.Fatal("the error quotes a key")
				}
				return
			}
			if err != nil || len(keys) != tc.n {
				t.Fatalf("%d keys, %v", len(keys), err)
			}
		})
	}
}

func mustParse(t *testing.T, s string) []byte {
	t.Helper()
	k, err := ParseKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// An endpoint's secrets document and its signing secret are bound to the
// same endpoint under different labels: neither opens as the other.
func TestEndpointSecretsCannotBeSwapped(t *testing.T) {
	t.Parallel()
	box := keyring(t, testKey(1))
	tenant, endpoint := [16]byte{1}, [16]byte{2}
	doc := box.SealEndpointSecrets(tenant, endpoint, []byte(`{"headers":{}}`))
	sig := box.SealEndpointSecret(tenant, endpoint, "whsec_x")
	if got, err := box.OpenEndpointSecrets(tenant, endpoint, doc); err != nil || string(got) != `{"headers":{}}` {
		t.Fatalf("round trip: %q, %v", got, err)
	}
	if _, err := box.OpenEndpointSecrets(tenant, endpoint, sig); !errors.Is(err, ErrOpen) {
		t.Fatalf("signing secret opened as secrets: %v", err)
	}
	if _, err := box.OpenEndpointSecret(tenant, endpoint, doc); !errors.Is(err, ErrOpen) {
		t.Fatalf("secrets opened as signing secret: %v", err)
	}
	if _, err := box.OpenEndpointSecrets(tenant, [16]byte{3}, doc); !errors.Is(err, ErrOpen) {
		t.Fatalf("secrets opened for another endpoint: %v", err)
	}
}
