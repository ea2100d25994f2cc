// Package secretbox encrypts small secrets at rest with AES-256-GCM. Every
// ciphertext is bound to associated data naming what it belongs to (tenant,
// endpoint, purpose), so a ciphertext copied to another row does not decrypt.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
)

const version byte = 1

// Box seals and opens secrets with one key.
type Box struct {
	aead        cipher.AEAD
	fingerprint string
}

// New builds a Box from a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("encryption key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("hookline/encryption-key-fingerprint/v1"))
	return &Box{aead: aead, fingerprint: hex.EncodeToString(mac.Sum(nil)[:8])}, nil
}

// ParseKey decodes a base64 (standard or URL, padded or not) 32-byte key.
func ParseKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != 32 {
				return nil, fmt.Errorf("encryption key must decode to 32 bytes, got %d", len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("encryption key is not valid base64")
}

// NewKey returns a fresh random key, base64-encoded.
func NewKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.StdEncoding.EncodeToString(b)
}

// Fingerprint names the key without revealing it: an HMAC of a fixed label
// under the key. The database keeps it to tell a process started with
// another key.
func (b *Box) Fingerprint() string { return b.fingerprint }

// Seal encrypts plaintext bound to ad: version || nonce || ciphertext+tag.
func (b *Box) Seal(plaintext, ad []byte) []byte {
	nonce := make([]byte, b.aead.NonceSize())
	_, _ = rand.Read(nonce)
	out := make([]byte, 0, 1+len(nonce)+len(plaintext)+b.aead.Overhead())
	out = append(out, version)
	out = append(out, nonce...)
	return b.aead.Seal(out, nonce, plaintext, ad)
}

// ErrOpen says a ciphertext could not be decrypted (wrong key, wrong
// associated data or tampering).
var ErrOpen = errors.New("secretbox: cannot decrypt")

// Open decrypts what Seal produced for the same ad.
func (b *Box) Open(ciphertext, ad []byte) ([]byte, error) {
	ns := b.aead.NonceSize()
	if len(ciphertext) < 1+ns+b.aead.Overhead() || ciphertext[0] != version {
		return nil, ErrOpen
	}
	pt, err := b.aead.Open(nil, ciphertext[1:1+ns], ciphertext[1+ns:], ad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// endpointAD binds an endpoint's signing secret to its tenant and id.
func endpointAD(tenantID, endpointID [16]byte) []byte {
	ad := make([]byte, 0, 9+32)
	ad = append(ad, "endpoint:"...)
	ad = append(ad, tenantID[:]...)
	return append(ad, endpointID[:]...)
}

// SealEndpointSecret encrypts an endpoint's signing secret.
func (b *Box) SealEndpointSecret(tenantID, endpointID [16]byte, secret string) []byte {
	return b.Seal([]byte(secret), endpointAD(tenantID, endpointID))
}

// OpenEndpointSecret decrypts what SealEndpointSecret produced.
func (b *Box) OpenEndpointSecret(tenantID, endpointID [16]byte, ct []byte) (string, error) {
	pt, err := b.Open(ct, endpointAD(tenantID, endpointID))
	return string(pt), err
}
