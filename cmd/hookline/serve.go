package main

import (
	"context"
	"net/http"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/hookline/hookline/internal/config"
)

func serveCmd(cfg *config.Config) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the REST API (migrates the database first)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			log := newLogger(cfg, "json")
			s, err := newServices(ctx, cfg, log, true, true)
			if err != nil {
				return err
			}
			defer s.close()
			srv, err := s.apiServer()
			if err != nil {
				return err
			}
			s.metrics.WatchBacklog(s.pool)
			log.Info("API listening", "addr", cfg.HTTPAddr, "docs", "http://"+displayAddr(cfg.HTTPAddr)+"/docs")
			return serveHTTP(ctx, log, "api", cfg.HTTPAddr, withMetrics(srv.Handler(), s.metrics.Handler()))
		},
	}
}

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
			ctx := cmd.Context()
			log := newLogger(cfg, "json")
			s, err := newServices(ctx, cfg, log, false, false)
			if err != nil {
				return err
			}
			defer s.close()
			return s.runWorker(ctx)
		},
	}
}

// runWorker runs the worker (and the metrics endpoint, when configured) until
// ctx ends; the schedules are created or updated first.
func (s *services) runWorker(ctx context.Context) error {
	if err := s.ensureSchedules(ctx); err != nil {
		return err
	}
	w, err := s.newWorker()
	if err != nil {
		return err
	}
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()
	s.log.Info("worker started", "task_queue", s.cfg.TaskQueue, "temporal", s.cfg.TemporalAddress)
	if s.cfg.MetricsAddr == "" {
		<-ctx.Done()
		return nil
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return serveHTTP(ctx, s.log, "metrics", s.cfg.MetricsAddr, s.metrics.Handler()) })
	return g.Wait()
}
