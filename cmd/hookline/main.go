// Command hookline is the one Hookline binary: the API server, the Temporal
// worker, the all-in-one dev stack, and the admin and benchmark tools.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/hookline/hookline/internal/config"
)

// version is reported by the API, the User-Agent of deliveries and --version.
const version = "0.1.0"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRoot().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "hookline:", err)
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	cfg := &config.Config{}
	root := &cobra.Command{
		Use:           "hookline",
		Short:         "Hookline: outbound webhooks, every delivery a Temporal workflow",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return config.Resolve(cmd.Flags(), cfg, cmd.Name() == "dev")
		},
	}
	config.Bind(root.PersistentFlags(), cfg)
	root.AddCommand(
		serveCmd(cfg), workerCmd(cfg), devCmd(cfg), migrateCmd(cfg),
		tenantCmd(cfg), apikeyCmd(cfg), tokenCmd(cfg), keysCmd(cfg), benchCmd(cfg), benchReceiverCmd(),
	)
	return root
}
