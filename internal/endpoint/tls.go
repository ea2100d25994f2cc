package endpoint

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"time"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/db/dbq"
	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/publish"
)

// TLS is an endpoint's mutual-TLS material: the client certificate (chain)
// and key Hookline presents, and extra roots the receiver's certificate may
// chain to. All of it is sealed at rest; get shows only TLSSummary.
type TLS struct {
	ClientCertPEM string `json:"client_cert_pem"`
	ClientKeyPEM  string `json:"client_key_pem"`
	CACertPEM     string `json:"ca_cert_pem,omitempty"`
}

// TLSSummary describes the client certificate without revealing the key.
type TLSSummary struct {
	Subject  string    `json:"client_cert_subject"`
	NotAfter time.Time `json:"client_cert_not_after"`
	SHA256   string    `json:"client_cert_sha256"`
}

// maxPEM bounds each PEM field.
const maxPEM = 64 << 10

// checkTLS refuses a pair that does not match, a certificate that has
// expired or is not yet valid, and a CA bundle without certificates.
func checkTLS(t TLS, now time.Time) (TLSSummary, error) {
	const f = "body.tls."
	if t.ClientCertPEM == "" || len(t.ClientCertPEM) > maxPEM {
		return TLSSummary{}, apperr.Invalid(f+"client_cert_pem", nil, "client_cert_pem is required: a PEM certificate (chain) up to 64 KiB")
	}
	if t.ClientKeyPEM == "" || len(t.ClientKeyPEM) > maxPEM {
		return TLSSummary{}, apperr.Invalid(f+"client_key_pem", nil, "client_key_pem is required: a PEM private key up to 64 KiB")
	}
	pair, err := tls.X509KeyPair([]byte(t.ClientCertPEM), []byte(t.ClientKeyPEM))
	if err != nil {
		return TLSSummary{}, apperr.Invalid(f+"client_key_pem", nil, "the certificate and key are not a matching PEM pair")
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return TLSSummary{}, apperr.Invalid(f+"client_cert_pem", nil, "the client certificate cannot be parsed")
	}
	if now.After(leaf.NotAfter) {
		return TLSSummary{}, apperr.Invalid(f+"client_cert_pem", nil, "the client certificate expired at %s", leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if now.Before(leaf.NotBefore) {
		return TLSSummary{}, apperr.Invalid(f+"client_cert_pem", nil, "the client certificate is not valid before %s", leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	if t.CACertPEM != "" {
		if len(t.CACertPEM) > maxPEM || !hasCertificates([]byte(t.CACertPEM)) {
			return TLSSummary{}, apperr.Invalid(f+"ca_cert_pem", nil, "ca_cert_pem must hold PEM certificates (up to 64 KiB)")
		}
	}
	sum := sha256.Sum256(leaf.Raw)
	return TLSSummary{Subject: leaf.Subject.String(), NotAfter: leaf.NotAfter.UTC(), SHA256: hex.EncodeToString(sum[:])}, nil
}

func hasCertificates(b []byte) bool {
	n := 0
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return n > 0
		}
		if blk.Type != "CERTIFICATE" {
			return false
		}
		if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
			return false
		}
		n++
	}
}

// ClientConfig is the tls.Config an attempt dials the receiver with.
func (t TLS) ClientConfig() (*tls.Config, error) {
	pair, err := tls.X509KeyPair([]byte(t.ClientCertPEM), []byte(t.ClientKeyPEM))
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	if t.CACertPEM != "" {
		roots, err := x509.SystemCertPool()
		if err != nil || roots == nil {
			roots = x509.NewCertPool()
		}
		roots.AppendCertsFromPEM([]byte(t.CACertPEM))
		cfg.RootCAs = roots
	}
	return cfg, nil
}

// AnnounceExpiringTLS emits endpoint.tls_expiring for every client
// certificate that now crosses 30 or 7 days before expiry, each in the
// transaction that marks it announced. It returns how many it announced.
func (s *Service) AnnounceExpiringTLS(ctx context.Context) (int, error) {
	var refs []delivery.Ref
	n := 0
	err := db.Tx(ctx, s.Pool, func(q *dbq.Queries) error {
		rows, err := q.ClaimExpiringTLS(ctx)
		if err != nil {
			return err
		}
		n = len(rows)
		for _, r := range rows {
			left := r.NotAfter.Sub(s.now())
			threshold := 30
			if left < 7*24*time.Hour {
				threshold = 7
			}
			more, err := publish.EmitTLSExpiring(ctx, q, r.TenantID, threshold, publish.TLSExpiringData{
				EndpointID: r.ID, CertSHA256: r.CertSha256, NotAfter: r.NotAfter.UTC(), DaysLeft: int(left / (24 * time.Hour)),
			})
			if err != nil {
				return err
			}
			refs = append(refs, more...)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	s.Publisher.StartAfterCommit(ctx, refs)
	return n, nil
}
