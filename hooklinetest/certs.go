package hooklinetest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"
)

// Cert is a PEM certificate with its key, and the parsed certificate.
type Cert struct {
	CertPEM, KeyPEM string
	X509            *x509.Certificate
	key             *ecdsa.PrivateKey
}

// NewCA makes a self-signed CA certificate valid around now.
func NewCA(t testing.TB, name string) Cert {
	t.Helper()
	return newCert(t, name, true, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour), nil)
}

// Issue makes a client certificate signed by ca (nil: self-signed) valid
// from notBefore to notAfter.
func Issue(t testing.TB, ca *Cert, name string, notBefore, notAfter time.Time) Cert {
	t.Helper()
	return newCert(t, name, false, notBefore, notAfter, ca)
}

func newCert(t testing.TB, name string, isCA bool, notBefore, notAfter time.Time, parent *Cert) Cert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: name, Organization: []string{"Hookline tests"}},
		NotBefore: notBefore, NotAfter: notAfter, IsCA: isCA, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.X509, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return Cert{
		CertPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		KeyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb})),
		X509:    cert, key: key,
	}
}

// PEM encodes a certificate (e.g. an httptest server's) for ca_cert_pem.
func PEM(c *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}
