package secretbox

import (
	"bytes"
	"testing"
)

func TestSealOpen(t *testing.T) {
	t.Parallel()
	key, err := ParseKey(NewKey())
	if err != nil {
		t.Fatal(err)
	}
	box, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0")
	ct := box.Seal(secret, []byte("tenant/endpoint"))
	if bytes.Contains(ct, secret) {
		t.Fatal("ciphertext contains the plaintext")
	}
	tests := []struct {
		name string
		ct   []byte
		ad   string
		ok   bool
	}{
		{"same ad", ct, "tenant/endpoint", true},
		{"other ad", ct, "tenant/other", false},
		{"tampered", append(append([]byte{}, ct[:len(ct)-1]...), ct[len(ct)-1]^1), "tenant/endpoint", false},
		{"truncated", ct[:5], "tenant/endpoint", false},
		{"empty", nil, "tenant/endpoint", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pt, err := box.Open(tc.ct, []byte(tc.ad))
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if tc.ok && !bytes.Equal(pt, secret) {
				t.Fatalf("got %q", pt)
			}
		})
	}
}

func TestParseKeyRejectsWrongLength(t *testing.T) {
	t.Parallel()
	for _, k := range []string{"", "c2hvcnQ=", "not base64!!"} {
		if _, err := ParseKey(k); err == nil {
			t.Errorf("ParseKey(%q) accepted", k)
		}
	}
}
