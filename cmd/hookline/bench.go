//go:build !nodev

package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/hookline/hookline/internal/bench"
	"github.com/hookline/hookline/internal/config"
)

func benchCmd(cfg *config.Config) *cobra.Command {
	var o bench.Options
	var out string
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure delivery throughput, latency and cost, Temporal's floor, baselines, log paging, parked retries, storage and the split topology",
		Long: "Starts `hookline dev` (on fresh databases) and a signature-checking receiver as child processes, " +
			"drives load through the API and prints a table (and JSON with --out). --quick is a smoke run of a few minutes.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			o.Exe, o.Log = exe, newLogger(cfg, "text")
			if cmd.Flags().Changed("database-url") || os.Getenv("DATABASE_URL") != "" {
				o.DatabaseURL = cfg.DatabaseURL
			}
			rep, err := bench.Run(cmd.Context(), o)
			if rep != nil {
				rep.Print(cmd.OutOrStdout())
				if out != "" {
					if werr := rep.WriteJSON(out); werr != nil {
						return werr
					}
					fmt.Fprintln(cmd.OutOrStdout(), "wrote", out)
				}
			}
			return err
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.Quick, "quick", false, "smoke run: small sizes, no soak")
	f.IntVar(&o.Events, "events", 0, "events to publish at full speed (default 2000; quick 200)")
	f.IntVar(&o.Endpoints, "endpoints", 0, "endpoints each event goes to (default 5)")
	f.IntVar(&o.Concurrency, "concurrency", 0, "concurrent publishers (default 16)")
	f.IntVar(&o.Rate, "rate", 0, "events/s of the fixed-rate phase, each to every endpoint (default 10: 50 deliveries/s)")
	f.DurationVar(&o.RateDuration, "rate-duration", 0, "length of the fixed-rate phase (default 20s)")
	f.IntVar(&o.PagingRows, "paging-rows", 0, "deliveries bulk-loaded for the paging test (default 1,000,000)")
	f.IntVar(&o.Parked, "parked", 0, "deliveries left waiting on retry timers (default 20,000)")
	f.DurationVar(&o.ParkedWindow, "parked-window", 0, "how long to measure CPU while they wait (default 30s)")
	f.StringVar(&out, "out", "", "also write the results as JSON to this file")
	f.BoolVar(&o.Keep, "keep", false, "keep the bench databases")
	f.IntVar(&o.TopologyEvents, "topology-events", 0, "events through the split topology, each to every endpoint (default 400: 2,000 deliveries)")
	f.IntVar(&o.SoakRate, "soak-rate", 0, "events/s of the storage soak, each to every endpoint (default 10)")
	f.DurationVar(&o.SoakDuration, "soak-duration", 0, "length of the storage soak (default 6m)")
	f.DurationVar(&o.SoakRetention, "soak-retention", 0, "Hookline's and Temporal's retention during the soak (default 1m)")
	f.IntVar(&o.ChaosRate, "chaos-rate", 0, "events/s of the chaos phase, each to one endpoint (default 20)")
	f.DurationVar(&o.ChaosDuration, "chaos-duration", 0, "how long the chaos phase publishes (default 30m)")
	f.DurationVar(&o.ChaosGapMin, "chaos-gap-min", 0, "shortest pause between two chaos faults (default 1m)")
	f.DurationVar(&o.ChaosGapMax, "chaos-gap-max", 0, "longest pause between two chaos faults (default 3m)")
	f.BoolVar(&o.ChaosPostgresRestart, "chaos-postgres-restart", os.Getenv("HOOKLINE_FAULT_PG_RESTART") == "1",
		"let the chaos phase restart the Postgres server (every database on it!); default: HOOKLINE_FAULT_PG_RESTART=1")
	f.StringSliceVar(&o.Phases, "phases", nil, "run only these phases: throughput, oauth2, ordered, traced, rate, floor, schema, baselines, paging, stats, parked, brokers, soak, noisy, topology, chaos (only when named)")
	f.StringArrayVar(&o.DevArgs, "dev-arg", nil, "extra flag for the hookline dev child (repeatable), e.g. --dev-arg=--worker-activities=400")
	return cmd
}

func benchReceiverCmd() *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:    "bench-receiver",
		Short:  "The bench's webhook receiver (started by hookline bench)",
		Hidden: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return (&bench.Receiver{}).Serve(cmd.Context(), addr)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:0", "listen address")
	return cmd
}
