//go:build !nodev

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/hookline/hookline/internal/apperr"
	"github.com/hookline/hookline/internal/authn"
	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/internal/devstack"
	"github.com/hookline/hookline/internal/keycheck"
	"github.com/hookline/hookline/internal/secretbox"
	"github.com/hookline/hookline/internal/tenancy"
	"github.com/hookline/hookline/workflows"
)

const devTenant = "dev"

func devCmd(cfg *config.Config) *cobra.Command {
	var temporalOnly bool
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run everything in one process: embedded Temporal (+ Web UI) on Postgres, migrations, API and worker",
		RunE: func(cmd *cobra.Command, _ []string) error {
			defer startPprof(cmd.Context(), cfg.PprofAddr)()
			return runDev(cmd.Context(), cmd, cfg, temporalOnly)
		},
	}
	cmd.Flags().BoolVar(&temporalOnly, "temporal-only", false,
		"run only the embedded Temporal server (+ Web UI), for `hookline serve` and `hookline worker` processes to use")
	return cmd
}

func runDev(ctx context.Context, cmd *cobra.Command, cfg *config.Config, temporalOnly bool) error {
	log := newLogger(cfg, "text")
	if os.Getenv("GOGC") == "" {
		// One process carries the Temporal server too; trading memory for
		// less GC measurably raises throughput (docs/BENCHMARKS.md).
		debug.SetGCPercent(200)
	}
	if err := devDefaults(cmd, cfg); err != nil {
		return err
	}
	pg, err := devPostgres(ctx, cmd, cfg, log)
	if err != nil {
		return err
	}
	defer pg.Stop()
	log.Info("starting embedded Temporal", "store", cfg.TemporalStore, "frontend", cfg.TemporalAddress)
	start := time.Now()
	tsrv, err := devstack.StartTemporal(ctx, devstack.TemporalOptions{
		Store: cfg.TemporalStore, PostgresServerURL: pg.ServerURL, DataDir: cfg.DataDir,
		DatabaseURL:  cfg.DatabaseURL,
		FrontendAddr: cfg.TemporalAddress, UIAddr: cfg.UIAddr, Namespace: cfg.TemporalNamespace,
		SearchAttributes: workflows.SearchAttributeNames(), Logger: log, HistoryShards: int32(cfg.TemporalShards),
		Retention: cfg.TemporalRetention,
	})
	if err != nil {
		return err
	}
	defer tsrv.Stop()
	log.Info("embedded Temporal up", "took", time.Since(start).Round(time.Millisecond))
	if temporalOnly {
		printTemporalOnly(cmd.OutOrStdout(), cfg, tsrv)
		<-ctx.Done()
		log.Info("stopped")
		return nil
	}
	return runDevServices(ctx, cmd, cfg, log, tsrv)
}

func printTemporalOnly(w io.Writer, cfg *config.Config, t *devstack.Temporal) {
	ui := t.UIURL
	if ui == "" {
		ui = "off"
	}
	fmt.Fprintf(w, `
Temporal is ready (embedded, on Postgres; no Hookline API or worker in this process).

  Temporal     %s (namespace %s, search attributes registered)
  Temporal UI  %s

Run Hookline against it, each in its own shell (see README, "Split topology"):
  export HOOKLINE_TEMPORAL_ADDRESS=%s DATABASE_URL=%s
  hookline serve                                # + HOOKLINE_ENCRYPTION_KEY, HOOKLINE_ADMIN_JWT_SECRET, HOOKLINE_PUBLIC_URL
  hookline worker --metrics-addr 127.0.0.1:9101
  hookline worker --metrics-addr 127.0.0.1:9102
Ctrl-C stops it.

`, t.HostPort, cfg.TemporalNamespace, ui, t.HostPort, cfg.DatabaseURL)
}

// devDefaults fills in what a laptop needs: generated keys, http:// URLs and
// loopback receivers allowed.
func devDefaults(cmd *cobra.Command, cfg *config.Config) error {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return err
	}
	if err := ensureDevSecrets(cfg); err != nil {
		return err
	}
	if !cmd.Flags().Changed("allow-http") {
		cfg.AllowHTTP = true
	}
	if cfg.AllowedCIDRs == "" {
		cfg.AllowedCIDRs = "127.0.0.0/8,::1/128"
	}
	return nil
}

// devPostgres finds (or starts) the Postgres server and makes sure Hookline's
// database exists on it, setting cfg.DatabaseURL.
func devPostgres(ctx context.Context, cmd *cobra.Command, cfg *config.Config, log *slog.Logger) (*devstack.Postgres, error) {
	// Only an explicit DATABASE_URL pins the server; the one in dev.env is
	// what the last dev run found, which is found again below.
	_, explicit := os.LookupEnv("DATABASE_URL")
	explicit = explicit || cmd.Flags().Changed("database-url")
	dbURL, name := "", "hookline"
	if explicit {
		dbURL, name = cfg.DatabaseURL, devstack.DatabaseName(cfg.DatabaseURL)
	}
	pg, err := devstack.FindPostgres(ctx, dbURL, cfg.DataDir, log)
	if err != nil {
		return nil, err
	}
	// Like Temporal's databases beside it, Hookline's is created when missing.
	if err := devstack.EnsureDatabase(ctx, pg.ServerURL, name); err != nil {
		pg.Stop()
		return nil, err
	}
	if !explicit {
		cfg.DatabaseURL = pg.DatabaseURL(name)
	}
	return pg, nil
}

// runDevServices runs the API and a worker on the embedded Temporal, says
// ready once a delivery workflow can run, and waits for Ctrl-C.
func runDevServices(ctx context.Context, cmd *cobra.Command, cfg *config.Config, log *slog.Logger, tsrv *devstack.Temporal) error {
	dir, _ := filepath.Abs(cfg.DataDir)
	s, err := newServices(ctx, cfg, log, openOptions{Migrate: true, RunsWorker: true, Service: "hookline-dev", Origin: "hookline dev in " + dir})
	var mm *keycheck.MismatchError
	if errors.As(err, &mm) {
		return fmt.Errorf("%w\nTo use this database, run `make run` in the folder whose %s holds its key, or export "+
			"HOOKLINE_ENCRYPTION_KEY with that key. To start fresh instead, point DATABASE_URL at a new database "+
			"(dev creates it), e.g. DATABASE_URL=%s", err, config.SecretsEnvFile, freshDatabaseURL(cfg.DatabaseURL))
	}
	if err != nil {
		return err
	}
	defer s.close()
	creds, err := bootstrapDev(ctx, cfg, s.pool)
	if err != nil {
		return err
	}
	s.metrics.WatchBacklog(ctx, s.pool, backlogEvery)
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.runWorker(gctx) })
	g.Go(func() error { s.app.Publisher.Backlog.Run(gctx); return nil })
	// The API and dev.env appear only once a delivery workflow has run: a
	// fresh cluster refuses its just-registered search attributes for a
	// few seconds, and a publish in that window would wait for reconcile.
	began := time.Now()
	if err := s.app.Readiness.Wait(gctx, 2*time.Minute); err != nil {
		stop()
		// A worker that failed is why the probe gave up: say so.
		if werr := g.Wait(); werr != nil && !errors.Is(werr, context.Canceled) {
			return werr
		}
		return err
	}
	log.Info("delivery workflows runnable", "after", time.Since(began).Round(time.Millisecond))
	// Bound before dev.env is written: a script that waits for the file
	// can call the API at once.
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		stop()
		_ = g.Wait()
		return fmt.Errorf("api on %s: %w", cfg.HTTPAddr, err)
	}
	g.Go(func() error {
		return serveListener(gctx, log, "api", ln, withMetrics(s.app.API().Handler(), s.metrics.Handler()))
	})
	if err := writeDevEnv(cfg, creds); err != nil {
		stop()
		_ = g.Wait()
		return err
	}
	printReady(cmd.OutOrStdout(), cfg, tsrv, creds)
	err = g.Wait()
	log.Info("stopped")
	return err
}

// ensureDevSecrets generates the admin JWT secret and the encryption key on
// first start and keeps them in dataDir/secrets.env (mode 0600).
func ensureDevSecrets(cfg *config.Config) error {
	path := filepath.Join(cfg.DataDir, config.SecretsEnvFile)
	vals := config.ReadEnvFile(path)
	changed := false
	if cfg.AdminJWTSecret == "" {
		cfg.AdminJWTSecret = secretbox.NewKey()
		vals["HOOKLINE_ADMIN_JWT_SECRET"], changed = cfg.AdminJWTSecret, true
	}
	// HOOKLINE_ENCRYPTION_KEYS (e.g. mid-rotation) wins over the key: one
	// generated now would go unused, then be picked up once the list is unset.
	if cfg.EncryptionKey == "" && cfg.EncryptionKeys == "" {
		cfg.EncryptionKey = secretbox.NewKey()
		vals["HOOKLINE_ENCRYPTION_KEY"], changed = cfg.EncryptionKey, true
	}
	if !changed {
		return nil
	}
	var b strings.Builder
	b.WriteString("# Generated by `hookline dev`. Keep private: losing the encryption key loses every endpoint secret.\n")
	for _, k := range []string{"HOOKLINE_ADMIN_JWT_SECRET", "HOOKLINE_ENCRYPTION_KEY"} {
		if v := vals[k]; v != "" {
			fmt.Fprintf(&b, "%s=%s\n", k, v)
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

type devCreds struct {
	tenantID uuid.UUID
	apiKey   string
	token    string
}

// bootstrapDev makes sure tenant dev exists with a working API key (the one
// in dev.env when still valid, else a new one) and mints a fresh 24 h admin
// token covering every tenant.
func bootstrapDev(ctx context.Context, cfg *config.Config, pool *pgxpool.Pool) (devCreds, error) {
	actor := cliActor()
	actor.ID = "hookline dev"
	t, err := tenancy.ByName(ctx, pool, devTenant)
	if apperr.IsKind(err, apperr.KindNotFound) {
		t, err = tenancy.CreateTenant(ctx, pool, actor, "", devTenant)
	}
	if err != nil {
		return devCreds{}, err
	}
	c := devCreds{tenantID: t.ID}
	prev := config.ReadEnvFile(filepath.Join(cfg.DataDir, config.DevEnvFile))["HOOKLINE_API_KEY"]
	if k, err := tenancy.Authenticate(ctx, pool, prev); err == nil && k.TenantID == t.ID {
		c.apiKey = prev
	}
	if c.apiKey == "" {
		k, err := tenancy.CreateAPIKey(ctx, pool, actor, "", t.ID, "dev", authn.KeyPermissions)
		if err != nil {
			return devCreds{}, err
		}
		c.apiKey = k.Token
	}
	jc, err := jwtConfig(cfg)
	if err != nil {
		return devCreds{}, err
	}
	c.token, err = authn.MintHS256(jc, "dev-admin", []string{"*"}, authn.AllPermissions, tenancy.DevTokenTTL, time.Now())
	return c, err
}

func devExports(cfg *config.Config, c devCreds) string {
	return fmt.Sprintf("export HOOKLINE_API_KEY=%s\nexport HOOKLINE_ADMIN_TOKEN=%s\nexport HOOKLINE_TENANT_ID=%s\nexport DATABASE_URL=%s\nexport HOOKLINE_TEMPORAL_ADDRESS=%s\n",
		c.apiKey, c.token, c.tenantID, cfg.DatabaseURL, cfg.TemporalAddress)
}

func writeDevEnv(cfg *config.Config, c devCreds) error {
	return os.WriteFile(filepath.Join(cfg.DataDir, config.DevEnvFile), []byte(devExports(cfg, c)), 0o600)
}

func printReady(w io.Writer, cfg *config.Config, t *devstack.Temporal, c devCreds) {
	api := "http://" + displayAddr(cfg.HTTPAddr)
	fmt.Fprintf(w, `
Hookline dev is ready.

  API          %s   (try: curl -H "Authorization: Bearer $HOOKLINE_API_KEY" %s/v1/webhooks)
  API docs     %s/docs
  Portal       a one-time link: curl -X POST -H "Authorization: Bearer $HOOKLINE_ADMIN_TOKEN" \
                 %s/admin/v1/tenants/$HOOKLINE_TENANT_ID/portal-sessions
  Temporal UI  %s
  Temporal     %s (namespace %s, task queue %s)
  Metrics      %s/metrics

%s
These lines are also in %s (source it in another shell).
Ctrl-C stops everything; the next run reuses the data.

`, api, api, api, api, t.UIURL, t.HostPort, cfg.TemporalNamespace, cfg.TaskQueue, api,
		devExports(cfg, c), filepath.Join(cfg.DataDir, config.DevEnvFile))
}

// freshDatabaseURL suggests a database next to u for a fresh start.
func freshDatabaseURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "postgres://…/hookline_fresh"
	}
	p.Path = "/" + devstack.DatabaseName(u) + "_fresh"
	p.User = nil
	return p.String()
}
