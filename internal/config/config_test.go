package config

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// The README's configuration table must list every setting.
func TestREADMEDocumentsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range Options(&Config{}) {
		if !strings.Contains(string(readme), "`"+o.Env+"`") || !strings.Contains(string(readme), "`--"+o.Flag+"`") {
			t.Errorf("README does not document %s / --%s", o.Env, o.Flag)
		}
	}
}

func TestResolvePrecedence(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/"+SecretsEnvFile, []byte("HOOKLINE_ENCRYPTION_KEY=from-file\nHOOKLINE_TASK_QUEUE=file-queue\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOOKLINE_DATA_DIR", dir)
	t.Setenv("HOOKLINE_TASK_QUEUE", "env-queue")
	t.Setenv("HOOKLINE_DELIVERY_TIMEOUT", "20s")
	var c Config
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	Bind(fs, &c)
	if err := fs.Parse([]string{"--retention", "168h"}); err != nil {
		t.Fatal(err)
	}
	if err := Resolve(fs, &c, true); err != nil {
		t.Fatal(err)
	}
	if c.EncryptionKey != "from-file" || c.TaskQueue != "env-queue" || c.DeliveryTimeout != 20*time.Second || c.Retention != 168*time.Hour {
		t.Fatalf("resolved %+v", c)
	}
}

// Only dev reads the dev files: serve and worker in a folder where dev once
// ran must not pick up its encryption key or admin secret.
func TestResolveIgnoresDevFilesUnlessDev(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/"+SecretsEnvFile, []byte("HOOKLINE_ENCRYPTION_KEY=dev-key\nHOOKLINE_ADMIN_JWT_SECRET=dev-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/"+DevEnvFile, []byte("export DATABASE_URL=postgres://dev\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOOKLINE_DATA_DIR", dir)
	var c Config
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	Bind(fs, &c)
	if err := Resolve(fs, &c, false); err != nil {
		t.Fatal(err)
	}
	if c.EncryptionKey != "" || c.AdminJWTSecret != "" || c.DatabaseURL != "" {
		t.Fatalf("read dev files: %+v", c)
	}
}

func TestResolveRejectsBadValues(t *testing.T) {
	for env, val := range map[string]string{
		"HOOKLINE_DELIVERY_TIMEOUT": "45s",
		"HOOKLINE_RETRY_SCHEDULE":   "5s,soon",
		"HOOKLINE_ALLOWED_CIDRS":    "10.0.0.0/33",
		"HOOKLINE_RETENTION":        "many",
		"HOOKLINE_ALLOW_HTTP":       "perhaps",
	} {
		t.Run(env, func(t *testing.T) {
			t.Setenv("HOOKLINE_DATA_DIR", t.TempDir())
			t.Setenv(env, val)
			var c Config
			fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
			Bind(fs, &c)
			if err := Resolve(fs, &c, true); err == nil {
				t.Fatalf("%s=%s accepted", env, val)
			}
		})
	}
}

// HOOKLINE_ENCRYPTION_KEYS wins over HOOKLINE_ENCRYPTION_KEY, and either one
// satisfies serve and worker.
func TestEncryptionKeyList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, key, keys string
		env, list       string
		explicit        bool
	}{
		{"key only", "k1", "", "HOOKLINE_ENCRYPTION_KEY", "k1", true},
		{"keys only", "", "k2,k1", "HOOKLINE_ENCRYPTION_KEYS", "k2,k1", true},
		{"both: keys win", "k1", "k2", "HOOKLINE_ENCRYPTION_KEYS", "k2", true},
		{"neither", "", "", "HOOKLINE_ENCRYPTION_KEY", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := Config{DatabaseURL: "postgres://x", EncryptionKey: tc.key, EncryptionKeys: tc.keys}
			if env, list := c.EncryptionKeyList(); env != tc.env || list != tc.list {
				t.Fatalf("EncryptionKeyList = %s, %q", env, list)
			}
			err := c.RequireExplicit()
			if tc.explicit != (err == nil) {
				t.Fatalf("RequireExplicit: %v", err)
			}
			if err != nil && !strings.Contains(err.Error(), "HOOKLINE_ENCRYPTION_KEYS") {
				t.Fatalf("RequireExplicit does not name HOOKLINE_ENCRYPTION_KEYS: %v", err)
			}
		})
	}
}
