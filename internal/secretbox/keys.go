package secretbox

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

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

// ParseKeys decodes a comma-separated list of keys (each as ParseKey), the
// current key first. Errors name the key by position, never by value.
func ParseKeys(s string) ([][]byte, error) {
	parts := strings.Split(s, ",")
	out := make([][]byte, 0, len(parts))
	seen := map[string]int{}
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			return nil, fmt.Errorf("encryption key %d is empty", i+1)
		}
		k, err := ParseKey(p)
		if err != nil {
			return nil, fmt.Errorf("encryption key %d: %w", i+1, err)
		}
		// Compared decoded: one key in two encodings is still one key.
		if j, dup := seen[string(k)]; dup {
			return nil, fmt.Errorf("encryption key %d repeats key %d", i+1, j)
		}
		seen[string(k)] = i + 1
		out = append(out, k)
	}
	return out, nil
}

// NewKey returns a fresh random key, base64-encoded.
func NewKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.StdEncoding.EncodeToString(b)
}
