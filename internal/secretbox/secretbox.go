// Package secretbox encrypts small secrets at rest with AES-256-GCM. Every
// ciphertext is bound to associated data naming what it belongs to (tenant,
// endpoint, purpose), so a ciphertext copied to another row does not decrypt.
//
// A Box holds an ordered keyring: the first key seals, every key opens. Each
// ciphertext names the key that sealed it, so keys can be rotated: prepend a
// new key, re-seal what is stored (Reseal), then drop the old key.
package secretbox

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

const (
	// versionLegacy is version || nonce || ciphertext+tag: no key id, so
	// Open tries every key. Only read, never written.
	versionLegacy byte = 1
	// versionKeyID is version || key id || nonce || ciphertext+tag.
	versionKeyID byte = 2
	keyIDLen          = 8
)

type key struct {
	id   [keyIDLen]byte // the first bytes of the fingerprint HMAC
	aead cipher.AEAD
	mac  []byte // MAC's subkey: never the encryption key itself
}

// Box seals with its current key and opens with any of its keys.
type Box struct {
	keys []key // keys[0] is the current key
}

// New builds a Box from one 32-byte key.
func New(k []byte) (*Box, error) { return NewKeyring([][]byte{k}) }

// NewKeyring builds a Box from 32-byte keys, the current one first; the
// others only open what they sealed.
func NewKeyring(keys [][]byte) (*Box, error) {
	if len(keys) == 0 {
		return nil, errors.New("no encryption key")
	}
	b := &Box{keys: make([]key, 0, len(keys))}
	for i, k := range keys {
		if len(k) != 32 {
			return nil, fmt.Errorf("encryption key %d must be 32 bytes, got %d", i+1, len(k))
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("encryption key %d: %w", i+1, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("encryption key %d: %w", i+1, err)
		}
		mac := hmac.New(sha256.New, k)
		mac.Write([]byte("hookline/encryption-key-fingerprint/v1"))
		sub := hmac.New(sha256.New, k)
		sub.Write([]byte("hookline/request-mac/v1"))
		kk := key{aead: aead, mac: sub.Sum(nil)}
		copy(kk.id[:], mac.Sum(nil))
		// Two keys with one id would make v2 ciphertexts ambiguous.
		if b.byID(kk.id[:]) != nil {
			return nil, fmt.Errorf("encryption key %d is listed twice", i+1)
		}
		b.keys = append(b.keys, kk)
	}
	return b, nil
}

// MAC is an HMAC-SHA256 of data under a subkey of the current key: a
// digest of a request that may hold secrets (an idempotency fingerprint),
// which, unlike a bare hash, cannot be brute-forced without the key. It
// changes when the current key does.
func (b *Box) MAC(data []byte) []byte {
	m := hmac.New(sha256.New, b.keys[0].mac)
	m.Write(data)
	return m.Sum(nil)
}

func (b *Box) byID(id []byte) *key {
	for i := range b.keys {
		if bytes.Equal(b.keys[i].id[:], id) {
			return &b.keys[i]
		}
	}
	return nil
}

// Fingerprint names the current key without revealing it: an HMAC of a fixed
// label under the key. The database keeps it to tell a process started with
// another key.
func (b *Box) Fingerprint() string { return hex.EncodeToString(b.keys[0].id[:]) }

// Fingerprints names every key, the current one first.
func (b *Box) Fingerprints() []string {
	out := make([]string, len(b.keys))
	for i, k := range b.keys {
		out[i] = hex.EncodeToString(k.id[:])
	}
	return out
}

// CurrentPrefix is what every ciphertext sealed under the current key starts
// with, so a query can count the rows a rotation has not reached.
func (b *Box) CurrentPrefix() []byte {
	return append([]byte{versionKeyID}, b.keys[0].id[:]...)
}

// Current reports whether ct is sealed under the current key (by its header;
// it does not decrypt), i.e. whether a rotation can skip it.
func (b *Box) Current(ct []byte) bool {
	return bytes.HasPrefix(ct, b.CurrentPrefix())
}

// Seal encrypts plaintext bound to ad under the current key.
func (b *Box) Seal(plaintext, ad []byte) []byte {
	k := b.keys[0]
	nonce := make([]byte, k.aead.NonceSize())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails (Go 1.24+)
	out := make([]byte, 0, 1+keyIDLen+len(nonce)+len(plaintext)+k.aead.Overhead())
	out = append(out, versionKeyID)
	out = append(out, k.id[:]...)
	out = append(out, nonce...)
	return k.aead.Seal(out, nonce, plaintext, ad)
}

// ErrOpen says a ciphertext could not be decrypted (no configured key sealed
// it, wrong associated data or tampering).
var ErrOpen = errors.New("secretbox: cannot decrypt")

// Open decrypts what Seal produced for the same ad, with the key it names
// (legacy ciphertexts: whichever key opens them).
func (b *Box) Open(ciphertext, ad []byte) ([]byte, error) {
	if len(ciphertext) == 0 {
		return nil, ErrOpen
	}
	switch ciphertext[0] {
	case versionKeyID:
		if len(ciphertext) < 1+keyIDLen {
			return nil, ErrOpen
		}
		if k := b.byID(ciphertext[1 : 1+keyIDLen]); k != nil {
			return open(k.aead, ciphertext[1+keyIDLen:], ad)
		}
	case versionLegacy:
		for _, k := range b.keys {
			if pt, err := open(k.aead, ciphertext[1:], ad); err == nil {
				return pt, nil
			}
		}
	}
	return nil, ErrOpen
}

// open decrypts nonce || ciphertext+tag.
func open(aead cipher.AEAD, body, ad []byte) ([]byte, error) {
	ns := aead.NonceSize()
	if len(body) < ns+aead.Overhead() {
		return nil, ErrOpen
	}
	pt, err := aead.Open(nil, body[:ns], body[ns:], ad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// Reseal opens ct and seals its plaintext again under the current key, for
// a key rotation.
func (b *Box) Reseal(ct, ad []byte) ([]byte, error) {
	pt, err := b.Open(ct, ad)
	if err != nil {
		return nil, err
	}
	return b.Seal(pt, ad), nil
}
