package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hookline/hookline/db"
	"github.com/hookline/hookline/internal/config"
)

func migrateCmd(cfg *config.Config) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			log := newLogger(cfg, "text")
			pool, err := openDB(ctx, cfg, log, false)
			if err != nil {
				return err
			}
			defer pool.Close()
			conn, err := pool.Acquire(ctx)
			if err != nil {
				return err
			}
			defer conn.Release()
			applied, err := db.Migrate(ctx, conn.Conn())
			if err != nil {
				return err
			}
			if len(applied) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "database is up to date")
			}
			for _, v := range applied {
				fmt.Fprintln(cmd.OutOrStdout(), "applied", v)
			}
			return nil
		},
	}
}
