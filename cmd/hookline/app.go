package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/hookline/hookline/activities"
	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/internal/authn"
	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/internal/metrics"
	"github.com/hookline/hookline/internal/netguard"
	"github.com/hookline/hookline/internal/publish"
	"github.com/hookline/hookline/internal/secretbox"
	"github.com/hookline/hookline/internal/temporalclient"
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

func newBox(cfg *config.Config) (*secretbox.Box, error) {
	if cfg.EncryptionKey == "" {
		return nil, errors.New("HOOKLINE_ENCRYPTION_KEY is not set (32 bytes, base64; `hookline dev` generates one)")
	}
	key, err := secretbox.ParseKey(cfg.EncryptionKey)
	if err != nil {
		return nil, fmt.Errorf("HOOKLINE_ENCRYPTION_KEY: %w", err)
	}
	return secretbox.New(key)
}

func jwtConfig(cfg *config.Config) (authn.JWTConfig, error) {
	jc := authn.JWTConfig{
		HMACSecret: []byte(cfg.AdminJWTSecret), Issuer: cfg.AdminJWTIssuer, Audience: cfg.AdminJWTAudience,
		Leeway: 30 * time.Second,
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
func dialTemporal(ctx context.Context, cfg *config.Config, log *slog.Logger, lazy bool, mh client.MetricsHandler) (client.Client, error) {
	opts, err := temporalclient.Options(cfg.Temporal())
	if err != nil {
		return nil, err
	}
	opts.Logger = sdklog.NewStructuredLogger(log.With("component", "temporal-sdk"))
	opts.MetricsHandler = mh
	if lazy {
		return client.NewLazyClient(opts)
	}
	return client.DialContext(ctx, opts)
}

// services is what serve, worker, dev and bench wire together.
type services struct {
	cfg        *config.Config
	log        *slog.Logger
	pool       *pgxpool.Pool
	box        *secretbox.Box
	guard      *netguard.Guard
	temporal   client.Client
	dispatcher *workflows.Dispatcher
	metrics    *metrics.Metrics
}

func (s *services) apiServer() (*api.Server, error) {
	jc, err := jwtConfig(s.cfg)
	if err != nil {
		return nil, err
	}
	var verifier *authn.JWTVerifier
	if len(jc.HMACSecret) > 0 || jc.PublicKey != nil {
		if verifier, err = authn.NewJWTVerifier(jc); err != nil {
			return nil, err
		}
	} else {
		s.log.Warn("no admin JWT key configured: admin routes answer 401")
	}
	return api.New(api.Deps{
		Pool: s.pool, Box: s.box, JWT: verifier, Temporal: s.temporal, Dispatcher: s.dispatcher,
		Guard: s.guard, AllowHTTP: s.cfg.AllowHTTP, Logger: s.log, Version: version, Metrics: s.metrics,
	}), nil
}

func (s *services) activities() (*activities.Activities, error) {
	schedule, err := s.cfg.Schedule()
	if err != nil {
		return nil, err
	}
	return &activities.Activities{
		Pool: s.pool, Box: s.box,
		HTTP:          s.guard.Client(netguard.ClientOptions{Timeout: s.cfg.DeliveryTimeout}),
		ChallengeHTTP: s.guard.Client(netguard.ClientOptions{Timeout: workflows.VerifyTimeout}),
		Policy:        activities.RetryPolicy{Schedule: schedule, Jitter: 0.1},
		Publisher:     &publish.Publisher{Pool: s.pool, Starter: s.dispatcher, Logger: s.log}, Workflows: s.dispatcher,
		UserAgent:      "Hookline/" + version,
		ReconcileAfter: s.cfg.ReconcileAfter, RetentionDays: s.cfg.RetentionDays,
		Metrics: s.metrics, Logger: s.log,
	}, nil
}

// newWorker builds the Temporal worker with Hookline's workflows and activities.
func (s *services) newWorker() (worker.Worker, error) {
	acts, err := s.activities()
	if err != nil {
		return nil, err
	}
	w := worker.New(s.temporal, s.cfg.TaskQueue, worker.Options{
		MaxConcurrentActivityExecutionSize:     s.cfg.WorkerActivities,
		MaxConcurrentWorkflowTaskExecutionSize: s.cfg.WorkerWorkflowTasks,
		MaxConcurrentActivityTaskPollers:       8,
		MaxConcurrentWorkflowTaskPollers:       8,
		WorkerStopTimeout:                      20 * time.Second,
	})
	workflows.Register(w, acts)
	return w, nil
}

func (s *services) ensureSchedules(ctx context.Context) error {
	return workflows.EnsureSchedules(ctx, s.temporal, workflows.ScheduleConfig{
		TaskQueue: s.cfg.TaskQueue, ReconcileInterval: s.cfg.ReconcileInterval,
	})
}

// newServices opens what every long-running subcommand needs.
func newServices(ctx context.Context, cfg *config.Config, log *slog.Logger, migrate, lazyTemporal bool) (*services, error) {
	box, err := newBox(cfg)
	if err != nil {
		return nil, err
	}
	guard, err := newGuard(cfg)
	if err != nil {
		return nil, err
	}
	pool, err := openDB(ctx, cfg, log, migrate)
	if err != nil {
		return nil, err
	}
	m := metrics.New()
	tc, err := dialTemporal(ctx, cfg, log, lazyTemporal, m.TemporalHandler())
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to temporal at %s: %w", cfg.TemporalAddress, err)
	}
	return &services{
		cfg: cfg, log: log, pool: pool, box: box, guard: guard, temporal: tc,
		dispatcher: &workflows.Dispatcher{Client: tc, TaskQueue: cfg.TaskQueue, Logger: log, RemoteAttempts: cfg.RemoteAttempts},
		metrics:    m,
	}, nil
}

func (s *services) close() {
	s.temporal.Close()
	s.pool.Close()
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
	srv := newHTTPServer(addr, h)
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return fmt.Errorf("%s on %s: %w", name, addr, err)
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
