package temporalclient

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
)

// frontend is a fake Temporal frontend behind mutual TLS: enough of the
// WorkflowService for the SDK to connect, and the authorization it saw.
type frontend struct {
	workflowservice.UnimplementedWorkflowServiceServer
	mu   sync.Mutex
	auth []string
}

func (f *frontend) GetSystemInfo(ctx context.Context, _ *workflowservice.GetSystemInfoRequest) (*workflowservice.GetSystemInfoResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	f.auth = append(f.auth, md.Get("authorization")...)
	f.mu.Unlock()
	return &workflowservice.GetSystemInfoResponse{}, nil
}

type pki struct {
	dir                       string
	ca, clientCert, clientKey string
	serverTLS                 *tls.Config
}

func newPKI(t *testing.T) pki {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(serial int64, usage x509.ExtKeyUsage, dns string) (certPEM, keyPEM []byte) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: dns}, DNSNames: []string{dns},
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, KeyUsage: x509.KeyUsageDigitalSignature,
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kb, _ := x509.MarshalECPrivateKey(key)
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := pki{dir: dir, ca: write("ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))}
	cc, ck := issue(2, x509.ExtKeyUsageClientAuth, "hookline-worker")
	p.clientCert, p.clientKey = write("client.pem", cc), write("client-key.pem", ck)
	sc, sk := issue(3, x509.ExtKeyUsageServerAuth, "temporal.test")
	serverCert, err := tls.X509KeyPair(sc, sk)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	p.serverTLS = &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientCAs: roots, ClientAuth: tls.RequireAndVerifyClientCert}
	return p
}

func startFrontend(t *testing.T, p pki) (*frontend, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &frontend{}
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(p.serverTLS)))
	workflowservice.RegisterWorkflowServiceServer(srv, f)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)
	return f, l.Addr().String()
}

func dial(t *testing.T, s Settings) error {
	t.Helper()
	opts, err := Options(s)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, opts)
	if err == nil {
		c.Close()
	}
	return err
}

// serve and worker reach a frontend that demands mutual TLS, verifying its
// certificate against the configured CA and name, and send the API key.
func TestMutualTLSAndAPIKey(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	f, addr := startFrontend(t, p)
	good := Settings{HostPort: addr, Namespace: "default", CAFile: p.ca, CertFile: p.clientCert, KeyFile: p.clientKey,
		ServerName: "temporal.test", APIKey: "cloud-key"}
	if err := dial(t, good); err != nil {
		t.Fatalf("mTLS with API key: %v", err)
	}
	f.mu.Lock()
	auth := append([]string(nil), f.auth...)
	f.mu.Unlock()
	if len(auth) == 0 || auth[0] != "Bearer cloud-key" {
		t.Fatalf("authorization seen by the frontend: %q", auth)
	}

	for name, mut := range map[string]func(*Settings){
		"no client certificate": func(s *Settings) { s.CertFile, s.KeyFile = "", "" },
		"wrong server name":     func(s *Settings) { s.ServerName = "other.test" },
		"system roots only":     func(s *Settings) { s.CAFile = "" },
		"plaintext":             func(s *Settings) { *s = Settings{HostPort: addr, Namespace: "default"} },
	} {
		s := good
		mut(&s)
		if err := dial(t, s); err == nil {
			t.Errorf("%s: connected", name)
		}
	}
}

func TestOptionsRefuseHalfAKeyPair(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	for _, s := range []Settings{{CertFile: p.clientCert}, {KeyFile: p.clientKey}, {CAFile: filepath.Join(p.dir, "missing.pem")}} {
		if _, err := Options(s); err == nil {
			t.Errorf("%+v accepted", s)
		}
	}
	if o, err := Options(Settings{HostPort: "x:7233"}); err != nil || o.ConnectionOptions.TLS != nil || o.Credentials != nil {
		t.Fatalf("plain settings: %+v %v", o.ConnectionOptions, err)
	}
}
