package main

import (
	"context"
	"errors"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/internal/metrics"
)

func serveCmd(cfg *config.Config) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the REST API (migrates the database first)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.RequireExplicit(); err != nil {
				return err
			}
			// Without it, portal links would take their host from the
			// request's Host header, which a caller chooses.
			if cfg.PublicURL == "" {
				return errors.New("HOOKLINE_PUBLIC_URL is not set: serve needs the scheme://host[:port] users reach the API at (portal links name it)")
			}
			return runService(cmd, cfg, openOptions{Migrate: true, LazyTemporal: true, Service: "hookline-api", Origin: origin("serve")}, func(ctx context.Context, s *services) error {
				s.metrics.WatchBacklog(ctx, s.pool, backlogEvery)
				g, ctx := errgroup.WithContext(ctx)
				g.Go(func() error { s.app.Publisher.Backlog.Run(ctx); return nil })
				if cfg.MetricsAddr != "" {
					g.Go(func() error { return serveHTTP(ctx, s.log, "metrics", cfg.MetricsAddr, s.workerProbes()) })
				} else if cfg.MetricsToken == "" {
					s.log.Warn("/metrics is not served: set HOOKLINE_METRICS_ADDR (a private address) or HOOKLINE_METRICS_TOKEN (a bearer token on the API port)")
				}
				s.log.Info("API listening", "addr", cfg.HTTPAddr, "docs", "http://"+displayAddr(cfg.HTTPAddr)+"/docs")
				api := s.app.API().Handler()
				if cfg.MetricsToken != "" {
					// The API port is public: /metrics there needs the token.
					api = withMetrics(api, metrics.Guarded(s.metrics.Handler(), cfg.MetricsToken))
				}
				g.Go(func() error { return serveHTTP(ctx, s.log, "api", cfg.HTTPAddr, api) })
				return g.Wait()
			})
		},
	}
}

// backlogEvery is how often the backlog gauge is counted (never per scrape).
const backlogEvery = 15 * time.Second

// withMetrics serves /metrics beside the API.
func withMetrics(apiHandler, metricsHandler http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", metricsHandler)
	mux.Handle("/", apiHandler)
	return mux
}

func workerCmd(cfg *config.Config) *cobra.Command {
	return &cobra.Command{
		Use:   "worker",
		Short: "Run a Temporal worker: delivery, verification, ingest, reconcile and retention workflows",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runService(cmd, cfg, openOptions{RunsWorker: true, Service: "hookline-worker", Origin: origin("worker")}, func(ctx context.Context, s *services) error { return s.runWorker(ctx) })
		},
	}
}

// runService is the life of serve and worker: settings given explicitly,
// pprof, a JSON logger, the services; run until ctx ends, then close.
func runService(cmd *cobra.Command, cfg *config.Config, o openOptions, run func(context.Context, *services) error) error {
	if err := cfg.RequireExplicit(); err != nil {
		return err
	}
	ctx := cmd.Context()
	defer startPprof(ctx, cfg.PprofAddr)()
	s, err := newServices(ctx, cfg, newLogger(cfg, "json"), o)
	if err != nil {
		return err
	}
	defer s.close()
	return run(ctx, s)
}

// runWorker runs the worker (and the metrics endpoint, when configured) until
// ctx ends. The maintenance schedules are created or updated alongside:
// deliveries must not wait for them.
func (s *services) runWorker(ctx context.Context) error {
	w := s.newWorker()
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()
	s.log.Info("worker started", "task_queue", s.cfg.TaskQueue, "temporal", s.cfg.TemporalAddress)
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { s.keepSchedules(ctx); return nil })
	g.Go(func() error { return s.app.SourceRunner.Run(ctx) })
	if s.cfg.MetricsAddr != "" {
		g.Go(func() error { return serveHTTP(ctx, s.log, "metrics", s.cfg.MetricsAddr, s.workerProbes()) })
	}
	g.Go(func() error { <-ctx.Done(); return nil })
	return g.Wait()
}

// workerProbes serves /metrics, /healthz and /readyz on the metrics
// address of a worker or serve (what an orchestrator probes).
func (s *services) workerProbes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", s.metrics.Handler())
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		if err := s.pool.Ping(ctx); err != nil {
			http.Error(w, "not ready: postgres unreachable", http.StatusServiceUnavailable)
			return
		}
		if err := s.app.Readiness.Check(ctx); err != nil {
			http.Error(w, "not ready: temporal not ready", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}

// keepSchedules creates the schedules, retrying while Temporal is not ready.
func (s *services) keepSchedules(ctx context.Context) {
	for delay := time.Second; ; delay = min(2*delay, time.Minute) {
		err := s.ensureSchedules(ctx)
		if err == nil || ctx.Err() != nil {
			return
		}
		s.log.Warn("creating schedules failed; retrying", "err", err, "in", delay)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
	}
}

// origin names a process for the encryption key check.
func origin(cmd string) string {
	host, _ := os.Hostname()
	return "hookline " + cmd + " on " + host
}
