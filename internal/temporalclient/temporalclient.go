// Package temporalclient turns Hookline's Temporal settings into SDK client
// options: address and namespace, TLS or mutual TLS, and an API key (for
// Temporal Cloud). serve, worker and dev dial through it.
package temporalclient

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"go.temporal.io/sdk/client"
)

// Settings is how to reach the Temporal frontend.
type Settings struct {
	HostPort  string
	Namespace string
	// TLS turns TLS on with the system's roots; CAFile, CertFile/KeyFile,
	// ServerName and APIKey each imply it.
	TLS        bool
	CAFile     string // PEM roots to trust instead of the system's
	CertFile   string // client certificate for mutual TLS (with KeyFile)
	KeyFile    string
	ServerName string // expected name in the server certificate
	APIKey     string // sent as "Authorization: Bearer <key>"
}

// Options returns client options for s; the caller adds logger and metrics.
func Options(s Settings) (client.Options, error) {
	opts := client.Options{HostPort: s.HostPort, Namespace: s.Namespace}
	tlsCfg, err := s.tlsConfig()
	if err != nil {
		return opts, err
	}
	opts.ConnectionOptions.TLS = tlsCfg
	if s.APIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(s.APIKey)
	}
	return opts, nil
}

func (s Settings) tlsConfig() (*tls.Config, error) {
	if !s.TLS && s.CAFile == "" && s.CertFile == "" && s.KeyFile == "" && s.ServerName == "" && s.APIKey == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: s.ServerName}
	if s.CAFile != "" {
		pem, err := os.ReadFile(s.CAFile)
		if err != nil {
			return nil, fmt.Errorf("HOOKLINE_TEMPORAL_TLS_CA_FILE: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, errors.New("HOOKLINE_TEMPORAL_TLS_CA_FILE: no PEM certificate in it")
		}
	}
	switch {
	case s.CertFile != "" && s.KeyFile != "":
		cert, err := tls.LoadX509KeyPair(s.CertFile, s.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("HOOKLINE_TEMPORAL_TLS_CERT_FILE / _KEY_FILE: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	case s.CertFile != "":
		return nil, errors.New("HOOKLINE_TEMPORAL_TLS_CERT_FILE is set without HOOKLINE_TEMPORAL_TLS_KEY_FILE")
	case s.KeyFile != "":
		return nil, errors.New("HOOKLINE_TEMPORAL_TLS_KEY_FILE is set without HOOKLINE_TEMPORAL_TLS_CERT_FILE")
	}
	return cfg, nil
}
