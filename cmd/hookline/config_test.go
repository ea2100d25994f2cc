package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/hookline/hookline/db/dbtest"
	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/internal/secretbox"
)

// serve and worker started in a folder where `hookline dev` once ran must not
// run on its files: they refuse and name what is missing.
func TestServeAndWorkerIgnoreDevFiles(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		config.DevEnvFile:     "export DATABASE_URL=postgres://postgres@127.0.0.1:5432/hookline?sslmode=disable\n",
		config.SecretsEnvFile: "HOOKLINE_ENCRYPTION_KEY=BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\nHOOKLINE_ADMIN_JWT_SECRET=dev-secret-dev-secret-dev-secret-dev\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("HOOKLINE_DATA_DIR", dir)
	for _, env := range []string{"DATABASE_URL", "HOOKLINE_ENCRYPTION_KEY", "HOOKLINE_ADMIN_JWT_SECRET"} {
		t.Setenv(env, "")
		os.Unsetenv(env)
	}
	for _, sub := range []string{"serve", "worker"} {
		root := newRoot()
		root.SetArgs([]string{sub})
		err := root.Execute()
		if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") || !strings.Contains(err.Error(), "HOOKLINE_ENCRYPTION_KEY") {
			t.Fatalf("%s: %v; want it to refuse naming DATABASE_URL and HOOKLINE_ENCRYPTION_KEY", sub, err)
		}
	}
	// With both, serve still wants the public URL portal links name.
	t.Setenv("DATABASE_URL", "postgres://127.0.0.1:1/none")
	t.Setenv("HOOKLINE_ENCRYPTION_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	t.Setenv("HOOKLINE_PUBLIC_URL", "")
	root := newRoot()
	root.SetArgs([]string{"serve"})
	if err := root.Execute(); err == nil || !strings.Contains(err.Error(), "HOOKLINE_PUBLIC_URL") {
		t.Fatalf("serve without HOOKLINE_PUBLIC_URL: %v", err)
	}
}

// serve (and worker, dev) refuse a key other than the one the database's
// secrets are sealed with, saying what to set.
func TestServicesRefuseAnotherEncryptionKey(t *testing.T) {
	dbURL := dbtest.NewURL(t)
	open := func(key string) error {
		cfg := &config.Config{}
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		config.Bind(fs, cfg)
		if err := fs.Parse([]string{"--database-url", dbURL, "--encryption-key", key}); err != nil {
			t.Fatal(err)
		}
		s, err := newServices(context.Background(), cfg, slog.New(slog.DiscardHandler), openOptions{Migrate: true, LazyTemporal: true, Origin: "test"})
		if err == nil {
			s.close()
		}
		return err
	}
	if err := open(secretbox.NewKey()); err != nil {
		t.Fatal(err)
	}
	err := open(secretbox.NewKey())
	if err == nil || !strings.Contains(err.Error(), "refusing to start") || !strings.Contains(err.Error(), "HOOKLINE_ENCRYPTION_KEY") {
		t.Fatalf("another key: %v", err)
	}
}
