// Package requestid makes and checks the short opaque strings clients may
// send and Hookline stores and logs: request ids and Idempotency-Keys.
package requestid

import (
	"crypto/rand"
	"encoding/hex"
)

// New returns a fresh request id.
func New() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "req_" + hex.EncodeToString(b)
}

// Valid accepts 1..maxLen printable ASCII characters without spaces: safe
// in logs, headers and audit rows.
func Valid(s string, maxLen int) bool {
	if len(s) == 0 || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
