// Package config binds Hookline's settings to command-line flags and
// HOOKLINE_* environment variables (flags win); `hookline dev` alone also
// falls back to the files it writes under the data directory, so each dev run
// finds the same database and keys.
package config

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/temporalclient"
)

// Config is every setting of every subcommand; each documents its variable.
type Config struct {
	DatabaseURL string
	DBMaxConns  int
	DataDir     string
	LogFormat   string
	LogLevel    string

	HTTPAddr    string
	PublicURL   string
	MetricsAddr string
	// MetricsToken, when set, lets serve answer /metrics on the API port
	// to requests bearing it (without it, only on MetricsAddr).
	MetricsToken string
	PprofAddr    string

	TemporalAddress   string
	TemporalNamespace string
	TaskQueue         string

	TemporalTLS           bool
	TemporalTLSCAFile     string
	TemporalTLSCertFile   string
	TemporalTLSKeyFile    string
	TemporalTLSServerName string
	TemporalAPIKey        string

	AdminJWTSecret        string
	AdminJWTPublicKeyFile string
	AdminJWTIssuer        string
	AdminJWTAudience      string
	AdminJWTMaxLifetime   time.Duration
	AdminJWTPrevious      string

	EncryptionKey  string
	EncryptionKeys string
	AllowHTTP      bool
	AllowedCIDRs   string
	// BrokerDestinations are the host:port pairs endpoints may deliver to
	// over nats:// and amqp:// (none: broker destinations are refused).
	BrokerDestinations string

	RetrySchedule     string
	DeliveryTimeout   time.Duration
	ReconcileInterval time.Duration
	ReconcileAfter    time.Duration
	Retention         time.Duration
	RetentionInterval time.Duration

	WorkerActivities    int
	WorkerWorkflowTasks int
	RemoteAttempts      bool

	TenantMaxInFlight  int
	MaxEndpoints       int
	PublishRate        float64
	PublishRatePerKey  float64
	ManageRate         float64
	MaxPending         int
	BreakerThreshold   int
	BreakerCooldown    time.Duration
	BreakerMaxCooldown time.Duration
	DisableAfter       time.Duration

	// hookline dev only
	UIAddr         string
	TemporalStore  string
	TemporalShards int
	// TemporalRetention is how long the embedded Temporal keeps closed workflows.
	TemporalRetention time.Duration
}

// Option describes one setting for flags, environment and the README table.
type Option struct {
	Flag, Env, Usage string
	bind             func(fs *pflag.FlagSet)
}

// Options lists every setting; the README's configuration table mirrors it.
func Options(c *Config) []Option {
	s := func(p *string, flag, env, def, usage string) Option {
		return Option{flag, env, usage, func(fs *pflag.FlagSet) { fs.StringVar(p, flag, def, usage) }}
	}
	b := func(p *bool, flag, env string, def bool, usage string) Option {
		return Option{flag, env, usage, func(fs *pflag.FlagSet) { fs.BoolVar(p, flag, def, usage) }}
	}
	d := func(p *time.Duration, flag, env string, def time.Duration, usage string) Option {
		return Option{flag, env, usage, func(fs *pflag.FlagSet) { fs.DurationVar(p, flag, def, usage) }}
	}
	i := func(p *int, flag, env string, def int, usage string) Option {
		return Option{flag, env, usage, func(fs *pflag.FlagSet) { fs.IntVar(p, flag, def, usage) }}
	}
	f := func(p *float64, flag, env string, def float64, usage string) Option {
		return Option{flag, env, usage, func(fs *pflag.FlagSet) { fs.Float64Var(p, flag, def, usage) }}
	}
	return []Option{
		s(&c.DatabaseURL, "database-url", "DATABASE_URL", "", "Postgres connection string (dev: found or started automatically)"),
		i(&c.DBMaxConns, "db-max-conns", "HOOKLINE_DB_MAX_CONNS", 16, "size of the Postgres connection pool"),
		s(&c.DataDir, "data-dir", "HOOKLINE_DATA_DIR", ".hookline", "directory for dev state: generated keys, dev.env, private Postgres cluster"),
		s(&c.LogFormat, "log-format", "HOOKLINE_LOG_FORMAT", "", "log format: json or text (default json; text for dev)"),
		s(&c.LogLevel, "log-level", "HOOKLINE_LOG_LEVEL", "info", "log level: debug, info, warn, error"),
		s(&c.HTTPAddr, "http-addr", "HOOKLINE_HTTP_ADDR", ":8080", "API listen address"),
		s(&c.PublicURL, "public-url", "HOOKLINE_PUBLIC_URL", "", "scheme://host[:port] users reach the API at, for links it hands out (portal sessions); default: the request's host"),
		s(&c.MetricsAddr, "metrics-addr", "HOOKLINE_METRICS_ADDR", "", "Prometheus /metrics (with /healthz, /readyz) on this address of its own: serve and worker (keep it private)"),
		s(&c.MetricsToken, "metrics-token", "HOOKLINE_METRICS_TOKEN", "", "serve: also answer /metrics on the API port, to scrapers sending Authorization: Bearer <this token>"),
		s(&c.PprofAddr, "pprof-addr", "HOOKLINE_PPROF_ADDR", "", "serve Go's pprof profiles on this address (off when empty; keep it private)"),
		s(&c.TemporalAddress, "temporal-address", "HOOKLINE_TEMPORAL_ADDRESS", "127.0.0.1:7233", "Temporal frontend host:port"),
		s(&c.TemporalNamespace, "temporal-namespace", "HOOKLINE_TEMPORAL_NAMESPACE", "default", "Temporal namespace"),
		s(&c.TaskQueue, "task-queue", "HOOKLINE_TASK_QUEUE", "hookline", "Temporal task queue of the delivery worker"),
		b(&c.TemporalTLS, "temporal-tls", "HOOKLINE_TEMPORAL_TLS", false, "connect to Temporal over TLS with the system's roots (implied by the other TLS settings and by an API key)"),
		s(&c.TemporalTLSCAFile, "temporal-tls-ca-file", "HOOKLINE_TEMPORAL_TLS_CA_FILE", "", "PEM CA certificate(s) to verify the Temporal frontend with"),
		s(&c.TemporalTLSCertFile, "temporal-tls-cert-file", "HOOKLINE_TEMPORAL_TLS_CERT_FILE", "", "PEM client certificate for mutual TLS to Temporal"),
		s(&c.TemporalTLSKeyFile, "temporal-tls-key-file", "HOOKLINE_TEMPORAL_TLS_KEY_FILE", "", "PEM key of the client certificate"),
		s(&c.TemporalTLSServerName, "temporal-tls-server-name", "HOOKLINE_TEMPORAL_TLS_SERVER_NAME", "", "server name expected in the Temporal frontend's certificate (default: the address's host)"),
		s(&c.TemporalAPIKey, "temporal-api-key", "HOOKLINE_TEMPORAL_API_KEY", "", "API key for Temporal Cloud (sent as a bearer token; turns TLS on)"),
		s(&c.AdminJWTSecret, "admin-jwt-secret", "HOOKLINE_ADMIN_JWT_SECRET", "", "HS256 secret (≥32 bytes) for admin JWTs (dev: generated)"),
		s(&c.AdminJWTPrevious, "admin-jwt-previous-secret", "HOOKLINE_ADMIN_JWT_PREVIOUS_SECRET", "", "the HS256 secret being rotated out: tokens it signed still verify (minting uses the current one)"),
		s(&c.AdminJWTPublicKeyFile, "admin-jwt-public-key-file", "HOOKLINE_ADMIN_JWT_PUBLIC_KEY_FILE", "", "PEM public key (RSA → RS256, P-256 → ES256, Ed25519 → EdDSA) for admin JWTs"),
		s(&c.AdminJWTIssuer, "admin-jwt-issuer", "HOOKLINE_ADMIN_JWT_ISSUER", "hookline", "required iss of admin JWTs"),
		s(&c.AdminJWTAudience, "admin-jwt-audience", "HOOKLINE_ADMIN_JWT_AUDIENCE", "hookline-admin", "required aud of admin JWTs"),
		d(&c.AdminJWTMaxLifetime, "admin-jwt-max-lifetime", "HOOKLINE_ADMIN_JWT_MAX_LIFETIME", 24*time.Hour, "longest admin JWT lifetime accepted (exp − iat); longer tokens are refused"),
		s(&c.EncryptionKey, "encryption-key", "HOOKLINE_ENCRYPTION_KEY", "", "base64 32-byte AES-256-GCM key for secrets at rest (dev: generated)"),
		s(&c.EncryptionKeys, "encryption-keys", "HOOKLINE_ENCRYPTION_KEYS", "", "comma-separated encryption keys, the current one first (it seals; the others only open, during a rotation); wins over HOOKLINE_ENCRYPTION_KEY"),
		b(&c.AllowHTTP, "allow-http", "HOOKLINE_ALLOW_HTTP", false, "accept http:// endpoint URLs (dev sets it)"),
		s(&c.BrokerDestinations, "broker-destinations", "HOOKLINE_BROKER_DESTINATIONS", "", "comma-separated host:port of the NATS and RabbitMQ servers endpoints may deliver to (nats://, amqp:// URLs); none: refused"),
		s(&c.AllowedCIDRs, "allowed-cidrs", "HOOKLINE_ALLOWED_CIDRS", "", "comma-separated CIDRs exempt from the SSRF guard (dev: 127.0.0.0/8,::1/128)"),
		s(&c.RetrySchedule, "retry-schedule", "HOOKLINE_RETRY_SCHEDULE", delivery.FormatSchedule(delivery.DefaultSchedule), "delays between delivery attempts; attempts = delays + 1"),
		d(&c.DeliveryTimeout, "delivery-timeout", "HOOKLINE_DELIVERY_TIMEOUT", 15*time.Second, "HTTP timeout of one delivery attempt (max 30s)"),
		d(&c.ReconcileInterval, "reconcile-interval", "HOOKLINE_RECONCILE_INTERVAL", time.Minute, "how often the reconcile schedule runs"),
		d(&c.ReconcileAfter, "reconcile-after", "HOOKLINE_RECONCILE_AFTER", 30*time.Second, "age after which a pending delivery without a workflow is restarted"),
		d(&c.Retention, "retention", "HOOKLINE_RETENTION", 30*24*time.Hour, "how long finished deliveries (with their attempts) and their events are kept"),
		d(&c.RetentionInterval, "retention-interval", "HOOKLINE_RETENTION_INTERVAL", time.Hour, "how often the retention schedule deletes what is past retention"),
		b(&c.RemoteAttempts, "remote-attempts", "HOOKLINE_REMOTE_ATTEMPTS", false, "run delivery attempts as regular activities instead of local ones (more history, visible as activities in the UI)"),
		i(&c.WorkerWorkflowTasks, "worker-workflow-tasks", "HOOKLINE_WORKER_WORKFLOW_TASKS", 200, "max concurrent workflow tasks per worker (with local attempts: concurrent deliveries); more queue in Temporal"),
		i(&c.WorkerActivities, "worker-activities", "HOOKLINE_WORKER_ACTIVITIES", 200, "max concurrent delivery activities per worker"),
		i(&c.MaxEndpoints, "max-endpoints", "HOOKLINE_MAX_ENDPOINTS", 100, "webhook endpoints a tenant may have"),
		f(&c.PublishRate, "publish-rate", "HOOKLINE_PUBLISH_RATE", 500, "publishes per second per tenant (bursts of one second's worth; more answer 429)"),
		f(&c.PublishRatePerKey, "publish-rate-per-key", "HOOKLINE_PUBLISH_RATE_PER_KEY", 500, "publishes per second per API key"),
		i(&c.MaxPending, "max-pending-deliveries", "HOOKLINE_MAX_PENDING_DELIVERIES", 1_000_000, "open (pending or in-flight) deliveries a tenant may have; past it publishes answer 429 (counted every 5 s)"),
		f(&c.ManageRate, "manage-rate", "HOOKLINE_MANAGE_RATE", 100, "management calls (every webhook operation but publish) per second per tenant (bursts of two seconds' worth; more answer 429)"),
		i(&c.TenantMaxInFlight, "tenant-max-in-flight", "HOOKLINE_TENANT_MAX_IN_FLIGHT", 50, "a tenant's delivery attempts running at once, across its endpoints and all workers: its fair share"),
		i(&c.BreakerThreshold, "breaker-threshold", "HOOKLINE_BREAKER_THRESHOLD", 5, "consecutive failed attempts (network error, timeout, 5xx) that open an endpoint's circuit breaker"),
		d(&c.BreakerCooldown, "breaker-cooldown", "HOOKLINE_BREAKER_COOLDOWN", 30*time.Second, "first cool-down of an open breaker; doubles at each reopening"),
		d(&c.BreakerMaxCooldown, "breaker-max-cooldown", "HOOKLINE_BREAKER_MAX_COOLDOWN", time.Hour, "longest breaker cool-down"),
		d(&c.DisableAfter, "disable-after", "HOOKLINE_DISABLE_AFTER", 120*time.Hour, "an endpoint failing without a success this long is disabled"),
		s(&c.UIAddr, "ui-addr", "HOOKLINE_UI_ADDR", "127.0.0.1:8233", "dev: Temporal Web UI listen address"),
		d(&c.TemporalRetention, "temporal-retention", "HOOKLINE_TEMPORAL_RETENTION", 72*time.Hour, "dev: how long the embedded Temporal keeps closed workflows (≥ 1m)"),
		i(&c.TemporalShards, "temporal-shards", "HOOKLINE_TEMPORAL_SHARDS", 4, "dev: history shards of the embedded Temporal (fixed when its database is created)"),
		s(&c.TemporalStore, "temporal-store", "HOOKLINE_TEMPORAL_STORE", "postgres", "dev: embedded Temporal persistence, postgres or sqlite"),
	}
}

// Bind registers the named settings (all when names is empty) on fs.
func Bind(fs *pflag.FlagSet, c *Config, names ...string) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	for _, o := range Options(c) {
		if len(want) == 0 || want[o.Flag] {
			o.bind(fs)
		}
	}
}

// Resolve fills every flag not given on the command line from the environment
// and, when readDevFiles is set (only `hookline dev`), from the files dev
// writes under the data directory. serve and worker never read those: a
// production process must not pick up a dev encryption key or admin secret
// because someone once ran dev in its folder. Values are parsed by the flag
// itself, so a malformed variable is an error, not a silent default.
func Resolve(fs *pflag.FlagSet, c *Config, readDevFiles bool) error {
	var fileVals map[string]string
	for _, o := range Options(c) {
		f := fs.Lookup(o.Flag)
		if f == nil || f.Changed {
			continue
		}
		v, ok := os.LookupEnv(o.Env)
		if !ok && readDevFiles {
			if fileVals == nil {
				fileVals = devFiles(dataDir(fs, c))
			}
			v, ok = fileVals[o.Env]
		}
		if !ok {
			continue
		}
		if err := fs.Set(o.Flag, v); err != nil {
			return fmt.Errorf("%s: %w", o.Env, err)
		}
	}
	return c.validate()
}

func dataDir(fs *pflag.FlagSet, c *Config) string {
	if f := fs.Lookup("data-dir"); f != nil && f.Changed {
		return c.DataDir
	}
	if v, ok := os.LookupEnv("HOOKLINE_DATA_DIR"); ok {
		return v
	}
	return ".hookline"
}

// DevFiles are the files `hookline dev` writes: exports for users, and the
// generated keys (mode 0600).
const (
	DevEnvFile     = "dev.env"
	SecretsEnvFile = "secrets.env"
)

func devFiles(dir string) map[string]string {
	out := map[string]string{}
	for _, name := range []string{DevEnvFile, SecretsEnvFile} {
		for k, v := range ReadEnvFile(filepath.Join(dir, name)) {
			out[k] = v
		}
	}
	return out
}

// ReadEnvFile parses `export K=V` / `K=V` lines; a missing file is empty.
func ReadEnvFile(path string) map[string]string {
	out := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		out[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `'"`)
	}
	return out
}

// RequireExplicit fails naming every setting serve and worker cannot run
// without: they take them from the environment or flags only.
func (c *Config) RequireExplicit() error {
	var missing []string
	for _, m := range []struct{ env, val string }{
		{"DATABASE_URL", c.DatabaseURL}, {"HOOKLINE_ENCRYPTION_KEY (or HOOKLINE_ENCRYPTION_KEYS)", c.EncryptionKey + c.EncryptionKeys},
	} {
		if m.val == "" {
			missing = append(missing, m.env)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s not set: set it in the environment or as a flag (only `hookline dev` reads %s)",
			strings.Join(missing, " and "), filepath.Join(".hookline", SecretsEnvFile))
	}
	return nil
}

// EncryptionKeyList is the comma-separated keyring and the variable it comes
// from: HOOKLINE_ENCRYPTION_KEYS when set (HOOKLINE_ENCRYPTION_KEY is then
// ignored, so a rotation needs no edit of dev's secrets.env; a key that stops
// opening the database's secrets is refused at start by keycheck), else
// HOOKLINE_ENCRYPTION_KEY as a one-key list.
func (c *Config) EncryptionKeyList() (env, list string) {
	if c.EncryptionKeys != "" {
		return "HOOKLINE_ENCRYPTION_KEYS", c.EncryptionKeys
	}
	return "HOOKLINE_ENCRYPTION_KEY", c.EncryptionKey
}

func (c *Config) validate() error {
	if c.AdminJWTMaxLifetime <= 0 {
		return fmt.Errorf("HOOKLINE_ADMIN_JWT_MAX_LIFETIME must be positive, got %s", c.AdminJWTMaxLifetime)
	}
	if c.DeliveryTimeout <= 0 || c.DeliveryTimeout > 30*time.Second {
		return fmt.Errorf("HOOKLINE_DELIVERY_TIMEOUT must be in (0, 30s], got %s", c.DeliveryTimeout)
	}
	if _, err := c.Schedule(); err != nil {
		return err
	}
	if _, err := c.CIDRs(); err != nil {
		return err
	}
	if _, err := c.Brokers(); err != nil {
		return err
	}
	if err := c.validatePublicURL(); err != nil {
		return err
	}
	if c.Retention < time.Minute || c.RetentionInterval < time.Second {
		return fmt.Errorf("HOOKLINE_RETENTION must be ≥ 1m and HOOKLINE_RETENTION_INTERVAL ≥ 1s")
	}
	return c.validateFlow()
}

func (c *Config) validatePublicURL() error {
	if c.PublicURL == "" {
		return nil
	}
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("HOOKLINE_PUBLIC_URL must be an http(s) URL such as https://hooks.example.com, got %q", c.PublicURL)
	}
	return nil
}

func (c *Config) validateFlow() error {
	switch {
	case c.PublishRate <= 0 || c.PublishRatePerKey <= 0 || c.ManageRate <= 0:
		return fmt.Errorf("HOOKLINE_PUBLISH_RATE, HOOKLINE_PUBLISH_RATE_PER_KEY and HOOKLINE_MANAGE_RATE must be positive")
	case c.MaxPending < 1:
		return fmt.Errorf("HOOKLINE_MAX_PENDING_DELIVERIES must be at least 1, got %d", c.MaxPending)
	case c.MaxEndpoints < 1:
		return fmt.Errorf("HOOKLINE_MAX_ENDPOINTS must be at least 1, got %d", c.MaxEndpoints)
	case c.TenantMaxInFlight < 1:
		return fmt.Errorf("HOOKLINE_TENANT_MAX_IN_FLIGHT must be ≥ 1")
	case c.BreakerThreshold < 1:
		return fmt.Errorf("HOOKLINE_BREAKER_THRESHOLD must be ≥ 1")
	case c.BreakerCooldown < time.Second || c.BreakerMaxCooldown < c.BreakerCooldown:
		return fmt.Errorf("HOOKLINE_BREAKER_COOLDOWN must be ≥ 1s and ≤ HOOKLINE_BREAKER_MAX_COOLDOWN")
	case c.DisableAfter < time.Minute:
		return fmt.Errorf("HOOKLINE_DISABLE_AFTER must be ≥ 1m")
	}
	return nil
}

// Flow is the flow-control policy the settings describe.
func (c *Config) Flow() delivery.FlowPolicy {
	f := delivery.DefaultFlow()
	f.TenantMaxInFlight, f.BreakerThreshold = c.TenantMaxInFlight, c.BreakerThreshold
	f.BreakerCooldown, f.BreakerMaxCooldown, f.DisableAfter = c.BreakerCooldown, c.BreakerMaxCooldown, c.DisableAfter
	return f
}

// Schedule parses RetrySchedule.
func (c *Config) Schedule() ([]time.Duration, error) {
	return ParseSchedule(c.RetrySchedule)
}

// ParseSchedule parses a comma-separated list of positive durations.
func ParseSchedule(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		d, err := time.ParseDuration(p)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("HOOKLINE_RETRY_SCHEDULE: %q is not a positive duration", p)
		}
		out = append(out, d)
	}
	if len(out) > 50 {
		return nil, fmt.Errorf("HOOKLINE_RETRY_SCHEDULE: at most 50 retries")
	}
	return out, nil
}

// Brokers parses BrokerDestinations into normalised host:port pairs.
func (c *Config) Brokers() ([]string, error) {
	var out []string
	for _, p := range strings.Split(c.BrokerDestinations, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		host, port, err := net.SplitHostPort(p)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("HOOKLINE_BROKER_DESTINATIONS: %q is not host:port", p)
		}
		out = append(out, strings.ToLower(net.JoinHostPort(host, port)))
	}
	return out, nil
}

// CIDRs parses AllowedCIDRs.
func (c *Config) CIDRs() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, p := range strings.Split(c.AllowedCIDRs, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			return nil, fmt.Errorf("HOOKLINE_ALLOWED_CIDRS: %q: %w", p, err)
		}
		out = append(out, pfx.Masked())
	}
	return out, nil
}

// Temporal is how to reach the Temporal frontend.
func (c *Config) Temporal() temporalclient.Settings {
	return temporalclient.Settings{
		HostPort: c.TemporalAddress, Namespace: c.TemporalNamespace, TLS: c.TemporalTLS,
		CAFile: c.TemporalTLSCAFile, CertFile: c.TemporalTLSCertFile, KeyFile: c.TemporalTLSKeyFile,
		ServerName: c.TemporalTLSServerName, APIKey: c.TemporalAPIKey,
	}
}
