package secretbox

// Associated data of each kind of stored ciphertext. Sealing code and the key
// rotation both build it here, so they cannot drift apart. Each starts with
// its own label, so one kind of ciphertext cannot be swapped for another.

// EndpointAD binds an endpoint's signing secret (current or previous) to its
// tenant and id.
func EndpointAD(tenantID, endpointID [16]byte) []byte {
	return bind("endpoint:", tenantID, endpointID)
}

// EndpointSecretsAD binds an endpoint's sealed secrets document (headers,
// auth, client key) to its tenant and id.
func EndpointSecretsAD(tenantID, endpointID [16]byte) []byte {
	return bind("endpoint-secrets:", tenantID, endpointID)
}

// IdempotencyAD binds a stored idempotent response to its tenant and key.
func IdempotencyAD(tenantID [16]byte, key string) []byte {
	return append(append([]byte("idempotency:"), tenantID[:]...), key...)
}

// SourceURLAD binds an ingest source's URL (it may hold credentials) to
// the source's name.
func SourceURLAD(name string) []byte { return append([]byte("source-url:"), name...) }

func bind(label string, tenantID, endpointID [16]byte) []byte {
	ad := make([]byte, 0, len(label)+32)
	ad = append(ad, label...)
	ad = append(ad, tenantID[:]...)
	return append(ad, endpointID[:]...)
}

// SealEndpointSecret encrypts an endpoint's signing secret.
func (b *Box) SealEndpointSecret(tenantID, endpointID [16]byte, secret string) []byte {
	return b.Seal([]byte(secret), EndpointAD(tenantID, endpointID))
}

// OpenEndpointSecret decrypts what SealEndpointSecret produced.
func (b *Box) OpenEndpointSecret(tenantID, endpointID [16]byte, ct []byte) (string, error) {
	pt, err := b.Open(ct, EndpointAD(tenantID, endpointID))
	return string(pt), err
}

// SealEndpointSecrets encrypts an endpoint's secrets document.
func (b *Box) SealEndpointSecrets(tenantID, endpointID [16]byte, plaintext []byte) []byte {
	return b.Seal(plaintext, EndpointSecretsAD(tenantID, endpointID))
}

// OpenEndpointSecrets decrypts what SealEndpointSecrets produced.
func (b *Box) OpenEndpointSecrets(tenantID, endpointID [16]byte, ct []byte) ([]byte, error) {
	return b.Open(ct, EndpointSecretsAD(tenantID, endpointID))
}
