package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/internal/keycheck"
	"github.com/hookline/hookline/internal/keyrotate"
)

func keysCmd(cfg *config.Config) *cobra.Command {
	var batch int
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Re-seal every stored secret under the current encryption key (resumable)",
		Long: "Re-seals every stored secret not yet under the first key of HOOKLINE_ENCRYPTION_KEYS, in batches " +
			"of one transaction each; run it again after an interruption. Once none is left under an old key, the " +
			"database records the new key and the old one can be removed from the list.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			box, err := newBox(cfg)
			if err != nil {
				return err
			}
			pool, err := openDB(ctx, cfg, newLogger(cfg, "text"), false)
			if err != nil {
				return err
			}
			defer pool.Close()
			res, err := keyrotate.Rotate(ctx, pool, box, keyrotate.Options{Batch: batch})
			left := int64(0)
			for _, c := range res.Columns {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: rotated %d, already current %d, unreadable %d\n", c.Name, c.Rotated, c.Current, c.Unreadable)
				left += c.Left
			}
			var mm *keycheck.MismatchError
			if errors.As(err, &mm) {
				return fmt.Errorf("refusing to rotate: %w. List the key this database's secrets are sealed with "+
					"after the new one in HOOKLINE_ENCRYPTION_KEYS", err)
			}
			if err != nil {
				return err
			}
			if !res.Recorded {
				return fmt.Errorf("%d secrets are still under an old key (rows in use while the rotation passed, or "+
					"written by a process not yet restarted with the new key first): run `hookline keys rotate` again", left)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "every secret is sealed with key %s; the database now names it, and the other keys can be removed\n", box.Fingerprint())
			return nil
		},
	}
	rotate.Flags().IntVar(&batch, "batch", keyrotate.DefaultBatch, "rows re-sealed per transaction")
	cmd := &cobra.Command{Use: "keys", Short: "Manage the encryption keys of secrets at rest"}
	cmd.AddCommand(rotate)
	return cmd
}
