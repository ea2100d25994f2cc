package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/internal/authn"
	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/internal/delivery"
	"github.com/hookline/hookline/internal/keycheck"
	"github.com/hookline/hookline/internal/metrics"
	"github.com/hookline/hookline/internal/netguard"
	"github.com/hookline/hookline/internal/secretbox"
	"github.com/hookline/hookline/internal/temporalclient"
	"github.com/hookline/hookline/internal/tracing"
	"github.com/hookline/hookline/workflows"
)

// newLogger builds the process logger: JSON unless text is asked for.
func newLogger(cfg *config.Config, defaultFormat string) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	format := cfg.LogFormat
	if format == "" {
		format = defaultFormat
	}
	opts := &slog.HandlerOptions{Level: level}
	if format == "text" {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, opts))
}

// openDB connects and, when migrate is set, applies pending migrations.
func openDB(ctx context.Context, cfg *config.Config, log *slog.Logger, migrate bool) (*pgxpool.Pool, error) {
	if cfg.DatabaseURL == "" {
		return nil, errors.New("DATABASE_URL is not set (run `hookline dev`, or export it)")
	}
	pool, err := db.Open(ctx, cfg.DatabaseURL, int32(cfg.DBMaxConns))
	if err != nil {
		return nil, err
	}
	if migrate {
		conn, err := pool.Acquire(ctx)
		if err != nil {
			pool.Close()
			return nil, err
		}
		applied, err := db.Migrate(ctx, conn.Conn())
		conn.Release()
		if err != nil {
			pool.Close()
			return nil, err
		}
		if len(applied) > 0 {
			log.Info("database migrated", "applied", applied)
		}
	}
	return pool, nil
}

// newBox builds the keyring: HOOKLINE_ENCRYPTION_KEYS when set, else
// HOOKLINE_ENCRYPTION_KEY as a one-key list.
func newBox(cfg *config.Config) (*secretbox.Box, error) {
	env, list := cfg.EncryptionKeyList()
	if list == "" {
		return nil, errors.New("HOOKLINE_ENCRYPTION_KEY is not set (32 bytes, base64; `hookline dev` generates one; HOOKLINE_ENCRYPTION_KEYS lists several)")
	}
	keys, err := secretbox.ParseKeys(list)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", env, err)
	}
	box, err := secretbox.NewKeyring(keys)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", env, err)
	}
	return box, nil
}

func jwtConfig(cfg *config.Config) (authn.JWTConfig, error) {
	jc := authn.JWTConfig{
		HMACSecret: []byte(cfg.AdminJWTSecret), Issuer: cfg.AdminJWTIssuer, Audience: cfg.AdminJWTAudience,
		Leeway: 30 * time.Second, MaxLifetime: cfg.AdminJWTMaxLifetime, PreviousHMACSecret: []byte(cfg.AdminJWTPrevious),
	}
	if cfg.AdminJWTPublicKeyFile != "" {
		b, err := os.ReadFile(cfg.AdminJWTPublicKeyFile)
		if err != nil {
			return jc, fmt.Errorf("HOOKLINE_ADMIN_JWT_PUBLIC_KEY_FILE: %w", err)
		}
		if jc.PublicKey, err = authn.ParsePublicKeyPEM(b); err != nil {
			return jc, err
		}
	}
	return jc, nil
}

func newGuard(cfg *config.Config) (*netguard.Guard, error) {
	cidrs, err := cfg.CIDRs()
	if err != nil {
		return nil, err
	}
	return netguard.New(cidrs), nil
}

// dialTemporal connects to the frontend; lazy clients connect on first use,
// so `serve` starts (and reports not-ready) while Temporal is down.
func dialTemporal(ctx context.Context, cfg *config.Config, log *slog.Logger, lazy bool, mh client.MetricsHandler, tr *tracing.Tracing) (client.Client, error) {
	opts, err := temporalclient.Options(cfg.Temporal())
	if err != nil {
		return nil, err
	}
	if opts.Interceptors, err = tr.ClientInterceptors(); err != nil {
		return nil, err
	}
	opts.Logger = sdklog.NewStructuredLogger(log.With("component", "temporal-sdk"))
	opts.MetricsHandler = mh
	if lazy {
		return client.NewLazyClient(opts)
	}
	return client.DialContext(ctx, opts)
}

// services is what serve, worker and dev run: the config-derived
// connections and the Hookline app built from them (hookline.New).
type services struct {
	cfg      *config.Config
	log      *slog.Logger
	pool     *pgxpool.Pool
	temporal client.Client
	metrics  *metrics.Metrics
	tracing  *tracing.Tracing
	app      *hookline.App
}

// openOptions says how newServices connects.
type openOptions struct {
	// Migrate applies pending migrations first (serve, dev).
	Migrate bool
	// LazyTemporal connects to Temporal on first use, so serve starts (and
	// reports not-ready) while Temporal is down.
	LazyTemporal bool
	// Origin names this process for the encryption key check (who first
	// used the database's key).
	Origin string
	// RunsWorker: this process runs a worker (dev, worker).
	RunsWorker bool
	// Service names the process in traces unless OTEL_SERVICE_NAME does.
	Service string
}

// newServices opens what every long-running subcommand needs and wires the app.
func newServices(ctx context.Context, cfg *config.Config, log *slog.Logger, o openOptions) (*services, error) {
	box, err := newBox(cfg)
	if err != nil {
		return nil, err
	}
	guard, err := newGuard(cfg)
	if err != nil {
		return nil, err
	}
	schedule, err := cfg.Schedule()
	if err != nil {
		return nil, err
	}
	brokers, err := cfg.Brokers()
	if err != nil {
		return nil, err
	}
	verifier, err := jwtVerifier(cfg, log)
	if err != nil {
		return nil, err
	}
	pool, err := openDB(ctx, cfg, log, o.Migrate)
	if err != nil {
		return nil, err
	}
	if err := keycheck.Ensure(ctx, pool, box, o.Origin); err != nil {
		pool.Close()
		return nil, keyMismatch(err)
	}
	m := metrics.New()
	tr, err := tracing.FromEnv(ctx, o.Service)
	if err != nil {
		pool.Close()
		return nil, err
	}
	tc, err := dialTemporal(ctx, cfg, log, o.LazyTemporal, m.TemporalHandler(), tr)
	if err != nil {
		pool.Close()
		_ = tr.Shutdown(ctx)
		return nil, fmt.Errorf("connect to temporal at %s: %w", cfg.TemporalAddress, err)
	}
	app := hookline.New(hookline.Options{
		Pool: pool, Box: box, Temporal: tc, TaskQueue: cfg.TaskQueue, Guard: guard, AllowHTTP: cfg.AllowHTTP, BrokerDestinations: brokers,
		JWT: verifier, Retry: delivery.RetryPolicy{Schedule: schedule, Jitter: 0.1}, Flow: cfg.Flow(), DeliveryTimeout: cfg.DeliveryTimeout,
		ReconcileAfter: cfg.ReconcileAfter, Retention: cfg.Retention, RemoteAttempts: cfg.RemoteAttempts, MaxEndpoints: cfg.MaxEndpoints,
		PublishRate: cfg.PublishRate, PublishRatePerKey: cfg.PublishRatePerKey, ManageRate: cfg.ManageRate, MaxPending: int64(cfg.MaxPending),
		PublicURL: cfg.PublicURL, Version: version, Metrics: m, Logger: log, ProbeRunsWorkflow: o.RunsWorker, Tracing: tr,
	})
	return &services{cfg: cfg, log: log, pool: pool, temporal: tc, metrics: m, tracing: tr, app: app}, nil
}

// keyMismatch explains a refused start: the secrets in the database are
// sealed with another key.
func keyMismatch(err error) error {
	var mm *keycheck.MismatchError
	if !errors.As(err, &mm) {
		return err
	}
	return fmt.Errorf("refusing to start: %w. Set HOOKLINE_ENCRYPTION_KEY to the key this database was set up with, "+
		"or keep that key listed in HOOKLINE_ENCRYPTION_KEYS until `hookline keys rotate` has finished "+
		"(every endpoint secret would fail to decrypt otherwise)", err)
}

// jwtVerifier verifies admin tokens; without a key admin routes answer 401.
func jwtVerifier(cfg *config.Config, log *slog.Logger) (*authn.JWTVerifier, error) {
	jc, err := jwtConfig(cfg)
	if err != nil {
		return nil, err
	}
	if len(jc.HMACSecret) == 0 && jc.PublicKey == nil {
		log.Warn("no admin JWT key configured: admin routes answer 401")
		return nil, nil
	}
	return authn.NewJWTVerifier(jc)
}

// newWorker builds the Temporal worker with Hookline's workflows and activities.
func (s *services) newWorker() worker.Worker {
	return s.app.Worker(worker.Options{
		MaxConcurrentActivityExecutionSize:     s.cfg.WorkerActivities,
		MaxConcurrentWorkflowTaskExecutionSize: s.cfg.WorkerWorkflowTasks,
		MaxConcurrentActivityTaskPollers:       8,
		MaxConcurrentWorkflowTaskPollers:       8,
		WorkerStopTimeout:                      20 * time.Second,
	})
}

func (s *services) ensureSchedules(ctx context.Context) error {
	return workflows.EnsureSchedules(ctx, s.temporal, workflows.ScheduleConfig{
		TaskQueue: s.cfg.TaskQueue, ReconcileInterval: s.cfg.ReconcileInterval, RetentionInterval: s.cfg.RetentionInterval,
	})
}

func (s *services) close() {
	s.app.Close()
	s.temporal.Close()
	s.pool.Close()
	// The spans of the last requests and attempts still go out.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.tracing.Shutdown(ctx); err != nil {
		s.log.Warn("flushing traces failed", "err", err)
	}
}

// HTTP server limits: a slow or idle client cannot hold a connection open.
// The write timeout leaves room for verify-webhook-endpoint, which waits up
// to 40 s for its workflow.
const (
	httpReadHeaderTimeout = 10 * time.Second
	httpReadTimeout       = 30 * time.Second
	httpWriteTimeout      = 75 * time.Second
	httpIdleTimeout       = 2 * time.Minute
)

func newHTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr: addr, Handler: h, ReadHeaderTimeout: httpReadHeaderTimeout, ReadTimeout: httpReadTimeout,
		WriteTimeout: httpWriteTimeout, IdleTimeout: httpIdleTimeout, MaxHeaderBytes: 64 << 10,
	}
}

// serveHTTP serves h on addr until ctx ends, then drains in-flight requests.
func serveHTTP(ctx context.Context, log *slog.Logger, name, addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", name, addr, err)
	}
	return serveListener(ctx, log, name, ln, h)
}

// serveListener serves h on ln until ctx ends, then drains in-flight requests.
func serveListener(ctx context.Context, log *slog.Logger, name string, ln net.Listener, h http.Handler) error {
	srv := newHTTPServer(ln.Addr().String(), h)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("%s on %s: %w", name, ln.Addr(), err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	log.Info("draining HTTP server", "server", name)
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	return nil
}

func displayAddr(addr string) string {
	if strings.HasPrefix(addr, ":") {
		return "localhost" + addr
	}
	return addr
}
