//go:build nodev

package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/hookline/hookline/internal/config"
)

// Production images are built with -tags nodev: without the embedded Temporal
// server, Web UI and Postgres launcher the binary is a fraction of the size.
func devCmd(*config.Config) *cobra.Command {
	return &cobra.Command{
		Use:    "dev",
		Short:  "Not available: this binary was built with -tags nodev",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("this hookline binary was built without the dev stack (-tags nodev)")
		},
	}
}

func benchCmd(cfg *config.Config) *cobra.Command {
	cmd := devCmd(cfg)
	cmd.Use = "bench"
	return cmd
}

func benchReceiverCmd() *cobra.Command {
	cmd := devCmd(nil)
	cmd.Use = "bench-receiver"
	return cmd
}
